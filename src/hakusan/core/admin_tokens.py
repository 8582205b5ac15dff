"""Staff API tokens in the Django admin (administrators only; imported by ``core.admin``).

Issuing goes through ``services.issue_api_token`` (audited); the key is shown once, in the
response to the add form itself, and never again: only its digest is stored, and no page shows
that either. Tokens are revoked (an action), never edited or deleted."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import services
from .choices import Role
from .models import ApiToken

_NEW_KEY = "_hakusan_api_token_new_key"


def _is_admin(request: HttpRequest) -> bool:
    user: Any = request.user
    return bool(user.is_active and user.is_staff and (user.is_superuser or user.role == Role.ADMIN))


class ApiTokenForm(forms.ModelForm):
    days = forms.IntegerField(
        label=_("valid for (days)"),
        min_value=1,
        max_value=services.MAX_API_TOKEN_DAYS,
        required=False,
        help_text=_("empty: the default lifetime (HAKUSAN_API_TOKEN_DAYS)"),
    )

    class Meta:
        model = ApiToken
        fields = ["user", "label"]
        error_messages = {
            "user": {"invalid_choice": _("Choose an active user: inactive users get no API token.")}
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # issue_api_token refuses inactive users; offering them would end in a server error.
        user_field: Any = self.fields.get("user")  # absent on the read-only view page
        if user_field is not None:
            user_field.queryset = user_field.queryset.filter(is_active=True)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    form = ApiTokenForm
    list_display = ("prefix_shown", "user", "label", "state", "expires_at", "last_used_at")
    list_filter = ("revoked_at",)
    search_fields = ("user__username", "prefix", "label")
    list_select_related = ("user",)
    # "digest" is left out of every page on purpose.
    fields = (
        "user",
        "prefix",
        "label",
        "created_at",
        "created_by",
        "expires_at",
        "last_used_at",
        "revoked_at",
    )
    readonly_fields = fields
    actions = ["revoke"]

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _is_admin(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _is_admin(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return _is_admin(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # revoke instead

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # kept for the audit trail

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return ("user", "label", "days") if obj is None else self.fields

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return () if obj is None else self.readonly_fields

    @admin.display(description=_("prefix"), ordering="prefix")
    def prefix_shown(self, obj: ApiToken) -> str:
        return f"{obj.prefix}…"

    @admin.display(description=_("state"))
    def state(self, obj: ApiToken) -> str:
        if obj.revoked_at is not None:
            return str(_("revoked"))
        return str(_("live") if obj.live_at(timezone.now()) else _("expired"))

    def save_model(self, request: HttpRequest, obj: ApiToken, form: Any, change: bool) -> None:
        token, key = services.issue_api_token(
            form.cleaned_data["user"],
            label=form.cleaned_data["label"],
            days=form.cleaned_data["days"],
            actor=request.user,  # type: ignore[arg-type]
        )
        obj.pk, obj.prefix = token.pk, token.prefix
        obj._state.adding = False
        setattr(request, _NEW_KEY, key)

    def response_add(
        self, request: HttpRequest, obj: Any, post_url_continue: Any = None
    ) -> HttpResponse:
        # The key goes straight into this response: a message would carry it to the next page
        # in a signed but readable cookie or in the session table.
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("New API token"),
            "notice": _(
                "API token of %(user)s. It is shown only this once: copy it now and give it to "
                "its user over a secure channel; it cannot be shown again."
            )
            % {"user": obj.user.username},
            "key": getattr(request, _NEW_KEY),
            "changelist_url": reverse("admin:core_apitoken_changelist"),
        }
        response = TemplateResponse(request, "admin/core/apitoken/new_key.html", context)
        response["Cache-Control"] = "no-store"
        return response

    def has_revoke_permission(self, request: HttpRequest) -> bool:
        return _is_admin(request)

    @admin.action(description=_("Revoke the selected API tokens"), permissions=["revoke"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        live = list(queryset.filter(revoked_at__isnull=True).order_by("pk"))
        for token in live:
            services.revoke_api_token(token, actor=request.user)  # type: ignore[arg-type]
        messages.success(
            request,
            ngettext("%(count)d token revoked.", "%(count)d tokens revoked.", len(live))
            % {"count": len(live)},
        )
