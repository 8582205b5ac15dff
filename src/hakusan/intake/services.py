"""Intake writes: filing reports (with extraction and triage), attachments, triage decisions,
routing, escalation and model training. Each service is one transaction and audited."""

import hashlib
import logging
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import File
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hakusan.core import audit
from hakusan.core.models import Department, User
from hakusan.core.services import reserve_numbers
from hakusan.domain.intake import ReportDraft
from hakusan.domain.observables import Extracted, extract
from hakusan.domain.routing import ReportFacts, RuleSpec, choose_route
from hakusan.domain.triage import LearnedTriager, TriageInput, TriageResult
from hakusan.indicators.choices import SourceKind
from hakusan.indicators.services import (
    protect_personal_data,
    record_sightings,
    sightings_from_extracted,
)

from . import triage
from .choices import ItemKind, ReportStatus, RoutingStepKind
from .models import (
    Attachment,
    Category,
    Report,
    ReportItem,
    RoutingRule,
    RoutingStep,
    TriageDecision,
    TriageModel,
)

log = logging.getLogger(__name__)


def report_text(narrative: str, items: Iterable[str]) -> str:
    """The text triage and extraction read: the narrative, then each item on its own line."""
    return "\n".join([narrative, *items])


def classify_item(text: str, found: Sequence[Extracted]) -> str:
    types = {str(e.type) for e in found}
    head = text.lstrip()[:40].lower()
    if head.startswith(("received:", "from:", "return-path:", "message-id:", "subject:")):
        return ItemKind.MAIL_HEADER
    if "url" in types or "domain" in types:
        return ItemKind.URL
    if types & {"btc", "eth"}:
        return ItemKind.WALLET
    if "phone" in types:
        return ItemKind.SMS_SENDER
    if any(word in text for word in ("口座", "銀行", "支店", "普通", "当座")):
        return ItemKind.ACCOUNT
    return ItemKind.OTHER


@dataclass(frozen=True)
class Filed:
    report: Report
    observables: list[Extracted]
    suggestion: TriageResult


def _suggestion_json(result: TriageResult) -> dict:
    return {
        "category": result.category,
        "needs_cyber": result.needs_cyber,
        "scores": {
            k: round(v, 4) for k, v in sorted(result.scores.items(), key=lambda kv: -kv[1])[:5]
        },
        "reasons": [
            {
                "kind": r.kind,
                "detail": r.detail,
                "weight": round(r.weight, 3),
                "category": r.category,
            }
            for r in result.reasons
        ],
        "source": result.source,
    }


def _department_for(user: User, station_code: str = "") -> Department:
    if station_code:
        try:
            return Department.objects.get(code=station_code)
        except Department.DoesNotExist:
            raise ValidationError(
                {"station_code": _("unknown department code %(code)s") % {"code": station_code}}
            ) from None
    if user.department_id is None:
        raise ValidationError(_("your account has no department: ask an administrator"))
    return user.department  # type: ignore[return-value]


def _extract_all(draft: ReportDraft) -> tuple[list[tuple[str, list[Extracted]]], list[Extracted]]:
    """Observables of the narrative and of each item (offsets are per text)."""
    found = list(extract(draft.narrative))
    items = []
    for text in draft.items:
        item_found = extract(text)
        found.extend(item_found)
        items.append((text, item_found))
    return items, found


def _contact_keys(draft: ReportDraft) -> set[tuple[str, str]]:
    """The reporter's and victim's own e-mail addresses and phone numbers, canonical."""
    text = "\n".join(c for c in (draft.reporter_contact, draft.victim_contact) if c)
    return {(str(e.type), e.value) for e in extract(text)} if text else set()


def _triage_input(draft: ReportDraft, found: Sequence[Extracted]) -> TriageInput:
    return TriageInput(
        text=report_text(draft.narrative, draft.items),
        observable_types=frozenset(str(e.type) for e in found),
        damage_amount=draft.damage_amount,
        victim_kind=draft.victim_kind,
    )


