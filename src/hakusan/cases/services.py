"""Case writes: opening from reports with a playbook, members, tasks, notes, status, the
ransomware record and linked observables. One transaction each, audited."""

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hakusan.core import audit
from hakusan.core.models import Department, User
from hakusan.core.services import reserve_numbers
from hakusan.domain.observables import InvalidObservable, detect
from hakusan.indicators.choices import SourceKind
from hakusan.indicators.services import SightingInput, copy_sightings, record_sightings
from hakusan.intake.choices import ReportStatus
from hakusan.intake.models import Report

from .choices import CaseStatus, MemberRole, TaskStatus, TimelineKind
from .models import Case, CaseMember, CaseType, PlaybookStep, RansomwareRecord, Task, TimelineEntry
from .playbooks import CASE_TYPES


def seed_case_types() -> None:
    """Create the seed case types and playbooks that do not exist yet (idempotent)."""
    for order, (code, name_ja, name_en, ransomware, steps) in enumerate(CASE_TYPES):
        case_type, created = CaseType.objects.get_or_create(
            code=code,
            defaults={
                "name_ja": name_ja,
                "name_en": name_en,
                "has_ransomware_record": ransomware,
                "order": order * 10,
            },
        )
        if created:
            PlaybookStep.objects.bulk_create(
                [
                    PlaybookStep(
                        case_type=case_type,
                        order=i * 10,
                        title_ja=t_ja,
                        title_en=t_en,
                        guidance_ja=g_ja,
                        guidance_en=g_en,
                        due_hours=hours,
                    )
                    for i, (t_ja, t_en, g_ja, g_en, hours) in enumerate(steps)
                ]
            )


def _note(
    case: Case,
    author: User | None,
    text: str,
    kind: str = TimelineKind.SYSTEM,
    at: datetime | None = None,
) -> TimelineEntry:
    return TimelineEntry.objects.create(
        case=case, author=author, kind=kind, text=text, at=at or timezone.now()
    )


def open_case(
    user: User,
    *,
    reports: Sequence[Report],
    case_type: CaseType,
    title: str,
    lead_department: Department | None = None,
    members: Iterable[User] = (),
    summary: str = "",
) -> Case:
    """Open a case from one or more reports: copy the playbook into tasks, link the reports'
    observables, and put the opener and members on the case."""
    title = title.strip()
    if not title:
        raise ValidationError({"title": _("a case needs a title")})
    lead = lead_department or user.department
    if lead is None:
        raise ValidationError({"lead_department": _("choose a lead department")})
    now = timezone.now()
    with transaction.atomic():
        number = f"C{timezone.localdate().year}-{reserve_numbers('case'):05d}"
        tlp = _strictest([r.tlp for r in reports]) if reports else "amber"
        case = Case.objects.create(
            number=number,
            title=title,
            case_type=case_type,
            lead_department=lead,
            summary=summary,
            tlp=tlp,
            opened_by=user,
            opened_at=now,
        )
        case.reports.set(reports)
        CaseMember.objects.create(case=case, user=user, role=MemberRole.LEAD)
        CaseMember.objects.bulk_create(
            [
                CaseMember(case=case, user=m, role=MemberRole.MEMBER)
                for m in members
                if m.pk != user.pk
            ],
            ignore_conflicts=True,
        )
        Task.objects.bulk_create(
            [
                Task(
                    case=case,
                    title=step.title_ja,
                    guidance=step.guidance_ja or step.guidance_en,
                    order=step.order,
                    from_playbook=True,
                    due_at=now + timedelta(hours=step.due_hours) if step.due_hours else None,
                )
                for step in PlaybookStep.objects.filter(case_type=case_type)
            ]
        )
        if case_type.has_ransomware_record:
            victim = reports[0] if reports else None
            RansomwareRecord.objects.create(
                case=case,
                org_size=victim.victim_org_size if victim else "",
                industry=victim.victim_industry if victim else "",
                updated_by=user,
            )
        copy_sightings(
            SourceKind.REPORT, [r.pk for r in reports], SourceKind.CASE, case.pk, tlp=tlp, user=user
        )
        Report.objects.filter(pk__in=[r.pk for r in reports]).update(
            status=ReportStatus.CASE_OPENED, updated_at=now
        )
        _note(
            case,
            user,
            _("Case opened from %(reports)s")
            % {"reports": ", ".join(r.number for r in reports) or "-"},
            at=now,
        )
        audit.record(
            user, "create", case, detail={"number": number, "reports": [r.number for r in reports]}
        )
    return case


_TLP_ORDER = ["clear", "green", "amber", "amber+strict", "red"]


def _strictest(levels: Iterable[str]) -> str:
    return max(levels, key=lambda level: _TLP_ORDER.index(level) if level in _TLP_ORDER else 2)


