"""Staff API tokens stored as digests (issue 9, section 5).

``core.ApiToken`` replaces DRF's ``rest_framework.authtoken``, which kept keys in clear. The
app is no longer installed, so its table is read here with plain SQL when it exists (a
database created before this release): every key becomes a token of the same user whose
digest is that of the key (so existing scripts keep working) and which expires after
``HAKUSAN_API_TOKEN_DAYS``. Then the old table is dropped (it held the keys in clear) and the
authtoken rows of ``django_migrations`` are removed, so that installing the app again would
create its table afresh instead of believing it exists. (If some settings still install the app,
its rows are deleted and the empty table is kept.)

Not reversible for the keys: going back drops ``core_apitoken``; the old keys are gone.
"""

import datetime
import hashlib
from typing import Any

import django.db.models.deletion
from django.apps import apps as django_apps
from django.conf import settings
from django.db import migrations, models
from django.utils.dateparse import parse_datetime

OLD_TABLE = "authtoken_token"
# Frozen here (not imported from core.tokens) so that later changes do not alter this step.
PREFIX_LENGTH = 8
LABEL = "migrated from rest_framework.authtoken"


def _aware(value: Any) -> datetime.datetime | None:
    """A timestamp from a plain cursor: SQLite gives text, PostgreSQL an aware datetime."""
    if isinstance(value, str):
        value = parse_datetime(value)
    if isinstance(value, datetime.datetime) and value.tzinfo is None:
        value = value.replace(tzinfo=datetime.UTC)  # stored in UTC (USE_TZ)
    return value if isinstance(value, datetime.datetime) else None


def copy_authtoken_keys(apps: Any, connection: Any, *, days: int | None = None) -> int:
    """Turn every DRF authtoken key into an ``ApiToken`` digest and drop the old table.
    Returns the number of keys moved (0 when there is no old table)."""
    if OLD_TABLE not in connection.introspection.table_names():
        return 0
    ApiToken = apps.get_model("core", "ApiToken")
    days = settings.HAKUSAN_API_TOKEN_DAYS if days is None else days
    now = datetime.datetime.now(datetime.UTC)
    expires = now + datetime.timedelta(days=days)
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {quote('key')}, {quote('user_id')}, {quote('created')} "
            f"FROM {quote(OLD_TABLE)} ORDER BY {quote('created')}"
        )
        rows = cursor.fetchall()
        # First the keys in clear go, then the new rows are written (on PostgreSQL, no
        # foreign-key checks are pending when the old table's constraints go).
        if django_apps.is_installed("rest_framework.authtoken"):
            # Settings that still install the app keep its (now empty) table.
            cursor.execute(f"DELETE FROM {quote(OLD_TABLE)}")
        else:
            cursor.execute(f"DROP TABLE {quote(OLD_TABLE)}")
            cursor.execute(
                f"DELETE FROM {quote('django_migrations')} WHERE {quote('app')} = %s",
                ["authtoken"],
            )
    ApiToken.objects.using(connection.alias).bulk_create(
        ApiToken(
            user_id=user_id,
            digest=hashlib.sha256(key.encode()).hexdigest(),
            prefix=key[:PREFIX_LENGTH],
            label=LABEL,
            created_at=_aware(created) or now,
            expires_at=expires,
        )
        for key, user_id, created in rows
    )
    return len(rows)


def forwards(apps: Any, schema_editor: Any) -> None:
    copy_authtoken_keys(apps, schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0002_audit_hardening"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="ApiToken",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("digest", models.CharField(editable=False, max_length=64, unique=True)),
                ("prefix", models.CharField(editable=False, max_length=8, verbose_name="prefix")),
                ("label", models.CharField(blank=True, max_length=100, verbose_name="label")),
                ("created_at", models.DateTimeField(editable=False, verbose_name="created at")),
                ("expires_at", models.DateTimeField(verbose_name="expires at")),
                (
                    "last_used_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="last used at"),
                ),
                (
                    "revoked_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="revoked at"),
                ),
                (
                    "created_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="created by",
                    ),
                ),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="api_tokens",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="user",
                    ),
                ),
            ],
            options={
                "verbose_name": "API token",
                "verbose_name_plural": "API tokens",
                "ordering": ["-created_at", "-id"],
            },
        ),
        migrations.RunPython(forwards, migrations.RunPython.noop, elidable=False),
    ]
