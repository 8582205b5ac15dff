"""The dashboard (what needs me now) and the search across reports, cases and observables.

Every read goes through the permission-aware selectors: a report or case the user may not see is
never named, only counted."""

import unicodedata
from collections import Counter
from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models import F, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from hakusan.cases.choices import CaseStatus
from hakusan.cases.selectors import cases_visible_to, open_tasks_for
from hakusan.core.choices import Role
from hakusan.domain.observables import InvalidObservable, detect
from hakusan.indicators.choices import ObservableType, SourceKind
from hakusan.indicators.models import Observable
from hakusan.indicators.selectors import (
    find_observable,
    search_observables,
    sighting_counts,
    sightings_visible_to,
)
from hakusan.intake import selectors as intake_selectors
from hakusan.intake.choices import ReportStatus
from hakusan.intake.selectors import reports_visible_to
from hakusan.intake.views import display_value

SEES_OVERDUE = frozenset({Role.ANALYST, Role.SUPERVISOR, Role.ADMIN})
LIST_LIMIT = 15
_REPORT_RELATED = ("category", "suggested_category", "assigned_department", "receiving_department")


def _by_due(reports: QuerySet) -> QuerySet:
    return reports.select_related(*_REPORT_RELATED).order_by(
        F("due_at").asc(nulls_last=True), "-received_at"
    )


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    queue = _by_due(intake_selectors.queue_for(user))
    unrouted = (
        intake_selectors.unrouted(user).select_related(*_REPORT_RELATED).order_by("-received_at")
    )
    sees_overdue = user.is_superuser or user.role in SEES_OVERDUE
    overdue = _by_due(intake_selectors.overdue(user)) if sees_overdue else None
    my_cases = (
        cases_visible_to(user)
        .filter(members__user=user)
        .exclude(status=CaseStatus.CLOSED)
        .select_related("case_type", "lead_department")
        .distinct()
        .order_by("-opened_at")
    )
    my_tasks = open_tasks_for(user)
    mine_filed = (
        reports_visible_to(user)
        .filter(received_by=user)
        .select_related(*_REPORT_RELATED)
        .order_by("-received_at")
    )
    counts = {
        "queue": queue.count(),
        "unrouted": unrouted.count(),
        "overdue": overdue.count() if overdue is not None else None,
        "escalated": overdue.filter(escalated_at__isnull=False).count()
        if overdue is not None
        else None,
        "cases": my_cases.count(),
        "tasks": my_tasks.count(),
    }
    return render(
        request,
        "dashboard.html",
        {
            "queue": queue[:LIST_LIMIT],
            "unrouted": unrouted[:LIST_LIMIT],
            "overdue": overdue[:LIST_LIMIT] if overdue is not None else None,
            "my_cases": my_cases[:LIST_LIMIT],
            "my_tasks": my_tasks[:LIST_LIMIT],
            "mine_filed": mine_filed[:10],
            "counts": counts,
            "now": timezone.now(),
        },
    )


# --- search -----------------------------------------------------------------------------------

MAX_QUERY = 500
MAX_OBSERVABLES = 30
MAX_SOURCES_SHOWN = 20
MIN_SUBSTRING = 3


def _detect(text: str) -> Any:
    try:
        return detect(text)
    except (InvalidObservable, ValueError):
        return None


def _observable_matches(q: str, norm: str) -> tuple[Any, list[tuple[Observable, bool]]]:
    """Exact matches of the detected observable first, then substring matches."""
    detected = _detect(q) or (_detect(norm) if norm != q else None)
    found: dict[int, tuple[Observable, bool]] = {}
    if detected is not None:
        exact = find_observable(str(detected.type), detected.value)
        if exact is not None:
            found[exact.pk] = (exact, True)
    needles = [detected.value] if detected is not None else []
    needles += [n for n in dict.fromkeys([norm, q]) if len(n) >= MIN_SUBSTRING]
    for needle in dict.fromkeys(needles):
        if len(found) >= MAX_OBSERVABLES:
            break
        for obs in search_observables(needle, limit=MAX_OBSERVABLES):
            found.setdefault(obs.pk, (obs, False))
    ordered = sorted(found.values(), key=lambda pair: (not pair[1], pair[0].type, pair[0].value))
    return detected, ordered[:MAX_OBSERVABLES]


