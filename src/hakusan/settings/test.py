"""Test settings: SQLite in memory, or PostgreSQL when HAKUSAN_TEST_DATABASE_URL is set."""

import os
import tempfile

os.environ.setdefault("HAKUSAN_DATA_DIR", tempfile.mkdtemp(prefix="hakusan-test-"))

import dj_database_url

from .base import *  # noqa: F403
from .base import DATA_DIR, postgresql_options

SECRET_KEY = "test-only-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["*"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed; argon2 tested apart
_url = os.environ.get("HAKUSAN_TEST_DATABASE_URL")
if _url:
    DATABASES = {"default": {**dj_database_url.parse(_url), "OPTIONS": postgresql_options()}}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(DATA_DIR / "t.db"),
            "TEST": {"NAME": str(DATA_DIR / "test.db")},
            # Live-server tests write from the request and a job thread at once: wait for the
            # lock (under load) rather than fail after the default 5 s.
            "OPTIONS": {"timeout": 30},
        }
    }
HAKUSAN_REDIS_URL = ""
CELERY_BROKER_URL = "memory://"
AXES_ENABLED = True
HAKUSAN_AUDIT_ALLOW_FLUSH = True  # test-database flush only (core/management/commands/flush.py)