def _new_report(
    user: User,
    draft: ReportDraft,
    department: Department,
    number: str,
    result: TriageResult,
    categories: dict[str, Category],
) -> Report:
    return Report(
        number=number,
        channel=draft.channel,
        kind=draft.kind,
        received_at=draft.received_at or timezone.now(),
        received_by=user,
        receiving_department=department,
        reporter_name=draft.reporter_name,
        reporter_contact=draft.reporter_contact,
        victim_kind=draft.victim_kind,
        victim_name=draft.victim_name,
        victim_contact=draft.victim_contact,
        victim_org_size=draft.victim_org_size,
        victim_industry=draft.victim_industry,
        narrative=draft.narrative,
        occurred_at=draft.occurred_at,
        damage_amount=draft.damage_amount,
        damage_from=draft.damage_from,
        damage_to=draft.damage_to,
        external_ref=draft.external_ref,
        suggested_category=categories.get(result.category or ""),
        suggested_needs_cyber=result.needs_cyber,
        suggestion=_suggestion_json(result),
        status=ReportStatus.NEW,
    )


def _number(year: int, seq: int) -> str:
    return f"R{year}-{seq:06d}"


def create_report(
    user: User,
    draft: ReportDraft,
    *,
    department: Department | None = None,
    attachments: Iterable[File] = (),
    tlp: str = "amber",
) -> Filed:
    """File one report: store it, extract its observables, suggest its triage."""
    department = department or _department_for(user, draft.station_code)
    attachments = list(attachments)
    for upload in attachments:  # refuse before anything is written, files included
        _check_size(upload)
    categories = {c.code: c for c in Category.objects.all()}
    items, found = _extract_all(draft)
    result = triage.suggest(_triage_input(draft, found))
    with transaction.atomic():
        number = _number(timezone.localdate().year, reserve_numbers("report"))
        report = _new_report(user, draft, department, number, result, categories)
        report.tlp = tlp
        report.full_clean(exclude=["number", "received_by", "receiving_department"])
        report.save()
        ReportItem.objects.bulk_create(
            [ReportItem(report=report, kind=classify_item(text, f), text=text) for text, f in items]
        )
        record_sightings(
            sightings_from_extracted(
                SourceKind.REPORT, report.pk, found, seen_at=report.received_at, tlp=report.tlp
            ),
            user=user,
        )
        protect_personal_data(
            _contact_keys(draft), user=user, reason=f"reporter/victim contact in {report.number}"
        )
        for upload in attachments:
            add_attachment(report, user, upload)
        if draft.category_code:
            _confirm(report, user, draft.category_code, result.needs_cyber, categories)
        audit.record(
            user, "create", report, detail={"number": report.number, "observables": len(found)}
        )
    return Filed(report, found, result)


_RELATIONS = [f.name for f in Report._meta.fields if f.is_relation] + ["number"]


def create_reports_bulk(
    user: User,
    drafts: Sequence[ReportDraft],
    *,
    department: Department | None = None,
    import_keys: Sequence[str] | None = None,
) -> list[Report]:
    """File many reports in one transaction (the import job's unit of work). Raises
    ValidationError naming the field when any report is invalid; nothing is stored then.
    ``import_keys`` (one per draft) are stored with them; see :func:`import_report_rows`."""
    if not drafts:
        return []
    if import_keys is not None and len(import_keys) != len(drafts):
        raise ValueError("one import key per draft")
    categories = {c.code: c for c in Category.objects.all()}
    departments = {d.code: d for d in Department.objects.all()}
    extracted = [_extract_all(d) for d in drafts]
    results = triage.suggest_many(
        [_triage_input(d, f) for d, (_items, f) in zip(drafts, extracted, strict=True)]
    )
    year = timezone.localdate().year
    with transaction.atomic():
        first = reserve_numbers("report", len(drafts))
        new = []
        for i, (draft, result) in enumerate(zip(drafts, results, strict=True)):
            if draft.station_code and draft.station_code not in departments and not department:
                raise ValidationError(
                    {
                        "station_code": _("unknown department code %(code)s")
                        % {"code": draft.station_code}
                    }
                )
            dept = department or departments.get(draft.station_code) or _department_for(user)
            report = _new_report(user, draft, dept, _number(year, first + i), result, categories)
            if import_keys is not None:
                report.import_key = import_keys[i]
            # Field lengths and choices: a bad row is a ValidationError, never a DataError.
            # Relations are ours (not user input): skip their one-query-per-row checks.
            report.clean_fields(exclude=_RELATIONS)
            new.append(report)
        reports = Report.objects.bulk_create(new)
        ReportItem.objects.bulk_create(
            [
                ReportItem(report=r, kind=classify_item(text, f), text=text)
                for r, (items, _found) in zip(reports, extracted, strict=True)
                for text, f in items
            ]
        )
        sightings = []
        for r, (_items, found) in zip(reports, extracted, strict=True):
            sightings.extend(
                sightings_from_extracted(
                    SourceKind.REPORT, r.pk, found, seen_at=r.received_at, tlp=r.tlp
                )
            )
        record_sightings(sightings, user=user)
        protect_personal_data(
            set().union(*(_contact_keys(d) for d in drafts)),
            user=user,
            reason=f"reporter/victim contacts in {reports[0].number} … {reports[-1].number}",
        )
        decisions = [
            _decision(r, user, d.category_code, res.needs_cyber, report_text(d.narrative, d.items))
            for r, d, res in zip(reports, drafts, results, strict=True)
            if d.category_code in categories
        ]
        for dec in decisions:
            r = dec.report
            r.category = categories[dec.confirmed_category]
            r.needs_cyber = dec.confirmed_needs_cyber
            r.triaged_by, r.triaged_at, r.status = user, dec.decided_at, ReportStatus.TRIAGED
        Report.objects.bulk_update(
            [d.report for d in decisions],
            ["category", "needs_cyber", "triaged_by", "triaged_at", "status"],
        )
        TriageDecision.objects.bulk_create(decisions)
        audit.record(
            user,
            "import",
            object_type="intake.report",
            detail={"count": len(reports), "first": reports[0].number, "last": reports[-1].number},
        )
    return reports


