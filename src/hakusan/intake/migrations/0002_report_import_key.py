from django.db import migrations, models


def keys_from_external_refs(apps, schema_editor):
    """Reports imported before import keys existed: key the first report of each
    (channel, receiving department, external_ref) so a re-run of an old import skips it (the
    rule of domain/intake/keys.py, written out here so this migration never changes)."""
    import hashlib

    Report = apps.get_model("intake", "Report")
    seen: set[str] = set()
    rows = (
        Report.objects.exclude(external_ref="")
        .order_by("id")
        .values_list("id", "channel", "receiving_department__code", "external_ref")
    )
    keyed = []  # written after the read: no update while the cursor is open
    for pk, channel, department, ref in rows.iterator(chunk_size=2000):
        scope = f"ref:{channel}:{department or ''}"
        key = f"{scope}:{ref}"
        if len(key) > 160:
            key = f"{scope}:sha256:{hashlib.sha256(ref.encode()).hexdigest()}"
        if key not in seen:
            seen.add(key)
            keyed.append(Report(pk=pk, import_key=key))
    Report.objects.bulk_update(keyed, ["import_key"], batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [("intake", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="report",
            name="import_key",
            field=models.CharField(
                blank=True,
                editable=False,
                max_length=160,
                null=True,
                unique=True,
                verbose_name="import key",
            ),
        ),
        migrations.RunPython(keys_from_external_refs, migrations.RunPython.noop),
    ]
