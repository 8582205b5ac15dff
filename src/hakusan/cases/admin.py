from django.contrib import admin

from .models import CaseType, PlaybookStep


class PlaybookStepInline(admin.TabularInline):
    model = PlaybookStep
    extra = 1


@admin.register(CaseType)
class CaseTypeAdmin(admin.ModelAdmin):
    list_display = ("code", "name_ja", "name_en", "has_ransomware_record", "order")
    inlines = [PlaybookStepInline]
