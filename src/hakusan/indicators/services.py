"""Writes of observables and sightings. Observables are stored once; sightings link them to
their sources. Bulk paths use set-based queries so ingest stays linear."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import Max, Min
from django.utils import timezone

from hakusan.core.models import User
from hakusan.domain.observables import Extracted

from .models import MAX_VALUE_LENGTH, Observable, Sighting

_CHUNK = 500


@dataclass(frozen=True, slots=True)
class SightingInput:
    source_kind: str
    source_id: int
    type: str
    value: str
    original: str
    seen_at: datetime
    tlp: str


def sightings_from_extracted(
    source_kind: str, source_id: int, found: Iterable[Extracted], *, seen_at: datetime, tlp: str
) -> list[SightingInput]:
    return [
        SightingInput(source_kind, source_id, str(e.type), e.value, e.original, seen_at, tlp)
        for e in found
        if len(e.value) <= MAX_VALUE_LENGTH
    ]


def _observable_ids(keys: set[tuple[str, str]], seen: dict[tuple[str, str], datetime]) -> dict:
    """Map (type, value) to observable id, creating the missing ones in bulk."""
    ids: dict[tuple[str, str], int] = {}
    ordered = sorted(keys)
    for i in range(0, len(ordered), _CHUNK):
        chunk = ordered[i : i + _CHUNK]
        by_type: dict[str, list[str]] = {}
        for t, v in chunk:
            by_type.setdefault(t, []).append(v)
        for t, values in by_type.items():
            for oid, value in Observable.objects.filter(type=t, value__in=values).values_list(
                "id", "value"
            ):
                ids[(t, value)] = oid
        missing = [k for k in chunk if k not in ids]
        if missing:
            Observable.objects.bulk_create(
                [
                    Observable(type=t, value=v, first_seen=seen[(t, v)], last_seen=seen[(t, v)])
                    for t, v in missing
                ],
                ignore_conflicts=True,
            )
            for t in {t for t, _ in missing}:
                values = [v for tt, v in missing if tt == t]
                for oid, value in Observable.objects.filter(type=t, value__in=values).values_list(
                    "id", "value"
                ):
                    ids[(t, value)] = oid
    return ids


def record_sightings(items: Sequence[SightingInput], *, user: User | None = None) -> int:
    """Store the observables (once each) and one sighting per (observable, source).
    Returns the number of sighting rows offered (duplicates per source are folded)."""
    if not items:
        return 0
    seen: dict[tuple[str, str], datetime] = {}
    for it in items:
        key = (it.type, it.value)
        seen[key] = min(seen.get(key, it.seen_at), it.seen_at)
    with transaction.atomic():
        ids = _observable_ids(set(seen), seen)
        rows: dict[tuple[int, str, int], Sighting] = {}
        for it in items:
            oid = ids[(it.type, it.value)]
            rows.setdefault(
                (oid, it.source_kind, it.source_id),
                Sighting(
                    observable_id=oid,
                    source_kind=it.source_kind,
                    source_id=it.source_id,
                    original=it.original[:MAX_VALUE_LENGTH],
                    seen_at=it.seen_at,
                    tlp=it.tlp,
                    created_by=user,
                ),
            )
        Sighting.objects.bulk_create(list(rows.values()), ignore_conflicts=True, batch_size=_CHUNK)
        _touch_last_seen(ids.values())
    return len(rows)


def _touch_last_seen(observable_ids: Iterable[int]) -> None:
    now_ids = list(observable_ids)
    for i in range(0, len(now_ids), _CHUNK):
        chunk = now_ids[i : i + _CHUNK]
        spans = (
            Sighting.objects.filter(observable_id__in=chunk)
            .values("observable_id")
            .annotate(first=Min("seen_at"), last=Max("seen_at"))
        )
        updates = [
            Observable(id=s["observable_id"], first_seen=s["first"], last_seen=s["last"])
            for s in spans
        ]
        Observable.objects.bulk_update(updates, ["first_seen", "last_seen"])


def copy_sightings(
    from_kind: str,
    from_ids: Iterable[int],
    to_kind: str,
    to_id: int,
    *,
    tlp: str,
    user: User | None = None,
) -> int:
    """Link every observable of some sources to another (e.g. reports → the case opened)."""
    now = timezone.now()
    existing = Sighting.objects.filter(source_kind=from_kind, source_id__in=list(from_ids))
    rows = {
        s.observable_id: Sighting(
            observable_id=s.observable_id,
            source_kind=to_kind,
            source_id=to_id,
            original=s.original,
            seen_at=now,
            tlp=tlp,
            created_by=user,
        )
        for s in existing.only("observable_id", "original")
    }
    Sighting.objects.bulk_create(list(rows.values()), ignore_conflicts=True)
    return len(rows)
