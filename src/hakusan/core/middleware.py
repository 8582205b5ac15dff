"""Two-factor enforcement: analysts, supervisors and admins must verify a TOTP device."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

# Paths a half-logged-in user may reach: the 2FA pages themselves, logout, static files, i18n.
_OPEN_PREFIXES = ("/static/", "/i18n/", "/accounts/logout/", "/accounts/2fa/", "/api/")


class RequireTwoFactorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and getattr(user, "requires_two_factor", False)
            and not user.is_verified()
            and not request.path.startswith(_OPEN_PREFIXES)
        ):
            from django_otp import devices_for_user

            has_device = any(True for _ in devices_for_user(user, confirmed=True))
            target = "core:otp_verify" if has_device else "core:otp_setup"
            return redirect(f"{reverse(target)}?next={request.get_full_path()}")
        return self.get_response(request)


class NoStoreForAuthenticatedMiddleware:
    """``Cache-Control: no-store`` on every response to a logged-in user or to a request that
    presents credentials (API and partner tokens): what they receive is need-to-know and must
    not stay in a browser's or a proxy's cache (a shared station PC, the back button after
    logging out). A view that sets its own Cache-Control keeps it: the partners' blocklist
    feeds answer ``private, no-cache`` with an ETag so partners revalidate instead of
    downloading again. Static files never reach here (WhiteNoise answers them first)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if "Cache-Control" in response:
            return response
        # Evaluated after the view: a log-in in this request counts, a log-out does not.
        user = getattr(request, "user", None)
        if "HTTP_AUTHORIZATION" in request.META or (user is not None and user.is_authenticated):
            response["Cache-Control"] = "no-store"
        return response
