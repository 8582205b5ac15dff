from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from . import services
from .models import InboundBundle, RawStixObject


@admin.register(InboundBundle)
class InboundBundleAdmin(admin.ModelAdmin):
    list_display = ["id", "source_name", "partner", "state", "received_at", "object_count"]
    list_filter = ["state", "partner"]
    search_fields = ["source_name", "stix_id", "provenance"]
    readonly_fields = [f.name for f in InboundBundle._meta.fields]
    actions = ["accept", "reject"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def _review(
        self, request: HttpRequest, queryset: QuerySet[InboundBundle], accept: bool
    ) -> None:
        done = 0
        for bundle in queryset:
            try:
                if accept:
                    services.accept_bundle(bundle, request.user)  # type: ignore[arg-type]
                else:
                    services.reject_bundle(bundle, request.user)  # type: ignore[arg-type]
                done += 1
            except ValidationError as exc:
                self.message_user(request, "; ".join(exc.messages), messages.ERROR)
        self.message_user(request, _("%(n)d bundle(s) reviewed") % {"n": done})

    @admin.action(description=_("Accept the selected pending bundles"))
    def accept(self, request: HttpRequest, queryset: QuerySet[InboundBundle]) -> None:
        self._review(request, queryset, True)

    @admin.action(description=_("Reject the selected pending bundles"))
    def reject(self, request: HttpRequest, queryset: QuerySet[InboundBundle]) -> None:
        self._review(request, queryset, False)


@admin.register(RawStixObject)
class RawStixObjectAdmin(admin.ModelAdmin):
    list_display = ["stix_id", "stix_type", "bundle", "outcome", "reason"]
    list_filter = ["outcome", "stix_type"]
    search_fields = ["stix_id"]
    readonly_fields = [f.name for f in RawStixObject._meta.fields]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