@dataclass(frozen=True)
class RowsImported:
    """One batch of an import: the reports filed, and the rows skipped because their import
    key was already stored (index in the batch → number of the report filed earlier)."""

    reports: list[Report]
    skipped: dict[int, str]


def import_report_rows(
    user: User,
    drafts: Sequence[ReportDraft],
    keys: Sequence[str],
    *,
    department: Department | None = None,
) -> RowsImported:
    """File a batch of imported rows unless already filed: a row whose import key is stored
    (an earlier run of the same import, or a repeated external_ref) is skipped. One query per
    batch finds the stored keys; a concurrent import of the same rows that commits first is
    caught by the key's unique constraint, and the batch is checked again."""
    if len(keys) != len(drafts):
        raise ValueError("one import key per draft")
    for _attempt in range(3):
        stored = dict(
            Report.objects.filter(import_key__in=set(keys)).values_list("import_key", "number")
        )
        skipped: dict[int, str] = {}
        seen: dict[str, int] = {}
        for i, key in enumerate(keys):
            if key in stored:
                skipped[i] = stored[key]
            elif key in seen:  # repeated in this batch (same external_ref twice)
                skipped[i] = ""
            else:
                seen[key] = i
        fresh = [i for i in range(len(drafts)) if i not in skipped]
        try:
            reports = create_reports_bulk(
                user,
                [drafts[i] for i in fresh],
                department=department,
                import_keys=[keys[i] for i in fresh],
            )
        except IntegrityError:
            if not Report.objects.filter(import_key__in=[keys[i] for i in fresh]).exists():
                raise  # not the key: let the caller find the row
            continue  # another import filed some of these rows meanwhile
        # A repeat within the batch points at the report its first occurrence became.
        numbers = {keys[i]: r.number for i, r in zip(fresh, reports, strict=True)}
        for i in skipped:
            skipped[i] = skipped[i] or numbers[keys[i]]
        return RowsImported(reports, skipped)
    raise IntegrityError("import keys kept colliding with a concurrent import")


def _check_size(upload: File) -> int:
    limit = settings.HAKUSAN_MAX_ATTACHMENT_BYTES
    size = upload.size or 0
    if size > limit:
        raise ValidationError(
            {
                "attachments": _("%(name)s is %(size)d bytes; the limit is %(limit)d bytes")
                % {"name": upload.name, "size": size, "limit": limit}
            }
        )
    return size


def add_attachment(report: Report, user: User, upload: File) -> Attachment:
    """Store an evidence file with its SHA-256. Too-large files are refused, nothing else."""
    size = _check_size(upload)
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    original = Path(upload.name or "file").name[:255]
    attachment = Attachment(
        report=report,
        filename=original,
        size=size,
        declared_type=getattr(upload, "content_type", "") or "",
        sha256=digest.hexdigest(),
        uploaded_by=user,
    )
    # Stored under a random name with no extension: never executable, never guessable.
    attachment.file.save(secrets.token_hex(16), upload, save=False)
    attachment.save()
    audit.record(
        user, "attach", report, detail={"file": original, "sha256": attachment.sha256, "size": size}
    )
    return attachment


