"""Case pages through the Django test client: opening from reports, the playbook, the
ransomware record, notes, status, tasks, members, observables, and who may change what."""

import pytest
from django.urls import reverse

from hakusan.cases.models import Case, CaseType, RansomwareRecord, Task, TimelineEntry
from hakusan.core.models import AuditEntry
from hakusan.intake import services as intake_services
from hakusan.intake.views import display_value

pytestmark = pytest.mark.django_db


SMS_NARRATIVE = (
    "令和8年11月20日午後3時頃、宅配業者を名乗るSMSが届き、記載のURL "
    "hxxps://delivery-check[.]example[.]jp/track にアクセスしてIDとパスワードを入力した。"
)


@pytest.fixture
def routed_report(officer, draft, departments):
    report = intake_services.create_report(officer, draft(narrative=SMS_NARRATIVE)).report
    intake_services.confirm_triage(report, officer, "phishing", True)
    intake_services.route_report(report, officer)
    report.refresh_from_db()
    assert report.assigned_department == departments["cyber"]
    return report


def open_case(client, report, case_type="phishing", **overrides):
    data = {
        "reports": str(report.pk),
        "case_type": CaseType.objects.get(code=case_type).pk,
        "title": "宅配業者を装うフィッシング",
        "lead_department": report.assigned_department_id,
        "summary": "SMS経由のフィッシング",
    }
    data.update(overrides)
    return client.post(reverse("cases:new"), data)


def test_open_case_from_report_copies_the_playbook(login, analyst, routed_report):
    client = login(analyst)
    form_page = client.get(reverse("cases:new") + f"?reports={routed_report.pk}")
    assert form_page.status_code == 200
    initial = form_page.context["form"].initial
    assert initial["case_type"] == CaseType.objects.get(code="phishing").pk
    assert routed_report.number in form_page.content.decode()

    response = open_case(client, routed_report)
    assert response.status_code == 302
    case = Case.objects.get()
    assert response["Location"] == reverse("cases:detail", args=[case.pk])
    assert list(case.reports.all()) == [routed_report]
    playbook = list(case.case_type.playbook.values_list("title_ja", flat=True))
    assert list(case.tasks.filter(from_playbook=True).values_list("title", flat=True)) == playbook
    assert case.members.get().user == analyst

    page = client.get(response["Location"])
    assert page.status_code == 200
    html = page.content.decode()
    for title in playbook:
        assert title in html
    assert routed_report.number in html
    assert AuditEntry.objects.filter(
        action="view", object_type="cases.case", object_id=str(case.pk)
    ).exists()
    routed_report.refresh_from_db()
    assert routed_report.status == "case_opened"


def test_open_case_errors_rerender(login, analyst, routed_report):
    client = login(analyst)
    response = open_case(client, routed_report, title="   ")
    assert response.status_code == 400
    assert "title" in response.context["form"].errors
    assert not Case.objects.exists()


def test_open_case_from_invisible_report_is_404(login, make_user, officer, draft):
    report = intake_services.create_report(officer, draft()).report
    investigator = make_user("investigator", "other")
    client = login(investigator)
    assert client.get(reverse("cases:new") + f"?reports={report.pk}").status_code == 404


def test_ransomware_record_is_saved(login, analyst, routed_report):
    client = login(analyst)
    open_case(client, routed_report, case_type="ransomware", title="ランサムウェア被害")
    case = Case.objects.get()
    page = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert 'id="ransomware-form"' in page
    data = {
        "org_size": "sme",
        "industry": "製造業",
        "method": "double_extortion",
        "ransom_demanded": "true",
        "ransom_payment_means": "ビットコイン",
        "infection_route": "vpn",
        "patch_state": "not_applied",
        "backup_state": "encrypted",
        "recovery_period": "recovering",
        "cost_band": "lt5m",
        "logs_preserved": "true",
        "devices_kept_powered": "false",
        "server_data_preserved": "unknown",
        "system_diagram_obtained": "",
        "family": "LockBit",
        "ransom_note": "Your files are encrypted.",
    }
    response = client.post(reverse("cases:ransomware", args=[case.pk]), data)
    assert response.status_code == 302
    record = RansomwareRecord.objects.get(case=case)
    assert record.method == "double_extortion" and record.infection_route == "vpn"
    assert record.ransom_demanded is True and record.devices_kept_powered is False
    assert record.server_data_preserved is None and record.family == "LockBit"
    assert record.updated_by == analyst

    response = client.post(
        reverse("cases:ransomware", args=[case.pk]), {**data, "method": "telepathy"}
    )
    assert response.status_code == 400
    assert "method" in response.context["ransomware_form"].errors


def test_no_ransomware_form_on_other_case_types(login, analyst, routed_report):
    client = login(analyst)
    open_case(client, routed_report)
    case = Case.objects.get()
    assert (
        'id="ransomware-form"'
        not in client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    )
    assert client.post(reverse("cases:ransomware", args=[case.pk]), {}).status_code == 404


