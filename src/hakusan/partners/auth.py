"""Partner credentials for the partner-facing endpoints (TAXII, blocklist feeds).

These classes are *not* in the default DRF authentication list: internal endpoints never accept
a partner token, and partner endpoints never accept staff sessions. ``request.user`` becomes a
``PartnerPrincipal`` and ``request.auth`` the ``PartnerToken``.

Every refusal is a 401 whose ``detail`` says what is wrong (malformed header, unknown or
revoked token, inactive partner) without saying anything about other partners; refusals are
logged with the token prefix, never the key."""

import base64
import binascii
import logging
from dataclasses import dataclass
from typing import Any

from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication
from rest_framework.permissions import BasePermission

from hakusan.core.bearer import presented_key, scheme_and_credentials

from .models import Partner, PartnerToken, hash_token

logger = logging.getLogger(__name__)

# last_used_at is written at most this often per token (seconds): polling clients would
# otherwise turn every read into a write.
_TOUCH_EVERY = 60
# Issued keys are 43 characters (32 random bytes, URL-safe base64). Anything much longer is
# not a key: refuse it before hashing.
_MAX_KEY_LENGTH = 200


@dataclass(frozen=True, eq=False)
class PartnerPrincipal:
    """Stands in for ``request.user`` on partner requests. Has no staff role, no permissions and
    no primary key, so the internal role checks (``core.access.user_can``), Django permission
    checks and anything expecting a ``User`` row refuse it."""

    partner: Partner
    token: PartnerToken

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_superuser = False
    is_staff = False
    role = "partner"

    @property
    def pk(self) -> None:  # not a User row: audit entries name the partner in their detail
        return None

    id = pk

    @property
    def username(self) -> str:
        return str(self)

    def get_username(self) -> str:
        return str(self)

    def has_perm(self, perm: str, obj: Any = None) -> bool:
        return False

    def has_perms(self, perm_list: Any, obj: Any = None) -> bool:
        return False

    def has_module_perms(self, app_label: str) -> bool:
        return False

    def has_role(self, *roles: str) -> bool:
        return False

    def is_verified(self) -> bool:  # django-otp: a partner has no second factor
        return False

    def audit_detail(self) -> dict[str, Any]:
        """What partner endpoints put in their audit entries (the actor is None)."""
        return {
            "partner": self.partner.pk,
            "partner_name": self.partner.name,
            "token_prefix": self.token.prefix,
        }

    def __str__(self) -> str:
        return f"partner:{self.partner.name}"


def _refuse(message: str, code: str, *, prefix: str = "") -> exceptions.AuthenticationFailed:
    """A 401 whose detail says what is wrong; ``code`` (kept on the ``ErrorDetail``) is stable
    across translations."""
    logger.warning("partner authentication refused: %s%s", code, f" ({prefix}…)" if prefix else "")
    return exceptions.AuthenticationFailed(message, code=code)


def authenticate_key(key: str) -> tuple[PartnerPrincipal, PartnerToken]:
    key = key.strip()
    if not key:
        raise _refuse(_("empty partner token"), "malformed_token")
    if len(key) > _MAX_KEY_LENGTH:
        raise _refuse(_("malformed partner token (too long)"), "malformed_token")
    token = (
        PartnerToken.objects.select_related("partner").filter(key_digest=hash_token(key)).first()
    )
    if token is None:
        raise _refuse(_("invalid partner token"), "invalid_token", prefix=key[:8])
    if token.revoked_at is not None:
        raise _refuse(_("partner token has been revoked"), "token_revoked", prefix=token.prefix)
    if not token.partner.active:
        raise _refuse(_("partner is not active"), "partner_inactive", prefix=token.prefix)
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > _TOUCH_EVERY:
        PartnerToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return PartnerPrincipal(token.partner, token), token


class PartnerTokenAuthentication(BaseAuthentication):
    """``Authorization: Token <key>`` or ``Authorization: Bearer <key>``."""

    def authenticate(self, request: Any) -> tuple[PartnerPrincipal, PartnerToken] | None:
        key = presented_key(request, _refuse, _("malformed partner token (non-ASCII characters)"))
        if key is None:
            return None
        return authenticate_key(key)

    def authenticate_header(self, request: Any) -> str:
        return 'Token realm="hakusan"'


class PartnerBasicAuthentication(BaseAuthentication):
    """HTTP Basic with any user name and the token as password (what TAXII clients send)."""

    realm = "hakusan"

    def authenticate(self, request: Any) -> tuple[PartnerPrincipal, PartnerToken] | None:
        scheme, rest = scheme_and_credentials(request)
        if scheme != b"basic":
            return None
        if len(rest) != 1:
            raise _refuse(
                _("malformed Authorization header: expected 'Basic <base64(user:token)>'"),
                "malformed_header",
            )
        try:
            decoded = base64.b64decode(rest[0], validate=True).decode("utf-8")
        except (binascii.Error, ValueError):
            raise _refuse(
                _("malformed Basic credentials: not base64 of UTF-8 text"), "malformed_header"
            ) from None
        # RFC 7617 user ids have no colon, but some clients put one in; issued keys never do
        # (URL-safe base64): the token is what follows the last colon.
        _user, sep, password = decoded.rpartition(":")
        if not sep:
            raise _refuse(
                _("malformed Basic credentials: expected 'user:token'"), "malformed_header"
            )
        if not password:
            raise _refuse(
                _("Basic credentials without a password: the password is the token"),
                "malformed_header",
            )
        return authenticate_key(password)

    def authenticate_header(self, request: Any) -> str:
        return f'Basic realm="{self.realm}"'


PARTNER_AUTHENTICATION = [PartnerTokenAuthentication, PartnerBasicAuthentication]


def partner_of(request: Any) -> Partner | None:
    user = getattr(request, "user", None)
    return user.partner if isinstance(user, PartnerPrincipal) else None


class IsPartner(BasePermission):
    """An active partner authenticated with a live token."""

    message = gettext_lazy("partner credentials required")

    def has_permission(self, request: Any, view: Any) -> bool:
        partner = partner_of(request)
        return partner is not None and partner.active


class PartnerCanWrite(BasePermission):
    message = gettext_lazy("this partner may not send data")

    def has_permission(self, request: Any, view: Any) -> bool:
        partner = partner_of(request)
        return partner is not None and partner.active and partner.can_write


# --- OpenAPI: how partner endpoints authenticate (registered when this module is imported) ----


class PartnerTokenScheme(OpenApiAuthenticationExtension):
    target_class = PartnerTokenAuthentication
    name = "partnerToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "a partner token: 'Token <key>' or 'Bearer <key>'",
        }


class PartnerBasicScheme(OpenApiAuthenticationExtension):
    target_class = PartnerBasicAuthentication
    name = "partnerBasic"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "http",
            "scheme": "basic",
            "description": "HTTP Basic: any user name, the partner token as password",
        }


class PartnerFacingView:
    """Mixin for views partners' machines call (TAXII, blocklists, MISP feed): answers, error
    messages included, are in English whatever the server's language (our UI is Japanese
    first; partner clients are programs at other organisations)."""

    def dispatch(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        with translation.override("en"):
            response = super().dispatch(request, *args, **kwargs)  # type: ignore[misc]
        response.headers.setdefault("Content-Language", "en")
        return response
