"""Reads of the store into the plain data that ``hakusan.domain.correlation`` takes: each
case's observables, how many cases share an observable, which observables are warninglisted,
case narratives. Not permission-aware: ``selectors`` decide which cases go in and what comes
out to a user.

A case's observables are its own sightings (``open_case`` copies its reports' sightings to the
case, analysts link more) together with the sightings of its reports (seen after the case was
opened)."""

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Iterator
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Count, Max, Q

from hakusan.cases.models import Case
from hakusan.domain.correlation import TOO_COMMON_DEFAULT
from hakusan.indicators.choices import SourceKind
from hakusan.indicators.models import Observable, Sighting
from hakusan.intake.models import Report

CHUNK = 900  # below SQLite's bound-parameter limit


def too_common() -> int:
    return int(getattr(settings, "HAKUSAN_TOO_COMMON", TOO_COMMON_DEFAULT))


def chunks(ids: Iterable[int], size: int = CHUNK) -> Iterator[list[int]]:
    batch: list[int] = []
    for i in ids:
        batch.append(i)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def case_reports(case_ids: Iterable[int] | None = None) -> dict[int, list[int]]:
    """Report ids per case."""
    through = Case.reports.through.objects.all()
    if case_ids is not None:
        through = through.filter(case_id__in=list(case_ids))
    out: dict[int, list[int]] = defaultdict(list)
    for case_id, report_id in through.values_list("case_id", "report_id"):
        out[case_id].append(report_id)
    return out


def case_observables(case_ids: Iterable[int] | None = None) -> dict[int, set[int]]:
    """Observable ids per case (its sightings and its reports'); ``None``: every case."""
    ids = None if case_ids is None else list(case_ids)
    out: dict[int, set[int]] = defaultdict(set)
    own = Sighting.objects.filter(source_kind=SourceKind.CASE)
    reports = case_reports(ids)
    if ids is not None:
        for batch in chunks(ids):
            for oid, cid in own.filter(source_id__in=batch).values_list(
                "observable_id", "source_id"
            ):
                out[cid].add(oid)
    else:
        for oid, cid in own.values_list("observable_id", "source_id").iterator(chunk_size=5000):
            out[cid].add(oid)
    by_report: dict[int, list[int]] = defaultdict(list)
    for cid, rids in reports.items():
        for rid in rids:
            by_report[rid].append(cid)
    report_sightings = Sighting.objects.filter(source_kind=SourceKind.REPORT)
    for batch in chunks(by_report):
        for oid, rid in report_sightings.filter(source_id__in=batch).values_list(
            "observable_id", "source_id"
        ):
            for cid in by_report[rid]:
                out[cid].add(oid)
    return dict(out)


def observable_case_counts(observable_ids: Iterable[int] | None = None) -> dict[int, int]:
    """In how many cases each observable is, over every case (the rarity weights and the
    too-common cut). Counted from the same definition as ``case_observables``."""
    if observable_ids is None:
        counts: dict[int, int] = defaultdict(int)
        for observables in case_observables().values():
            for oid in observables:
                counts[oid] += 1
        return dict(counts)
    wanted = list(dict.fromkeys(observable_ids))
    cases_of: dict[int, set[int]] = defaultdict(set)
    report_case = defaultdict(list)
    for case_id, report_id in Case.reports.through.objects.values_list("case_id", "report_id"):
        report_case[report_id].append(case_id)
    for batch in chunks(wanted):
        rows = Sighting.objects.filter(
            observable_id__in=batch, source_kind__in=[SourceKind.CASE, SourceKind.REPORT]
        ).values_list("observable_id", "source_kind", "source_id")
        for oid, kind, sid in rows:
            if kind == SourceKind.CASE:
                cases_of[oid].add(sid)
            else:
                cases_of[oid].update(report_case.get(sid, ()))
    return {oid: len(cases_of.get(oid, ())) for oid in wanted}


def sighting_totals(observable_ids: Iterable[int]) -> dict[int, int]:
    """All sightings of each observable, any source kind."""
    out: dict[int, int] = {}
    for batch in chunks(dict.fromkeys(observable_ids)):
        rows = (
            Sighting.objects.filter(observable_id__in=batch)
            .values("observable_id")
            .annotate(n=Count("id"))
            .values_list("observable_id", "n")
        )
        out.update(dict(rows))
    return out


