"""Who may call which API endpoint: every role (and an officer of another station, and an
anonymous caller) against every endpoint and method.

The expectations are written out by hand below, not derived from ``hakusan.core.access``: if a
role set in the code changes, this table has to be changed on purpose.

The world: report R was filed at the 金沢中 station and routed to the cyber division; report R2
was filed at the station too, and an investigator of the station opened ransomware case C from
it. Users: one per role (station: reception, investigator, supervisor; cyber division: analyst,
csirt, admin) and "outsider", a reception officer of another station (白山署).

Expected codes: 2xx allowed; 401 not authenticated; 403 the role may not; 404 the object is not
visible to the caller (need-to-know: never a 403 that would confirm it exists); 400 the service
refuses (only the assigned department may accept a routed report).
"""

from typing import Any

import pytest

from tests.api import anonymous_client, file_report, open_case, token_client

pytestmark = pytest.mark.django_db

WHO = (
    "reception",
    "analyst",
    "investigator",
    "supervisor",
    "csirt",
    "admin",
    "outsider",
    "anonymous",
)

# endpoint                   reception analyst invest. superv. csirt admin outsider anonymous
EXPECTED: dict[str, tuple[int, ...]] = {
    "reports.list":            (200, 200, 200, 200, 200, 200, 200, 401),
    "reports.create":          (201, 201, 201, 201, 201, 201, 201, 401),
    "reports.retrieve":        (200, 200, 200, 200, 200, 200, 404, 401),
    "reports.triage":          (200, 200, 403, 200, 403, 200, 404, 401),
    "reports.route_proposal":  (200, 200, 403, 200, 403, 200, 404, 401),
    "reports.route":           (200, 200, 403, 200, 403, 200, 404, 401),
    "reports.accept":          (400, 200, 400, 400, 200, 200, 404, 401),
    "cases.list":              (200, 200, 200, 200, 200, 200, 200, 401),
    "cases.create":            (403, 201, 201, 201, 403, 201, 403, 401),
    "cases.retrieve":          (404, 200, 200, 200, 404, 200, 404, 401),
    "cases.notes":             (404, 403, 201, 201, 404, 201, 404, 401),
    "cases.tasks":             (404, 403, 201, 201, 404, 201, 404, 401),
    "cases.members":           (404, 403, 201, 201, 404, 201, 404, 401),
    "cases.task_update":       (404, 403, 200, 200, 404, 200, 404, 401),
    "cases.status":            (404, 403, 200, 200, 404, 200, 404, 401),
    "cases.observables":       (404, 403, 201, 201, 404, 201, 404, 401),
    "cases.ransomware":        (404, 403, 200, 200, 404, 200, 404, 401),
    "observables.list":        (200, 200, 200, 200, 200, 200, 200, 401),
    "observables.retrieve":    (200, 200, 200, 200, 200, 200, 404, 401),
    "observables.lookup":      (200, 200, 200, 200, 200, 200, 200, 401),
    "observables.do_not_share": (403, 200, 403, 200, 403, 200, 403, 401),
    "categories.list":         (200, 200, 200, 200, 200, 200, 200, 401),
    "departments.list":        (200, 200, 200, 200, 200, 200, 200, 401),
    "case_types.list":         (200, 200, 200, 200, 200, 200, 200, 401),
    "schema":                  (200, 200, 200, 200, 200, 200, 200, 401),
    "root":                    (200, 200, 200, 200, 200, 200, 200, 401),
}  # fmt: skip

CASES = [
    (endpoint, who, codes[i]) for endpoint, codes in EXPECTED.items() for i, who in enumerate(WHO)
]


@pytest.fixture
def world(make_user, draft, departments) -> dict[str, Any]:
    from hakusan.intake.services import route_report

    filer = make_user("reception", "station")
    users = {
        "reception": make_user("reception", "station"),
        "analyst": make_user("analyst", "cyber"),
        "investigator": make_user("investigator", "station"),
        "supervisor": make_user("supervisor", "station"),
        "csirt": make_user("csirt", "cyber"),
        "admin": make_user("admin", "cyber"),
        "outsider": make_user("reception", "other"),
    }
    report = file_report(filer, draft)
    route_report(report, filer, department=departments["cyber"], reason="サイバー部門へ")
    report2 = file_report(
        filer,
        draft,
        narrative="社内サーバが暗号化され、身代金を要求された。"
        "脅迫文に hxxp://leak[.]example[.]org あり。",
    )
    case = open_case(
        users["investigator"], [report2], case_type="ransomware", title="ランサムウェア被害"
    )
    from hakusan.indicators.choices import SourceKind
    from hakusan.indicators.selectors import observables_of

    observable = next(
        o
        for o in observables_of(SourceKind.REPORT, report.pk)
        if o.type == "url" and "delivery-check" in o.value
    )
    return {
        "stranger": make_user("investigator", "other").username,
        "users": users,
        "report": report,
        "case": case,
        "task": case.tasks.first(),
        "observable": observable,
    }


