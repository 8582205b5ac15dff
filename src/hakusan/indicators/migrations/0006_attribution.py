"""Enrichment attributions stored once (``Attribution``) and referenced by id from each fact."""

from django.db import migrations, models


def move_texts(apps, schema_editor):
    Attribution = apps.get_model("indicators", "Attribution")
    Enrichment = apps.get_model("indicators", "Enrichment")
    texts = Enrichment.objects.values_list("attribution_text", flat=True).distinct()
    for text in texts:
        ref = Attribution.objects.get_or_create(text=text)[0]
        Enrichment.objects.filter(attribution_text=text).update(attribution_id=ref.pk)


def restore_texts(apps, schema_editor):
    Attribution = apps.get_model("indicators", "Attribution")
    Enrichment = apps.get_model("indicators", "Enrichment")
    for ref in Attribution.objects.all():
        Enrichment.objects.filter(attribution_id=ref.pk).update(attribution_text=ref.text)


class Migration(migrations.Migration):
    dependencies = [("indicators", "0005_fk_without_db_constraint")]

    operations = [
        migrations.CreateModel(
            name="Attribution",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "text",
                    models.CharField(max_length=500, unique=True, verbose_name="attribution"),
                ),
            ],
            options={"verbose_name": "attribution", "verbose_name_plural": "attributions"},
        ),
        migrations.RenameField("enrichment", "attribution", "attribution_text"),
        migrations.AddField(
            model_name="enrichment",
            name="attribution",
            field=models.ForeignKey(
                null=True,
                db_constraint=False,
                db_index=False,
                on_delete=models.deletion.PROTECT,
                related_name="+",
                to="indicators.attribution",
            ),
        ),
        migrations.RunPython(move_texts, restore_texts),
        migrations.RemoveField("enrichment", "attribution_text"),
        migrations.AlterField(
            model_name="enrichment",
            name="attribution",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=models.deletion.PROTECT,
                related_name="+",
                to="indicators.attribution",
            ),
        ),
    ]
