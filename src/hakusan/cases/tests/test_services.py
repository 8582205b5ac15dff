import pytest
from django.core.exceptions import ValidationError

from hakusan.cases import services
from hakusan.cases.models import CaseType, RansomwareRecord
from hakusan.cases.selectors import can_edit, case_observables, cases_visible_to
from hakusan.core.models import AuditEntry
from hakusan.intake import services as intake
from hakusan.intake.choices import ReportStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def report(officer, draft):
    return intake.create_report(
        officer, draft(victim_kind="company", victim_org_size="sme", victim_industry="製造業")
    ).report


def test_seeded_case_types_carry_playbooks():
    codes = set(CaseType.objects.values_list("code", flat=True))
    assert {
        "ransomware",
        "unauthorized_access",
        "phishing",
        "illegal_transfer",
        "support_scam",
        "defamation",
        "illegal_content",
        "ddos",
        "other",
    } <= codes
    ransomware = CaseType.objects.get(code="ransomware")
    titles = " ".join(ransomware.playbook.values_list("title_ja", flat=True))
    for must in ("ログ", "電源", "感染経路", "バックアップ", "対価要求"):
        assert must in titles


def test_open_ransomware_case_from_report(analyst, investigator_user, report):
    case = services.open_case(
        analyst,
        reports=[report],
        case_type=CaseType.objects.get(code="ransomware"),
        title="A社 ランサムウェア",
        members=[investigator_user],
    )
    assert case.number.startswith("C")
    assert case.tasks.filter(from_playbook=True).count() >= 8
    assert case.tasks.exclude(due_at=None).exists()
    record = RansomwareRecord.objects.get(case=case)
    assert record.org_size == "sme" and record.industry == "製造業"
    report.refresh_from_db()
    assert report.status == ReportStatus.CASE_OPENED
    assert set(case.members.values_list("user__username", flat=True)) == {
        analyst.username,
        investigator_user.username,
    }
    assert case.timeline.filter(text__contains=report.number).exists()
    assert [o.value for o, _ in case_observables(case)]


def test_ransomware_record_structured_fields(analyst, report):
    case = services.open_case(
        analyst, reports=[report], case_type=CaseType.objects.get(code="ransomware"), title="t"
    )
    services.update_ransomware_record(
        case,
        analyst,
        {
            "method": "double_extortion",
            "infection_route": "vpn",
            "ransom_demanded": True,
            "logs_preserved": True,
            "devices_kept_powered": False,
            "backup_state": "encrypted",
        },
    )
    record = RansomwareRecord.objects.get(case=case)
    assert record.infection_route == "vpn" and record.devices_kept_powered is False
    with pytest.raises(ValidationError):
        services.update_ransomware_record(case, analyst, {"infection_route": "carrier pigeon"})
    with pytest.raises(ValidationError):
        services.update_ransomware_record(case, analyst, {"no_such_field": 1})


def test_seen_elsewhere_counts_other_sources(officer, analyst, draft, report):
    intake.create_report(officer, draft())  # shares the URL and phone number
    case = services.open_case(
        analyst, reports=[report], case_type=CaseType.objects.get(code="phishing"), title="t"
    )
    counts = {o.value: n for o, n in case_observables(case)}
    assert counts["https://delivery-check.example.jp/track"] == 1
    linked = services.link_observable(case, analyst, "198[.]51[.]100[.]7")
    assert linked == "198.51.100.7"
    with pytest.raises(ValidationError):
        services.link_observable(case, analyst, "not an observable at all")


def test_tasks_notes_status(analyst, report):
    case = services.open_case(
        analyst, reports=[report], case_type=CaseType.objects.get(code="other"), title="t"
    )
    task = services.add_task(case, analyst, "関係者聴取", assignee=analyst)
    services.update_task(task, analyst, status="done")
    task.refresh_from_db()
    assert task.completed_by == analyst and task.completed_at is not None
    services.add_note(case, analyst, "聴取完了")
    services.change_status(case, analyst, "closed")
    case.refresh_from_db()
    assert case.closed_at is not None
    with pytest.raises(ValidationError):
        services.change_status(case, analyst, "lost")
    with pytest.raises(ValidationError):
        services.add_note(case, analyst, "   ")
    assert AuditEntry.objects.filter(object_id=str(case.pk), action="status").exists()


def test_need_to_know(analyst, officer, make_user, report):
    case = services.open_case(
        analyst, reports=[report], case_type=CaseType.objects.get(code="other"), title="t"
    )
    outsider = make_user("investigator", "other")
    boss_elsewhere = make_user("supervisor", "other")
    boss_lead = make_user("supervisor", "cyber")
    other_analyst = make_user("analyst", "cyber")
    assert case in cases_visible_to(analyst)
    assert case in cases_visible_to(boss_lead) and can_edit(boss_lead, case)
    assert case in cases_visible_to(other_analyst) and not can_edit(other_analyst, case)
    assert case not in cases_visible_to(outsider)
    assert case not in cases_visible_to(boss_elsewhere)
    assert case not in cases_visible_to(officer)


@pytest.fixture
def investigator_user(make_user):
    return make_user("investigator", "cyber")
