"""Permission-aware reads of observables and their sightings ("where else was this seen")."""

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from .models import Observable, Sighting


@dataclass
class Correlation:
    observable: Observable
    counts: Counter[str] = field(default_factory=Counter)  # per source kind, all sightings
    visible: dict[str, list[int]] = field(default_factory=dict)  # source ids the user may see


def observables_of(source_kind: str, source_id: int) -> list[Observable]:
    return list(
        Observable.objects.filter(
            sightings__source_kind=source_kind, sightings__source_id=source_id
        )
        .order_by("type", "value")
        .distinct()
    )


def sighting_counts(
    observable_ids: Iterable[int], *, exclude: tuple[str, int] | None = None
) -> dict[int, Counter[str]]:
    """Per observable: how many other sources of each kind saw it (counts, not identities)."""
    qs = Sighting.objects.filter(observable_id__in=list(observable_ids))
    if exclude:
        qs = qs.exclude(source_kind=exclude[0], source_id=exclude[1])
    result: dict[int, Counter[str]] = {}
    for oid, kind in qs.values_list("observable_id", "source_kind"):
        result.setdefault(oid, Counter())[kind] += 1
    return result


def sources_sharing(
    observable_ids: Iterable[int], kind: str, *, exclude: tuple[str, int] | None = None
) -> dict[int, set[int]]:
    """Source ids of one kind that share each observable. The caller filters by visibility."""
    qs = Sighting.objects.filter(observable_id__in=list(observable_ids), source_kind=kind)
    if exclude:
        qs = qs.exclude(source_kind=exclude[0], source_id=exclude[1])
    shared: dict[int, set[int]] = {}
    for oid, sid in qs.values_list("observable_id", "source_id"):
        shared.setdefault(sid, set()).add(oid)
    return shared


def search_observables(query: str, limit: int = 50) -> list[Observable]:
    return list(Observable.objects.filter(value__icontains=query).order_by("type", "value")[:limit])
