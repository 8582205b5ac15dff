"""Permission-aware reads of observables and their sightings ("where else was this seen").

Sightings in reports and cases are visible as the reports and cases are (``intake.selectors``,
``cases.selectors``, imported inside the functions: both import this module)."""

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from .choices import LinkKind, SourceKind
from .models import Attribution, Enrichment, IndicatorSource, Observable, ObservableLink, Sighting

MAX_SOURCES = 200
LOOKUP_LIMIT = 50  # sightings listed per group in a lookup; the rest are counted
SHARED_SAMPLE = 20  # values listed per derived link target
SHARED_CAP = 1_000  # counting what shares a target stops here ("1,000+": a hub such as google.com)


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


def exportable_observables(now: datetime | None = None) -> QuerySet[Observable]:
    """What blocklists and feeds may export: not expired, not on a warninglist. (Analysis
    keeps seeing every value: expiry and warninglists never remove one from the store.)"""
    now = now or timezone.now()
    return Observable.objects.filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=now), warninglist_hits=[]
    )


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


# The lookup runs a handful of plain SQL statements: it is the hot path of "where else has this
# been seen" (milliseconds at 10 M observables), and the ORM's query building would cost more
# than the index lookups themselves. Table names come from the models.
_OBS = Observable._meta.db_table
_SIGHT = Sighting._meta.db_table
_LINK = ObservableLink._meta.db_table
_FACT = Enrichment._meta.db_table
_CREDIT = Attribution._meta.db_table


def _facts_sql(subject: str) -> str:
    """A value's enrichment facts and, for an address, its AS's (the AS organisation is kept
    once on the AS: ``ingest.attach_facts``), with their attribution text; ``subject`` is
    the SQL of the value's id."""
    return (
        f"SELECT f.enricher, f.key, f.value, a.text, f.at FROM (SELECT * FROM {_FACT}"
        f" WHERE observable_id = {subject} UNION ALL SELECT e.* FROM {_LINK} l"
        f" JOIN {_FACT} e ON e.observable_id = l.to_observable_id"
        f" WHERE l.from_observable_id = {subject} AND l.kind = '{LinkKind.ASN}') f"
        f" JOIN {_CREDIT} a ON a.id = f.attribution_id"
    )


def _dt(value: Any) -> datetime | None:
    """A datetime from a raw row: aware on PostgreSQL; on SQLite naive UTC, or text from an
    aggregate."""
    if value is None or (isinstance(value, datetime) and timezone.is_aware(value)):
        return value
    if isinstance(value, str):
        from django.utils.dateparse import parse_datetime

        value = parse_datetime(value)
        if value is None:
            return None
    return timezone.make_aware(value, UTC) if timezone.is_naive(value) else value


def _json(value: Any) -> Any:
    import json

    return json.loads(value) if isinstance(value, str) else value


