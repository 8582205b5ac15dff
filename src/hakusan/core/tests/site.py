"""A small fictional site for the security-header tests: one object behind each main page, the
pages each role visits, and a checker for markup a ``script-src 'self'; style-src 'self'``
policy would block. Shared by ``test_security_headers`` (test client) and
``tests/e2e/test_csp`` (a real browser)."""

from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

C2 = "198.51.100.23"
MAIL = "restore@lockdata-support.example.jp"
GREEN = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
STAMP = "2026-01-05T01:00:00.000Z"


@dataclass
class Site:
    officer: Any
    analyst: Any
    supervisor: Any
    admin: Any
    report: Any
    case: Any
    campaign: Any
    bundle: Any
    run: Any

    def pages(self, role: str) -> list[str]:
        """The main pages ``role`` works with (each answers 200 to that role)."""
        common = ["/", f"/search/?q={C2}"]
        if role == "reception":
            return [*common, "/reports/new/", "/reports/", f"/reports/{self.report.pk}/"]
        if role == "analyst":
            case, campaign = self.case.pk, self.campaign.pk
            return [
                *common,
                "/reports/",
                f"/reports/{self.report.pk}/",
                "/reports/import/",
                f"/reports/import/{self.run.pk}/",
                f"/accounts/jobs/{self.run.pk}/",
                "/cases/",
                f"/cases/{case}/",
                f"/analysis/cases/{case}/graph/",
                f"/analysis/cases/{case}/similar/",
                "/analysis/campaigns/",
                f"/analysis/campaigns/{campaign}/",
                f"/analysis/campaigns/{campaign}/report/",
                "/analysis/suggestions/",
                "/analysis/knowledge/",
                "/analysis/actors/",
                "/sharing/bundles/",
                f"/sharing/bundles/{self.bundle.pk}/",
            ]
        if role == "supervisor":
            return [*common, "/reports/", "/cases/"]
        if role == "admin":
            return [*common, "/admin/", "/admin/core/user/"]
        raise ValueError(role)


def _bundle() -> dict[str, Any]:
    def indicator(n: int, pattern: str) -> dict[str, Any]:
        return {
            "type": "indicator",
            "spec_version": "2.1",
            "id": f"indicator--7c1e6a4c-0000-4000-8000-00000000000{n}",
            "created": STAMP,
            "modified": STAMP,
            "pattern": pattern,
            "pattern_type": "stix",
            "valid_from": STAMP,
            "labels": ["phishing"],
            "object_marking_refs": [GREEN],
        }

    return {
        "type": "bundle",
        "id": "bundle--7c1e6a4c-0000-4000-8000-000000000000",
        "objects": [indicator(1, "[domain-name:value = 'phish-login.example.jp']")],
    }


def build_site(make_user: Any, make_partner: Any) -> Site:
    from hakusan.analysis.services import create_campaign
    from hakusan.cases.models import CaseType
    from hakusan.cases.services import open_case
    from hakusan.core.models import JobRun
    from hakusan.domain.intake import ReportDraft
    from hakusan.intake.services import create_report
    from hakusan.sharing.services import import_bundle

    officer = make_user("reception", "station")
    analyst = make_user("analyst", "cyber")
    supervisor = make_user("supervisor", "cyber")
    admin = make_user("admin", "cyber", is_superuser=True)
    vpn = "VPN機器の脆弱性を突かれて社内ネットワークに侵入され、ファイルサーバが暗号化された。"
    cases = []
    for n, narrative in enumerate(
        (
            f"{vpn} C2 {C2.replace('.', '[.]')} 脅迫文の連絡先 {MAIL}",
            f"病院でも{vpn} 通信先 {C2}",
        )
    ):
        draft = ReportDraft(
            channel="visit", kind="consultation", narrative=narrative, reporter_name="試験"
        )
        report = create_report(officer, draft).report
        cases.append(
            open_case(
                analyst,
                reports=[report],
                case_type=CaseType.objects.get(code="ransomware"),
                title=f"ランサムウェア被害 {n + 1}",
            )
        )
    first_report = cases[0].reports.get()
    campaign = create_campaign(analyst, name="VPN侵入型ランサムウェア(試験)", cases=cases)
    partner, _key = make_partner("富山県警察 (試験)", max_tlp="amber", can_write=True)
    bundle = import_bundle(_bundle(), partner=partner, pending=True).bundle
    run = JobRun.objects.create(
        name="intake.import_reports",
        status="running",
        progress_done=3,
        progress_total=10,
        created_by=analyst,
    )
    return Site(officer, analyst, supervisor, admin, first_report, cases[0], campaign, bundle, run)


class InlineFinder(HTMLParser):
    """Collects what a policy without 'unsafe-inline' blocks: script elements with a body
    (JSON data blocks excepted: browsers do not run them), event-handler and ``hx-on``
    attributes (htmx evaluates them), ``style`` attributes, ``<style>`` without the
    response's nonce and ``javascript:`` URLs."""

    def __init__(self, nonce: str = "") -> None:
        super().__init__(convert_charrefs=True)
        self.nonce = nonce
        self.found: list[str] = []
        self._script: str | None = None  # inside a script that must have no body
        self._style_ok = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        for name, value in values.items():
            if name.startswith("on") or name.startswith(("hx-on", "data-hx-on")):
                self.found.append(f"<{tag} {name}=...>")
            if name == "style":
                self.found.append(f"<{tag} style={value!r}>")
            if name in ("href", "src", "action", "formaction") and value.strip().lower().startswith(
                "javascript:"
            ):
                self.found.append(f"<{tag} {name}={value!r}>")
        if tag == "script":
            data_block = values.get("type", "").lower() == "application/json"
            self._script = None if data_block else values.get("src", "")
        if tag == "style":
            self._style_ok = bool(self.nonce) and values.get("nonce") == self.nonce
            if not self._style_ok:
                self.found.append("<style> without the response's nonce")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._script = None

    def handle_data(self, data: str) -> None:
        if self._script is not None and data.strip():
            self.found.append(f"inline <script> body: {data.strip()[:60]!r}")


def inline_violations(html: str, nonce: str = "") -> list[str]:
    finder = InlineFinder(nonce)
    finder.feed(html)
    finder.close()
    return finder.found
