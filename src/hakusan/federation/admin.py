from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import PullSource, PushTarget

_STATE = (
    "last_run_at",
    "last_success_at",
    "last_error",
    "failures",
    "next_run_at",
    "collection_id",
    "created_at",
    "created_by",
)


# Secrets are set with `hakusan federation add --password/--password-env`; the admin never
# shows or edits them.
@admin.register(PullSource)
class PullSourceAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "partner",
        "api_root_url",
        "collection",
        "trusted",
        "enabled",
        "last_success_at",
        "failures",
        "objects_pulled",
    )
    list_filter = ("enabled", "trusted", "partner")
    search_fields = ("name", "api_root_url", "collection")
    readonly_fields = (
        *_STATE,
        "added_after",
        "next_cursor",
        "cursor_added_after",
        "objects_pulled",
    )
    fieldsets = (
        (None, {"fields": ("name", "partner", "api_root_url", "collection", "enabled")}),
        (
            _("Credentials"),
            {"fields": ("username", "password_env", "verify_tls")},
        ),
        (
            _("Import"),
            {
                "fields": (
                    "trusted",
                    "tlp_default",
                    "page_size",
                    "interval_seconds",
                    "timeout_seconds",
                )
            },
        ),
        (
            _("State"),
            {
                "fields": (
                    *_STATE,
                    "added_after",
                    "next_cursor",
                    "cursor_added_after",
                    "objects_pulled",
                )
            },
        ),
    )


@admin.register(PushTarget)
class PushTargetAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "partner",
        "api_root_url",
        "collection",
        "enabled",
        "last_success_at",
        "failures",
        "objects_pushed",
    )
    list_filter = ("enabled", "partner")
    search_fields = ("name", "api_root_url", "collection")
    readonly_fields = (*_STATE, "objects_pushed")
    # Secrets are set with `hakusan federation add`; the admin never shows them.
    exclude = ("password", "locked_until")
