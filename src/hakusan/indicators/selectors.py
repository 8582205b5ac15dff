"""Permission-aware reads of observables and their sightings ("where else was this seen").

Sightings in reports and cases are visible as the reports and cases are (``intake.selectors``,
``cases.selectors``, imported inside the functions: both import this module)."""

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db.models import Count, Max, Q, QuerySet, Sum
from django.http import Http404
from django.utils import timezone

from .choices import SourceKind
from .models import Enrichment, IndicatorSource, Observable, ObservableLink, Sighting

MAX_SOURCES = 200
LOOKUP_LIMIT = 50  # sightings listed per group in a lookup; the rest are counted
SHARED_SAMPLE = 20  # values listed per derived link target
SHARED_CAP = 10_000  # counting what shares a target stops here (a hub such as google.com)


def too_common_limit() -> int:
    """Cases above which a value is "too common" to correlate (setting HAKUSAN_TOO_COMMON)."""
    return int(getattr(settings, "HAKUSAN_TOO_COMMON", 100))


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
    """An observable of one source, as written there, with the sightings elsewhere per kind.

    A warninglisted value (``observable.warninglist_hits``) is listed, flagged, with no
    counts: it is excluded from correlation. ``too_common``: seen in more cases than
    ``HAKUSAN_TOO_COMMON``; its counts are shown, flagged."""

    observable: Observable
    original: str
    elsewhere_by_kind: Counter[str]
    too_common: bool = False

    @property
    def elsewhere(self) -> int:
        return sum(self.elsewhere_by_kind.values())

    @property
    def warninglisted(self) -> bool:
        return self.observable.warninglisted

    @property
    def warninglist_names(self) -> list[str]:
        return [h.get("name", h.get("slug", "")) for h in self.observable.warninglist_hits]


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
    limit = too_common_limit()
    cases = _case_counts([s.observable_id for s in sightings if not s.observable.warninglisted])
    return [
        SourceObservable(
            s.observable,
            s.original or s.observable.value,
            Counter() if s.observable.warninglisted else counts.get(s.observable_id, Counter()),
            too_common=cases.get(s.observable_id, 0) > limit,
        )
        for s in sightings
    ]


def _case_counts(observable_ids: Iterable[int]) -> dict[int, int]:
    """Cases that saw each observable (a count over the (observable, kind, id) index)."""
    ids = list(observable_ids)
    if not ids:
        return {}
    rows = (
        Sighting.objects.filter(observable_id__in=ids, source_kind=SourceKind.CASE)
        .values_list("observable_id")
        .annotate(n=Count("id"))
    )
    return dict(rows)


def correlating(observable_ids: Iterable[int]) -> list[int]:
    """The observables that count for correlation: neither warninglisted nor too common."""
    ids = list(
        Observable.objects.filter(pk__in=list(observable_ids), warninglist_hits=[]).values_list(
            "pk", flat=True
        )
    )
    limit = too_common_limit()
    cases = _case_counts(ids)
    return [i for i in ids if cases.get(i, 0) <= limit]


def sources_sharing(
    observable_ids: Iterable[int], kind: str, *, exclude: tuple[str, int] | None = None
) -> dict[int, set[int]]:
    """Source ids of one kind that share each observable. The caller filters by visibility.
    Warninglisted and too-common observables do not correlate: they are left out."""
    qs = Sighting.objects.filter(observable_id__in=correlating(observable_ids), source_kind=kind)
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
            "original": s.original or obs.value,
            "tlp": s.tlp,
        }
        for s in rows
        if s.source_id in numbers[s.source_kind]
    ]
    total = sighting_counts([obs.pk]).get(obs.pk, Counter())
    not_shown = Counter({k: n - shown_counts.get(k, 0) for k, n in total.items()})
    return sources, +not_shown


# --- "where else has this been seen": the lookup ---------------------------------------------


