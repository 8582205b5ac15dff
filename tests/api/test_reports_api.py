"""The reports API: filing (extraction and triage suggestion), reading, triage, routing,
acceptance, filters, input errors and the audit trail."""

import re
from datetime import timedelta
from typing import Any

import pytest

from tests.api import NARRATIVE, URL_IN_NARRATIVE, audit_entries, file_report, token_client

pytestmark = pytest.mark.django_db

ISO_WITH_OFFSET = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?[+-]\d\d:\d\d$")


def body(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "channel": "visit",
        "kind": "consultation",
        "narrative": NARRATIVE,
        "reporter_name": "山田太郎",
        "reporter_contact": "090-0000-1234",
        "victim_name": "山田太郎",
        "damage_amount": 150000,
        "items": ["SMS送信元 +81 90-0000-5678"],
    }
    values.update(overrides)
    return values


@pytest.fixture
def api(officer) -> Any:
    return token_client(officer)


# --- filing -----------------------------------------------------------------------------------


def test_create_extracts_observables_and_suggests(api, officer) -> None:
    response = api.post("/api/reports/", body(), format="json")
    assert response.status_code == 201, response.content
    data = response.json()
    assert re.fullmatch(r"R\d{4}-\d{6}", data["number"])
    assert data["status"] == "new"
    assert data["receiving_department"] == officer.department.code
    assert data["received_by"] == officer.username
    # Extraction: the defanged URL is refanged and canonical; "as written" is kept.
    extracted = {(e["type"], e["value"]) for e in data["extracted"]}
    assert any(
        t == "url" and URL_IN_NARRATIVE in v and v.startswith("https://") for t, v in extracted
    )
    assert any(
        e["original"].startswith("hxxps://") for e in data["extracted"] if e["type"] == "url"
    )
    assert {o["value"] for o in data["observables"]} >= {v for _, v in extracted}
    assert all(o["seen_elsewhere"] == 0 for o in data["observables"])
    # Suggestion with reasons.
    suggestion = data["suggestion"]
    assert suggestion["category"]
    assert suggestion["reasons"] and {"kind", "detail", "weight"} <= set(suggestion["reasons"][0])
    assert data["items"][0]["text"] == "SMS送信元 +81 90-0000-5678"
    assert ISO_WITH_OFFSET.match(data["received_at"])
    assert data["received_at"].endswith("+09:00")
    assert audit_entries("create", "intake.report", data["id"])


