"""Permission-aware reads of cases (need-to-know): members, the lead department's supervisors,
the cyber division's analysts, and administrators."""

from django.db.models import Q, QuerySet
from django.http import Http404

from hakusan.core.access import SEES_ALL_REPORTS, user_can
from hakusan.core.choices import Role
from hakusan.core.models import User
from hakusan.indicators.choices import SourceKind
from hakusan.indicators.models import Observable
from hakusan.indicators.selectors import observables_of, sighting_counts

from .models import Case


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
    """The case's observables with how many other sources saw each ("seen elsewhere")."""
    observables = observables_of(SourceKind.CASE, case.pk)
    counts = sighting_counts([o.pk for o in observables], exclude=(SourceKind.CASE, case.pk))
    # Reports of this case are not "elsewhere".
    own_reports = set(case.reports.values_list("pk", flat=True))
    from hakusan.indicators.models import Sighting

    own = {}
    for oid in Sighting.objects.filter(
        observable__in=observables, source_kind=SourceKind.REPORT, source_id__in=own_reports
    ).values_list("observable_id", flat=True):
        own[oid] = own.get(oid, 0) + 1
    return [(o, sum(counts.get(o.pk, {}).values()) - own.get(o.pk, 0)) for o in observables]


def can_edit(user: User, case: Case) -> bool:
    """Members, the lead department's supervisors and admins change a case; others read."""
    if user_can(user, SEES_ALL_REPORTS):
        return True
    if case.members.filter(user=user).exists():
        return True
    return user.role == Role.SUPERVISOR and user.department_id == case.lead_department_id