def has_warninglists() -> bool:
    try:
        Observable._meta.get_field("warninglist_hits")
    except FieldDoesNotExist:
        return False
    return True


def warninglist_hits(observable_ids: Iterable[int]) -> dict[int, list[Any]]:
    """The warninglist hits of those observables that have any (``Observable.warninglist_hits``,
    a JSON list; empty when none). Without the field (older store) nothing is warninglisted."""
    if not has_warninglists():
        return {}
    out: dict[int, list[Any]] = {}
    for batch in chunks(dict.fromkeys(observable_ids)):
        for oid, hits in Observable.objects.filter(pk__in=batch).values_list(
            "pk", "warninglist_hits"
        ):
            if hits:
                out[oid] = list(hits) if isinstance(hits, list | tuple) else [hits]
    return out


def warninglisted(observable_ids: Iterable[int]) -> frozenset[int]:
    return frozenset(warninglist_hits(observable_ids))


def observable_link_model() -> Any:
    """``indicators.ObservableLink`` (derived links url → host → domain, ip → asn), or None
    while the store has no such model."""
    try:
        return apps.get_model("indicators", "ObservableLink")
    except LookupError:
        return None


def derived_links(observable_ids: Iterable[int], limit: int = 2000) -> list[tuple[int, int, str]]:
    """(from, to, kind) of the derived links touching those observables."""
    model = observable_link_model()
    if model is None:
        return []
    out: list[tuple[int, int, str]] = []
    for batch in chunks(dict.fromkeys(observable_ids), 400):
        rows = model.objects.filter(
            Q(from_observable_id__in=batch) | Q(to_observable_id__in=batch)
        ).values_list("from_observable_id", "to_observable_id", "kind")
        out.extend((a, b, str(k)) for a, b, k in rows[: max(0, limit - len(out))])
        if len(out) >= limit:
            break
    return out


def case_texts(case_ids: Iterable[int] | None = None) -> dict[int, str]:
    """Narrative per case: its summary and its reports' narratives."""
    cases = Case.objects.all()
    if case_ids is not None:
        cases = cases.filter(pk__in=list(case_ids))
    texts: dict[int, list[str]] = {}
    for pk, title, summary in cases.values_list("pk", "title", "summary").iterator(chunk_size=2000):
        texts[pk] = [t for t in (title, summary) if t]
    reports = case_reports(texts if case_ids is not None else None)
    narrative_of: dict[int, str] = {}
    wanted = {rid for rids in reports.values() for rid in rids}
    for batch in chunks(wanted):
        narrative_of.update(Report.objects.filter(pk__in=batch).values_list("pk", "narrative"))
    for cid, rids in reports.items():
        if cid in texts:
            texts[cid].extend(narrative_of.get(rid, "") for rid in sorted(rids))
    return {cid: "\n".join(t for t in parts if t) for cid, parts in texts.items()}


def observable_strings(observable_ids: Iterable[int]) -> dict[int, str]:
    """``"type:value"`` per observable id, as the similarity index compares them."""
    out: dict[int, str] = {}
    for batch in chunks(dict.fromkeys(observable_ids)):
        for pk, kind, value in Observable.objects.filter(pk__in=batch).values_list(
            "pk", "type", "value"
        ):
            out[pk] = f"{kind}:{value}"
    return out


def fingerprint() -> str:
    """Changes when a case or a case's observables change (suggestions and the similarity
    index are rebuilt then). One aggregate query per table."""
    cases = Case.objects.aggregate(n=Count("id"), last=Max("id"), updated=Max("updated_at"))
    sightings = Sighting.objects.filter(
        source_kind__in=[SourceKind.CASE, SourceKind.REPORT]
    ).aggregate(n=Count("id"), last=Max("id"))
    links = Case.reports.through.objects.aggregate(n=Count("id"), last=Max("id"))
    body = repr((sorted(cases.items()), sorted(sightings.items()), sorted(links.items())))
    return hashlib.sha256(body.encode()).hexdigest()[:32]
