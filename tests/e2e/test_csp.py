"""The Content-Security-Policy in a real browser: each role visits its main pages (and the
parts htmx loads into them: the case graph drawn by Cytoscape, similar cases, job progress),
the anonymous login page and the TOTP setup page; any "Content Security Policy" console
message, ``securitypolicyviolation`` event or page error fails the test. The behaviours that
were inline attributes still work from the static script: the language selector submits
itself, the report's Print button prints, the job progress bar has its width."""

import re
from typing import Any

import pytest

from hakusan.core.tests.site import build_site
from tests.e2e.test_main_flow import PASSWORD, totp_token

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# Recorded before any page script runs; print() is replaced so clicking Print is observable.
WATCH = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " " + e.sourceFile
                    + ":" + e.lineNumber);
});
window.__printed = false;
window.print = function () { window.__printed = true; };
"""


class Watcher:
    """Console messages about the CSP and uncaught page errors of one browser page."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.problems: list[str] = []
        page.add_init_script(WATCH)
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))

    def _console(self, message: Any) -> None:
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            self.problems.append(f"{self.page.url}: {message.text}")

    def visit(self, url: str) -> None:
        response = self.page.goto(url)
        assert response is not None and response.status == 200, (url, response and response.status)
        assert "script-src 'self';" in (response.headers.get("content-security-policy") or "")
        self.page.wait_for_load_state("load")
        self.page.wait_for_timeout(250)  # htmx "load" triggers fire and swap
        self.collect()

    def collect(self) -> None:
        for violation in self.page.evaluate("window.__csp || []"):
            self.problems.append(f"{self.page.url}: violation {violation}")
        self.page.evaluate("window.__csp = []")


def _log_in(page: Any, base: str, user: Any, device: Any = None) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.click("form button[type=submit]")
    if device is not None:
        page.wait_for_url(re.compile(r".*/accounts/2fa/verify/.*"))
        page.fill("#id_token", totp_token(device))
        page.click("form button[type=submit]")
    page.wait_for_url(f"{base}/")


def test_no_csp_violation_on_the_main_pages(
    live_server, transactional_db, page, make_user, make_partner, results_dir
):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    site = build_site(make_user, make_partner)
    base = live_server.url
    watch = Watcher(page)

    # --- anonymous: the login page; the language selector submits itself (hakusan.js) --------
    watch.visit(f"{base}/accounts/login/")
    assert page.locator("style").count() == 0  # htmx injected none (htmx-config)
    page.select_option("select[name=language]", "en")
    page.wait_for_selector("html[lang=en]")  # (a selector: the CSP forbids eval'd predicates)
    page.select_option("select[name=language]", "ja")
    page.wait_for_selector("html[lang=ja]")
    watch.collect()

    # --- a new analyst enrols a TOTP device: the setup page with its QR code -----------------
    newcomer = make_user("analyst", "cyber")
    page.fill("#id_username", newcomer.username)
    page.fill("#id_password", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_url(re.compile(r".*/accounts/2fa/setup/.*"))
    page.wait_for_selector(".totp-qr svg")
    box = page.locator(".totp-qr").bounding_box()
    assert box is not None and box["width"] <= 240  # the class replaced the style attribute
    watch.collect()
    page.context.clear_cookies()

    for role, user in (
        ("reception", site.officer),
        ("analyst", site.analyst),
        ("supervisor", site.supervisor),
        ("admin", site.admin),
    ):
        device = None
        if user.requires_two_factor:
            device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
        _log_in(page, base, user, device)
        watch.collect()
        for url in site.pages(role):
            watch.visit(f"{base}{url}")
            if url == f"/cases/{site.case.pk}/":
                canvas = f"case-graph-canvas-{site.case.pk}"
                page.wait_for_function(
                    "id => window.hakusanGraphs && window.hakusanGraphs[id] && "
                    "window.hakusanGraphs[id].nodes().length > 0",
                    arg=canvas,
                )
                page.wait_for_selector("#similar-list, #similar-pending", timeout=45_000)
                page.screenshot(path=str(results_dir / "csp-case.png"), full_page=True)
            if url == f"/analysis/cases/{site.case.pk}/graph/":
                page.wait_for_function(
                    "id => window.hakusanGraphs && window.hakusanGraphs[id]",
                    arg=f"case-graph-canvas-{site.case.pk}",
                )
            if url.endswith("/report/"):
                page.click(".toolbar button[data-print]")
                assert page.evaluate("window.__printed") is True
            if url == f"/reports/import/{site.run.pk}/":
                bar = page.locator(".progress-bar").bounding_box()
                track = page.locator(".progress").bounding_box()
                assert bar and track and 0.25 < bar["width"] / track["width"] < 0.35  # 30 %
            watch.collect()
        page.context.clear_cookies()

    assert watch.problems == []