def test_note_status_task_and_member(login, analyst, make_user, routed_report):
    client = login(analyst)
    open_case(client, routed_report)
    case = Case.objects.get()
    url = reverse("cases:detail", args=[case.pk])

    response = client.post(
        reverse("cases:add_note", args=[case.pk]),
        {"text": "被害者から追加のスクリーンショットを受領。"},
    )
    assert response.status_code == 302
    assert TimelineEntry.objects.filter(
        case=case, kind="note", text__startswith="被害者から"
    ).exists()
    assert "被害者から追加のスクリーンショットを受領。" in client.get(url).content.decode()
    response = client.post(reverse("cases:add_note", args=[case.pk]), {"text": ""})
    assert response.status_code == 400

    response = client.post(reverse("cases:status", args=[case.pk]), {"status": "investigating"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == "investigating"
    assert (
        client.post(reverse("cases:status", args=[case.pk]), {"status": "nonsense"}).status_code
        == 400
    )

    colleague = make_user("investigator", "cyber")
    response = client.post(
        reverse("cases:add_member", args=[case.pk]), {"user": colleague.pk, "role": "member"}
    )
    assert response.status_code == 302
    assert case.members.filter(user=colleague).exists()

    response = client.post(
        reverse("cases:add_task", args=[case.pk]),
        {"title": "プロバイダへの照会", "assignee": colleague.pk, "due_at": "2026-12-01T17:00"},
    )
    assert response.status_code == 302
    task = Task.objects.get(case=case, from_playbook=False)
    assert task.assignee == colleague and task.due_at is not None

    first = case.tasks.filter(from_playbook=True)[0]
    response = client.post(
        reverse("cases:update_task", args=[case.pk, first.pk]),
        {
            f"task{first.pk}-status": "done",
            f"task{first.pk}-assignee": analyst.pk,
            f"task{first.pk}-due_at": "",
        },
    )
    assert response.status_code == 302
    first.refresh_from_db()
    assert first.status == "done" and first.completed_by == analyst
    assert first.assignee == analyst and first.due_at is None

    # the colleague's dashboard lists the task and the case
    dashboard = login(colleague).get(reverse("home")).content.decode()
    assert "プロバイダへの照会" in dashboard and case.number in dashboard


def test_link_observable_shows_seen_elsewhere(login, analyst, officer, draft, routed_report):
    client = login(analyst)
    open_case(client, routed_report)
    case = Case.objects.get()
    other = intake_services.create_report(
        officer, draft(narrative="不審なサイト hxxp://evil-shop[.]example[.]jp/pay に誘導された")
    )
    response = client.post(
        reverse("cases:link_observable", args=[case.pk]),
        {"value": "ｈｘｘｐ：／／evil-shop[.]example[.]jp/pay"},
    )
    assert response.status_code == 302
    page = client.get(reverse("cases:detail", args=[case.pk]))
    rows = {row["observable"].value: row for row in page.context["observables"]}
    row = rows["http://evil-shop.example.jp/pay"]
    assert row["elsewhere"] == 1  # the other report
    html = page.content.decode()
    assert display_value("url", "http://evil-shop.example.jp/pay") in html
    assert 'href="http://evil-shop' not in html
    # the case's own report does not count as "elsewhere"
    own = rows["https://delivery-check.example.jp/track"]
    assert own["elsewhere"] == 0
    assert other.report.pk != routed_report.pk

    response = client.post(
        reverse("cases:link_observable", args=[case.pk]), {"value": "これは観測値ではない"}
    )
    assert response.status_code == 400
    assert "value" in response.context["observable_form"].errors


def test_only_editors_get_forms_and_actions(login, analyst, make_user, routed_report):
    client = login(analyst)
    open_case(client, routed_report)
    case = Case.objects.get()
    reader = make_user("analyst", "cyber")  # sees every case, is no member
    client = login(reader)
    page = client.get(reverse("cases:detail", args=[case.pk]))
    assert page.status_code == 200 and page.context["can_edit"] is False
    html = page.content.decode()
    assert 'id="note-form"' not in html and 'id="status-form"' not in html
    for name, data in (
        ("add_note", {"text": "x"}),
        ("status", {"status": "closed"}),
        ("link_observable", {"value": "198.51.100.1"}),
        ("add_task", {"title": "x"}),
    ):
        assert client.post(reverse(f"cases:{name}", args=[case.pk]), data).status_code == 403
    case.refresh_from_db()
    assert case.status == "received"

    outsider = make_user("investigator", "other")
    assert login(outsider).get(reverse("cases:detail", args=[case.pk])).status_code == 404


def test_case_list_filters(login, analyst, routed_report):
    client = login(analyst)
    open_case(client, routed_report)
    case = Case.objects.get()
    page = client.get(reverse("cases:list")).content.decode()
    assert case.number in page
    page = client.get(reverse("cases:list"), {"status": "closed"}).content.decode()
    assert case.number not in page
    page = client.get(reverse("cases:list"), {"type": "phishing", "mine": "1"}).content.decode()
    assert case.number in page
    page = client.get(reverse("cases:list"), {"type": "ransomware"}).content.decode()
    assert case.number not in page
