"""Partners in the Django admin (administrators only). Writes go through ``services`` so that
they are validated and audited like the CLI's; token keys are shown once, in a message."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from hakusan.core.choices import Role

from . import services
from .choices import DataKind
from .models import Partner, PartnerContact, PartnerToken

_NEW_KEY = "_hakusan_partner_new_key"


def _is_admin(request: HttpRequest) -> bool:
    user: Any = request.user
    return bool(user.is_active and user.is_staff and (user.is_superuser or user.role == Role.ADMIN))


class AdministratorsOnly:
    """Partners are configuration: administrators (superusers and the admin role) manage
    them whatever their Django model permissions."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _is_admin(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _is_admin(request)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _is_admin(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _is_admin(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # deactivate instead: tokens and audit entries refer to the partner


class PartnerForm(forms.ModelForm):
    receives = forms.MultipleChoiceField(
        label=_("data it receives"),
        choices=DataKind.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    class Meta:
        model = Partner
        fields = ["name", "kind", "max_tlp", "receives", "can_write", "active", "notes"]


class ContactInline(AdministratorsOnly, admin.TabularInline):
    model = PartnerContact
    extra = 1
    fields = ("name", "role", "email", "phone")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _is_admin(request)


class TokenInline(admin.TabularInline):
    """Read-only: tokens are issued, rotated and revoked by the actions (keys shown once)."""

    model = PartnerToken
    extra = 0
    can_delete = False
    fields = ("prefix", "label", "created_at", "created_by", "revoked_at", "last_used_at")
    readonly_fields = fields
    ordering = ("-created_at",)
    verbose_name_plural = _("tokens (only the first characters are kept)")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _is_admin(request)


@admin.register(Partner)
class PartnerAdmin(AdministratorsOnly, admin.ModelAdmin):
    form = PartnerForm
    list_display = ("name", "kind", "max_tlp", "can_write", "active", "live_tokens", "last_used")
    list_filter = ("kind", "max_tlp", "can_write", "active")
    search_fields = ("name", "contacts__name", "contacts__email")
    readonly_fields = ("created_at", "created_by")
    inlines = [ContactInline, TokenInline]
    actions = ["rotate_tokens", "revoke_all_tokens"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Partner]:
        from django.db.models import Max

        return (
            super()
            .get_queryset(request)
            .annotate(
                _live_tokens=Count("tokens", filter=Q(tokens__revoked_at__isnull=True)),
                _last_used=Max("tokens__last_used_at"),
            )
        )

    @admin.display(description=_("live tokens"), ordering="_live_tokens")
    def live_tokens(self, obj: Any) -> int:
        return int(getattr(obj, "_live_tokens", 0))

    @admin.display(description=_("last used"), ordering="_last_used")
    def last_used(self, obj: Any) -> Any:
        return getattr(obj, "_last_used", None)

    def get_inlines(self, request: HttpRequest, obj: Any = None) -> list[Any]:
        # A new partner has no tokens yet: its first one is issued on save.
        return [ContactInline] if obj is None else [ContactInline, TokenInline]

    def save_model(self, request: HttpRequest, obj: Partner, form: Any, change: bool) -> None:
        data = {field: form.cleaned_data[field] for field in PartnerForm.Meta.fields}
        if change:
            changes = {field: data[field] for field in form.changed_data if field in data}
            services.update_partner(obj, user=request.user, **changes)  # type: ignore[arg-type]
            return
        # The form has checked the name is free and the choices are known.
        partner, key = services.create_partner(
            data["name"],
            max_tlp=data["max_tlp"],
            kind=data["kind"],
            can_write=data["can_write"],
            receives=list(data["receives"]),
            notes=data["notes"],
            user=request.user,  # type: ignore[arg-type]
        )
        if not data["active"]:
            services.deactivate_partner(partner, user=request.user)  # type: ignore[arg-type]
            partner.refresh_from_db()
        # The admin goes on with ``obj`` (inline contacts, the redirect): make it the new row.
        obj.pk = partner.pk
        obj.created_at, obj.created_by = partner.created_at, partner.created_by
        obj.max_tlp, obj.receives, obj.active = partner.max_tlp, partner.receives, partner.active
        obj._state.adding = False
        obj._state.db = partner._state.db
        setattr(request, _NEW_KEY, key)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        super().save_formset(request, form, formset, change)
        if formset.model is PartnerContact:
            services.record_contact_changes(
                form.instance,
                added=[c.name for c in formset.new_objects],
                changed=[c.name for c, _fields in formset.changed_objects],
                deleted=[c.name for c in formset.deleted_objects],
                user=request.user,  # type: ignore[arg-type]
            )

    def response_add(
        self, request: HttpRequest, obj: Any, post_url_continue: Any = None
    ) -> HttpResponse:
        key = getattr(request, _NEW_KEY, None)
        if key:
            self._show_key(request, obj, key)
        return super().response_add(request, obj, post_url_continue)

    def _show_key(self, request: HttpRequest, partner: Partner, key: str) -> None:
        messages.success(
            request,
            _(
                "New token of %(partner)s (shown only this once; give it to the partner over "
                "a secure channel): %(key)s"
            )
            % {"partner": partner.name, "key": key},
        )

    @admin.action(description=_("Rotate token (revoke the live ones, issue a new one)"))
    def rotate_tokens(self, request: HttpRequest, queryset: QuerySet[Partner]) -> None:
        for partner in queryset.order_by("name"):
            _token, key = services.rotate_token(partner, user=request.user)  # type: ignore[arg-type]
            self._show_key(request, partner, key)

    @admin.action(description=_("Revoke all tokens"))
    def revoke_all_tokens(self, request: HttpRequest, queryset: QuerySet[Partner]) -> None:
        total = 0
        for partner in queryset.order_by("name"):
            total += len(services.revoke_tokens(partner, user=request.user))  # type: ignore[arg-type]
        messages.success(
            request,
            ngettext("%(count)d token revoked.", "%(count)d tokens revoked.", total)
            % {"count": total},
        )
