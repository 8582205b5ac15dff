"""Migration 0002 keeps existing logs verifying: entries written with the plain SHA-256 chain
are numbered and marked legacy; new entries are keyed and continue the same chain."""

import hashlib
import json

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from hakusan.core import audit, audit_guard
from hakusan.core.models import AuditEntry, User

from .audit_helpers import problems

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("core", "0001_initial")]
TABLE = "core_auditentry"
EXPECTED = (
    audit_guard.PG_TRIGGERS if connection.vendor == "postgresql" else audit_guard.SQLITE_TRIGGERS
)


def _old_digest(prev_hash: str, entry: object) -> str:
    """core.audit._digest as it was before the keyed chain."""
    body = json.dumps(
        {
            "prev": prev_hash,
            "at": entry.at.isoformat(),  # type: ignore[attr-defined]
            "actor": entry.actor_id,  # type: ignore[attr-defined]
            "actor_name": entry.actor_name,  # type: ignore[attr-defined]
            "action": entry.action,  # type: ignore[attr-defined]
            "object_type": entry.object_type,  # type: ignore[attr-defined]
            "object_id": entry.object_id,  # type: ignore[attr-defined]
            "detail": entry.detail,  # type: ignore[attr-defined]
            "ip": entry.ip_address,  # type: ignore[attr-defined]
        },
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(body.encode()).hexdigest()


def test_legacy_entries_still_verify_and_the_chain_goes_on_keyed() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    OldUser = old.get_model("core", "User")
    OldEntry = old.get_model("core", "AuditEntry")
    user = OldUser.objects.create(username="legacy-officer")
    prev = "0" * 64
    for n, (action, detail) in enumerate([("login", {}), ("view", {"件名": "試験"}), ("x", {})]):
        entry = OldEntry(
            at=timezone.now(),
            actor_id=user.pk,
            actor_name=user.username,
            action=action,
            object_type="core.user",
            object_id=str(n),
            detail=detail,
            ip_address="192.0.2.7",
            prev_hash=prev,
        )
        entry.entry_hash = _old_digest(prev, entry)
        entry.save()
        prev = entry.entry_hash

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())  # through 0002 to the current schema

    legacy = list(AuditEntry.objects.order_by("id"))
    assert [(e.seq, e.hash_version) for e in legacy] == [(1, 1), (2, 1), (3, 1)]
    new = audit.record(User.objects.get(username="legacy-officer"), "view", object_type="t")
    assert (new.seq, new.hash_version, new.prev_hash) == (4, 2, prev)
    assert problems() == []


def test_migration_0002_reverses_and_reapplies() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    with connection.cursor() as cursor:
        columns = {c.name for c in connection.introspection.get_table_description(cursor, TABLE)}
    assert "seq" not in columns and audit_guard.missing(connection) == list(EXPECTED)
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    assert audit_guard.missing(connection) == []
