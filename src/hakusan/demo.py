"""Fictional demo data: departments, one user per role, a few hundred reports with triage and
routing, cases (a ransomware case with its first-response record) and a trained triage model.
Everything goes through the services, as a user would."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from hakusan.cases import services as case_services
from hakusan.cases.models import CaseType
from hakusan.core.choices import DepartmentKind, Role
from hakusan.core.models import Department, User
from hakusan.core.services import create_department, create_user
from hakusan.domain.demo import ReportSample, generate_reports
from hakusan.domain.intake import ReportDraft
from hakusan.intake import services as intake_services
from hakusan.intake.models import Report

DEMO_PASSWORD = "hakusan-demo-2026"

STATIONS = [
    ("kanazawa-chuo", "金沢中警察署"),
    ("kanazawa-higashi", "金沢東警察署"),
    ("kanazawa-nishi", "金沢西警察署"),
    ("hakusan", "白山警察署"),
    ("komatsu", "小松警察署"),
    ("nanao", "七尾警察署"),
]


@dataclass(frozen=True)
class DemoUser:
    username: str
    role: str
    department: str
    last_name: str
    first_name: str


DEMO_USERS = [
    DemoUser("uketsuke", Role.RECEPTION, "kanazawa-chuo", "受付", "一郎"),
    DemoUser("bunseki", Role.ANALYST, "cyber", "分析", "花子"),
    DemoUser("sousa", Role.INVESTIGATOR, "cyber", "捜査", "次郎"),
    DemoUser("kanbu", Role.SUPERVISOR, "cyber", "幹部", "三郎"),
    DemoUser("csirt", Role.CSIRT, "cyber", "情報", "四郎"),
    DemoUser("kanri", Role.ADMIN, "cyber", "管理", "五郎"),
]


def is_loaded() -> bool:
    return User.objects.filter(username=DEMO_USERS[0].username).exists()


def _draft(sample: ReportSample, confirmed: bool) -> ReportDraft:
    return ReportDraft(
        channel=sample.channel,
        kind=sample.kind,
        narrative=sample.narrative,
        received_at=sample.occurred_at + timedelta(hours=6),
        occurred_at=sample.occurred_at,
        reporter_name=sample.reporter_name,
        reporter_contact=sample.reporter_contact,
        victim_kind=sample.victim_kind,
        victim_name=sample.victim_name,
        victim_org_size=sample.victim_org_size,
        victim_industry=sample.victim_industry,
        damage_amount=sample.damage_amount,
        items=sample.items,
        category_code=sample.category if confirmed else "",
    )


def load_demo(reports: int = 400, progress: Callable[[str], None] = print) -> None:
    if is_loaded():
        progress("demo data already loaded")
        return
    progress("departments and users")
    cyber = Department.objects.get(is_cyber_division=True)
    depts = {"cyber": cyber}
    for code, name in STATIONS:
        depts[code] = create_department(code, name, DepartmentKind.STATION)
    users = {
        u.username: create_user(
            u.username,
            DEMO_PASSWORD,
            role=u.role,
            department=depts[u.department],
            last_name=u.last_name,
            first_name=u.first_name,
            validate=False,
            is_superuser=u.role == Role.ADMIN,
        )
        for u in DEMO_USERS
    }
    officer = users["uketsuke"]
    progress(f"{reports} fictional reports (with extraction and triage)")
    samples = list(generate_reports(reports, seed=2026, start=timezone.now() - timedelta(days=120)))
    # Older reports come confirmed (training data); the newest wait in the queue.
    confirmed = int(len(samples) * 0.85)
    station_codes = [code for code, _ in STATIONS]
    for start in range(0, len(samples), 100):
        chunk = samples[start : start + 100]
        for i, sample in enumerate(chunk):
            dept = depts[station_codes[(start + i) % len(station_codes)]]
            intake_services.create_reports_bulk(
                officer, [_draft(sample, start + i < confirmed)], department=dept
            )
    progress("routing and escalation")
    triaged = list(Report.objects.filter(status="triaged").order_by("received_at"))
    for report in triaged[-60:]:
        intake_services.route_report(report, officer)
    for report in triaged[-60:-45]:
        report.refresh_from_db()
        if report.assigned_department_id == cyber.pk:
            intake_services.accept_report(report, users["bunseki"])
    # A few overdue reports so the supervisor's dashboard has something to show.
    Report.objects.filter(pk__in=[r.pk for r in triaged[-45:-40]]).update(
        due_at=timezone.now() - timedelta(hours=3)
    )
    intake_services.escalate_overdue()
    progress("cases")
    _demo_cases(users, cyber)
    progress("triage model")
    intake_services.train_triage_model(users["kanri"])


def _demo_cases(users: dict[str, User], cyber: Department) -> None:
    analyst, investigator = users["bunseki"], users["sousa"]
    for code, title in (
        ("ransomware", "製造業A社 ランサムウェア被害"),
        ("phishing", "宅配業者を装うフィッシングSMS(連続)"),
        ("support_scam", "サポート詐欺 遠隔操作被害"),
    ):
        reports = list(Report.objects.filter(category__code=code).order_by("-received_at")[:3])
        if not reports:
            continue
        with transaction.atomic():
            case = case_services.open_case(
                analyst,
                reports=reports,
                case_type=CaseType.objects.get(code=code),
                title=title,
                lead_department=cyber,
                members=[investigator],
            )
            case_services.change_status(case, analyst, "investigating")
            case_services.add_note(case, investigator, "被害企業の担当者と電話で状況を確認した。")
            if code == "ransomware":
                case_services.update_ransomware_record(
                    case,
                    analyst,
                    {
                        "method": "double_extortion",
                        "ransom_demanded": True,
                        "ransom_payment_means": "暗号資産(BTC)",
                        "infection_route": "vpn",
                        "patch_state": "not_applied",
                        "backup_state": "encrypted",
                        "logs_preserved": True,
                        "devices_kept_powered": True,
                    },
                )
            first = case.tasks.order_by("order").first()
            if first is not None:
                case_services.update_task(first, analyst, status="done")
