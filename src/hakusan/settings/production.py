"""Multi-user deployment: everything from the environment; refuses to start half-configured."""

import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403


def _require(name: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise ImproperlyConfigured(f"{name} must be set in production")
    return value


SECRET_KEY = _require("HAKUSAN_SECRET_KEY")
if len(SECRET_KEY) < 32:
    raise ImproperlyConfigured("HAKUSAN_SECRET_KEY must be at least 32 characters")
if os.environ.get("HAKUSAN_DEBUG", "") not in ("", "0"):
    raise ImproperlyConfigured("HAKUSAN_DEBUG must be off in production")
DEBUG = False
_require("HAKUSAN_DATABASE_URL")
if not (HAKUSAN_AUDIT_KEY or HAKUSAN_AUDIT_KEY_FILE):  # noqa: F405
    # The default key file sits in the data directory beside the database and the checkpoint,
    # and differs per machine: entries written on one would not verify on another.
    raise ImproperlyConfigured(
        "HAKUSAN_AUDIT_KEY_FILE (or HAKUSAN_AUDIT_KEY) must be set in production: the audit "
        "key lives outside the data directory and is the same on every machine"
    )
ALLOWED_HOSTS = [h.strip() for h in _require("HAKUSAN_ALLOWED_HOSTS").split(",") if h.strip()]
CSRF_TRUSTED_ORIGINS = [
    o for o in os.environ.get("HAKUSAN_CSRF_TRUSTED_ORIGINS", "").split(",") if o
]
SESSION_COOKIE_SECURE = os.environ.get("HAKUSAN_INSECURE_COOKIES", "") != "1"
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name, "").strip()
    if value not in ("", "0", "1"):
        raise ImproperlyConfigured(f"{name} must be 0 or 1, not {value!r}")
    return default if value == "" else value == "1"


# HTTPS only (README, "Deploying"): TLS ends at the reverse proxy in front of `hakusan serve`.
# HSTS for a year, subdomains and preload included unless turned off (HAKUSAN_HSTS_*=0).
try:
    SECURE_HSTS_SECONDS = int(os.environ.get("HAKUSAN_HSTS_SECONDS", str(365 * 24 * 3600)))
except ValueError:
    raise ImproperlyConfigured("HAKUSAN_HSTS_SECONDS must be a number of seconds") from None
SECURE_HSTS_INCLUDE_SUBDOMAINS = _flag("HAKUSAN_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = _flag("HAKUSAN_HSTS_PRELOAD", True)
# Plain-HTTP requests are redirected to HTTPS; HAKUSAN_SSL_REDIRECT=0 when the proxy already
# redirects (then `check --deploy` warns security.W008, which is expected).
SECURE_SSL_REDIRECT = _flag("HAKUSAN_SSL_REDIRECT", True)
# Behind a proxy that terminates TLS, a request is secure when the proxy says so. Only with
# HAKUSAN_BEHIND_PROXY=1: the proxy must overwrite any X-Forwarded-Proto a client sent, and the
# application port must be reachable only through it (else a client could claim HTTPS).
if _flag("HAKUSAN_BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
X_FRAME_OPTIONS = "DENY"
