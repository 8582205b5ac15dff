"""Intake pages through the Django test client: filing, errors, permissions, audit, downloads,
triage / routing / acceptance, the list, bulk import, the dashboard and search."""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from hakusan.core.models import AuditEntry, JobRun
from hakusan.intake import services
from hakusan.intake.models import Attachment, Report, ReportItem, RoutingStep
from hakusan.intake.views import display_value

pytestmark = pytest.mark.django_db

IMPORT_DATA = Path(__file__).resolve().parents[4] / "tests" / "data" / "import"
NARRATIVE = (
    "令和8年11月20日午後3時頃、銀行を名乗るメールが届き、"
    "hxxps://secure-login[.]example[.]jp/verify にアクセスして"
    "インターネットバンキングのIDとパスワードを入力した。翌日、口座から不正送金された。"
)
CANONICAL_URL = "https://secure-login.example.jp/verify"


def form_data(**overrides):
    data = {
        "channel": "visit",
        "kind": "consultation",
        "received_at": "2026-11-21T10:30",
        "occurred_at": "",
        "tlp": "amber",
        "reporter_name": "山田太郎",
        "reporter_contact": "090-0000-1234",
        "victim_kind": "person",
        "victim_name": "山田太郎",
        "victim_contact": "",
        "victim_org_size": "",
        "victim_industry": "",
        "narrative": NARRATIVE,
        "damage_amount": "¥150,000",
        "items": "SMS送信元 +81 90-0000-5678\nhxxp://203.0.113[.]7/login",
        "mail_header": "Received: from mail.example.net (mail.example.net [198.51.100.23])\n"
        "\tby mx.example.jp; Thu, 20 Nov 2026 15:01:02 +0900\n"
        "From: 銀行 <support@example.net>",
    }
    data.update(overrides)
    return data


def file_via_form(client, **overrides):
    return client.post(reverse("intake:new"), form_data(**overrides))


def test_filing_a_report_shows_observables_and_suggestion(login, officer):
    client = login(officer)
    response = file_via_form(client)
    assert response.status_code == 302
    report = Report.objects.get()
    assert response["Location"] == reverse("intake:detail", args=[report.pk])
    assert report.received_by == officer and report.receiving_department == officer.department
    assert report.damage_amount == 150000
    items = list(ReportItem.objects.filter(report=report).values_list("kind", "text"))
    assert len(items) == 3
    header = [text for kind, text in items if kind == "mail_header"]
    assert header and header[0].count("\n") == 2  # the pasted header stays one item

    page = client.get(response["Location"])
    assert page.status_code == 200
    html = page.content.decode()
    assert display_value("url", CANONICAL_URL) in html
    assert f'href="{CANONICAL_URL}' not in html  # never a live link
    assert 'id="suggested-category"' in html
    assert report.suggested_category is not None
    assert str(report.suggested_category) in html
    # the triage reasons are listed with their weights
    for reason in report.suggestion["reasons"][:3]:
        assert reason["detail"] in html
    assert 'id="triage-form"' in html and 'id="route-form"' in html
    assert AuditEntry.objects.filter(
        action="view", object_type="intake.report", object_id=str(report.pk), actor=officer
    ).exists()


def test_new_report_form_renders_with_time_default(login, officer):
    page = login(officer).get(reverse("intake:new"))
    assert page.status_code == 200
    assert 'name="received_at"' in page.content.decode()
    assert page.context["form"].initial["received_at"] is not None


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"narrative": "   "}, "narrative"),
        ({"damage_amount": "十五万くらい"}, "damage_amount"),
        ({"damage_amount": "-5000"}, "damage_amount"),
        ({"channel": "pigeon"}, "channel"),
        ({"received_at": "yesterday"}, "received_at"),
    ],
)
def test_bad_input_rerenders_with_errors_and_saves_nothing(login, officer, overrides, field):
    response = file_via_form(login(officer), **overrides)
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert "invalid-feedback" in response.content.decode()
    assert Report.objects.count() == 0
    assert ReportItem.objects.count() == 0


