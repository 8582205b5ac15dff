"""Seed the API root ``hakusan``: outbound indicators-clear/-green/-amber (each serving every
shareable item at or below its TLP) and the inbound collection."""

from django.db import migrations

COLLECTIONS = (
    ("indicators-clear", "Indicators (TLP:CLEAR)",
     "Shareable indicators marked TLP:CLEAR.", "outbound", "clear"),
    ("indicators-green", "Indicators (TLP:GREEN and below)",
     "Shareable indicators marked TLP:CLEAR or TLP:GREEN.", "outbound", "green"),
    ("indicators-amber", "Indicators (TLP:AMBER and below)",
     "Shareable indicators marked TLP:CLEAR, TLP:GREEN or TLP:AMBER.", "outbound", "amber"),
    ("inbound", "Inbound",
     "Partners post STIX 2.1 objects here; analysts review them before use.", "inbound", "amber"),
)


def seed(apps, schema_editor):
    Collection = apps.get_model("taxii", "Collection")
    for alias, title, description, direction, tlp in COLLECTIONS:
        Collection.objects.get_or_create(
            api_root="hakusan",
            alias=alias,
            defaults={
                "title": title,
                "description": description,
                "direction": direction,
                "tlp": tlp,
                "kinds": ["indicators"],
                "dirty": True,
            },
        )


def unseed(apps, schema_editor):
    Collection = apps.get_model("taxii", "Collection")
    Collection.objects.filter(api_root="hakusan", alias__in=[c[0] for c in COLLECTIONS]).delete()


class Migration(migrations.Migration):
    dependencies = [("taxii", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