def _decision(
    report: Report, user: User, category_code: str, needs_cyber: bool, text: str
) -> TriageDecision:
    return TriageDecision(
        report=report,
        suggested_category=report.suggestion.get("category") or "",
        confirmed_category=category_code,
        suggested_needs_cyber=report.suggested_needs_cyber,
        confirmed_needs_cyber=needs_cyber,
        text=text,
        decided_by=user,
        decided_at=timezone.now(),
    )


def _confirm(
    report: Report,
    user: User,
    category_code: str,
    needs_cyber: bool,
    categories: dict[str, Category],
) -> TriageDecision:
    if category_code not in categories:
        raise ValidationError(
            {"category": _("unknown category %(code)s") % {"code": category_code}}
        )
    text = report_text(report.narrative, [i.text for i in report.items.all()])
    decision = _decision(report, user, category_code, needs_cyber, text)
    decision.save()
    report.category = categories[category_code]
    report.needs_cyber = needs_cyber
    report.triaged_by = user
    report.triaged_at = decision.decided_at
    if report.status == ReportStatus.NEW:
        report.status = ReportStatus.TRIAGED
    report.save(
        update_fields=[
            "category",
            "needs_cyber",
            "triaged_by",
            "triaged_at",
            "status",
            "updated_at",
        ]
    )
    return decision


def confirm_triage(
    report: Report, user: User, category_code: str, needs_cyber: bool
) -> TriageDecision:
    """The officer confirms or corrects the suggestion; kept as training data."""
    categories = {c.code: c for c in Category.objects.all()}
    with transaction.atomic():
        decision = _confirm(report, user, category_code, needs_cyber, categories)
        audit.record(
            user,
            "triage",
            report,
            detail={
                "suggested": decision.suggested_category,
                "confirmed": category_code,
                "needs_cyber": needs_cyber,
                "corrected": decision.corrected,
            },
        )
    return decision


def _facts(report: Report) -> ReportFacts:
    from hakusan.indicators.selectors import observables_of

    types = frozenset(o.type for o in observables_of(SourceKind.REPORT, report.pk))
    category = report.category or report.suggested_category
    needs = report.needs_cyber if report.needs_cyber is not None else report.suggested_needs_cyber
    return ReportFacts(
        category=category.code if category else None,
        needs_cyber=bool(needs),
        observable_types=types,
        damage_amount=report.damage_amount,
        victim_kind=report.victim_kind,
    )


def _rule_specs() -> list[RuleSpec]:
    return [
        RuleSpec(
            rule_id=r.pk,
            name=r.name,
            priority=r.priority,
            target=r.target_department.code,
            sla_hours=r.sla_hours,
            category=r.category.code if r.category else None,
            needs_cyber=r.needs_cyber,
            observable_type=r.observable_type or None,
            min_damage=r.min_damage,
            victim_kind=r.victim_kind or None,
        )
        for r in RoutingRule.objects.filter(active=True).select_related(
            "category", "target_department"
        )
    ]


@dataclass(frozen=True)
class RouteProposal:
    department: Department
    sla_hours: int
    rule: RoutingRule | None
    reasons: tuple[str, ...]


def propose_route(report: Report) -> RouteProposal:
    """What the routing rules say for this report (shown before the officer routes it)."""
    decision = choose_route(_rule_specs(), _facts(report))
    if decision is None:
        facts = _facts(report)
        if facts.needs_cyber:
            dept = Department.objects.filter(is_cyber_division=True).order_by("id").first()
            if dept is not None:
                return RouteProposal(
                    dept,
                    settings.HAKUSAN_DEFAULT_SLA_HOURS,
                    None,
                    ("needs_cyber=True (no rule matched)",),
                )
        return RouteProposal(
            report.receiving_department,
            settings.HAKUSAN_DEFAULT_SLA_HOURS,
            None,
            ("no rule matched: stays with the receiving department",),
        )
    rule = RoutingRule.objects.select_related("target_department").get(pk=decision.rule_id)
    return RouteProposal(
        rule.target_department, decision.sla_hours, rule, (rule.name, *decision.reasons)
    )