def add_member(case: Case, user: User, member: User, role: str = MemberRole.MEMBER) -> CaseMember:
    with transaction.atomic():
        obj, created = CaseMember.objects.get_or_create(
            case=case, user=member, defaults={"role": role}
        )
        if created:
            _note(case, user, _("%(name)s joined the case") % {"name": member.display_name})
            audit.record(user, "add_member", case, detail={"member": member.username})
    return obj


def add_task(
    case: Case,
    user: User,
    title: str,
    *,
    assignee: User | None = None,
    due_at: datetime | None = None,
    guidance: str = "",
) -> Task:
    if not title.strip():
        raise ValidationError({"title": _("a task needs a title")})
    with transaction.atomic():
        task = Task.objects.create(
            case=case,
            title=title.strip(),
            assignee=assignee,
            due_at=due_at,
            guidance=guidance,
            order=1000,
        )
        audit.record(user, "add_task", case, detail={"task": task.pk, "title": task.title})
    return task


def update_task(
    task: Task,
    user: User,
    *,
    status: str | None = None,
    assignee: User | bool | None = False,
    due_at: datetime | bool | None = False,
) -> Task:
    """Change a task's status, assignee or deadline (``False`` = leave as is)."""
    changes: dict[str, Any] = {}
    with transaction.atomic():
        if status is not None and status != task.status:
            if status not in TaskStatus.values:
                raise ValidationError({"status": _("unknown task status")})
            task.status = status
            done = status != TaskStatus.OPEN
            task.completed_at = timezone.now() if done else None
            task.completed_by = user if done else None
            changes["status"] = status
            _note(
                task.case,
                user,
                _("Task “%(title)s”: %(status)s")
                % {"title": task.title, "status": TaskStatus(status).label},
            )
        if assignee is not False:
            task.assignee = assignee if isinstance(assignee, User) else None
            changes["assignee"] = task.assignee.username if task.assignee else None
        if due_at is not False:
            task.due_at = due_at if isinstance(due_at, datetime) else None
            changes["due_at"] = task.due_at
        task.save()
        audit.record(user, "update_task", task.case, detail={"task": task.pk, **changes})
    return task


def add_note(
    case: Case, user: User, text: str, kind: str = TimelineKind.NOTE, at: datetime | None = None
) -> TimelineEntry:
    if not text.strip():
        raise ValidationError({"text": _("the note is empty")})
    with transaction.atomic():
        entry = _note(case, user, text.strip(), kind, at)
        audit.record(user, "note", case, detail={"entry": entry.pk})
    return entry


def change_status(case: Case, user: User, status: str) -> Case:
    if status not in CaseStatus.values:
        raise ValidationError({"status": _("unknown case status")})
    if status == case.status:
        return case
    with transaction.atomic():
        old = case.status
        case.status = status
        case.closed_at = timezone.now() if status == CaseStatus.CLOSED else None
        case.save(update_fields=["status", "closed_at", "updated_at"])
        _note(
            case,
            user,
            _("Status: %(old)s → %(new)s")
            % {"old": CaseStatus(old).label, "new": CaseStatus(status).label},
        )
        audit.record(user, "status", case, detail={"from": old, "to": status})
    return case


RANSOMWARE_FIELDS = (
    "org_size",
    "industry",
    "method",
    "ransom_demanded",
    "ransom_payment_means",
    "infection_route",
    "patch_state",
    "backup_state",
    "recovery_period",
    "cost_band",
    "logs_preserved",
    "devices_kept_powered",
    "server_data_preserved",
    "system_diagram_obtained",
    "ransom_note",
    "family",
)


def update_ransomware_record(case: Case, user: User, values: dict[str, Any]) -> RansomwareRecord:
    unknown = set(values) - set(RANSOMWARE_FIELDS)
    if unknown:
        raise ValidationError(_("unknown ransomware fields: %(f)s") % {"f": ", ".join(unknown)})
    with transaction.atomic():
        record, _created = RansomwareRecord.objects.get_or_create(case=case)
        for name, value in values.items():
            setattr(record, name, value)
        record.updated_by = user
        record.full_clean(exclude=["case"])
        record.save()
        audit.record(user, "ransomware_record", case, detail={"fields": sorted(values)})
    return record


def link_observable(case: Case, user: User, raw: str) -> str:
    """Link an observable typed by an analyst (any form: defanged, full-width)."""
    try:
        obs = detect(raw)
    except InvalidObservable as exc:
        raise ValidationError({"value": str(exc)}) from None
    with transaction.atomic():
        record_sightings(
            [
                SightingInput(
                    SourceKind.CASE,
                    case.pk,
                    str(obs.type),
                    obs.value,
                    raw.strip(),
                    timezone.now(),
                    case.tlp,
                )
            ],
            user=user,
        )
        audit.record(
            user, "link_observable", case, detail={"type": str(obs.type), "value": obs.value}
        )
    return obs.value