def call(endpoint: str, client: Any, w: dict[str, Any]) -> Any:
    r, c, t, o = w["report"].pk, w["case"].pk, w["task"].pk, w["observable"].pk
    requests: dict[str, tuple[str, str, dict[str, Any] | None]] = {
        "reports.list": ("get", "/api/reports/", None),
        "reports.create": (
            "post",
            "/api/reports/",
            {
                "channel": "web",
                "kind": "consultation",
                "narrative": "偽の通販サイト hxxps://shop[.]example[.]net で代金を騙し取られた。",
            },
        ),
        "reports.retrieve": ("get", f"/api/reports/{r}/", None),
        "reports.triage": (
            "post",
            f"/api/reports/{r}/triage/",
            {"category": "phishing", "needs_cyber": True},
        ),
        "reports.route_proposal": ("get", f"/api/reports/{r}/route-proposal/", None),
        "reports.route": ("post", f"/api/reports/{r}/route/", {}),
        "reports.accept": ("post", f"/api/reports/{r}/accept/", {}),
        "cases.list": ("get", "/api/cases/", None),
        "cases.create": (
            "post",
            "/api/cases/",
            {"reports": [r], "case_type": "phishing", "title": "宅配業者を装うフィッシング"},
        ),
        "cases.retrieve": ("get", f"/api/cases/{c}/", None),
        "cases.notes": ("post", f"/api/cases/{c}/notes/", {"text": "被害企業と面談"}),
        "cases.tasks": ("post", f"/api/cases/{c}/tasks/", {"title": "ログの解析"}),
        "cases.members": ("post", f"/api/cases/{c}/members/", {"username": w["stranger"]}),
        "cases.task_update": ("patch", f"/api/cases/{c}/tasks/{t}/", {"status": "done"}),
        "cases.status": ("post", f"/api/cases/{c}/status/", {"status": "investigating"}),
        "cases.observables": (
            "post",
            f"/api/cases/{c}/observables/",
            {"value": "hxxp://c2[.]example[.]com/gate"},
        ),
        "cases.ransomware": (
            "patch",
            f"/api/cases/{c}/ransomware/",
            {"method": "double_extortion", "logs_preserved": True},
        ),
        "observables.list": ("get", "/api/observables/", None),
        "observables.retrieve": ("get", f"/api/observables/{o}/", None),
        "observables.lookup": (
            "get",
            "/api/observables/lookup/?value=delivery-check.example.jp",
            None,
        ),
        "observables.do_not_share": (
            "post",
            f"/api/observables/{o}/do-not-share/",
            {"do_not_share": True, "reason": "被害者の特定につながる"},
        ),
        "categories.list": ("get", "/api/categories/", None),
        "departments.list": ("get", "/api/departments/", None),
        "case_types.list": ("get", "/api/case-types/", None),
        "schema": ("get", "/api/schema/", None),
        "root": ("get", "/api/", None),
    }
    method, url, body = requests[endpoint]
    if body is None:
        return getattr(client, method)(url)
    return getattr(client, method)(url, body, format="json")


def test_the_table_covers_every_endpoint() -> None:
    assert all(len(codes) == len(WHO) for codes in EXPECTED.values())


@pytest.mark.parametrize(
    ("endpoint", "who", "expected"), CASES, ids=[f"{e}-{w}" for e, w, _ in CASES]
)
def test_matrix(world, endpoint: str, who: str, expected: int) -> None:
    client = anonymous_client() if who == "anonymous" else token_client(world["users"][who])
    response = call(endpoint, client, world)
    assert response.status_code == expected, (endpoint, who, response.content[:300])


# --- need-to-know beyond the table ------------------------------------------------------------


