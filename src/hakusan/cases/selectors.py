"""Permission-aware reads of cases (need-to-know): members, the lead department's supervisors,
the cyber division's analysts, and administrators."""

from dataclasses import dataclass

from django.db.models import F, Q, QuerySet
from django.http import Http404

from hakusan.core.access import SEES_ALL_REPORTS, user_can
from hakusan.core.choices import Role
from hakusan.core.models import User
from hakusan.indicators.choices import SourceKind
from hakusan.indicators.models import Observable
from hakusan.indicators.selectors import seen_elsewhere, sightings_of, sources_sharing
from hakusan.intake.models import Report

from .choices import TaskStatus
from .models import Case, Task


def cases_visible_to(user: User) -> QuerySet[Case]:
    if not getattr(user, "is_authenticated", False):
        return Case.objects.none()
    if user_can(user, SEES_ALL_REPORTS):
        return Case.objects.all()
    q = Q(members__user=user)
    if user.role == Role.SUPERVISOR and user.department_id is not None:
        q |= Q(lead_department_id=user.department_id)
    if user.role == Role.ANALYST and user.department and user.department.is_cyber_division:
        return Case.objects.all()
    return Case.objects.filter(pk__in=Case.objects.filter(q).values("pk"))


def get_case(user: User, pk: int | str) -> Case:
    try:
        return (
            cases_visible_to(user)
            .select_related("case_type", "lead_department", "opened_by")
            .get(pk=pk)
        )
    except (Case.DoesNotExist, ValueError):
        raise Http404("case not found") from None


def case_observables(case: Case) -> list[tuple[Observable, int]]:
    """The case's observables with how many other sources saw each ("seen elsewhere"). The
    case's own reports are not "elsewhere"."""
    own_reports = case.reports.values_list("pk", flat=True)
    rows = seen_elsewhere(SourceKind.CASE, case.pk, also_here={SourceKind.REPORT: own_reports})
    return [(row.observable, row.elsewhere) for row in rows]


@dataclass
class RelatedCase:
    case: Case
    linked: bool  # the case was opened from the report
    shared: int = 0  # observables the case shares with the report


def related_cases(user: User, report: Report, limit: int = 20) -> list[RelatedCase]:
    """Visible cases opened from the report, then (newest first) visible cases sharing one of
    its observables."""
    visible = cases_visible_to(user).select_related("case_type")
    rows: dict[int, RelatedCase] = {}
    for case in visible.filter(reports=report):
        rows[case.pk] = RelatedCase(case, linked=True)
    ids = sightings_of(SourceKind.REPORT, report.pk).values_list("observable_id", flat=True)
    sharing = sources_sharing(list(ids), SourceKind.CASE)
    if sharing:
        for case in visible.filter(pk__in=list(sharing)[:1000]).order_by("-opened_at")[:limit]:
            row = rows.setdefault(case.pk, RelatedCase(case, linked=False))
            row.shared = len(sharing[case.pk])
    return list(rows.values())


def open_tasks_for(user: User) -> QuerySet[Task]:
    """Open tasks assigned to the user in cases the user may see, by deadline."""
    return (
        Task.objects.filter(assignee=user, status=TaskStatus.OPEN, case__in=cases_visible_to(user))
        .select_related("case")
        .order_by(F("due_at").asc(nulls_last=True), "id")
    )


def can_edit(user: User, case: Case) -> bool:
    """Members, the lead department's supervisors and admins change a case; others read."""
    if user_can(user, SEES_ALL_REPORTS):
        return True
    if case.members.filter(user=user).exists():
        return True
    return user.role == Role.SUPERVISOR and user.department_id == case.lead_department_id
