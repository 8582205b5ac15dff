"""The cases API: opening a case from reports, reading it, and working on it (notes, tasks,
status, observables, the ransomware record)."""

import re
from typing import Any

import pytest

from tests.api import audit_entries, file_report, open_case, token_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def investigator(make_user) -> Any:
    return make_user("investigator", "station")


@pytest.fixture
def api(investigator) -> Any:
    return token_client(investigator)


@pytest.fixture
def report(officer, draft) -> Any:
    return file_report(officer, draft)


def test_open_case_from_reports(api, investigator, officer, report, make_user) -> None:
    colleague = make_user("investigator", "station")
    response = api.post(
        "/api/cases/",
        {
            "reports": [report.pk],
            "case_type": "phishing",
            "title": "宅配業者を装うフィッシング",
            "members": [colleague.username],
            "summary": "SMSから誘導",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    data = response.json()
    assert re.fullmatch(r"C\d{4}-\d{5}", data["number"])
    assert data["case_type"] == "phishing"
    assert data["lead_department"] == investigator.department.code
    assert data["status"] == "received"
    assert data["opened_by"] == investigator.username
    assert data["can_edit"] is True
    assert [r["number"] for r in data["reports"]] == [report.number]
    assert {(m["username"], m["role"]) for m in data["members"]} == {
        (investigator.username, "lead"),
        (colleague.username, "member"),
    }
    assert data["tasks"] and all(t["from_playbook"] for t in data["tasks"])
    assert data["timeline"][0]["kind"] == "system"
    assert data["ransomware"] is None
    # The report's observables are linked; the report itself is not "elsewhere".
    assert any(o["type"] == "url" for o in data["observables"])
    assert all(o["seen_elsewhere"] == 0 for o in data["observables"])
    assert audit_entries("create", "cases.case", data["id"])
    report.refresh_from_db()
    assert report.status == "case_opened"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"case_type": "nope"}, "case_type"),
        ({"title": ""}, "title"),
        ({"title": "   "}, "title"),
        ({"reports": [999999]}, "reports"),
        ({"reports": "1"}, "reports"),
        ({"members": ["nobody"]}, "members"),
        ({"lead_department": "nowhere"}, "lead_department"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_open_case_bad_input(api, report, payload: dict[str, Any], field: str) -> None:
    values = {"reports": [report.pk], "case_type": "phishing", "title": "事件", **payload}
    response = api.post("/api/cases/", values, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()


def test_open_case_from_an_invisible_report_is_400_not_a_leak(api, make_user, draft) -> None:
    elsewhere = file_report(make_user("reception", "other"), draft)
    response = api.post(
        "/api/cases/",
        {"reports": [elsewhere.pk], "case_type": "phishing", "title": "事件"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["reports"] == [f"unknown report id: {elsewhere.pk}"]


def test_retrieve_and_list_are_audited(api, investigator, report) -> None:
    case = open_case(investigator, [report])
    response = api.get(f"/api/cases/{case.pk}/")
    assert response.status_code == 200
    assert response.json()["number"] == case.number
    assert len(audit_entries("view", "cases.case", case.pk)) == 1
    listed = api.get("/api/cases/", {"status": "received"})
    assert [c["id"] for c in listed.json()["results"]] == [case.pk]
    entry = audit_entries("list", "cases.case")[-1]
    assert entry.detail["count"] == 1
    assert entry.detail["filters"] == {"status": "received"}
    assert api.get("/api/cases/", {"status": "nope"}).status_code == 400


def test_notes_tasks_status(api, investigator, report) -> None:
    case = open_case(investigator, [report])
    note = api.post(
        f"/api/cases/{case.pk}/notes/",
        {"text": "被害者と面談", "kind": "event", "at": "2026-11-21T10:00:00+09:00"},
        format="json",
    )
    assert note.status_code == 201, note.content
    assert note.json()["kind"] == "event"
    assert note.json()["at"] == "2026-11-21T10:00:00+09:00"
    assert note.json()["author"] == investigator.username

    task = api.post(
        f"/api/cases/{case.pk}/tasks/",
        {
            "title": "プロバイダ照会",
            "assignee": investigator.username,
            "due_at": "2026-12-01T17:00:00+09:00",
        },
        format="json",
    )
    assert task.status_code == 201, task.content
    task_id = task.json()["id"]
    assert task.json()["assignee"] == investigator.username

    done = api.patch(f"/api/cases/{case.pk}/tasks/{task_id}/", {"status": "done"}, format="json")
    assert done.status_code == 200, done.content
    assert done.json()["status"] == "done"
    assert done.json()["completed_by"] == investigator.username
    assert done.json()["assignee"] == investigator.username  # untouched
    cleared = api.patch(
        f"/api/cases/{case.pk}/tasks/{task_id}/", {"assignee": None, "due_at": None}, format="json"
    )
    assert cleared.json()["assignee"] is None and cleared.json()["due_at"] is None

    status = api.post(f"/api/cases/{case.pk}/status/", {"status": "closed"}, format="json")
    assert status.status_code == 200, status.content
    assert status.json()["status"] == "closed"
    assert status.json()["closed_at"]
    texts = [e["text"] for e in status.json()["timeline"]]
    assert "被害者と面談" in texts


@pytest.mark.parametrize(
    ("path", "method", "payload", "field"),
    [
        ("notes/", "post", {"text": ""}, "text"),
        ("notes/", "post", {"text": "x", "kind": "system"}, "kind"),
        ("tasks/", "post", {"title": ""}, "title"),
        ("tasks/", "post", {"title": "x", "assignee": "nobody"}, "assignee"),
        ("tasks/", "post", {"title": "x", "assignee": "__officer__"}, "assignee"),
        ("members/", "post", {"username": "nobody"}, "username"),
        ("members/", "post", {"username": "__investigator__"}, "username"),
        ("members/", "post", {"username": "__officer__", "role": "boss"}, "role"),
        ("status/", "post", {"status": "finished"}, "status"),
        ("observables/", "post", {"value": "not an observable at all"}, "value"),
        ("observables/", "post", {}, "value"),
    ],
)
def test_case_write_bad_input(
    api, investigator, officer, report, path: str, method: str, payload: dict[str, Any], field: str
) -> None:
    case = open_case(investigator, [report])
    names = {"__officer__": officer.username, "__investigator__": investigator.username}
    payload = {k: names.get(v, v) if isinstance(v, str) else v for k, v in payload.items()}
    response = getattr(api, method)(f"/api/cases/{case.pk}/{path}", payload, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()


def test_task_update_bad_input_and_foreign_task(api, investigator, report, draft, officer) -> None:
    case = open_case(investigator, [report])
    other = open_case(investigator, [file_report(officer, draft)])
    task = case.tasks.first()
    response = api.patch(
        f"/api/cases/{case.pk}/tasks/{task.pk}/", {"status": "maybe"}, format="json"
    )
    assert response.status_code == 400 and "status" in response.json()
    foreign = other.tasks.first()
    assert (
        api.patch(
            f"/api/cases/{case.pk}/tasks/{foreign.pk}/", {"status": "done"}, format="json"
        ).status_code
        == 404
    )


def test_link_observable(api, investigator, report, make_user, draft) -> None:
    case = open_case(investigator, [report])
    linked = api.post(
        f"/api/cases/{case.pk}/observables/",
        {"value": "hxxp://c2[.]example[.]jp/gate"},
        format="json",
    )
    assert linked.status_code == 201, linked.content
    assert linked.json()["type"] == "url"
    assert linked.json()["value"].startswith("http://c2.example.jp")
    values = {o["value"] for o in api.get(f"/api/cases/{case.pk}/").json()["observables"]}
    assert linked.json()["value"] in values
    # Another station's report with the URL makes it "seen elsewhere" (counted).
    file_report(
        make_user("reception", "other"),
        draft,
        narrative="不審なURL hxxp://c2[.]example[.]jp/gate を受信",
    )
    rows = {o["value"]: o for o in api.get(f"/api/cases/{case.pk}/").json()["observables"]}
    assert rows[linked.json()["value"]]["seen_elsewhere"] == 1


def test_ransomware_record(api, investigator, report) -> None:
    case = open_case(investigator, [report], case_type="ransomware", title="ランサムウェア")
    assert api.get(f"/api/cases/{case.pk}/").json()["ransomware"]["method"] == ""
    response = api.patch(
        f"/api/cases/{case.pk}/ransomware/",
        {
            "method": "double_extortion",
            "ransom_demanded": True,
            "infection_route": "vpn",
            "family": "LockBit",
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    data = response.json()
    assert (data["method"], data["ransom_demanded"], data["infection_route"]) == (
        "double_extortion",
        True,
        "vpn",
    )
    assert data["updated_by"] == investigator.username
    again = api.patch(f"/api/cases/{case.pk}/ransomware/", {"logs_preserved": False}, format="json")
    assert again.json()["method"] == "double_extortion"  # only the fields sent change
    assert again.json()["logs_preserved"] is False
    bad = api.patch(f"/api/cases/{case.pk}/ransomware/", {"method": "phishing"}, format="json")
    assert bad.status_code == 400 and "method" in bad.json()
    bad = api.patch(f"/api/cases/{case.pk}/ransomware/", {"case": 5}, format="json")
    assert bad.status_code == 400 and "case" in bad.json()


def test_ransomware_record_of_other_case_types_is_404(api, investigator, report) -> None:
    case = open_case(investigator, [report], case_type="phishing")
    response = api.patch(
        f"/api/cases/{case.pk}/ransomware/", {"method": "encryption"}, format="json"
    )
    assert response.status_code == 404


def test_no_patch_of_the_case_itself(api, investigator, report) -> None:
    case = open_case(investigator, [report])
    assert api.patch(f"/api/cases/{case.pk}/", {"title": "x"}, format="json").status_code == 405


def test_add_member_then_assign(api, investigator, officer, report) -> None:
    case = open_case(investigator, [report])
    added = api.post(
        f"/api/cases/{case.pk}/members/",
        {"username": officer.username, "role": "analyst"},
        format="json",
    )
    assert added.status_code == 201, added.content
    assert (added.json()["username"], added.json()["role"]) == (officer.username, "analyst")
    task = api.post(
        f"/api/cases/{case.pk}/tasks/",
        {"title": "聴取", "assignee": officer.username},
        format="json",
    )
    assert task.status_code == 201, task.content
    assert token_client(officer).get(f"/api/cases/{case.pk}/").status_code == 200


def test_member_of_another_role_may_edit(make_user, investigator, report) -> None:
    """Need-to-know follows membership: a reception officer added to the case reads and
    writes it; the same role without membership gets 404."""
    member = make_user("reception", "station")
    case = open_case(investigator, [report], members=[member])
    api = token_client(member)
    assert api.get(f"/api/cases/{case.pk}/").status_code == 200
    assert (
        api.post(f"/api/cases/{case.pk}/notes/", {"text": "確認済み"}, format="json").status_code
        == 201
    )
    stranger = token_client(make_user("reception", "station"))
    assert stranger.get(f"/api/cases/{case.pk}/").status_code == 404