def test_create_with_time_without_offset_is_tokyo(api) -> None:
    response = api.post(
        "/api/reports/",
        body(received_at="2026-11-20T15:00:00", occurred_at="2026-11-20T06:00:00Z"),
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["received_at"] == "2026-11-20T15:00:00+09:00"
    assert response.json()["occurred_at"] == "2026-11-20T15:00:00+09:00"


def test_second_report_sees_the_first_elsewhere(api, officer, draft) -> None:
    first = file_report(officer, draft)
    data = api.post("/api/reports/", body(), format="json").json()
    url = next(o for o in data["observables"] if o["type"] == "url")
    assert url["seen_elsewhere"] == 1
    assert url["seen_elsewhere_by_kind"] == {"report": 1}
    related = {r["number"]: r for r in data["related_reports"]}
    assert first.number in related
    assert related[first.number]["shared_observables"]
    assert "山田太郎" in related[first.number]["same_person"]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"narrative": None}, "narrative"),
        ({"narrative": "   "}, "narrative"),
        ({"channel": "fax"}, "channel"),
        ({"kind": "rumour"}, "kind"),
        ({"damage_amount": -5}, "damage_amount"),
        ({"damage_amount": "a lot"}, "damage_amount"),
        ({"damage_amount": 10**16}, "damage_amount"),
        ({"received_at": "yesterday"}, "received_at"),
        ({"items": "not a list"}, "items"),
        ({"items": ["x" * 9000]}, "items"),
        ({"victim_kind": "alien"}, "victim_kind"),
        ({"tlp": "purple"}, "tlp"),
        ({"reporter_name": "名" * 101}, "reporter_name"),
        ({"category_code": "no-such-category"}, "category_code"),
        ({"narative": "typo"}, "narative"),
    ],
)
def test_create_bad_input_names_the_field(api, overrides: dict[str, Any], field: str) -> None:
    values = body(**overrides)
    if overrides.get("narrative", "") is None:
        del values["narrative"]
    response = api.post("/api/reports/", values, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()


def test_create_invalid_json_is_400(api) -> None:
    response = api.post(
        "/api/reports/", data='{"channel": "web", "narrative": ', content_type="application/json"
    )
    assert response.status_code == 400
    assert "JSON" in response.json()["detail"]


def test_create_non_object_json_is_400(api) -> None:
    response = api.post("/api/reports/", [1, 2], format="json")
    assert response.status_code == 400
    assert "non_field_errors" in response.json()


def test_category_at_filing_needs_a_triage_role(make_user, api) -> None:
    filed = api.post("/api/reports/", body(category_code="phishing"), format="json")
    assert filed.status_code == 201, filed.content
    assert filed.json()["status"] == "triaged"
    assert filed.json()["category"] == "phishing"
    investigator = token_client(make_user("investigator", "station"))
    refused = investigator.post("/api/reports/", body(category_code="phishing"), format="json")
    assert refused.status_code == 403


def test_station_code_needs_an_import_role(api, analyst, departments) -> None:
    refused = api.post("/api/reports/", body(station_code="hakusan-st"), format="json")
    assert refused.status_code == 403
    filed = token_client(analyst).post(
        "/api/reports/", body(station_code="hakusan-st"), format="json"
    )
    assert filed.status_code == 201
    assert filed.json()["receiving_department"] == "hakusan-st"


def test_user_without_department_gets_400(make_user) -> None:
    user = make_user("reception", dept="")
    response = token_client(user).post("/api/reports/", body(), format="json")
    assert response.status_code == 400
    assert "non_field_errors" in response.json()


# --- reading ----------------------------------------------------------------------------------


def test_retrieve_is_audited(api, officer, draft) -> None:
    report = file_report(officer, draft)
    response = api.get(f"/api/reports/{report.pk}/")
    assert response.status_code == 200
    data = response.json()
    assert data["number"] == report.number
    assert data["narrative"].startswith("令和8年")
    entries = audit_entries("view", "intake.report", report.pk)
    assert len(entries) == 1
    assert entries[0].actor == officer


def test_list_is_audited_with_count(api, officer, draft) -> None:
    for _ in range(3):
        file_report(officer, draft)
    response = api.get("/api/reports/", {"limit": 2})
    assert response.status_code == 200
    data = response.json()
    assert data["count"] == 3
    assert len(data["results"]) == 2
    assert data["next"]
    entries = audit_entries("list", "intake.report")
    assert len(entries) == 1
    assert entries[0].detail["count"] == 3
    assert entries[0].detail["returned"] == 2


def test_unknown_and_malformed_ids_are_404(api) -> None:
    assert api.get("/api/reports/999999/").status_code == 404
    assert api.get("/api/reports/abc/").status_code == 404


def test_filters(api, officer, draft, departments) -> None:
    from hakusan.intake.services import confirm_triage, route_report

    web = file_report(officer, draft, channel="web", narrative="掲示板で誹謗中傷された。")
    phone = file_report(officer, draft, channel="phone")
    confirm_triage(phone, officer, "phishing", True)
    route_report(phone, officer, department=departments["cyber"], reason="要対応", sla_hours=1)
    from django.utils import timezone

    from hakusan.intake.models import Report

    Report.objects.filter(pk=phone.pk).update(due_at=timezone.now() - timedelta(hours=1))

    def ids(**params: Any) -> list[int]:
        response = api.get("/api/reports/", params)
        assert response.status_code == 200, response.content
        return [r["id"] for r in response.json()["results"]]

    assert ids(channel="web") == [web.pk]
    assert ids(status="routed") == [phone.pk]
    assert ids(category="phishing") == [phone.pk]
    assert ids(assigned_department="cyber") == [phone.pk]
    assert ids(overdue="true") == [phone.pk]
    assert ids(q="誹謗中傷") == [web.pk]
    assert ids(q=phone.number) == [phone.pk]
    assert sorted(ids()) == sorted([web.pk, phone.pk])
    bad = api.get("/api/reports/", {"status": "lost"})
    assert bad.status_code == 400 and "status" in bad.json()
    bad = api.get("/api/reports/", {"category": "nope"})
    assert bad.status_code == 400 and "category" in bad.json()


# --- triage, routing, acceptance ---------------------------------------------------------------


def test_triage_route_accept(api, officer, analyst, draft, departments) -> None:
    report = file_report(officer, draft)
    triaged = api.post(
        f"/api/reports/{report.pk}/triage/",
        {"category": "phishing", "needs_cyber": True},
        format="json",
    )
    assert triaged.status_code == 200, triaged.content
    assert triaged.json()["status"] == "triaged"
    assert triaged.json()["category"] == "phishing"
    assert triaged.json()["needs_cyber"] is True

    proposal = api.get(f"/api/reports/{report.pk}/route-proposal/")
    assert proposal.status_code == 200
    assert proposal.json()["department"]["code"] == "cyber"
    assert proposal.json()["reasons"]

    routed = api.post(f"/api/reports/{report.pk}/route/", {}, format="json")
    assert routed.status_code == 200, routed.content
    data = routed.json()
    assert data["status"] == "routed"
    assert data["assigned_department"] == "cyber"
    assert data["routing_steps"][-1]["to_department"] == "cyber"
    assert data["routing_steps"][-1]["by"] == officer.username
    assert ISO_WITH_OFFSET.match(data["due_at"])

    # The station cannot accept for the cyber division; the analyst there can.
    refused = api.post(f"/api/reports/{report.pk}/accept/")
    assert refused.status_code == 400
    accepted = token_client(analyst).post(f"/api/reports/{report.pk}/accept/")
    assert accepted.status_code == 200, accepted.content
    assert accepted.json()["accepted_at"]
    assert accepted.json()["routing_steps"][-1]["kind"] == "accept"


def test_route_elsewhere_needs_a_reason(api, officer, draft) -> None:
    report = file_report(officer, draft)
    response = api.post(
        f"/api/reports/{report.pk}/route/", {"department": "hakusan-st"}, format="json"
    )
    assert response.status_code == 400
    assert "reason" in response.json()
    response = api.post(
        f"/api/reports/{report.pk}/route/",
        {"department": "hakusan-st", "reason": "被害者の住所地", "sla_hours": 48},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["assigned_department"] == "hakusan-st"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"department": "nowhere", "reason": "x"}, "department"),
        ({"sla_hours": 0}, "sla_hours"),
        ({"sla_hours": -3}, "sla_hours"),
        ({"priority": "high"}, "priority"),
    ],
)
def test_route_bad_input(api, officer, draft, payload: dict[str, Any], field: str) -> None:
    report = file_report(officer, draft)
    response = api.post(f"/api/reports/{report.pk}/route/", payload, format="json")
    assert response.status_code == 400
    assert field in response.json()


def test_triage_bad_input(api, officer, draft) -> None:
    report = file_report(officer, draft)
    response = api.post(f"/api/reports/{report.pk}/triage/", {"category": "nope"}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"category", "needs_cyber"}


def test_accept_unrouted_is_400(make_user, officer, draft) -> None:
    report = file_report(officer, draft)
    response = token_client(officer).post(f"/api/reports/{report.pk}/accept/")
    assert response.status_code == 400
    assert "non_field_errors" in response.json()