def sees_all_sources(user: Any) -> bool:
    """Every report and case: the CLI's operator (no user) and administrators."""
    if user is None:
        return True
    from hakusan.core.access import SEES_ALL_REPORTS, user_can

    return user_can(user, SEES_ALL_REPORTS)


def sees_other_sources(user: Any) -> bool:
    """Feed, sensor, partner and manual sightings (not need-to-know records): revealed to the
    cyber division and administrators, counted for everyone else."""
    if sees_all_sources(user):
        return True
    department = getattr(user, "department", None)
    return bool(getattr(user, "is_authenticated", False)) and bool(
        getattr(department, "is_cyber_division", False)
    )


def _iso(value: datetime | None) -> str | None:
    return timezone.localtime(value).isoformat() if value is not None else None


def canonical_form(raw: str, type_: str | None = None) -> tuple[str, str]:
    """(type, canonical value) of a value in any written form; InvalidObservable if none."""
    from hakusan.domain.observables import canonicalize, detect

    if type_:
        return type_, canonicalize(type_, raw)
    found = detect(raw)
    return str(found.type), found.value


@dataclass
class _Group:
    rows: list[Sighting] = field(default_factory=list)
    visible: int = 0


def lookup(user: Any, raw: str, *, type: str | None = None, now: datetime | None = None) -> dict:
    """Everything known about one value, in any written form (defanged, full-width): its
    canonical form, warninglist hits, decay score, sightings grouped by case, report, source
    and partner, derived links with what else shares them (counted), and enrichment facts.

    ``user`` None is the operator at the CLI: the full view. Otherwise sightings in reports and
    cases the user may not see are counted, never revealed (``not_shown``); feed, sensor,
    partner and manual sightings are revealed to the cyber division and administrators.
    Raises ``InvalidObservable`` when the value is no observable. Uses the unique
    (type, value) index for the value and the (observable, source_kind, source_id) index for
    the counts."""
    kind, value = canonical_form(raw, type)
    now = now or timezone.now()
    obs = Observable.objects.filter(type=kind, value=value).first()
    result: dict[str, Any] = {
        "query": raw,
        "type": kind,
        "value": value,
        "found": obs is not None,
    }
    if obs is None:
        result.update(
            _flags(kind, value),
            id=None,
            decay=None,
            sightings=_empty_sightings(),
            links=[],
            enrichment=[],
        )
        return result
    summary = list(
        Sighting.objects.filter(observable=obs)
        .values("source_kind")
        .annotate(
            rows=Count("id"),
            seen=Sum("count"),
            fp=Sum("count", filter=Q(false_positive=True)),
            last=Max("last_seen", filter=Q(false_positive=False)),
            any_last=Max("last_seen"),
            conf=Max("confidence", filter=Q(false_positive=False)),
            any_conf=Max("confidence"),
        )
        .order_by()
    )
    by_kind = {row["source_kind"]: row["rows"] for row in summary}
    cases = by_kind.get(SourceKind.CASE, 0)
    limit = too_common_limit()
    sightings, not_shown = _grouped_sightings(user, obs, by_kind)
    result.update(
        id=obs.pk,
        first_seen=_iso(obs.first_seen),
        last_seen=_iso(obs.last_seen),
        expires_at=_iso(obs.expires_at),
        expired=obs.expired(now),
        warninglisted=obs.warninglisted,
        warninglist_hits=obs.warninglist_hits,
        warninglist_version=obs.warninglist_version,
        too_common=cases > limit,
        too_common_limit=limit,
        correlates=not obs.warninglisted and cases <= limit,
        decay=_decay(obs, summary, now),
        sightings={
            "total": sum(by_kind.values()),
            "by_kind": by_kind,
            "not_shown": not_shown,
            **sightings,
        },
        links=_links(user, obs),
        enrichment=[
            {
                "enricher": e.enricher,
                "key": e.key,
                "value": e.value,
                "attribution": e.attribution,
                "at": _iso(e.at),
            }
            for e in Enrichment.objects.filter(observable=obs).order_by("enricher", "key")
        ],
    )
    return result


