"""An AS's organisation (``as_org``) is kept once on the AS observable rather than on each of its
addresses (``ingest.attach_facts``): facts stored the earlier way move to the AS their address
links to. An address with no AS link keeps its fact."""

from django.db import migrations

CHUNK = 5000


def move_to_the_as(apps, schema_editor):
    Enrichment = apps.get_model("indicators", "Enrichment")
    Link = apps.get_model("indicators", "ObservableLink")
    on_addresses = Enrichment.objects.filter(
        key="as_org", observable__type__in=["ipv4", "ipv6"]
    ).order_by("observable_id")
    last = 0
    while chunk := list(
        on_addresses.filter(observable_id__gt=last).values_list(
            "observable_id", "enricher", "value", "attribution_id", "at"
        )[:CHUNK]
    ):
        last = chunk[-1][0]
        asn = dict(
            Link.objects.filter(
                kind="asn", from_observable_id__in=[row[0] for row in chunk]
            ).values_list("from_observable_id", "to_observable_id")
        )
        moved = {}
        for address, enricher, value, attribution, at in chunk:
            if address in asn:
                moved[(asn[address], enricher)] = (value, attribution, at)
        present = set(
            Enrichment.objects.filter(
                key="as_org", observable_id__in={target for target, _ in moved}
            ).values_list("observable_id", "enricher")
        )
        Enrichment.objects.bulk_create(
            Enrichment(
                observable_id=target,
                enricher=enricher,
                key="as_org",
                value=value,
                attribution_id=attribution,
                at=at,
            )
            for (target, enricher), (value, attribution, at) in moved.items()
            if (target, enricher) not in present
        )
        Enrichment.objects.filter(key="as_org", observable_id__in=list(asn)).delete()


class Migration(migrations.Migration):
    dependencies = [("indicators", "0006_attribution")]

    operations = [migrations.RunPython(move_to_the_as, migrations.RunPython.noop)]