def _where_seen(user: Any, observables: list[Observable]) -> dict[int, dict[str, Any]]:
    """Per observable: the visible reports and cases that saw it, and counts for the rest."""
    ids = [o.pk for o in observables]
    if not ids:
        return {}
    counts = sighting_counts(ids)
    result: dict[int, dict[str, Any]] = {
        oid: {"reports": [], "cases": [], "reports_hidden": 0, "cases_hidden": 0, "other": {}}
        for oid in ids
    }
    visible = sightings_visible_to(user).filter(observable_id__in=ids)
    for kind, visible_qs, key in (
        (SourceKind.REPORT.value, reports_visible_to(user), "reports"),
        (SourceKind.CASE.value, cases_visible_to(user), "cases"),
    ):
        per_obs: dict[int, list[int]] = {}
        for oid, sid in visible.filter(source_kind=kind).values_list("observable_id", "source_id"):
            per_obs.setdefault(oid, []).append(sid)
        for sids in per_obs.values():
            sids.sort(reverse=True)  # newest first, before choosing the ones shown
        shown_ids = {sid for sids in per_obs.values() for sid in sids[:MAX_SOURCES_SHOWN]}
        objects = {o.pk: o for o in visible_qs.filter(pk__in=shown_ids)}
        for oid in ids:
            sids = per_obs.get(oid, [])
            result[oid][key] = [objects[s] for s in sids[:MAX_SOURCES_SHOWN] if s in objects]
            result[oid][f"{key}_more"] = max(0, len(sids) - MAX_SOURCES_SHOWN)
            result[oid][f"{key}_hidden"] = counts.get(oid, Counter())[kind] - len(sids)
    labels = dict(SourceKind.choices)
    for oid in ids:
        result[oid]["other"] = {
            labels.get(kind, kind): n
            for kind, n in counts.get(oid, Counter()).items()
            if kind not in (SourceKind.REPORT.value, SourceKind.CASE.value)
        }
        result[oid]["total"] = sum(counts.get(oid, Counter()).values())
    return result


def _text_filter(fields: tuple[str, ...], terms: list[str]) -> Q:
    q = Q()
    for term in terms:
        for field in fields:
            q |= Q(**{f"{field}__icontains": term})
    return q


@login_required
def search(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    q = request.GET.get("q", "").strip()[:MAX_QUERY]
    context: dict[str, Any] = {"q": q}
    if not q:
        return render(request, "search.html", context)
    norm = unicodedata.normalize("NFKC", q).strip()
    detected, matches = _observable_matches(q, norm)
    seen = _where_seen(user, [o for o, _exact in matches])
    observables = [
        {"observable": o, "exact": exact, "shown": display_value(o.type, o.value), **seen[o.pk]}
        for o, exact in matches
    ]
    terms = list(dict.fromkeys([q, norm] + ([detected.value] if detected is not None else [])))
    reports = (
        reports_visible_to(user)
        .filter(
            _text_filter(
                (
                    "number",
                    "narrative",
                    "reporter_name",
                    "victim_name",
                    "reporter_contact",
                    "victim_contact",
                    "items__text",
                ),
                terms,
            )
        )
        .select_related(*_REPORT_RELATED)
        .distinct()
        .order_by("-received_at")[:50]
    )
    cases = (
        cases_visible_to(user)
        .filter(_text_filter(("number", "title", "summary"), terms))
        .select_related("case_type", "lead_department")
        .distinct()
        .order_by("-opened_at")[:50]
    )
    context.update(
        {
            "detected": detected,
            "detected_label": dict(ObservableType.choices).get(str(detected.type), "")
            if detected
            else "",
            "detected_shown": display_value(str(detected.type), detected.value) if detected else "",
            "observables": observables,
            "reports": reports,
            "cases": cases,
            "closed": ReportStatus.CLOSED,
        }
    )
    return render(request, "search.html", context)
