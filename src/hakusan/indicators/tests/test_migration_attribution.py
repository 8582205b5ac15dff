"""Migration 0006 moves each fact's attribution text into ``Attribution``, one row per text,
keeping every fact's credit."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("indicators", "0005_fk_without_db_constraint")]
AFTER = [("indicators", "0006_attribution")]


def test_attribution_texts_move_to_their_own_table() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    now = timezone.now()
    Observable = old.get_model("indicators", "Observable")
    Enrichment = old.get_model("indicators", "Enrichment")
    ip = Observable.objects.create(type="ipv4", value="192.0.2.9", first_seen=now, last_seen=now)
    for key, text in [("asn", "ASN data"), ("as_org", "ASN data"), ("country", "Country data")]:
        Enrichment.objects.create(
            observable=ip, enricher="offline-asn", key=key, value="x", attribution=text
        )

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(AFTER)
    new = executor.loader.project_state(AFTER).apps
    Attribution = new.get_model("indicators", "Attribution")
    Moved = new.get_model("indicators", "Enrichment")
    assert sorted(Attribution.objects.values_list("text", flat=True)) == [
        "ASN data",
        "Country data",
    ]
    credits = {
        f.key: Attribution.objects.get(pk=f.attribution_id).text for f in Moved.objects.all()
    }
    assert credits == {"asn": "ASN data", "as_org": "ASN data", "country": "Country data"}
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())  # the schema the other tests expect


def test_as_organisations_move_from_addresses_to_their_as() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate([("indicators", "0006_attribution")])
    old = executor.loader.project_state([("indicators", "0006_attribution")]).apps
    now = timezone.now()
    Observable = old.get_model("indicators", "Observable")
    Enrichment = old.get_model("indicators", "Enrichment")
    Link = old.get_model("indicators", "ObservableLink")
    Attribution = old.get_model("indicators", "Attribution")
    credit = Attribution.objects.create(text="ASN data")

    def observable(type_: str, value: str) -> object:
        return Observable.objects.create(type=type_, value=value, first_seen=now, last_seen=now)

    asn = observable("asn", "AS64500")
    linked = [observable("ipv4", f"198.51.100.{n}") for n in (1, 2)]
    alone = observable("ipv4", "198.51.100.3")  # no AS link: keeps its fact
    for ip in linked:
        Link.objects.create(from_observable=ip, kind="asn", to_observable=asn)
    for ip in [*linked, alone]:
        for key, value in [("asn", "AS64500"), ("as_org", "Example Net")]:
            Enrichment.objects.create(
                observable=ip, enricher="offline-asn", key=key, value=value, attribution=credit
            )

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([("indicators", "0007_as_facts_on_the_as")])
    Moved = executor.loader.project_state([("indicators", "0007_as_facts_on_the_as")]).apps
    Facts = Moved.get_model("indicators", "Enrichment")
    orgs = sorted(
        Facts.objects.filter(key="as_org").values_list("observable__value", "value", "attribution")
    )
    assert orgs == [
        ("198.51.100.3", "Example Net", credit.pk),
        ("AS64500", "Example Net", credit.pk),
    ]
    assert Facts.objects.filter(key="asn").count() == 3
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
