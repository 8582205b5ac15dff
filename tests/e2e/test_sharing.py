"""Inbound sharing in a real browser: an analyst (logged in with a one-time code) follows the
navigation link to the inbound data page, opens a pending STIX bundle a partner posted,
accepts it and sees its state change; a reception officer has no link and gets 403."""

import re

import pytest

from tests.e2e.test_main_flow import log_in, totp_token

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

GREEN = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
STAMP = "2026-01-05T01:00:00.000Z"


def _bundle() -> dict:
    def indicator(n: int, pattern: str) -> dict:
        return {
            "type": "indicator",
            "spec_version": "2.1",
            "id": f"indicator--5b0e6a4c-0000-4000-8000-00000000000{n}",
            "created": STAMP,
            "modified": STAMP,
            "pattern": pattern,
            "pattern_type": "stix",
            "valid_from": STAMP,
            "confidence": 80,
            "labels": ["phishing"],
            "object_marking_refs": [GREEN],
        }

    return {
        "type": "bundle",
        "id": "bundle--5b0e6a4c-0000-4000-8000-000000000000",
        "objects": [
            indicator(1, "[url:value = 'https://www_shop.co.jp.phish.example.jp/login']"),
            indicator(2, "[domain-name:value = 'phish-login.example.jp']"),
        ],
    }


def test_analyst_accepts_a_pending_bundle_officer_is_refused(
    live_server, transactional_db, page, make_user, make_partner, results_dir
):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from hakusan.indicators.models import Sighting
    from hakusan.sharing.models import InboundBundle
    from hakusan.sharing.services import import_bundle

    officer = make_user("reception", "station")
    analyst = make_user("analyst", "cyber")
    device = TOTPDevice.objects.create(user=analyst, name="phone", confirmed=True)
    partner, _key = make_partner("富山県警察 (試験)", max_tlp="amber", can_write=True)
    bundle = import_bundle(_bundle(), partner=partner, pending=True).bundle
    assert bundle.state == "pending"
    assert not Sighting.objects.filter(source_kind="partner").exists()
    base = live_server.url

    # --- the analyst: nav link → list → bundle → accept ----------------------------------------
    log_in(page, base, analyst.username)
    page.wait_for_url(re.compile(r".*/accounts/2fa/verify/.*"))
    page.fill("#id_token", totp_token(device))
    page.click("form button[type=submit]")
    page.wait_for_selector("#queue")
    link = page.locator("nav a#nav-inbound")
    assert link.inner_text().strip() == "受信データ"  # ja-JP browser: the Japanese label
    link.click()
    page.wait_for_url(re.compile(r".*/sharing/bundles/$"))
    row = page.locator("#bundle-table tbody tr", has_text="富山県警察 (試験)")
    assert row.count() == 1
    assert "text-bg-warning" in (row.locator(".badge").get_attribute("class") or "")
    row.locator(f"a[href='/sharing/bundles/{bundle.pk}/']").click()
    page.wait_for_selector("#review-form")
    assert "富山県警察 (試験)" in page.inner_text("main")
    assert "phish-login.example.jp" in page.inner_text("#object-table")
    pending_badge = page.inner_text("h1 .badge")
    page.screenshot(path=str(results_dir / "sharing-bundle-pending.png"), full_page=True)
    page.click("#review-form button[value=accept]")
    page.wait_for_selector(".alert-success")
    assert page.locator("#review-form").count() == 0
    accepted_badge = page.inner_text("h1 .badge")
    assert accepted_badge != pending_badge
    bundle.refresh_from_db()
    assert bundle.state == "accepted" and bundle.reviewed_by == analyst
    assert Sighting.objects.filter(source_kind="partner", source_id=bundle.pk).count() >= 2
    page.click("p.small a[href='/sharing/bundles/']")
    row = page.locator("#bundle-table tbody tr", has_text="富山県警察 (試験)")
    assert "text-bg-success" in (row.locator(".badge").get_attribute("class") or "")
    assert row.locator(".badge").inner_text() == accepted_badge
    page.screenshot(path=str(results_dir / "sharing-bundle-accepted.png"), full_page=True)
    page.click("nav form[action$='/accounts/logout/'] button")
    page.wait_for_url(re.compile(r".*/accounts/login/.*"))

    # --- the reception officer: no link, 403 ---------------------------------------------------
    log_in(page, base, officer.username)
    page.wait_for_selector("#queue")
    assert page.locator("nav a#nav-inbound").count() == 0
    assert page.locator("nav a[href='/sharing/bundles/']").count() == 0
    response = page.goto(f"{base}/sharing/bundles/")
    assert response is not None and response.status == 403
    response = page.goto(f"{base}/sharing/bundles/{bundle.pk}/")
    assert response is not None and response.status == 403
    assert InboundBundle.objects.get(pk=bundle.pk).state == "accepted"