def test_lists_only_return_visible_objects(world) -> None:
    users, report, case = world["users"], world["report"], world["case"]
    outsider = token_client(users["outsider"])
    assert report.pk not in [r["id"] for r in outsider.get("/api/reports/").json()["results"]]
    assert outsider.get("/api/reports/").json()["count"] == 0
    assert outsider.get("/api/cases/").json()["count"] == 0
    assert outsider.get("/api/observables/").json()["count"] == 0
    reception = token_client(users["reception"])
    assert report.pk in [r["id"] for r in reception.get("/api/reports/").json()["results"]]
    assert reception.get("/api/cases/").json()["count"] == 0  # not a member
    analyst = token_client(users["analyst"])
    assert [c["id"] for c in analyst.get("/api/cases/").json()["results"]] == [case.pk]
    # R2 stayed at the station: the cyber division's csirt member does not see it.
    csirt_ids = [
        r["id"] for r in token_client(users["csirt"]).get("/api/reports/").json()["results"]
    ]
    assert csirt_ids == [report.pk]


def test_outsider_sees_neither_report_nor_observable_sources(world, draft) -> None:
    """Another station's officer: the report is 404; its observable can be looked up by value
    (the correlation the officer needs) but R and C are only counted, never named."""
    outsider = world["users"]["outsider"]
    client = token_client(outsider)
    assert client.get(f"/api/reports/{world['report'].pk}/").status_code == 404
    assert client.get(f"/api/observables/{world['observable'].pk}/").status_code == 404
    # Searching part of a value finds nothing the outsider may not see...
    assert client.get("/api/observables/", {"q": "delivery-check"}).json()["count"] == 0
    # ...but the exact value (as the victim wrote it) finds it, with counts only.
    value = world["observable"].value
    found = client.get("/api/observables/", {"q": value}).json()
    assert [(o["id"], o["sightings"]) for o in found["results"]] == [
        (world["observable"].pk, {"report": 1})
    ]
    # The outsider files a report with the same URL: now the observable is theirs too.
    own = file_report(
        outsider, draft, narrative="SMSのURL hxxps://delivery-check[.]example[.]jp/track を開いた。"
    )
    detail = client.get(f"/api/observables/{world['observable'].pk}/").json()
    assert [(s["kind"], s["number"]) for s in detail["sources"]] == [("report", own.number)]
    assert detail["not_shown"] == {"report": 1}
    assert detail["sightings"] == {"report": 2}
    assert world["report"].number not in str(detail)


def test_session_without_totp_is_refused_but_token_works(world, client) -> None:
    analyst = world["users"]["analyst"]
    client.force_login(analyst)  # password only: two-factor not passed
    assert client.get("/api/reports/").status_code in (401, 403)
    assert client.post(
        "/api/reports/",
        {"channel": "web", "kind": "report", "narrative": "x"},
        content_type="application/json",
    ).status_code in (401, 403)
    assert token_client(analyst).get("/api/reports/").status_code == 200


def test_verified_session_works(world, client, login) -> None:
    login(world["users"]["analyst"])
    assert client.get("/api/reports/").status_code == 200


def test_reception_session_needs_no_totp(world, client) -> None:
    """Roles without two-factor (reception) use the API through their session as in the UI."""
    client.force_login(world["users"]["reception"])
    assert client.get("/api/reports/").status_code == 200


def test_inactive_user_token_is_refused(world) -> None:
    user = world["users"]["analyst"]
    api = token_client(user)
    user.is_active = False
    user.save()
    assert api.get("/api/reports/").status_code == 401


def test_no_password_for_token_endpoint(world) -> None:
    response = anonymous_client().post(
        "/api/auth/token/", {"username": "x", "password": "y"}, format="json"
    )
    assert response.status_code in (401, 404)


def test_session_writes_need_the_csrf_token(world) -> None:
    """A browser session (unlike a token) cannot be used for writes from another site."""
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    browser.force_login(world["users"]["reception"])
    body = {"channel": "web", "kind": "report", "narrative": "不審なSMSを受信した。"}
    refused = browser.post("/api/reports/", body, content_type="application/json")
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]
    token = "k" * 32  # what the page's CSRF cookie holds
    browser.cookies["csrftoken"] = token
    accepted = browser.post(
        "/api/reports/", body, content_type="application/json", HTTP_X_CSRFTOKEN=token
    )
    assert accepted.status_code == 201, accepted.content
