from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import services
from .models import AuditEntry, Department, JobRun, User


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "kind", "is_cyber_division")
    list_filter = ("kind", "is_cyber_division")
    search_fields = ("code", "name")


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "last_name", "first_name", "department", "role", "is_active")
    list_filter = ("role", "department", "is_active")
    fieldsets = (
        *BaseUserAdmin.fieldsets,  # type: ignore[misc]
        (_("Hakusan"), {"fields": ("department", "role")}),
    )
    actions = ["deactivate_selected"]

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False  # users are deactivated, never deleted: audit entries name them

    @admin.action(description=_("Deactivate selected users"), permissions=["change"])
    def deactivate_selected(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        actor = request.user if isinstance(request.user, User) else None
        done = sum(
            services.deactivate_user(user, actor=actor, request=request)
            for user in queryset.order_by("pk")
        )
        self.message_user(
            request,
            ngettext("%(n)d user deactivated.", "%(n)d users deactivated.", done) % {"n": done},
            messages.SUCCESS,
        )


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Read-only: the audit log is append-only and written by services alone."""

    list_display = ("id", "at", "actor_name", "action", "object_type", "object_id", "ip_address")
    list_filter = ("action", "object_type")
    search_fields = ("actor_name", "object_id")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(JobRun)
class JobRunAdmin(admin.ModelAdmin):
    list_display = ("id", "name", "status", "progress_done", "progress_total", "created_at")
    list_filter = ("name", "status")
    readonly_fields = [f.name for f in JobRun._meta.fields]


from . import admin_tokens  # noqa: E402, F401  (registers ApiTokenAdmin)
