"""API session authentication that honours two-factor: a browser session of an analyst who has
not passed TOTP gets no API access (tokens are issued per account by administrators)."""

from typing import Any

from rest_framework.authentication import SessionAuthentication


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
