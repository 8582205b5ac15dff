"""Database triggers that refuse UPDATE and DELETE (and, on PostgreSQL, TRUNCATE) on the audit
table. They stop the application, a bulk query and a careless operator; an attacker who can run
DDL can drop them, which ``hakusan audit verify`` reports (and the keyed chain and the
checkpoint catch what was done meanwhile). Migration 0002 installs them with its own copy of
this SQL; ``post_migrate`` re-installs them (SQLite drops triggers when a migration rebuilds
the table)."""

from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper

TABLE = "core_auditentry"
REFUSED = "core_auditentry is append-only"

SQLITE_TRIGGERS = {
    "core_auditentry_no_update": "UPDATE",
    "core_auditentry_no_delete": "DELETE",
}
PG_TRIGGERS = ("core_auditentry_no_change", "core_auditentry_no_truncate")


def _sqlite_install() -> list[str]:
    return [
        f"CREATE TRIGGER IF NOT EXISTS {name} BEFORE {op} ON {TABLE} "
        f"BEGIN SELECT RAISE(ABORT, '{REFUSED}: {op} refused'); END"
        for name, op in SQLITE_TRIGGERS.items()
    ]


_PG_FUNCTION = f"""
CREATE OR REPLACE FUNCTION core_auditentry_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '{REFUSED}: % refused', TG_OP USING ERRCODE = 'restrict_violation';
END
$$"""


def _pg_install() -> list[str]:
    return [
        _PG_FUNCTION,
        *(f"DROP TRIGGER IF EXISTS {name} ON {TABLE}" for name in PG_TRIGGERS),
        f"CREATE TRIGGER core_auditentry_no_change BEFORE UPDATE OR DELETE ON {TABLE} "
        "FOR EACH ROW EXECUTE FUNCTION core_auditentry_refuse()",
        f"CREATE TRIGGER core_auditentry_no_truncate BEFORE TRUNCATE ON {TABLE} "
        "FOR EACH STATEMENT EXECUTE FUNCTION core_auditentry_refuse()",
    ]


def _statements(vendor: str, install: bool) -> list[str]:
    if vendor == "sqlite":
        if install:
            return _sqlite_install()
        return [f"DROP TRIGGER IF EXISTS {name}" for name in SQLITE_TRIGGERS]
    if vendor == "postgresql":
        if install:
            return _pg_install()
        return [f"DROP TRIGGER IF EXISTS {name} ON {TABLE}" for name in PG_TRIGGERS]
    return []  # other databases: the model and queryset guards alone


def _table_exists(connection: BaseDatabaseWrapper) -> bool:
    with connection.cursor() as cursor:
        return TABLE in connection.introspection.table_names(cursor)


def install(connection: BaseDatabaseWrapper) -> None:
    if not _table_exists(connection):
        return
    with connection.cursor() as cursor:
        for sql in _statements(connection.vendor, True):
            cursor.execute(sql)


def uninstall(connection: BaseDatabaseWrapper) -> None:
    if not _table_exists(connection):
        return
    with connection.cursor() as cursor:
        for sql in _statements(connection.vendor, False):
            cursor.execute(sql)


def missing(connection: BaseDatabaseWrapper) -> list[str]:
    """Names of the triggers that should be on the audit table and are not."""
    if connection.vendor == "sqlite":
        expected: tuple[str, ...] = tuple(SQLITE_TRIGGERS)
        query = "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s"
    elif connection.vendor == "postgresql":
        expected = PG_TRIGGERS
        query = (
            "SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass "
            "AND NOT tgisinternal AND tgenabled <> 'D'"
        )
    else:
        return []
    with connection.cursor() as cursor:
        cursor.execute(query, [TABLE])
        present = {row[0] for row in cursor.fetchall()}
    return [name for name in expected if name not in present]


def reinstall_after_migrate(using: str = "default", **kwargs: Any) -> None:
    """post_migrate receiver: idempotent."""
    from django.db import connections

    install(connections[using])
