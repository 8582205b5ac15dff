"""The main flow in a real browser: a station officer files a report with a defanged URL,
confirms the triage and routes it to the cyber division; an analyst logs in with a one-time
code, finds the report in the queue, accepts it and opens a case with its playbook."""

import re
import time

import pytest

PASSWORD = "correct-horse-battery-9"
NARRATIVE = (
    "令和8年11月20日午後3時頃、銀行を名乗るメールが届き、"
    "hxxps://secure-login[.]example[.]jp/verify にアクセスしてインターネットバンキングの"
    "IDとパスワードを入力した。翌日、見覚えのない振込で口座から30万円が不正送金された。"
)
CANONICAL = "https://secure-login.example.jp/verify"

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def log_in(page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("form button[type=submit]")


def log_out(page) -> None:
    page.click("nav form[action$='/accounts/logout/'] button")
    page.wait_for_url(re.compile(r".*/accounts/login/.*"))


def totp_token(device) -> str:
    from django_otp.oath import TOTP

    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    return f"{totp.token():0{device.digits}d}"


def test_report_to_case(live_server, transactional_db, page, make_user, results_dir):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from hakusan.cases.models import Case
    from hakusan.intake.models import Report
    from hakusan.intake.views import display_value

    officer = make_user("reception", "station")
    analyst = make_user("analyst", "cyber")
    device = TOTPDevice.objects.create(user=analyst, name="phone", confirmed=True)
    base = live_server.url

    # --- the station officer files the report -------------------------------------------------
    log_in(page, base, officer.username)
    page.wait_for_selector("#queue")
    page.goto(f"{base}/reports/new/")
    page.select_option("#id_channel", "visit")
    page.select_option("#id_kind", "consultation")
    page.fill("#id_reporter_name", "山田太郎")
    page.fill("#id_reporter_contact", "090-0000-1234")
    page.fill("#id_victim_name", "山田太郎")
    page.fill("#id_narrative", NARRATIVE)
    page.fill("#id_damage_amount", "300,000")
    page.fill("#id_items", "送信元 support@bank-secure.example.net")
    page.screenshot(path=str(results_dir / "report-form.png"), full_page=True)
    page.click("#report-form button[type=submit]")
    page.wait_for_url(re.compile(r".*/reports/\d+/$"))

    report = Report.objects.get()
    observables = page.inner_text("#observables")
    assert display_value("url", CANONICAL) in observables
    assert page.locator(f"#observables a[href^='{CANONICAL}']").count() == 0
    suggested = page.inner_text("#suggested-category").strip()
    assert suggested and suggested != "—"
    assert page.locator("#triage-panel table.reasons tbody tr").count() >= 1
    page.screenshot(path=str(results_dir / "report-detail.png"), full_page=True)

    # confirm the triage (htmx swaps the panel) and route by the seeded rule
    page.check("#triage-form input[name=needs_cyber][value='1']")
    page.click("#triage-form button[type=submit]")
    page.wait_for_selector(".triage-confirmed")
    assert "サイバー犯罪対策課" in page.inner_text(".route-proposal")
    page.click("#route-form button[type=submit]")
    page.wait_for_selector("#routing-history .step-route")
    assert "サイバー犯罪対策課" in page.inner_text("#routing-history")
    assert "サイバー犯罪対策課" in page.inner_text("#report-status")  # swapped out of band
    report.refresh_from_db()
    assert report.assigned_department == analyst.department and report.triaged_by == officer
    page.screenshot(path=str(results_dir / "report-routed.png"), full_page=True)
    log_out(page)

    # --- the analyst logs in with a one-time code ------------------------------------------------
    log_in(page, base, analyst.username)
    page.wait_for_url(re.compile(r".*/accounts/2fa/verify/.*"))
    page.fill("#id_token", totp_token(device))
    page.click("form button[type=submit]")
    page.wait_for_selector("#queue")
    assert report.number in page.inner_text("#queue")
    page.screenshot(path=str(results_dir / "dashboard-analyst.png"), full_page=True)
    page.click(f"#queue a:text('{report.number}')")
    page.wait_for_url(re.compile(rf".*/reports/{report.pk}/$"))
    page.click("#accept-form button[type=submit]")
    page.wait_for_selector("#routing-history .step-accept")

    page.click("#open-case")
    page.wait_for_url(re.compile(r".*/cases/new/\?reports=\d+"))
    page.select_option("#id_case_type", label="フィッシング")
    page.fill("#id_title", "銀行を装うフィッシング(山田太郎)")
    page.click("#case-form button[type=submit]")
    page.wait_for_url(re.compile(r".*/cases/\d+/$"))

    case = Case.objects.get()
    tasks = page.inner_text("#tasks")
    for title in case.case_type.playbook.values_list("title_ja", flat=True):
        assert title in tasks
    assert report.number in page.inner_text("#reports")
    assert display_value("url", CANONICAL) in page.inner_text("#case-observables")
    page.screenshot(path=str(results_dir / "case-detail.png"), full_page=True)

    # a second case of the ransomware type has the structured first-response record
    page.goto(f"{base}/cases/new/?reports={report.pk}")
    page.select_option("#id_case_type", label="ランサムウェア")
    page.fill("#id_title", "ランサムウェア被害(試験)")
    page.click("#case-form button[type=submit]")
    page.wait_for_url(re.compile(r".*/cases/\d+/$"))
    page.select_option("#id_method", "double_extortion")
    page.select_option("#id_infection_route", "vpn")
    page.select_option("#id_ransom_demanded", "true")
    page.fill("#id_family", "LockBit")
    page.click("#ransomware-form button[type=submit]")
    page.wait_for_selector("#ransomware-form")
    record = Case.objects.get(case_type__code="ransomware").ransomware
    assert record.method == "double_extortion" and record.ransom_demanded is True
    page.screenshot(path=str(results_dir / "case-ransomware.png"), full_page=True)

    # search accepts the defanged form and names the report the analyst may see
    page.fill("nav input[name=q]", "hxxps://secure-login[.]example[.]jp/verify")
    page.press("nav input[name=q]", "Enter")
    page.wait_for_selector("#observable-results")
    assert report.number in page.inner_text("#observable-results")
    page.screenshot(path=str(results_dir / "search.png"), full_page=True)
