"""Partner credentials for the partner-facing endpoints (TAXII, blocklist feeds).

These classes are *not* in the default DRF authentication list: internal endpoints never accept
a partner token, and partner endpoints never accept staff sessions. ``request.user`` becomes a
``PartnerPrincipal`` and ``request.auth`` the ``PartnerToken``."""

import base64
import binascii
from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.permissions import BasePermission

from .models import Partner, PartnerToken, hash_token

# last_used_at is written at most this often per token (seconds): polling clients would
# otherwise turn every read into a write.
_TOUCH_EVERY = 60


@dataclass(frozen=True)
class PartnerPrincipal:
    """Stands in for ``request.user`` on partner requests. Has no staff role, so the internal
    role checks (``core.access.user_can``) refuse it everywhere."""

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

    def __str__(self) -> str:
        return f"partner:{self.partner.name}"


def authenticate_key(key: str) -> tuple[PartnerPrincipal, PartnerToken]:
    token = (
        PartnerToken.objects.select_related("partner")
        .filter(key_digest=hash_token(key.strip()))
        .first()
    )
    if token is None or token.revoked_at is not None:
        raise exceptions.AuthenticationFailed("invalid or revoked partner token")
    if not token.partner.active:
        raise exceptions.AuthenticationFailed("partner is not active")
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > _TOUCH_EVERY:
        PartnerToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return PartnerPrincipal(token.partner, token), token


class PartnerTokenAuthentication(BaseAuthentication):
    """``Authorization: Token <key>`` or ``Authorization: Bearer <key>``."""

    def authenticate(self, request: Any) -> tuple[PartnerPrincipal, PartnerToken] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() not in (b"token", b"bearer"):
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed("Authorization header: expected 'Token <key>'")
        try:
            key = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("token contains non-ASCII bytes") from None
        return authenticate_key(key)

    def authenticate_header(self, request: Any) -> str:
        return "Token"


class PartnerBasicAuthentication(BaseAuthentication):
    """HTTP Basic with any user name and the token as password (what TAXII clients send)."""

    realm = "hakusan"

    def authenticate(self, request: Any) -> tuple[PartnerPrincipal, PartnerToken] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != b"basic":
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed("Authorization header: malformed Basic")
        try:
            decoded = base64.b64decode(parts[1], validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise exceptions.AuthenticationFailed("Basic credentials are not base64") from None
        _user, sep, password = decoded.partition(":")
        if not sep or not password:
            raise exceptions.AuthenticationFailed("Basic credentials: the password is the token")
        return authenticate_key(password)

    def authenticate_header(self, request: Any) -> str:
        return f'Basic realm="{self.realm}"'


PARTNER_AUTHENTICATION = [PartnerTokenAuthentication, PartnerBasicAuthentication]


def partner_of(request: Any) -> Partner | None:
    user = getattr(request, "user", None)
    return user.partner if isinstance(user, PartnerPrincipal) else None


class IsPartner(BasePermission):
    """An active partner authenticated with a live token."""

    def has_permission(self, request: Any, view: Any) -> bool:
        return partner_of(request) is not None


class PartnerCanWrite(BasePermission):
    def has_permission(self, request: Any, view: Any) -> bool:
        partner = partner_of(request)
        return partner is not None and partner.can_write