def test_damage_period_is_kept(login, officer):
    from hakusan.intake.forms import ReportForm

    if "damage_from" not in ReportForm().fields:
        pytest.skip("ReportDraft has no damage_from/damage_to yet: the form hides them")
    client = login(officer)
    response = file_via_form(client, damage_from="2026-11-21", damage_to="2026-11-20")
    assert response.status_code == 400 and "damage_to" in response.context["form"].errors
    assert Report.objects.count() == 0
    response = file_via_form(client, damage_from="2026-11-20", damage_to="2026-11-21")
    assert response.status_code == 302
    report = Report.objects.get()
    assert str(report.damage_from) == "2026-11-20" and str(report.damage_to) == "2026-11-21"


def test_oversize_attachment_is_refused_by_name_and_nothing_is_saved(login, officer, settings):
    settings.HAKUSAN_MAX_ATTACHMENT_BYTES = 100
    small = SimpleUploadedFile("screenshot.png", b"\x89PNG" + b"0" * 20, "image/png")
    big = SimpleUploadedFile("大きい証拠.zip", b"x" * 101, "application/zip")
    response = file_via_form(login(officer), attachments=[small, big])
    assert response.status_code == 400
    errors = response.context["form"].errors["attachments"]
    assert any("大きい証拠.zip" in e for e in errors)
    assert "大きい証拠.zip" in response.content.decode()
    assert Report.objects.count() == 0 and Attachment.objects.count() == 0


def test_service_refusal_of_an_attachment_rolls_back_the_report(
    login, officer, settings, monkeypatch
):
    """The service's own size check (the last line of defence) is one transaction too."""
    from hakusan.intake.forms import ReportForm

    monkeypatch.setattr(
        ReportForm, "clean_attachments", lambda self: self.cleaned_data["attachments"]
    )
    settings.HAKUSAN_MAX_ATTACHMENT_BYTES = 10
    big = SimpleUploadedFile("dump.bin", b"y" * 50)
    response = file_via_form(login(officer), attachments=[big])
    assert response.status_code == 400
    assert any("dump.bin" in e for e in response.context["form"].errors["attachments"])
    assert Report.objects.count() == 0 and Attachment.objects.count() == 0


