"""Permission-aware reads of observables and their sightings ("where else was this seen").

Sightings in reports and cases are visible as the reports and cases are (``intake.selectors``,
``cases.selectors``, imported inside the functions: both import this module)."""

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from .choices import SourceKind
from .models import Observable, Sighting

MAX_SOURCES = 200


def sightings_of(source_kind: str, source_id: int) -> QuerySet[Sighting]:
    """The sightings in one source (with their observables), by observable type and value."""
    return (
        Sighting.objects.filter(source_kind=source_kind, source_id=source_id)
        .select_related("observable")
        .order_by("observable__type", "observable__value")
    )


def observables_of(source_kind: str, source_id: int) -> list[Observable]:
    return list(
        Observable.objects.filter(
            sightings__source_kind=source_kind, sightings__source_id=source_id
        )
        .order_by("type", "value")
        .distinct()
    )


def find_observable(obs_type: str, value: str) -> Observable | None:
    """The observable with this type and canonical value, if it was ever seen."""
    return Observable.objects.filter(type=obs_type, value=value).first()


def _counts_by_kind(sightings: QuerySet[Sighting]) -> dict[int, Counter[str]]:
    counts: dict[int, Counter[str]] = {}
    rows = sightings.values_list("observable_id", "source_kind").annotate(n=Count("id"))
    for oid, kind, n in rows:
        counts.setdefault(oid, Counter())[kind] = n
    return counts


def sighting_counts(
    observable_ids: Iterable[int], *, exclude: tuple[str, int] | None = None
) -> dict[int, Counter[str]]:
    """Per observable: how many other sources of each kind saw it (counts, not identities)."""
    qs = Sighting.objects.filter(observable_id__in=list(observable_ids))
    if exclude:
        qs = qs.exclude(source_kind=exclude[0], source_id=exclude[1])
    return _counts_by_kind(qs)


@dataclass
class SourceObservable:
    """An observable of one source, as written there, with the sightings elsewhere per kind."""

    observable: Observable
    original: str
    elsewhere_by_kind: Counter[str]

    @property
    def elsewhere(self) -> int:
        return sum(self.elsewhere_by_kind.values())


def seen_elsewhere(
    source_kind: str, source_id: int, *, also_here: dict[str, Iterable[int]] | None = None
) -> list[SourceObservable]:
    """A source's observables (by type and value) with how many other sources of each kind saw
    them: counted, never revealed. ``also_here``: source ids per kind that do not count as
    "elsewhere" either (a case's own reports)."""
    sightings = list(sightings_of(source_kind, source_id))
    others = Sighting.objects.filter(observable_id__in=[s.observable_id for s in sightings])
    others = others.exclude(source_kind=source_kind, source_id=source_id)
    for kind, ids in (also_here or {}).items():
        others = others.exclude(source_kind=kind, source_id__in=list(ids))
    counts = _counts_by_kind(others)
    return [
        SourceObservable(s.observable, s.original, counts.get(s.observable_id, Counter()))
        for s in sightings
    ]


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


# --- what the user may see --------------------------------------------------------------------


def sightings_visible_to(user: Any) -> QuerySet[Sighting]:
    """Sightings in reports and cases the user may see."""
    from hakusan.cases.selectors import cases_visible_to
    from hakusan.intake.selectors import reports_visible_to

    return Sighting.objects.filter(
        Q(source_kind=SourceKind.REPORT, source_id__in=reports_visible_to(user).values("pk"))
        | Q(source_kind=SourceKind.CASE, source_id__in=cases_visible_to(user).values("pk"))
    )


def observables_visible_to(user: Any) -> QuerySet[Observable]:
    """Observables seen in at least one report or case the user may see."""
    return Observable.objects.filter(pk__in=sightings_visible_to(user).values("observable_id"))


def get_observable(user: Any, pk: Any) -> Observable:
    try:
        return observables_visible_to(user).get(pk=pk)
    except (Observable.DoesNotExist, ValueError):
        raise Http404("observable not found") from None


def sources_of(user: Any, obs: Observable) -> tuple[list[dict[str, Any]], Counter[str]]:
    """The visible sources of an observable (newest first, at most ``MAX_SOURCES``) and the
    count per kind of the sightings not shown."""
    from hakusan.cases.selectors import cases_visible_to
    from hakusan.intake.selectors import reports_visible_to

    visible = sightings_visible_to(user).filter(observable=obs)
    shown_counts = Counter(dict(visible.values_list("source_kind").annotate(n=Count("id"))))
    rows = list(visible.order_by("-seen_at", "-id")[:MAX_SOURCES])
    report_ids = [s.source_id for s in rows if s.source_kind == SourceKind.REPORT]
    case_ids = [s.source_id for s in rows if s.source_kind == SourceKind.CASE]
    numbers: dict[str, dict[int, str]] = {
        SourceKind.REPORT: dict(
            reports_visible_to(user).filter(pk__in=report_ids).values_list("pk", "number")
        ),
        SourceKind.CASE: dict(
            cases_visible_to(user).filter(pk__in=case_ids).values_list("pk", "number")
        ),
    }
    sources = [
        {
            "kind": s.source_kind,
            "id": s.source_id,
            "number": numbers[s.source_kind][s.source_id],
            "seen_at": s.seen_at,
            "original": s.original,
            "tlp": s.tlp,
        }
        for s in rows
        if s.source_id in numbers[s.source_kind]
    ]
    total = sighting_counts([obs.pk]).get(obs.pk, Counter())
    not_shown = Counter({k: n - shown_counts.get(k, 0) for k, n in total.items()})
    return sources, +not_shown
