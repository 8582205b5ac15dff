from collections.abc import Callable
from typing import Any

import pytest

from hakusan.core import audit
from hakusan.core.models import AuditEntry


@pytest.fixture
def committed(django_capture_on_commit_callbacks) -> Callable[..., AuditEntry]:
    """``audit.record`` followed by its on-commit hook (the head checkpoint), as at a commit."""

    def record(*args: Any, **kwargs: Any) -> AuditEntry:
        with django_capture_on_commit_callbacks(execute=True):
            return audit.record(*args, **kwargs)

    return record
