"""PostgreSQL's two write paths (new rows COPY-ed with reserved ids; the staged upsert it
falls back to when a value was stored concurrently) leave the store in the same state."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from django.db import connection

from hakusan.indicators import ingest
from hakusan.indicators.ingest import SightingInput
from hakusan.indicators.models import Enrichment, Observable, ObservableLink, Sighting

pytestmark = pytest.mark.django_db

T0 = datetime.fromisoformat("2026-01-01T00:00:00+00:00")


def items(day: int, source_id: int) -> list[SightingInput]:
    at = T0 + timedelta(days=day)
    return [
        SightingInput(
            "feed",
            source_id,
            "url",
            "http://a.evil.example.com/x",
            "",
            at,
            "green",
            tags=("phish",),
        ),
        SightingInput("feed", source_id, "domain", "b.evil.example.com", "", at, "green"),
        SightingInput(
            "feed", source_id, "email", "x@evil.example.com", "", at, "amber", confidence=80
        ),
        SightingInput("feed", source_id, "ipv4", "192.0.2.7", "", at, "green"),
        SightingInput("case", source_id, "ipv4", "192.0.2.7", "", at, "red", tags=("c2",)),
        SightingInput("feed", source_id, "ipv4", "8.8.8.8", "", at, "green"),  # enriched
    ]


def snapshot() -> dict[str, Any]:
    by_id = {o.pk: (o.type, o.value) for o in Observable.objects.all()}
    return {
        "observables": sorted(
            (o.type, o.value, o.first_seen, o.last_seen, str(o.warninglist_hits))
            for o in Observable.objects.all()
        ),
        "sightings": sorted(
            (
                by_id[s.observable_id],
                s.source_kind,
                s.source_id,
                s.count,
                s.seen_at,
                s.last_seen,
                s.tlp,
                s.confidence,
                tuple(sorted(s.tags)),
            )
            for s in Sighting.objects.all()
        ),
        "links": sorted(
            (by_id[x.from_observable_id], x.kind, by_id[x.to_observable_id])
            for x in ObservableLink.objects.all()
        ),
        "facts": sorted(
            (by_id[f.observable_id], f.enricher, f.key, f.value, f.attribution.text)
            for f in Enrichment.objects.select_related("attribution")
        ),
    }


def run_three_batches() -> list[dict[str, int]]:
    return [
        ingest.ingest(items(1, 1)).as_dict(),
        ingest.ingest(items(0, 1) + items(2, 2)).as_dict(),  # widened; half new
        ingest.ingest(items(3, 1)).as_dict(),
    ]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL write paths")
def test_fast_path_and_staged_path_agree(monkeypatch) -> None:
    fast_stats = run_three_batches()
    fast = snapshot()
    for model in (Enrichment, ObservableLink, Sighting, Observable):
        model.objects.all().delete()
    monkeypatch.setattr(ingest, "_write_postgresql", ingest._write_postgresql_staged)
    staged_stats = run_three_batches()
    assert snapshot() == fast
    assert staged_stats == fast_stats
    assert fast_stats[0]["new_observables"] > 0
    assert fast["links"]
    assert fast_stats[1]["new_sightings"] == 6 and fast_stats[1]["sightings"] == 12
    assert fast_stats[2]["new_sightings"] == 0 and fast_stats[2]["new_observables"] == 0


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL write paths")
def test_a_value_stored_concurrently_falls_back_to_the_upsert(monkeypatch) -> None:
    ingest.ingest(items(1, 1))
    before = snapshot()
    # The probe misses every stored value, as if another writer had stored them after it:
    # the COPY meets the unique index, and the batch goes through the staged upsert.
    probe = ingest._PG_PROBE.replace("ON o.type = t.type", "ON false AND o.type = t.type")
    assert probe != ingest._PG_PROBE
    monkeypatch.setattr(ingest, "_PG_PROBE", probe)
    stats = ingest.ingest(items(2, 1))
    assert stats.new_observables == 0 and stats.new_sightings == 0 and stats.sightings == 6
    after = snapshot()
    assert len(after["observables"]) == len(before["observables"])
    counts = {(s[0], s[1], s[2]): s[3] for s in after["sightings"]}
    assert counts[(("ipv4", "192.0.2.7"), "feed", 1)] == 2


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL write paths")
def test_ids_drawn_apart_are_all_returned() -> None:
    """Ids are returned as a range when the sequence handed them out contiguously, and one by
    one when it did not (another writer drew some meanwhile; here: a step of 3)."""
    with connection.cursor() as cursor:
        contiguous = ingest._reserve_ids(cursor, 5)
        assert isinstance(contiguous, range) and len(contiguous) == 5
        cursor.execute("SELECT pg_get_serial_sequence('indicators_observable', 'id')")
        (sequence,) = cursor.fetchone()
        cursor.execute(f"ALTER SEQUENCE {sequence} INCREMENT BY 3")
        apart = ingest._reserve_ids(cursor, 4)
        cursor.execute(f"ALTER SEQUENCE {sequence} INCREMENT BY 1")
    assert list(apart) == [apart[0] + 3 * k for k in range(4)]
    assert apart[0] > contiguous[-1]
