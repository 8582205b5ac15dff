"""Audit hardening (issue 9, section 2).

- ``seq`` (position in the chain) and ``hash_version`` on every entry: existing entries are
  numbered in id order and keep their plain SHA-256 (version 1), so existing logs still verify;
  new entries are keyed (HMAC-SHA256, version 2, core.audit).
- The actor is PROTECTed: users are deactivated, never deleted; their entries stay as written.
- Triggers refuse UPDATE and DELETE (and TRUNCATE on PostgreSQL) on the audit table. The SQL is
  copied here, frozen, from core/audit_guard.py; installed last, after the numbering.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import hakusan.core.models

TABLE = "core_auditentry"
REFUSED = "core_auditentry is append-only"
SQLITE_INSTALL = [
    f"CREATE TRIGGER IF NOT EXISTS core_auditentry_no_{op.lower()} BEFORE {op} ON {TABLE} "
    f"BEGIN SELECT RAISE(ABORT, '{REFUSED}: {op} refused'); END"
    for op in ("UPDATE", "DELETE")
]
SQLITE_REMOVE = [
    "DROP TRIGGER IF EXISTS core_auditentry_no_update",
    "DROP TRIGGER IF EXISTS core_auditentry_no_delete",
]
PG_INSTALL = [
    f"""CREATE OR REPLACE FUNCTION core_auditentry_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '{REFUSED}: % refused', TG_OP USING ERRCODE = 'restrict_violation';
END
$$""",
    f"DROP TRIGGER IF EXISTS core_auditentry_no_change ON {TABLE}",
    f"DROP TRIGGER IF EXISTS core_auditentry_no_truncate ON {TABLE}",
    f"CREATE TRIGGER core_auditentry_no_change BEFORE UPDATE OR DELETE ON {TABLE} "
    "FOR EACH ROW EXECUTE FUNCTION core_auditentry_refuse()",
    f"CREATE TRIGGER core_auditentry_no_truncate BEFORE TRUNCATE ON {TABLE} "
    "FOR EACH STATEMENT EXECUTE FUNCTION core_auditentry_refuse()",
]
PG_REMOVE = [
    f"DROP TRIGGER IF EXISTS core_auditentry_no_change ON {TABLE}",
    f"DROP TRIGGER IF EXISTS core_auditentry_no_truncate ON {TABLE}",
    "DROP FUNCTION IF EXISTS core_auditentry_refuse()",
]


def _run(schema_editor, statements_by_vendor):
    for sql in statements_by_vendor.get(schema_editor.connection.vendor, []):
        schema_editor.execute(sql, params=None)


def install_triggers(apps, schema_editor):
    _run(schema_editor, {"sqlite": SQLITE_INSTALL, "postgresql": PG_INSTALL})


def remove_triggers(apps, schema_editor):
    _run(schema_editor, {"sqlite": SQLITE_REMOVE, "postgresql": PG_REMOVE})


def number_entries(apps, schema_editor):
    """seq = position in id order, in one statement on both databases. UPDATE … FROM joins
    the numbering once (PostgreSQL, SQLite >= 3.33); a correlated subquery would re-run the
    window for every row on PostgreSQL (20,000 rows: 191 s)."""
    schema_editor.execute(
        f"UPDATE {TABLE} SET seq = numbered.n FROM (SELECT id, row_number() OVER (ORDER BY id) "
        f"AS n FROM {TABLE}) AS numbered WHERE numbered.id = {TABLE}.id",
        params=None,
    )


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]

    operations = [
        migrations.AlterModelManagers(
            name="user",
            managers=[("objects", hakusan.core.models.HakusanUserManager())],
        ),
        migrations.AddField(
            model_name="auditentry",
            name="hash_version",
            field=models.PositiveSmallIntegerField(default=1),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="auditentry",
            name="seq",
            field=models.PositiveBigIntegerField(null=True),
        ),
        migrations.RunPython(number_entries, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="auditentry",
            name="seq",
            field=models.PositiveBigIntegerField(unique=True),
        ),
        migrations.AlterField(
            model_name="auditentry",
            name="actor",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.RunPython(install_triggers, remove_triggers),
    ]
