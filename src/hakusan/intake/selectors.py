"""Permission-aware reads of reports. A report is visible to its receiving department, to the
departments it was routed to, to members of cases opened from it, and to administrators."""

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from hakusan.core.access import SEES_ALL_REPORTS, user_can
from hakusan.core.models import User
from hakusan.indicators.choices import SourceKind
from hakusan.indicators.models import Observable
from hakusan.indicators.selectors import observables_of, sources_sharing

from .choices import ReportStatus
from .models import Report, RoutingStep


def reports_visible_to(user: User) -> QuerySet[Report]:
    if not getattr(user, "is_authenticated", False):
        return Report.objects.none()
    if user_can(user, SEES_ALL_REPORTS):
        return Report.objects.all()
    from hakusan.cases.selectors import cases_visible_to

    case_reports = Report.cases.through.objects.filter(case__in=cases_visible_to(user)).values(
        "report_id"
    )
    q = Q(received_by=user) | Q(pk__in=case_reports)
    if user.department_id is not None:
        routed = RoutingStep.objects.filter(to_department_id=user.department_id).values("report_id")
        q |= (
            Q(receiving_department_id=user.department_id)
            | Q(assigned_department_id=user.department_id)
            | Q(pk__in=routed)
        )
    return Report.objects.filter(q)


def get_report(user: User, pk: int | str) -> Report:
    try:
        return (
            reports_visible_to(user)
            .select_related(
                "category",
                "suggested_category",
                "receiving_department",
                "assigned_department",
                "received_by",
                "triaged_by",
            )
            .get(pk=pk)
        )
    except (Report.DoesNotExist, ValueError):
        raise Http404("report not found") from None


def get_report_by_number(user: User, number: str) -> Report:
    report = reports_visible_to(user).filter(number=number).first()
    if report is None:
        raise Http404("report not found")
    return report


def filter_reports(
    reports: QuerySet[Report],
    *,
    q: str = "",
    status: str = "",
    category: Any = None,
    channel: str = "",
    department: Any = None,
    overdue: bool = False,
) -> QuerySet[Report]:
    """The report list's filters (UI and API): text in the number, narrative, reporter or
    victim; status, category, channel, assigned department; routed and past the deadline."""
    if q:
        q = q.strip()
        reports = reports.filter(
            Q(number__icontains=q)
            | Q(narrative__icontains=q)
            | Q(reporter_name__icontains=q)
            | Q(victim_name__icontains=q)
        )
    if status:
        reports = reports.filter(status=status)
    if category:
        reports = reports.filter(category=category)
    if channel:
        reports = reports.filter(channel=channel)
    if department:
        reports = reports.filter(assigned_department=department)
    if overdue:
        reports = reports.filter(due_at__lt=timezone.now(), accepted_at__isnull=True)
    return reports


@dataclass
class Related:
    report: Report
    shared: list[Observable] = field(default_factory=list)
    same_person: list[str] = field(default_factory=list)


def related_reports(user: User, report: Report, limit: int = 20) -> list[Related]:
    """Other visible reports sharing an observable, or the same reporter or victim."""
    observables = {o.pk: o for o in observables_of(SourceKind.REPORT, report.pk)}
    sharing = sources_sharing(
        observables, SourceKind.REPORT, exclude=(SourceKind.REPORT, report.pk)
    )
    visible = reports_visible_to(user)
    related: dict[int, Related] = {}
    for other in visible.filter(pk__in=list(sharing)[:1000]).order_by("-received_at")[:limit]:
        related[other.pk] = Related(other, [observables[o] for o in sorted(sharing[other.pk])])
    people = Q()
    for field_name, value in (
        ("reporter_name", report.reporter_name),
        ("reporter_contact", report.reporter_contact),
        ("victim_name", report.victim_name),
        ("victim_contact", report.victim_contact),
    ):
        if value.strip():
            people |= Q(**{field_name: value}) | Q(**{_counterpart(field_name): value})
    if people:
        for other in visible.filter(people).exclude(pk=report.pk).order_by("-received_at")[:limit]:
            entry = related.setdefault(other.pk, Related(other))
            for field_name in (
                "reporter_name",
                "reporter_contact",
                "victim_name",
                "victim_contact",
            ):
                value = getattr(other, field_name)
                if value and value in (
                    report.reporter_name,
                    report.reporter_contact,
                    report.victim_name,
                    report.victim_contact,
                ):
                    entry.same_person.append(value)
    return sorted(related.values(), key=lambda r: r.report.received_at, reverse=True)[:limit]


def _counterpart(field_name: str) -> str:
    """A reporter in one report can be the victim in another."""
    return (
        field_name.replace("reporter", "victim")
        if "reporter" in field_name
        else field_name.replace("victim", "reporter")
    )


def queue_for(user: User) -> QuerySet[Report]:
    """Reports waiting for the user's department: routed there and not yet accepted, or
    received there and not yet routed."""
    if user.department_id is None:
        return Report.objects.none()
    dept = user.department_id
    return (
        reports_visible_to(user)
        .filter(
            Q(assigned_department_id=dept, accepted_at__isnull=True)
            | Q(
                receiving_department_id=dept,
                assigned_department__isnull=True,
                status__in=[ReportStatus.NEW, ReportStatus.TRIAGED],
            )
        )
        .exclude(status__in=[ReportStatus.CLOSED, ReportStatus.CASE_OPENED])
    )


def unrouted(user: User) -> QuerySet[Report]:
    return (
        reports_visible_to(user)
        .filter(assigned_department__isnull=True)
        .exclude(status__in=[ReportStatus.CLOSED, ReportStatus.CASE_OPENED])
    )


def overdue(user: User) -> QuerySet[Report]:
    return reports_visible_to(user).filter(due_at__lt=timezone.now(), accepted_at__isnull=True)
