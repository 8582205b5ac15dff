from django.contrib import admin

from .models import ActorHypothesis, Campaign, CampaignCase, CampaignTag, CaseTag, ThreatActor


@admin.register(ThreatActor)
class ThreatActorAdmin(admin.ModelAdmin):
    list_display = ("name", "source", "galaxy", "external_id", "country")
    search_fields = ("name", "external_id")
    list_filter = ("source",)


class CampaignCaseInline(admin.TabularInline):
    model = CampaignCase
    extra = 0
    raw_id_fields = ("case",)
    readonly_fields = ("added_by", "added_at", "evidence")


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ("name", "status", "tlp", "actor", "created_at")
    list_filter = ("status", "tlp")
    search_fields = ("name",)
    inlines = [CampaignCaseInline]
    readonly_fields = ("created_by", "created_at")


@admin.register(ActorHypothesis)
class ActorHypothesisAdmin(admin.ModelAdmin):
    list_display = ("campaign", "actor", "confidence", "created_at")
    list_filter = ("confidence",)


@admin.register(CaseTag)
class CaseTagAdmin(admin.ModelAdmin):
    list_display = ("case", "kind", "name", "external_id", "added_at")
    list_filter = ("kind",)
    raw_id_fields = ("case",)


@admin.register(CampaignTag)
class CampaignTagAdmin(admin.ModelAdmin):
    list_display = ("campaign", "kind", "name", "external_id", "added_at")
    list_filter = ("kind",)
