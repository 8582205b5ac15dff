"""Helpers for the audit tests: an attacker with write access to the database (who can drop
the triggers, as the owner of the tables can) and the verifier's findings."""

from typing import Any

from django.db import connection

from hakusan.core import audit, audit_guard


def as_db_attacker(sql: str, params: list[Any] | None = None) -> None:
    """Run ``sql`` past the append-only triggers, then put them back (covering the tracks)."""
    audit_guard.uninstall(connection)
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql, params or [])
    finally:
        audit_guard.install(connection)


def problems() -> list[audit.ChainProblem]:
    return [p for p in audit.verify_chain() if isinstance(p, audit.ChainProblem)]
