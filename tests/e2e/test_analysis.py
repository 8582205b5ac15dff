"""Analysis in a real browser: an analyst (logged in with a one-time code) opens a case, sees
the graph drawn by Cytoscape.js (served from npm, no CDN) and its list form, and similar cases;
opens the campaign suggestions, accepts one as a campaign tied to APT10, and downloads the
attribution report as PDF. Screenshots go to test-results/."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.e2e.test_main_flow import log_in, totp_token

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

C2 = "45.137.21.9"
MAIL = "restore@lockdata-support.top"
CYTOSCAPE = Path(__file__).resolve().parents[2] / "frontend" / "node_modules" / "cytoscape" / "dist"


@pytest.fixture
def cytoscape_static(settings):
    """The vendor/cytoscape static entry (settings.base has it once the lead adds it)."""
    if not (CYTOSCAPE / "cytoscape.min.js").exists():
        pytest.skip("frontend/node_modules/cytoscape is missing: cd frontend && npm ci")
    dirs = list(settings.STATICFILES_DIRS)
    if not any(isinstance(d, tuple) and d[0] == "vendor/cytoscape" for d in dirs):
        settings.STATICFILES_DIRS = [*dirs, ("vendor/cytoscape", CYTOSCAPE)]


def _case(user, opener, narrative, title, case_type="ransomware"):
    from hakusan.cases.models import CaseType
    from hakusan.cases.services import open_case
    from hakusan.domain.intake import ReportDraft
    from hakusan.intake.services import create_report

    draft = ReportDraft(
        channel="visit", kind="consultation", narrative=narrative, reporter_name="試験"
    )
    report = create_report(user, draft).report
    return open_case(
        opener, reports=[report], case_type=CaseType.objects.get(code=case_type), title=title
    )


def test_graph_suggestion_campaign_pdf(
    live_server, transactional_db, page, make_user, results_dir, cytoscape_static
):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from hakusan.analysis.models import Campaign
    from hakusan.core.models import AuditEntry

    officer = make_user("reception", "station")
    analyst = make_user("analyst", "cyber")
    device = TOTPDevice.objects.create(user=analyst, name="phone", confirmed=True)
    vpn = "VPN機器の脆弱性を突かれて社内ネットワークに侵入され、ファイルサーバが暗号化された。"
    a = _case(
        officer,
        analyst,
        f"{vpn} C2 {C2.replace('.', '[.]')} 脅迫文の連絡先 {MAIL}",
        "製造業A社ランサムウェア被害",
    )
    b = _case(officer, analyst, f"病院でも{vpn} 通信先 {C2}", "B病院ランサムウェア被害")
    c = _case(
        officer,
        analyst,
        f"脅迫文に {MAIL.replace('.', '[.]')} の記載。{vpn}",
        "C社ランサムウェア被害",
    )
    _case(
        officer,
        analyst,
        "宅配業者を装うSMSから偽サイトへ誘導された。",
        "フィッシング相談",
        "phishing",
    )
    base = live_server.url

    log_in(page, base, analyst.username)
    page.wait_for_url(re.compile(r".*/accounts/2fa/verify/.*"))
    page.fill("#id_token", totp_token(device))
    page.click("form button[type=submit]")
    page.wait_for_selector("#queue")

    # --- the case page: graph canvas, list form, similar cases, tags --------------------------
    page.goto(f"{base}/cases/{a.pk}/")
    page.wait_for_selector(f"#case-graph-canvas-{a.pk}")
    page.wait_for_function(
        "id => window.hakusanGraphs && window.hakusanGraphs[id] && "
        "window.hakusanGraphs[id].nodes().length > 0",
        arg=f"case-graph-canvas-{a.pk}",
    )
    counts = page.evaluate(
        """id => { const cy = window.hakusanGraphs[id];
                   return {nodes: cy.nodes().length, edges: cy.edges().length,
                           cases: cy.nodes('[kind = "case"]').map(n => n.data('label')),
                           drawn: cy.nodes().every(n => Number.isFinite(n.position('x')))}; }""",
        f"case-graph-canvas-{a.pk}",
    )
    assert counts["nodes"] >= 6 and counts["edges"] >= 5 and counts["drawn"]
    assert {a.number, b.number, c.number} <= set(counts["cases"])
    listing = page.inner_text("#case-graph-list")
    assert "45[.]137[.]21[.]9" in listing and b.number in listing
    page.wait_for_selector("#similar-list .similar-row", timeout=45_000)  # first index build
    similar = page.inner_text("#similar-list")
    assert b.number in similar and "VPN機器の脆弱性" in similar
    page.locator("#case-graph").scroll_into_view_if_needed()
    page.screenshot(path=str(results_dir / "analysis-case-graph.png"), full_page=True)

    # tag the case with ATT&CK T1486 through the autocomplete
    page.fill("#case-tag-q", "T1486")
    page.wait_for_selector("#case-tag-results form button")
    page.click("#case-tag-results form button")
    page.wait_for_selector("#case-tags :text('Data Encrypted for Impact')")

    # --- suggestions: accept one as a campaign tied to APT10 -----------------------------------
    page.click("nav a[href='/analysis/']")
    page.click("#analysis-nav a[href='/analysis/suggestions/']")
    page.wait_for_selector(".suggestion")
    card = page.locator(".suggestion", has_text=a.number).first
    for number in (a.number, b.number, c.number):
        assert number in card.inner_text()
    card.locator("input[name$='-name']").fill("VPN侵入型ランサムウェア攻撃群")
    card.locator("input[name$='-actor']").fill("APT1")
    choice = card.locator(".actor-results li", has_text="APT10").first
    choice.wait_for()
    choice.locator("button").click()
    assert card.locator("input[name$='-actor']").input_value() == "APT10"
    page.screenshot(path=str(results_dir / "analysis-suggestions.png"), full_page=True)
    card.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/analysis/campaigns/\d+/$"))
    campaign = Campaign.objects.get()
    assert campaign.actor is not None and campaign.actor.name == "APT10"
    assert set(campaign.cases.all()) == {a, b, c}
    assert "45[.]137[.]21[.]9" in page.inner_text("#infrastructure")
    page.screenshot(path=str(results_dir / "analysis-campaign.png"), full_page=True)

    # --- the attribution report: HTML, then the PDF download -----------------------------------
    page.click("#report-html")
    page.wait_for_selector("h1")
    assert "VPN侵入型ランサムウェア攻撃群" in page.inner_text("h1")
    page.screenshot(path=str(results_dir / "analysis-report.png"), full_page=True)
    page.go_back()
    with page.expect_download() as download:
        page.click("#report-pdf")
    pdf = results_dir / "analysis-attribution.pdf"
    download.value.save_as(str(pdf))
    assert pdf.read_bytes().startswith(b"%PDF")
    assert AuditEntry.objects.filter(action="export", detail__format="pdf").count() == 1
    # --- the knowledge search: APT10 finds menuPass / Stone Panda --------------------------------
    page.click("#analysis-nav a[href='/analysis/knowledge/']")
    page.fill("#k-q", "APT10")
    page.click("#knowledge-form button[type=submit]")
    page.wait_for_selector("#knowledge-results .knowledge-row")
    results = page.inner_text("#knowledge-results")
    assert "menuPass" in results and "Stone Panda" in results
    page.screenshot(path=str(results_dir / "analysis-knowledge.png"), full_page=True)

    if shutil.which("pdftoppm"):
        subprocess.run(
            [
                "pdftoppm",
                "-png",
                "-r",
                "70",
                "-f",
                "1",
                "-l",
                "1",
                str(pdf),
                str(results_dir / "analysis-attribution"),
            ],
            check=True,
        )


def test_graph_of_a_few_hundred_nodes(
    live_server, transactional_db, page, make_user, results_dir, cytoscape_static
):
    """A case whose ten addresses each recur in twelve other cases: some 250 nodes, drawn
    with the breadthfirst layout, within the cap; the list form has every observable."""
    import time

    from django_otp.plugins.otp_totp.models import TOTPDevice

    officer = make_user("reception", "station")
    analyst = make_user("analyst", "cyber")
    device = TOTPDevice.objects.create(user=analyst, name="phone", confirmed=True)
    ips = [f"45.137.{20 + i}.{9 + i}" for i in range(10)]
    root = _case(officer, analyst, "大量の接続元: " + "、".join(ips), "多数の接続元を持つ事件")
    for i, ip in enumerate(ips):
        for j in range(12):
            _case(officer, analyst, f"接続元 {ip} ({i}-{j})", f"関連事件{i}-{j}", "other")

    log_in(page, live_server.url, analyst.username)
    page.wait_for_url(re.compile(r".*/accounts/2fa/verify/.*"))
    page.fill("#id_token", totp_token(device))
    page.click("form button[type=submit]")
    page.wait_for_selector("#queue")
    started = time.monotonic()
    page.goto(f"{live_server.url}/analysis/cases/{root.pk}/graph/")
    canvas = f"case-graph-canvas-{root.pk}"
    page.wait_for_function(
        "id => window.hakusanGraphs && window.hakusanGraphs[id]", arg=canvas, timeout=30_000
    )
    elapsed = time.monotonic() - started
    nodes = page.evaluate(f"window.hakusanGraphs['{canvas}'].nodes().length")
    assert 200 <= nodes <= 300 and elapsed < 20
    assert page.locator("#case-graph-list tbody tr").count() >= 10  # and their ASNs
    page.screenshot(path=str(results_dir / "analysis-graph-large.png"), full_page=False)