def _flags(kind: str, value: str) -> dict[str, Any]:
    """The flags of a value not stored: its warninglist hits are still worth knowing."""
    from hakusan.indicators.ingest import annotator

    notes = annotator()
    hits = [
        {"slug": h.slug, "name": h.name, "category": h.category, "matched": h.matched}
        for h in notes.index.match(kind, value)
    ]
    return {
        "first_seen": None,
        "last_seen": None,
        "expires_at": None,
        "expired": False,
        "warninglisted": bool(hits),
        "warninglist_hits": hits,
        "warninglist_version": notes.version,
        "too_common": False,
        "too_common_limit": too_common_limit(),
        "correlates": not hits,
    }


def _empty_sightings() -> dict[str, Any]:
    return {
        "total": 0,
        "by_kind": {},
        "not_shown": {},
        "cases": [],
        "reports": [],
        "sources": [],
        "partners": [],
        "other": [],
        "more": {},
    }


def _decay(obs: Observable, summary: list[dict[str, Any]], now: datetime) -> dict[str, Any] | None:
    """The decay score from the sightings' aggregated facts: count and false positives summed
    (re-sightings included), last seen and confidence of the sightings that stood (of all,
    when every one was marked false positive). None for a value never sighted itself (only
    derived, such as a registrable domain)."""
    from hakusan.domain.correlation import DEFAULT_DECAY, SightingFacts, decay_score

    if not summary:
        return None
    count = sum(row["seen"] or 0 for row in summary)
    false_positives = sum(row["fp"] or 0 for row in summary)
    stood = [row for row in summary if row["last"] is not None]
    last = max((row["last"] for row in stood), default=None) or max(
        row["any_last"] for row in summary
    )
    confidence = max((row["conf"] for row in stood), default=None)
    if confidence is None:
        confidence = max(row["any_conf"] for row in summary)
    facts = SightingFacts(
        last_seen=last, count=count, false_positives=false_positives, confidence=confidence
    )
    return {
        "score": round(decay_score(obs.type, facts, now=now), 4),
        "half_life_days": DEFAULT_DECAY.half_life(obs.type),
        "last_seen": _iso(last),
        "sightings": count,
        "false_positives": false_positives,
        "confidence": confidence,
    }


_GROUPS = {
    SourceKind.CASE.value: "cases",
    SourceKind.REPORT.value: "reports",
    SourceKind.FEED.value: "sources",
    SourceKind.PARTNER.value: "partners",
    SourceKind.SENSOR.value: "other",
    SourceKind.MANUAL.value: "other",
}


