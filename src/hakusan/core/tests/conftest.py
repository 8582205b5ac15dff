from collections.abc import Callable
from typing import Any

import pytest

from hakusan.core import audit, audit_checkpoint
from hakusan.core.models import AuditEntry


@pytest.fixture
def committed(django_capture_on_commit_callbacks) -> Callable[..., AuditEntry]:
    """``audit.record`` followed by its on-commit hook (the head checkpoint), as at a commit.

    The fixtures' own entries (users created...) were never committed, so their hooks never
    ran: the first call writes the checkpoint over them first, as ``hakusan audit checkpoint``
    would (an append alone does not re-create a checkpoint once keyed entries exist)."""

    def record(*args: Any, **kwargs: Any) -> AuditEntry:
        if not audit_checkpoint.path().exists():
            audit_checkpoint.sync()
        with django_capture_on_commit_callbacks(execute=True):
            return audit.record(*args, **kwargs)

    return record
