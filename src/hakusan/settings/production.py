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
ALLOWED_HOSTS = [h.strip() for h in _require("HAKUSAN_ALLOWED_HOSTS").split(",") if h.strip()]
CSRF_TRUSTED_ORIGINS = [
    o for o in os.environ.get("HAKUSAN_CSRF_TRUSTED_ORIGINS", "").split(",") if o
]
SESSION_COOKIE_SECURE = os.environ.get("HAKUSAN_INSECURE_COOKIES", "") != "1"
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