def _grouped_sightings(
    user: Any, obs: Observable, by_kind: dict[str, int]
) -> tuple[dict[str, Any], dict[str, int]]:
    """Visible sightings per group (newest first, ``LOOKUP_LIMIT`` each), the count of the
    ones the caller may not see per kind, and the count of visible ones beyond the limit."""
    from hakusan.cases.models import Case
    from hakusan.cases.selectors import cases_visible_to
    from hakusan.intake.models import Report
    from hakusan.intake.selectors import reports_visible_to

    full = sees_all_sources(user)
    others = sees_other_sources(user)
    out = _empty_sightings()
    del out["total"], out["by_kind"], out["not_shown"]
    not_shown: dict[str, int] = {}
    base = Sighting.objects.filter(observable=obs).order_by("-last_seen", "-id")
    for kind, total in by_kind.items():
        rows_qs = base.filter(source_kind=kind)
        if not full:
            if kind == SourceKind.REPORT:
                rows_qs = rows_qs.filter(source_id__in=reports_visible_to(user).values("pk"))
            elif kind == SourceKind.CASE:
                rows_qs = rows_qs.filter(source_id__in=cases_visible_to(user).values("pk"))
            elif not others:
                rows_qs = rows_qs.none()
        rows = list(rows_qs[:LOOKUP_LIMIT])
        if full or (others and kind not in (SourceKind.REPORT, SourceKind.CASE)):
            visible = total
        else:
            visible = len(rows) if len(rows) < LOOKUP_LIMIT else rows_qs.count()
        if total - visible:
            not_shown[kind] = total - visible
        if visible > len(rows):
            out["more"][kind] = visible - len(rows)
        ids = [s.source_id for s in rows]
        names: dict[int, dict[str, Any]] = {}
        if kind == SourceKind.REPORT and ids:
            names = {
                pk: {"number": number}
                for pk, number in Report.objects.filter(pk__in=ids).values_list("pk", "number")
            }
        elif kind == SourceKind.CASE and ids:
            names = {
                pk: {"number": number, "title": title}
                for pk, number, title in Case.objects.filter(pk__in=ids).values_list(
                    "pk", "number", "title"
                )
            }
        elif kind == SourceKind.FEED and ids:
            names = {
                pk: {"name": name}
                for pk, name in IndicatorSource.objects.filter(pk__in=ids).values_list("pk", "name")
            }
        group = out[_GROUPS.get(kind, "other")]
        for s in rows:
            group.append(
                {
                    "kind": kind,
                    "id": s.source_id,
                    **names.get(s.source_id, {}),
                    "sighting": s.pk,
                    "first_seen": _iso(s.seen_at),
                    "last_seen": _iso(s.last_seen),
                    "count": s.count,
                    "confidence": s.confidence,
                    "false_positive": s.false_positive,
                    "tlp": s.tlp,
                    "tags": s.tags,
                    "original": s.original or obs.value,
                    "comment": s.comment,
                }
            )
    return out, not_shown


def _links(user: Any, obs: Observable) -> list[dict[str, Any]]:
    """Derived links both ways, each with how many other observables share the target (the
    correlation: counted, capped at ``SHARED_CAP``) and a sample of them the caller may see."""
    out: list[dict[str, Any]] = []
    targets = list(
        ObservableLink.objects.filter(from_observable=obs)
        .select_related("to_observable")
        .order_by("kind", "to_observable__value")
    )
    for link in targets:
        target = link.to_observable
        shared, sample = _sharing(user, target, exclude=obs.pk)
        out.append(
            {
                "direction": "out",
                "kind": link.kind,
                "type": target.type,
                "value": target.value,
                "warninglisted": target.warninglisted,
                "shared_by": shared,
                "shared_by_capped": shared >= SHARED_CAP,
                "shared_sample": sample,
            }
        )
    shared, sample = _sharing(user, obs, exclude=None)
    if shared:
        out.append(
            {
                "direction": "in",
                "kind": "derived",
                "type": obs.type,
                "value": obs.value,
                "warninglisted": obs.warninglisted,
                "shared_by": shared,
                "shared_by_capped": shared >= SHARED_CAP,
                "shared_sample": sample,
            }
        )
    return out


def _sharing(user: Any, target: Observable, *, exclude: int | None) -> tuple[int, list[dict]]:
    incoming = ObservableLink.objects.filter(to_observable=target)
    if exclude is not None:
        incoming = incoming.exclude(from_observable_id=exclude)
    count = incoming.values("from_observable_id")[:SHARED_CAP].count()
    if not count:
        return 0, []
    ids = incoming.values("from_observable_id")[: SHARED_SAMPLE * 5]
    candidates = Observable.objects.filter(
        pk__in=list(ids.values_list("from_observable_id", flat=True))
    )
    if not sees_all_sources(user):
        candidates = candidates.filter(pk__in=observables_visible_to(user).values("pk"))
    sample = [
        {"type": t, "value": v}
        for t, v in candidates.order_by("-last_seen", "-id").values_list("type", "value")[
            :SHARED_SAMPLE
        ]
    ]
    return count, sample