def _rows(sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _prepared_rows(sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    """PostgreSQL: ``sql`` as a prepared statement of this connection (server-side binding):
    the lookup's plan, half of its time at 10 M observables, is made once per connection and
    reused (docs/benchmarks.md, "Correlation store"). The connection allows it through its
    ``prepare_threshold`` option (``settings.base.postgresql_options``);
    ``HAKUSAN_PG_PREPARED_LOOKUPS`` off: an ordinary statement."""
    import psycopg

    if not settings.HAKUSAN_PG_PREPARED_LOOKUPS:
        return _rows(sql, params)
    connection.ensure_connection()
    with psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(sql, params, prepare=True)
        return cursor.fetchall()


def _run(statements: list[tuple[str, list[Any]]]) -> list[list[tuple[Any, ...]]]:
    """Results of independent statements: one round trip on PostgreSQL (client-side
    binding allows several statements in one call), one call each on SQLite (in-process)."""
    if connection.vendor != "postgresql" or len(statements) < 2:
        return [_rows(sql, params) for sql, params in statements]
    with connection.cursor() as cursor:
        cursor.execute(
            ";\n".join(sql for sql, _ in statements), [p for _, ps in statements for p in ps]
        )
        results = [cursor.fetchall()]
        while cursor.nextset():
            results.append(cursor.fetchall())
    return results


# The observable's id, by the unique (type, value) index, inside each statement of a round trip.
_ID = f"(SELECT id FROM {_OBS} WHERE type = %s AND value = %s)"
_SIGHTING_COLUMNS = (
    "s.source_kind, s.source_id, s.id, s.seen_at, s.last_seen, s.count, s.confidence,"
    " s.false_positive, s.tlp, s.tags, s.original, s.comment"
)


def _listing_sql(subject: str) -> str:
    """The newest ``LOOKUP_LIMIT`` sightings of each kind of the value whose id the SQL
    ``subject`` gives (highest source id first: reports and cases are numbered in time), with
    report and case numbers, case titles and source names. One range scan of the
    (observable, source_kind, source_id) index per kind, each stopping at the limit: a hub
    value's thousands of sightings are counted, never read (8 → 4 ms a lookup for 10,000).
    Its larger plan costs nothing once prepared (PostgreSQL: ``_prepared_rows``; SQLite
    keeps compiled statements)."""
    from hakusan.cases.models import Case
    from hakusan.intake.models import Report

    columns = _SIGHTING_COLUMNS.replace("s.", "")
    newest = " UNION ALL ".join(
        f"SELECT * FROM (SELECT {columns} FROM {_SIGHT} WHERE observable_id = {subject}"
        f" AND source_kind = '{kind}' ORDER BY source_id DESC LIMIT {LOOKUP_LIMIT}) k{n}"
        for n, kind in enumerate(SourceKind.values)
    )
    return (
        f"SELECT x.*, coalesce(r.number, c.number) AS number, c.title, f.name FROM ({newest}) x"
        f" LEFT JOIN {Report._meta.db_table} r"
        f" ON x.source_kind = '{SourceKind.REPORT}' AND r.id = x.source_id"
        f" LEFT JOIN {Case._meta.db_table} c"
        f" ON x.source_kind = '{SourceKind.CASE}' AND c.id = x.source_id"
        f" LEFT JOIN {IndicatorSource._meta.db_table} f"
        f" ON x.source_kind = '{SourceKind.FEED}' AND f.id = x.source_id"
    )


def _lookup_postgresql_sql(full: bool) -> str:
    """Everything of a lookup in one statement (PostgreSQL): the parts as JSON arrays of
    rows, each part found through the same indexes as on SQLite. One parse and plan and one
    round trip instead of six: it halves the latency."""

    sample = (
        "(SELECT json_agg(json_build_array(v.type, v.value)) FROM (SELECT t2.type, t2.value"
        f" FROM {_LINK} l3 JOIN {_OBS} t2 ON t2.id = l3.from_observable_id"
        " WHERE l3.to_observable_id = {target} AND l3.from_observable_id <> o.id"
        f" ORDER BY l3.from_observable_id DESC LIMIT {SHARED_SAMPLE}) v)"
    )
    listing = "NULL"
    if full:
        cells = ", ".join(f"y.{c.strip().removeprefix('s.')}" for c in _SIGHTING_COLUMNS.split(","))
        listing = (
            f"(SELECT json_agg(json_build_array({cells}, y.number, y.title, y.name)"
            f" ORDER BY y.source_kind, y.source_id DESC) FROM ({_listing_sql('o.id')}) y)"
        )
    return (
        "SELECT o.id, o.first_seen, o.last_seen, o.warninglist_hits, o.warninglist_version,"
        " o.expires_at,"
        " (SELECT json_agg(json_build_array(source_kind, n, seen, fp, last, any_last, conf,"
        " any_conf)) FROM (SELECT source_kind, count(*) AS n, sum(count) AS seen,"
        " sum(CASE WHEN false_positive THEN count ELSE 0 END) AS fp,"
        " max(CASE WHEN false_positive THEN NULL ELSE last_seen END) AS last,"
        " max(last_seen) AS any_last,"
        " max(CASE WHEN false_positive THEN NULL ELSE confidence END) AS conf,"
        f" max(confidence) AS any_conf FROM {_SIGHT} WHERE observable_id = o.id"
        " GROUP BY source_kind) k),"
        " (SELECT json_agg(json_build_array(l.kind, t.id, t.type, t.value,"
        " t.warninglist_hits, (SELECT count(*) FROM (SELECT 1 FROM"
        f" {_LINK} l2 WHERE l2.to_observable_id = t.id AND l2.from_observable_id <> o.id"
        f" LIMIT {SHARED_CAP}) capped), {sample.format(target='t.id') if full else 'NULL'})"
        f" ORDER BY l.kind, t.value) FROM {_LINK} l JOIN {_OBS} t ON t.id = l.to_observable_id"
        " WHERE l.from_observable_id = o.id),"
        f" (SELECT count(*) FROM (SELECT 1 FROM {_LINK} WHERE to_observable_id = o.id"
        f" LIMIT {SHARED_CAP}) capped),"
        f" {sample.format(target='o.id') if full else 'NULL'},"
        " (SELECT json_agg(json_build_array(x.enricher, x.key, x.value, x.text, x.at)"
        f" ORDER BY x.enricher, x.key) FROM ({_facts_sql('o.id')}) x),"
        f" {listing}"
        f" FROM {_OBS} o WHERE o.type = %s AND o.value = %s"
    )


def _lookup_postgresql(key: list[str], full: bool) -> tuple[Any, ...]:
    """The parts of a lookup as ``_run`` gives them on SQLite, from one statement."""
    rows = _prepared_rows(_lookup_postgresql_sql(full), key)
    if not rows:
        return [], [], [], 0, [], [], None
    row = rows[0]
    counts = [tuple(r) for r in _json(row[6]) or []]
    links = _json(row[7]) or []
    targets = [tuple(r[:6]) for r in links]
    samples = None
    if full:
        samples = {r[1]: [tuple(x) for x in r[6] or []] for r in links}
        samples[row[0]] = [tuple(x) for x in _json(row[9]) or []]
    facts = [tuple(r) for r in _json(row[10]) or []]
    listing = [[tuple(r) for r in _json(row[11]) or []]] if full else []
    return [tuple(row[:6])], counts, targets, row[8], facts, listing, samples


def lookup(user: Any, raw: str, *, type: str | None = None, now: datetime | None = None) -> dict:
    """Everything known about one value, in any written form (defanged, full-width): its
    canonical form, warninglist hits, decay score, sightings grouped by case, report, source
    and partner, derived links with what else shares them (counted), and enrichment facts.

    ``user`` None is the operator at the CLI: the full view. Otherwise sightings in reports and
    cases the user may not see are counted, never revealed (``not_shown``); feed, sensor,
    partner and manual sightings are revealed to the cyber division and administrators.
    Raises ``InvalidObservable`` when the value is no observable.

    Every statement finds the value by the unique (type, value) index and its sightings by
    the (observable, source_kind, source_id) index; on PostgreSQL they go in two round trips
    (the second only for samples of what shares a derived target)."""
    kind, value = canonical_form(raw, type)
    now = now or timezone.now()
    full = sees_all_sources(user)
    key = [kind, value]
    statements = [
        (
            "SELECT id, first_seen, last_seen, warninglist_hits, warninglist_version, expires_at"
            f" FROM {_OBS} WHERE type = %s AND value = %s",
            key,
        ),
        (
            "SELECT source_kind, count(*), sum(count),"
            " sum(CASE WHEN false_positive THEN count ELSE 0 END),"
            " max(CASE WHEN false_positive THEN NULL ELSE last_seen END), max(last_seen),"
            " max(CASE WHEN false_positive THEN NULL ELSE confidence END), max(confidence)"
            f" FROM {_SIGHT} WHERE observable_id = {_ID} GROUP BY source_kind",
            key,
        ),
        (
            f"SELECT l.kind, o.id, o.type, o.value, o.warninglist_hits, (SELECT count(*) FROM"
            f" (SELECT 1 FROM {_LINK} l2 WHERE l2.to_observable_id = o.id"
            f" AND l2.from_observable_id <> l.from_observable_id LIMIT {SHARED_CAP}) capped)"
            f" FROM {_LINK} l JOIN {_OBS} o ON o.id = l.to_observable_id"
            f" WHERE l.from_observable_id = {_ID} ORDER BY l.kind, o.value",
            key,
        ),
        (
            f"SELECT count(*) FROM (SELECT 1 FROM {_LINK} WHERE to_observable_id = {_ID}"
            f" LIMIT {SHARED_CAP}) capped",
            key,
        ),
        (
            f"{_facts_sql(_ID)} ORDER BY f.enricher, f.key",
            key + key,
        ),
    ]
    samples: dict[int, list[tuple[str, str]]] | None = None
    if connection.vendor == "postgresql":
        found, counts, targets, incoming, facts, listing, samples = _lookup_postgresql(key, full)
    else:
        if full:
            listing_sql = _listing_sql(_ID) + " ORDER BY x.source_kind, x.source_id DESC"
            statements.append((listing_sql, key * len(SourceKind.values)))
        found, counts, targets, ((incoming,),), facts, *listing = _run(statements)
    result: dict[str, Any] = {"query": raw, "type": kind, "value": value, "found": bool(found)}
    if not found:
        result.update(
            _flags(kind, value),
            id=None,
            decay=None,
            sightings=_empty_sightings(),
            links=[],
            enrichment=[],
        )
        return result
    oid, first_seen, last_seen, hits, version, expires = found[0]
    hits = _json(hits)
    expires = _dt(expires)
    summary = [
        {
            "source_kind": r[0],
            "rows": r[1],
            "seen": r[2],
            "fp": r[3],
            "last": _dt(r[4]),
            "any_last": _dt(r[5]),
            "conf": r[6],
            "any_conf": r[7],
        }
        for r in counts
    ]
    by_kind = {row["source_kind"]: row["rows"] for row in summary}
    cases = by_kind.get(SourceKind.CASE, 0)
    limit = too_common_limit()
    if full:
        sightings, not_shown = _grouped(listing[0], dict(by_kind), by_kind, value)
    else:
        sightings, not_shown = _grouped_for(user, oid, value, by_kind)
    result.update(
        id=oid,
        first_seen=_iso(_dt(first_seen)),
        last_seen=_iso(_dt(last_seen)),
        expires_at=_iso(expires),
        expired=expires is not None and expires <= now,
        warninglisted=bool(hits),
        warninglist_hits=hits,
        warninglist_version=version,
        too_common=cases > limit,
        too_common_limit=limit,
        correlates=not hits and cases <= limit,
        decay=_decay(kind, summary, now),
        sightings={
            "total": sum(by_kind.values()),
            "by_kind": by_kind,
            "not_shown": not_shown,
            **sightings,
        },
        links=_links(user, oid, kind, value, bool(hits), targets, incoming, samples),
        enrichment=[
            {"enricher": e, "key": k, "value": v, "attribution": a, "at": _iso(_dt(at))}
            for e, k, v, a, at in facts
        ],
    )
    return result


def _flags(kind: str, value: str) -> dict[str, Any]:
    """The flags of a value not stored: its warninglist hits are still worth knowing."""
    from hakusan.indicators.ingest import annotator

    notes = annotator()
    hits = [
        {"slug": h.slug, "name": h.name, "category": h.category, "matched": h.matched}
        for h in notes.index.match(kind, value, specific_urls=True)
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


def _decay(kind: str, summary: list[dict[str, Any]], now: datetime) -> dict[str, Any] | None:
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
        "score": round(decay_score(kind, facts, now=now), 4),
        "half_life_days": DEFAULT_DECAY.half_life(kind),
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


def _grouped(
    rows: list[tuple[Any, ...]], visible: dict[str, int], by_kind: dict[str, int], value: str
) -> tuple[dict[str, Any], dict[str, int]]:
    """Listed sightings (kind, source id, …, number, title, name) into groups; the counts not
    shown (no permission) and beyond the listing (``more``) per kind."""
    out = _empty_sightings()
    del out["total"], out["by_kind"], out["not_shown"]
    not_shown = {k: n - visible.get(k, 0) for k, n in by_kind.items() if n > visible.get(k, 0)}
    listed: dict[str, int] = {}
    for r in rows:
        kind = r[0]
        listed[kind] = listed.get(kind, 0) + 1
        entry: dict[str, Any] = {"kind": kind, "id": r[1]}
        for name, cell in zip(("number", "title", "name"), r[-3:], strict=True):
            if cell is not None:
                entry[name] = cell
        entry.update(
            sighting=r[2],
            first_seen=_iso(_dt(r[3])),
            last_seen=_iso(_dt(r[4])),
            count=r[5],
            confidence=r[6],
            false_positive=bool(r[7]),
            tlp=r[8],
            tags=_json(r[9]),
            original=r[10] or value,
            comment=r[11],
        )
        out[_GROUPS.get(kind, "other")].append(entry)
    for kind, shown in visible.items():
        if shown > listed.get(kind, 0):
            out["more"][kind] = shown - listed.get(kind, 0)
    return out, not_shown


def _grouped_for(
    user: Any, oid: int, value: str, by_kind: dict[str, int]
) -> tuple[dict[str, Any], dict[str, int]]:
    """The grouped sightings a user may see: reports and cases through the need-to-know
    selectors, other kinds for the cyber division."""
    others = sees_other_sources(user)
    rows: list[tuple[Any, ...]] = []
    visible: dict[str, int] = {}
    columns = [c.strip().removeprefix("s.") for c in _SIGHTING_COLUMNS.split(",")]
    for kind in by_kind:
        rows_qs = _visible_sightings(user, oid, kind, others)
        listed = list(rows_qs.values_list(*columns)[:LOOKUP_LIMIT])
        visible[kind] = len(listed) if len(listed) < LOOKUP_LIMIT else rows_qs.count()
        rows.extend(listed)
    ids: dict[str, list[int]] = {}
    for r in rows:
        ids.setdefault(r[0], []).append(r[1])
    names = _source_names(ids)
    named = [
        (
            *r,
            names.get((r[0], r[1]), {}).get("number"),
            names.get((r[0], r[1]), {}).get("title"),
            names.get((r[0], r[1]), {}).get("name"),
        )
        for r in rows
    ]
    return _grouped(named, visible, by_kind, value)


def _visible_sightings(user: Any, oid: int, kind: str, others: bool) -> Any:
    """The sightings of one kind the user may see (need-to-know selectors), newest first."""
    from hakusan.cases.selectors import cases_visible_to
    from hakusan.intake.selectors import reports_visible_to

    rows_qs = Sighting.objects.filter(observable_id=oid, source_kind=kind).order_by("-source_id")
    if kind == SourceKind.REPORT:
        return rows_qs.filter(source_id__in=reports_visible_to(user).values("pk"))
    if kind == SourceKind.CASE:
        return rows_qs.filter(source_id__in=cases_visible_to(user).values("pk"))
    return rows_qs if others else rows_qs.none()


def _source_names(ids: dict[str, list[int]]) -> dict[tuple[str, int], dict[str, Any]]:
    """Numbers of reports and cases, names of indicator sources and of the partners inbound
    bundles came from ("seen in <partner>"); the caller sees them."""
    from hakusan.cases.models import Case
    from hakusan.intake.models import Report
    from hakusan.partners.models import Partner
    from hakusan.sharing.models import InboundBundle

    names: dict[tuple[str, int], dict[str, Any]] = {}
    if ids.get(SourceKind.REPORT):
        for pk, number in _in(Report._meta.db_table, "id, number", ids[SourceKind.REPORT]):
            names[(SourceKind.REPORT, pk)] = {"number": number}
    if ids.get(SourceKind.CASE):
        for pk, number, title in _in(Case._meta.db_table, "id, number, title", ids["case"]):
            names[(SourceKind.CASE, pk)] = {"number": number, "title": title}
    if ids.get(SourceKind.FEED):
        table = IndicatorSource._meta.db_table
        for pk, name in _in(table, "id, name", ids[SourceKind.FEED]):
            names[(SourceKind.FEED, pk)] = {"name": name}
    if ids.get(SourceKind.PARTNER):
        bundles = InboundBundle._meta.db_table
        partners = Partner._meta.db_table
        for pk, source_name, partner_name, state in _rows(
            f"SELECT b.id, b.source_name, p.name, b.state FROM {bundles} b"
            f" LEFT JOIN {partners} p ON p.id = b.partner_id"
            f" WHERE b.id IN ({', '.join(['%s'] * len(ids[SourceKind.PARTNER]))})",
            list(ids[SourceKind.PARTNER]),
        ):
            names[(SourceKind.PARTNER, pk)] = {
                "name": partner_name or source_name,
                "state": state,
            }
    return names


def _in(table: str, columns: str, ids: list[int]) -> list[tuple[Any, ...]]:
    marks = ", ".join(["%s"] * len(ids))
    return _rows(f"SELECT {columns} FROM {table} WHERE id IN ({marks})", list(ids))


def _links(
    user: Any,
    oid: int,
    kind: str,
    value: str,
    hits: bool,
    targets: list[tuple[Any, ...]],
    incoming: int,
    samples: dict[int, list[tuple[str, str]]] | None = None,
) -> list[dict[str, Any]]:
    """Derived links both ways, each with how many other observables share the target (the
    correlation: counted from the (to, from) index, capped at ``SHARED_CAP``) and a sample
    of them the caller may see (newest first)."""
    out: list[dict[str, Any]] = []
    for link_kind, _tid, ttype, tvalue, thits, shared in targets:
        out.append(
            {
                "direction": "out",
                "kind": link_kind,
                "type": ttype,
                "value": tvalue,
                "warninglisted": bool(_json(thits)),
                "shared_by": shared,
                "shared_by_capped": shared >= SHARED_CAP,
                "shared_sample": [],
            }
        )
    if incoming:
        out.append(
            {
                "direction": "in",
                "kind": "derived",
                "type": kind,
                "value": value,
                "warninglisted": hits,
                "shared_by": incoming,
                "shared_by_capped": incoming >= SHARED_CAP,
                "shared_sample": [],
            }
        )
    wanted = [
        (entry, target)
        for entry, target in zip(out, [t[1] for t in targets] + [oid], strict=False)
        if entry["shared_by"]
    ]
    if samples is not None:  # fetched with the rest (PostgreSQL, full view)
        for entry, target in wanted:
            entry["shared_sample"] = [{"type": t, "value": v} for t, v in samples.get(target, [])]
        return out
    if sees_all_sources(user):
        fetched = _run(
            [
                (
                    f"SELECT o.type, o.value FROM {_LINK} l"
                    f" JOIN {_OBS} o ON o.id = l.from_observable_id"
                    " WHERE l.to_observable_id = %s AND l.from_observable_id <> %s"
                    f" ORDER BY l.from_observable_id DESC LIMIT {SHARED_SAMPLE}",
                    [target, oid],
                )
                for _entry, target in wanted
            ]
        )
    else:
        fetched = [_visible_sample(user, target, oid) for _entry, target in wanted]
    for (entry, _target), rows in zip(wanted, fetched, strict=True):
        entry["shared_sample"] = [{"type": t, "value": v} for t, v in rows]
    return out


def _visible_sample(user: Any, target: int, exclude: int) -> list[tuple[str, str]]:
    """Values sharing ``target`` seen in reports and cases the caller may see."""
    ids = (
        ObservableLink.objects.filter(to_observable_id=target)
        .exclude(from_observable_id=exclude)
        .order_by("-from_observable_id")
        .values_list("from_observable_id", flat=True)[: SHARED_SAMPLE * 5]
    )
    return list(
        observables_visible_to(user)
        .filter(pk__in=list(ids))
        .order_by("-id")
        .values_list("type", "value")[:SHARED_SAMPLE]
    )