def route_report(
    report: Report,
    user: User,
    *,
    department: Department | None = None,
    sla_hours: int | None = None,
    reason: str = "",
) -> RoutingStep:
    """Send the report to a department with a deadline. Without a department, the rules
    decide. Every step is recorded: who, when, why."""
    proposal = propose_route(report)
    rule = proposal.rule if department is None or department == proposal.department else None
    target = department or proposal.department
    hours = sla_hours or (
        proposal.sla_hours if rule or department is None else settings.HAKUSAN_DEFAULT_SLA_HOURS
    )
    why = reason.strip() or "; ".join(
        proposal.reasons if department is None or rule else ("manual",)
    )
    now = timezone.now()
    with transaction.atomic():
        step = RoutingStep.objects.create(
            report=report,
            kind=RoutingStepKind.ROUTE,
            at=now,
            by=user,
            from_department=report.assigned_department or report.receiving_department,
            to_department=target,
            rule=rule,
            reason=why,
            due_at=now + timedelta(hours=hours),
        )
        report.assigned_department = target
        report.due_at = step.due_at
        report.accepted_at = None
        report.escalated_at = None
        if report.status in (ReportStatus.NEW, ReportStatus.TRIAGED):
            report.status = ReportStatus.ROUTED
        report.save(
            update_fields=[
                "assigned_department",
                "due_at",
                "accepted_at",
                "escalated_at",
                "status",
                "updated_at",
            ]
        )
        audit.record(
            user, "route", report, detail={"to": target.code, "due": step.due_at, "reason": why}
        )
    return step


def accept_report(report: Report, user: User) -> RoutingStep:
    """The assigned department takes the report up: the deadline is met."""
    assigned = report.assigned_department
    if assigned is None:
        raise ValidationError(_("the report has not been routed yet"))
    if user.department_id != report.assigned_department_id and not user.is_superuser:
        raise ValidationError(_("only the assigned department can accept the report"))
    if report.accepted_at is not None:
        raise ValidationError(_("the report has already been accepted"))
    now = timezone.now()
    with transaction.atomic():
        step = RoutingStep.objects.create(
            report=report,
            kind=RoutingStepKind.ACCEPT,
            at=now,
            by=user,
            from_department=assigned,
            to_department=assigned,
            reason="accepted",
        )
        report.accepted_at = now
        report.save(update_fields=["accepted_at", "updated_at"])
        audit.record(user, "accept", report)
    return step


def escalate_overdue(now: datetime | None = None) -> int:
    """Flag routed reports whose deadline passed without acceptance; record a step for each."""
    now = now or timezone.now()
    overdue = Report.objects.filter(
        due_at__lt=now,
        accepted_at__isnull=True,
        escalated_at__isnull=True,
        assigned_department__isnull=False,
    )
    count = 0
    with transaction.atomic():
        for report in overdue.select_for_update():
            assigned = report.assigned_department
            assert assigned is not None  # filtered above
            RoutingStep.objects.create(
                report=report,
                kind=RoutingStepKind.ESCALATE,
                at=now,
                by=None,
                from_department=assigned,
                to_department=assigned,
                reason=f"deadline {report.due_at:%Y-%m-%d %H:%M} UTC passed without acceptance",
            )
            report.escalated_at = now
            report.save(update_fields=["escalated_at", "updated_at"])
            audit.record(None, "escalate", report, detail={"due": report.due_at})
            count += 1
    return count


def train_triage_model(user: User | None = None, *, holdout: float = 0.2) -> TriageModel:
    """Train on confirmed decisions (oldest first); judge on the newest ``holdout`` share."""
    rows = list(
        TriageDecision.objects.order_by("decided_at", "id").values_list(
            "text", "confirmed_category"
        )
    )
    texts = [t for t, _ in rows]
    labels = [c for _, c in rows]
    cut = max(1, int(len(rows) * (1 - holdout)))
    metrics: dict = {}
    if len(rows) - cut >= 10:
        trial = LearnedTriager.train(texts[:cut], labels[:cut])
        metrics = trial.evaluate(texts[cut:], labels[cut:])
    model = LearnedTriager.train(texts, labels)
    directory = Path(settings.MODEL_DIR)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"triage-{timezone.now():%Y%m%dT%H%M%S}-{secrets.token_hex(4)}.joblib"
    model.save(path)
    with transaction.atomic():
        TriageModel.objects.filter(active=True).update(active=False)
        record = TriageModel.objects.create(
            path=str(path),
            trained_at=timezone.now(),
            n_samples=len(rows),
            metrics=metrics,
            active=True,
        )
        audit.record(user, "train", record, detail={"samples": len(rows), "metrics": metrics})
    return record
