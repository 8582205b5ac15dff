"""Staff authentication of the internal REST API.

- ``ApiTokenAuthentication``: ``Authorization: Token <key>`` (or ``Bearer <key>``) with a key
  issued per account by administrators (``core.services.issue_api_token``). Only the key's
  digest is stored; expired and revoked tokens and inactive users get a 401 saying which.
  Partner tokens are a different table (``partners.auth``) and are never accepted here.
- ``VerifiedSessionAuthentication``: a browser session of an analyst who has not passed TOTP
  gets no API access.
"""

import datetime
import logging
from typing import Any

from django.utils import formats, timezone
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import (
    BaseAuthentication,
    SessionAuthentication,
)

from hakusan.core import tokens
from hakusan.core.bearer import presented_key
from hakusan.core.models import ApiToken, User

logger = logging.getLogger(__name__)

# last_used_at is written at most this often per token: a polling script would otherwise turn
# every read into a write.
_TOUCH_EVERY = datetime.timedelta(seconds=60)


def _refuse(message: str, code: str, *, prefix: str = "") -> exceptions.AuthenticationFailed:
    """A 401 whose detail says what is wrong (``code`` stays the same in every language).
    Logged with the key's prefix at most, never the key."""
    logger.warning("API token refused: %s%s", code, f" ({prefix}…)" if prefix else "")
    return exceptions.AuthenticationFailed(message, code=code)


def authenticate_key(key: str) -> tuple[User, ApiToken]:
    if not key:
        raise _refuse(_("empty API token"), "malformed_token")
    if len(key) > tokens.MAX_KEY_LENGTH:
        raise _refuse(_("malformed API token (too long)"), "malformed_token")
    key_digest = tokens.digest(key)
    token = ApiToken.objects.select_related("user").filter(digest=key_digest).first()
    # The lookup is by digest (nothing an attacker can steer); compare in constant time anyway.
    if token is None or not tokens.matches(key, token.digest):
        raise _refuse(_("invalid API token"), "invalid_token", prefix=tokens.prefix(key))
    if token.revoked_at is not None:
        raise _refuse(_("this API token has been revoked"), "token_revoked", prefix=token.prefix)
    now = timezone.now()
    if now >= token.expires_at:
        when = formats.date_format(timezone.localtime(token.expires_at), "DATETIME_FORMAT")
        raise _refuse(
            _("this API token expired at %(when)s; ask an administrator for a new one")
            % {"when": when},
            "token_expired",
            prefix=token.prefix,
        )
    if not token.user.is_active:
        raise _refuse(_("the user of this API token is not active"), "user_inactive")
    if token.last_used_at is None or now - token.last_used_at > _TOUCH_EVERY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token.user, token


class ApiTokenAuthentication(BaseAuthentication):
    """``Authorization: Token <key>`` or ``Authorization: Bearer <key>``."""

    def authenticate(self, request: Any) -> tuple[User, ApiToken] | None:
        key = presented_key(request, _refuse, _("malformed API token (non-ASCII characters)"))
        if key is None:
            return None
        return authenticate_key(key)

    def authenticate_header(self, request: Any) -> str:
        # Makes refusals 401 (with WWW-Authenticate) rather than 403.
        return 'Token realm="api"'


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = ApiTokenAuthentication
    name = "tokenAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "a staff API token: 'Token <key>' or 'Bearer <key>'",
        }


class VerifiedSessionAuthentication(SessionAuthentication):
    def authenticate(self, request: Any) -> Any:
        result = super().authenticate(request)
        if result is None:
            return None
        user = result[0]
        django_user = getattr(request._request, "user", None)
        if getattr(user, "requires_two_factor", False) and not (
            django_user is not None and getattr(django_user, "is_verified", lambda: False)()
        ):
            return None
        return result
