"""``flush`` would empty the append-only audit log: refused, except where the test settings
allow it (pytest-django flushes the test database after each transactional test). There the
triggers are lifted for the length of the flush and put back."""

from typing import Any

from django.conf import settings
from django.core.management.base import CommandError
from django.core.management.commands.flush import Command as FlushCommand
from django.db import DEFAULT_DB_ALIAS, connections

from hakusan.core import audit_guard


class Command(FlushCommand):
    def handle(self, **options: Any) -> None:
        if not settings.HAKUSAN_AUDIT_ALLOW_FLUSH:
            raise CommandError(
                "flush refused: it would erase the audit log, which is append-only "
                "(drop and re-create the database instead)"
            )
        connection = connections[options.get("database") or DEFAULT_DB_ALIAS]
        audit_guard.uninstall(connection)
        try:
            super().handle(**options)
        finally:
            audit_guard.install(connection)
