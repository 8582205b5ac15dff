"""The audit chain's HMAC key: kept outside the database, so that write access to the database
alone cannot produce entries (or a checkpoint) that verify.

Where it comes from, first match wins:
- ``HAKUSAN_AUDIT_KEY`` (environment/setting): the key itself, at least 32 characters;
- ``HAKUSAN_AUDIT_KEY_FILE``: a file holding it, which must exist;
- ``<data dir>/audit.key``, created (mode 0600) on first use. Production should point
  ``HAKUSAN_AUDIT_KEY_FILE`` at another volume than the database's and back it up apart.
"""

import os
import secrets
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

MIN_KEY_CHARS = 32
_read: dict[str, bytes] = {}  # key file path -> key: read once per process, not per append


class AuditKeyMissing(Exception):
    """The key is not there (verification never creates one)."""


def key_path() -> Path:
    explicit = getattr(settings, "HAKUSAN_AUDIT_KEY_FILE", "")
    return Path(explicit) if explicit else Path(settings.DATA_DIR) / "audit.key"


def _checked(text: str, source: str) -> bytes:
    text = text.strip()
    if len(text) < MIN_KEY_CHARS:
        raise ImproperlyConfigured(
            f"{source}: the audit key must be at least {MIN_KEY_CHARS} chars"
        )
    return text.encode("utf-8")


def _create(path: Path) -> None:
    """Write a new key beside ``path``, then link it into place: of several workers starting
    at once one wins (link fails if the name exists) and no reader sees a half-written file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.link(temp, path)
    except FileExistsError:
        pass  # another process created it first: read theirs
    finally:
        temp.unlink(missing_ok=True)


def audit_key(*, create: bool = True) -> bytes:
    """The key; the default file is created if absent and ``create`` (writers, not verify)."""
    env_key = getattr(settings, "HAKUSAN_AUDIT_KEY", "")
    if env_key:
        return _checked(env_key, "HAKUSAN_AUDIT_KEY")
    path = key_path()
    if str(path) in _read:
        return _read[str(path)]
    explicit = bool(getattr(settings, "HAKUSAN_AUDIT_KEY_FILE", ""))
    if not path.exists():
        if explicit:
            raise ImproperlyConfigured(f"HAKUSAN_AUDIT_KEY_FILE: {path} does not exist")
        if not create:
            raise AuditKeyMissing(f"the audit key {path} is missing")
        _create(path)
    text = path.read_text(encoding="utf-8")
    if not text.strip():
        # A crash between create and write leaves an empty file: never chain with an empty key.
        raise ImproperlyConfigured(f"{path}: the audit key file is empty")
    _read[str(path)] = key = _checked(text, str(path))
    return key
