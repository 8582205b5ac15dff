"""The embedded default: SQLite in a data directory, jobs in-process, no configuration needed."""

import os

from .base import *  # noqa: F403
from .base import embedded_secret_key

SECRET_KEY = os.environ.get("HAKUSAN_SECRET_KEY") or embedded_secret_key()
DEBUG = os.environ.get("HAKUSAN_DEBUG", "") == "1"
ALLOWED_HOSTS = [
    "127.0.0.1",
    "localhost",
    "[::1]",
    *filter(None, os.environ.get("HAKUSAN_ALLOWED_HOSTS", "").split(",")),
]