def test_attachment_download_is_opaque_and_audited(login, officer):
    client = login(officer)
    content = b"<html><script>alert(1)</script></html>"
    file_via_form(client, attachments=[SimpleUploadedFile("phish page.html", content, "text/html")])
    report = Report.objects.get()
    attachment = report.attachments.get()
    assert attachment.size == len(content)
    page = client.get(reverse("intake:detail", args=[report.pk])).content.decode()
    assert attachment.sha256 in page and "phish page.html" in page

    response = client.get(reverse("intake:attachment", args=[report.pk, attachment.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "phish page.html" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == content
    entry = AuditEntry.objects.get(action="download")
    assert entry.actor == officer and entry.detail["sha256"] == attachment.sha256


def test_officer_of_another_station_gets_404(login, officer, make_user, draft):
    filed = services.create_report(officer, draft())
    stranger = make_user("reception", "other")
    client = login(stranger)
    assert client.get(reverse("intake:detail", args=[filed.report.pk])).status_code == 404
    assert (
        client.post(
            reverse("intake:triage", args=[filed.report.pk]),
            {"category": "phishing", "needs_cyber": "1"},
        ).status_code
        == 404
    )
    assert not AuditEntry.objects.filter(action="view", actor=stranger).exists()
    listing = client.get(reverse("intake:list")).content.decode()
    assert filed.report.number not in listing


def test_attachment_of_invisible_report_is_404(login, officer, make_user, draft):
    upload = SimpleUploadedFile("a.txt", b"evidence")
    filed = services.create_report(officer, draft(), attachments=[upload])
    attachment = filed.report.attachments.get()
    client = login(make_user("reception", "other"))
    url = reverse("intake:attachment", args=[filed.report.pk, attachment.pk])
    assert client.get(url).status_code == 404
    assert not AuditEntry.objects.filter(action="download").exists()


def test_anonymous_users_are_sent_to_log_in(client, officer, draft):
    filed = services.create_report(officer, draft())
    response = client.get(reverse("intake:detail", args=[filed.report.pk]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_triage_route_accept_flow(login, officer, analyst, draft):
    report = services.create_report(officer, draft()).report
    client = login(officer)
    url = reverse("intake:detail", args=[report.pk])
    page = client.get(url).content.decode()
    assert "route-proposal" in page

    response = client.post(
        reverse("intake:triage", args=[report.pk]), {"category": "phishing", "needs_cyber": "1"}
    )
    assert response.status_code == 302 and response["Location"] == url
    report.refresh_from_db()
    assert report.status == "triaged" and report.category is not None
    assert report.category.code == "phishing"
    assert report.needs_cyber is True and report.triaged_by == officer

    # the seeded rule sends cyber-division reports to the cyber division within 4 hours
    page = client.get(url).content.decode()
    assert str(analyst.department) in page
    response = client.post(
        reverse("intake:route", args=[report.pk]), {"department": "", "reason": ""}
    )
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.assigned_department == analyst.department
    assert report.status == "routed" and report.due_at is not None
    step = RoutingStep.objects.get(report=report)
    assert step.rule is not None and step.by == officer
    assert step.due_at is not None and (step.due_at - step.at).total_seconds() == 4 * 3600
    # the officer cannot accept for the cyber division
    assert "accept-form" not in client.get(url).content.decode()

    client = login(analyst)
    dashboard = client.get(reverse("home")).content.decode()
    assert report.number in dashboard
    page = client.get(url).content.decode()
    assert 'id="accept-form"' in page and 'id="routing-history"' in page
    response = client.post(reverse("intake:accept", args=[report.pk]))
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.accepted_at is not None
    assert list(report.routing_steps.values_list("kind", flat=True)) == ["route", "accept"]
    assert AuditEntry.objects.filter(action="accept", actor=analyst).exists()


def test_htmx_triage_returns_the_panel(login, officer, draft):
    report = services.create_report(officer, draft()).report
    response = login(officer).post(
        reverse("intake:triage", args=[report.pk]),
        {"category": "fraud", "needs_cyber": "0"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="workflow">')
    assert 'id="report-status" hx-swap-oob="true"' in html
    assert "<html" not in html
    report.refresh_from_db()
    assert report.category is not None and report.category.code == "fraud"
    assert report.needs_cyber is False


def test_htmx_invalid_triage_shows_errors_in_the_panel(login, officer, draft):
    report = services.create_report(officer, draft()).report
    response = login(officer).post(
        reverse("intake:triage", args=[report.pk]),
        {"category": "no-such-category", "needs_cyber": "1"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert "invalid-feedback" in response.content.decode()
    report.refresh_from_db()
    assert report.category is None


def test_routing_elsewhere_needs_a_reason(login, officer, departments, draft):
    report = services.create_report(officer, draft()).report
    client = login(officer)
    other = departments["other"]
    response = client.post(
        reverse("intake:route", args=[report.pk]), {"department": other.pk, "reason": ""}
    )
    assert response.status_code == 400
    assert "reason" in response.context["route_form"].errors
    assert not RoutingStep.objects.exists()
    response = client.post(
        reverse("intake:route", args=[report.pk]),
        {"department": other.pk, "sla_hours": "48", "reason": "被害者の住所地を管轄する署で対応"},
    )
    assert response.status_code == 302
    step = RoutingStep.objects.get()
    assert step.to_department == other and step.rule is None
    assert step.reason == "被害者の住所地を管轄する署で対応"
    assert step.due_at is not None and (step.due_at - step.at).total_seconds() == 48 * 3600


def test_accept_by_wrong_department_shows_error(login, officer, supervisor, departments, draft):
    report = services.create_report(officer, draft()).report
    services.route_report(report, officer, department=departments["cyber"], reason="x")
    client = login(supervisor)  # same station as the officer, not the cyber division
    response = client.post(reverse("intake:accept", args=[report.pk]), follow=True)
    assert response.status_code == 200
    assert any(
        "assigned department" in str(m) or m.level_tag == "error"
        for m in response.context["messages"]
    )
    report.refresh_from_db()
    assert report.accepted_at is None


def test_investigator_cannot_triage(login, make_user, officer, draft):
    report = services.create_report(officer, draft()).report
    investigator = make_user("investigator", "station")
    client = login(investigator)
    assert client.get(reverse("intake:detail", args=[report.pk])).status_code == 200
    response = client.post(
        reverse("intake:triage", args=[report.pk]), {"category": "fraud", "needs_cyber": "0"}
    )
    assert response.status_code == 403


def test_reception_cannot_open_a_case(login, officer, draft):
    report = services.create_report(officer, draft()).report
    client = login(officer)
    assert (
        'id="open-case"'
        not in client.get(reverse("intake:detail", args=[report.pk])).content.decode()
    )
    assert client.get(reverse("cases:new") + f"?reports={report.pk}").status_code == 403


def test_report_list_filters_and_pages(login, officer, draft, departments):
    client = login(officer)
    first = services.create_report(officer, draft(channel="phone")).report
    second = services.create_report(officer, draft(narrative="SNSで誹謗中傷された。")).report
    services.confirm_triage(second, officer, "defamation", False)
    page = client.get(reverse("intake:list")).content.decode()
    assert first.number in page and second.number in page
    page = client.get(reverse("intake:list"), {"channel": "phone"}).content.decode()
    assert first.number in page and second.number not in page
    page = client.get(reverse("intake:list"), {"category": "defamation"}).content.decode()
    assert second.number in page and first.number not in page
    page = client.get(reverse("intake:list"), {"status": "triaged"}).content.decode()
    assert second.number in page and first.number not in page
    services.route_report(first, officer, department=departments["cyber"], sla_hours=1, reason="x")
    Report.objects.filter(pk=first.pk).update(due_at="2020-01-01T00:00:00Z")
    page = client.get(reverse("intake:list"), {"overdue": "on"}).content.decode()
    assert first.number in page and second.number not in page
    page = client.get(reverse("intake:list"), {"department": departments["cyber"].pk})
    assert first.number in page.content.decode()


def test_report_list_paginates(login, officer, draft):
    services.create_reports_bulk(officer, [draft(narrative=f"相談 {i}") for i in range(55)])
    client = login(officer)
    first = client.get(reverse("intake:list"))
    assert len(first.context["page"].object_list) == 50
    second = client.get(reverse("intake:list"), {"page": 2})
    assert len(second.context["page"].object_list) == 5
    assert "page=2" in first.content.decode()


def test_bulk_import_submits_a_job_and_shows_progress(login, analyst, settings):
    client = login(analyst)
    assert client.get(reverse("intake:import")).status_code == 200
    upload = SimpleUploadedFile("reports.csv", (IMPORT_DATA / "good.csv").read_bytes(), "text/csv")
    response = client.post(
        reverse("intake:import"), {"file": upload, "fmt": "", "department": "kanazawa-chuo"}
    )
    assert response.status_code == 302
    run = JobRun.objects.get()
    assert response["Location"] == reverse("intake:import_status", args=[run.pk])
    assert run.name == "intake.import_reports" and run.created_by == analyst
    path = Path(run.params["path"])
    assert path.parent == Path(settings.DATA_DIR) / "imports" and path.exists()
    assert run.params["fmt"] == "csv" and run.params["department"] == "kanazawa-chuo"
    page = client.get(response["Location"]).content.decode()
    assert f'hx-get="{reverse("core:job_status", args=[run.pk])}"' in page

    from hakusan.core.jobs import execute

    execute(run.pk)
    run.refresh_from_db()
    assert run.status == "done", run.error
    assert run.result["imported"] >= 1
    page = client.get(response["Location"]).content.decode()
    assert "job-done" in page


def test_import_rejects_can_be_downloaded_by_their_owner(login, analyst, make_user):
    from hakusan.core.jobs import execute

    client = login(analyst)
    upload = SimpleUploadedFile("mixed.csv", (IMPORT_DATA / "mixed.csv").read_bytes())
    client.post(reverse("intake:import"), {"file": upload, "department": "kanazawa-chuo"})
    run = JobRun.objects.get()
    execute(run.pk)
    run.refresh_from_db()
    assert run.result["rejected"] >= 1
    page = client.get(reverse("intake:import_status", args=[run.pk])).content.decode()
    url = reverse("intake:import_rejects", args=[run.pk])
    assert url in page
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment;")
    assert b"".join(response.streaming_content)
    other = login(make_user("analyst", "cyber"))
    assert other.get(url).status_code == 404
    assert other.get(reverse("intake:import_status", args=[run.pk])).status_code == 404


def test_import_rejects_other_files_and_roles(login, analyst, officer):
    client = login(analyst)
    response = client.post(reverse("intake:import"), {"file": SimpleUploadedFile("x.exe", b"MZ")})
    assert response.status_code == 400 and not JobRun.objects.exists()
    assert login(officer).get(reverse("intake:import")).status_code == 403


def test_dashboard_per_role(login, officer, analyst, supervisor, draft):
    report = services.create_report(officer, draft()).report
    page = login(officer).get(reverse("home"))
    assert page.status_code == 200
    html = page.content.decode()
    assert report.number in html and 'id="queue"' in html
    assert 'id="overdue"' not in html  # reception sees no overdue list
    page = login(supervisor).get(reverse("home")).content.decode()
    assert 'id="overdue"' in page and report.number in page
    page = login(analyst).get(reverse("home")).content.decode()
    assert report.number not in page  # not routed to the cyber division yet


def test_search_by_defanged_or_full_width_value(login, officer, make_user, draft):
    url = "hxxps://delivery-check[.]example[.]jp/track"
    narrative = f"宅配業者を名乗るSMSのURL {url} にアクセスした。"
    mine = services.create_report(officer, draft(narrative=narrative)).report
    stranger = make_user("reception", "other")
    theirs = services.create_report(stranger, draft(narrative=narrative)).report
    client = login(officer)
    for q in (
        url,
        "ｈｔｔｐｓ：／／ｄｅｌｉｖｅｒｙ－ｃｈｅｃｋ．ｅｘａｍｐｌｅ．ｊｐ／ｔｒａｃｋ",
        "https://delivery-check.example.jp/track",
    ):
        response = client.get(reverse("search"), {"q": q})
        assert response.status_code == 200
        rows = response.context["observables"]
        exact = [r for r in rows if r["exact"]]
        assert exact, q
        row = exact[0]
        assert [r.pk for r in row["reports"]] == [mine.pk]
        assert row["reports_hidden"] == 1
        html = response.content.decode()
        assert mine.number in html and theirs.number not in html
    response = client.get(reverse("search"), {"q": "delivery-check"})
    assert any(
        r["observable"].value == "https://delivery-check.example.jp/track"
        for r in response.context["observables"]
    )


def test_search_text_reports_and_cases(login, officer, draft):
    report = services.create_report(officer, draft(victim_name="佐藤花子")).report
    client = login(officer)
    response = client.get(reverse("search"), {"q": "佐藤花子"})
    assert report in list(response.context["reports"])
    response = client.get(reverse("search"), {"q": report.number})
    assert report in list(response.context["reports"])
    assert client.get(reverse("search")).status_code == 200
