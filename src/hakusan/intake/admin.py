from django.contrib import admin

from .models import Category, RoutingRule


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("code", "name_ja", "name_en", "cyber_division", "active", "order")
    list_editable = ("active", "order")


@admin.register(RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "priority",
        "active",
        "category",
        "needs_cyber",
        "observable_type",
        "min_damage",
        "victim_kind",
        "target_department",
        "sla_hours",
    )
    list_editable = ("priority", "active")
