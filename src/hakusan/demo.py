"""Fictional demo data: departments, one user per role, a few hundred reports with triage and
routing, cases (a ransomware case with its first-response record), a trained triage model, and
sharing: partners with tokens, a fictional indicator feed (phishing URLs, C2 hosts) and a
partner's STIX bundle waiting for review. Everything goes through the services, as a user
would."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from hakusan.cases import services as case_services
from hakusan.cases.models import CaseType
from hakusan.core.choices import DepartmentKind, Role
from hakusan.core.models import Department, User
from hakusan.core.services import create_department, create_user
from hakusan.domain.demo import ReportSample, generate_reports
from hakusan.domain.indicators import IndicatorRow
from hakusan.domain.intake import ReportDraft
from hakusan.indicators import services as indicator_services
from hakusan.intake import services as intake_services
from hakusan.intake.models import Report
from hakusan.partners import services as partner_services
from hakusan.partners.choices import DataKind, PartnerKind
from hakusan.sharing import services as sharing_services

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


@dataclass(frozen=True)
class DemoPartner:
    name: str
    kind: str
    max_tlp: str
    receives: list[str] = field(default_factory=list)
    can_write: bool = False


DEMO_PARTNERS = [
    DemoPartner(
        "石川県内 共同対処協定企業 (デモ)",
        PartnerKind.COMPANY,
        "green",
        [DataKind.INDICATORS, DataKind.PHISHING],
    ),
    DemoPartner("デモ・セキュリティベンダー", PartnerKind.VENDOR, "clear", [DataKind.PHISHING]),
    DemoPartner(
        "デモ県警察",
        PartnerKind.PREFECTURE,
        "amber",
        [DataKind.INDICATORS, DataKind.PHISHING, DataKind.C2],
        can_write=True,
    ),
]
DEMO_SOURCE = "デモ脅威情報フィード"
# (TLP, type, value, tags): fictional. example.jp hosts are on no warninglist, so they reach
# the feeds; example.com/.net hosts (Tranco top sites) and RFC 5737 addresses are flagged by
# the warninglists and kept out of every feed (a URL with its own path on such a host is not
# flagged): the demo shows both. The CLEAR rows are what the TLP:CLEAR vendor receives.
DEMO_INDICATORS: list[tuple[str, str, str, tuple[str, ...]]] = [
    (
        "green",
        "url",
        "https://login.demo-bank.example.jp/ib/signin",
        ("phishing", "brand:デモ銀行"),
    ),
    (
        "green",
        "url",
        "https://www_demo-bank.co.jp.example.jp/login",
        ("phishing", "brand:デモ銀行"),
    ),
    (
        "green",
        "url",
        "https://demo-card-verify.example.jp/member/",
        ("phishing", "brand:デモカード"),
    ),
    (
        "green",
        "url",
        "https://secure-demo-card.example.com/verify",
        ("phishing", "brand:デモカード"),
    ),
    (
        "clear",
        "url",
        "http://redelivery.demo-takuhai.example.jp/track",
        ("phishing", "brand:デモ宅配便"),
    ),
    ("clear", "url", "https://demo-takuhai-fee.example.jp/pay", ("phishing", "brand:デモ宅配便")),
    ("green", "domain", "c2-panel.example.jp", ("c2",)),
    ("green", "domain", "update-check.example.jp", ("c2",)),
    ("green", "domain", "c2.example.net", ("c2",)),
    ("green", "ipv4", "198.51.100.23", ("c2",)),
]


def _demo_bundle() -> dict:
    """A small STIX 2.1 bundle as a partner would post it."""
    stamp = "2026-01-05T01:00:00.000Z"
    green = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"

    def indicator(n: int, name: str, pattern: str) -> dict:
        return {
            "type": "indicator",
            "spec_version": "2.1",
            "id": f"indicator--7d1c0a52-0000-4000-8000-00000000000{n}",
            "created": stamp,
            "modified": stamp,
            "name": name,
            "pattern": pattern,
            "pattern_type": "stix",
            "valid_from": stamp,
            "confidence": 80,
            "labels": ["phishing"],
            "object_marking_refs": [green],
        }

    return {
        "type": "bundle",
        "id": "bundle--7d1c0a52-0000-4000-8000-000000000000",
        "objects": [
            indicator(
                1,
                "デモ銀行を装うフィッシングサイト",
                "[url:value = 'https://demo-bank-login.example.jp/']",
            ),
            indicator(
                2, "同サイトのドメイン", "[domain-name:value = 'demo-bank-login.example.jp']"
            ),
        ],
    }


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


def load_demo(
    reports: int = 400,
    progress: Callable[[str], None] = print,
    out: Callable[[str], None] = print,
    base_url: str = "http://127.0.0.1:8000",
) -> None:
    """Load the demo once. ``progress`` gets short status lines; ``out`` the partner tokens
    and how to use them (shown once: only their digests are stored)."""
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
    progress("sharing: partners, indicator feed, a partner's STIX bundle")
    keys = _demo_sharing(users["kanri"])
    _print_partner_keys(keys, out, base_url.rstrip("/"))


def _demo_sharing(admin: User) -> list[tuple[DemoPartner, str]]:
    keys = []
    partners = {}
    for spec in DEMO_PARTNERS:
        partner, key = partner_services.create_partner(
            spec.name,
            max_tlp=spec.max_tlp,
            kind=spec.kind,
            can_write=spec.can_write,
            receives=[str(kind) for kind in spec.receives],
            notes="デモ用の架空の連携先",
            user=admin,
        )
        partners[spec.name] = partner
        keys.append((spec, key))
    source = indicator_services.create_source(
        admin, DEMO_SOURCE, description="デモ用の架空のフィード", default_tlp="green"
    )
    seen = timezone.now() - timedelta(days=2)
    for level in ("green", "clear"):
        rows = [
            IndicatorRow(
                line=line,
                byte_offset=0,
                type=kind,
                value=value,
                original=value,
                first_seen=seen,
                last_seen=seen,
                confidence=80,
                tags=tags,
            )
            for line, (tlp, kind, value, tags) in enumerate(DEMO_INDICATORS, start=1)
            if tlp == level
        ]
        indicator_services.import_indicators(
            admin, source, rows, tlp=level, file_name=f"demo-{level}"
        )
    sharing_services.import_bundle(
        _demo_bundle(),
        partner=partners["デモ県警察"],
        pending=True,
        provenance="demo: TAXII inbound",
    )
    return keys


def _print_partner_keys(
    keys: list[tuple[DemoPartner, str]], out: Callable[[str], None], base_url: str
) -> None:
    out("Demo partner tokens (fictional; shown only now — rotate them in the admin):")
    for spec, key in keys:
        out(f"  {spec.name} (TLP:{spec.max_tlp.upper()}, {', '.join(spec.receives)}): {key}")
    phishing_key = next(key for spec, key in keys if DataKind.PHISHING in spec.receives)
    out(f'  curl -H "Authorization: Token {phishing_key}" {base_url}/feeds/phishing.txt')
    out(
        f'  curl -H "Authorization: Token {phishing_key}" '
        f'-H "Accept: application/taxii+json;version=2.1" {base_url}/taxii2/'
    )
    out(f"  TAXII 2.1 discovery: {base_url}/taxii2/")


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
