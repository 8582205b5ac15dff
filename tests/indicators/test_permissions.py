"""Correlation never reveals a source the caller cannot see: sightings in reports and cases
outside the caller's need-to-know are counted, not listed; feed and partner sightings are the
cyber division's. The lookup API applies the caller's permissions and is audited."""

from __future__ import annotations

import json
from typing import Any

import pytest

from hakusan.domain.indicators import IndicatorRow
from hakusan.indicators import selectors, services
from tests.api import anonymous_client, audit_entries, file_report, open_case, token_client

pytestmark = pytest.mark.django_db

URL = "https://a.evil.example/x"
DEFANGED = "hxxps://a[.]evil[.]example/x"


@pytest.fixture
def world(officer, make_user, analyst, draft) -> dict[str, Any]:
    """The officer's report and another station's report with the URL; a case opened from
    the other report by that station's investigator; the URL in a feed, and a sibling host
    seen only in the other station's report."""
    mine = file_report(officer, draft, narrative=f"不審なURL {DEFANGED} を受信")
    stranger = make_user("reception", "other")
    theirs = file_report(
        stranger, draft, narrative=f"不審なURL {DEFANGED} と hxxp://secret[.]evil[.]example/a"
    )
    investigator = make_user("investigator", "other")
    case = open_case(investigator, [theirs], title="秘匿事件")
    feed = services.create_source(analyst, "partner-only feed")
    services.import_indicators(analyst, feed, [IndicatorRow(1, 0, "url", URL, URL)])
    return {
        "mine": mine,
        "theirs": theirs,
        "case": case,
        "investigator": investigator,
        "feed": feed,
        "admin": make_user("admin", "cyber"),
    }


def test_officer_sees_own_report_and_counts_the_rest(officer, world) -> None:
    looked = selectors.lookup(officer, DEFANGED)
    s = looked["sightings"]
    assert s["by_kind"] == {"report": 2, "case": 1, "feed": 1}
    assert [r["number"] for r in s["reports"]] == [world["mine"].number]
    assert s["cases"] == [] and s["sources"] == []
    assert s["not_shown"] == {"report": 1, "case": 1, "feed": 1}
    text = json.dumps(looked, ensure_ascii=False)
    for secret in (world["theirs"].number, world["case"].number, "秘匿事件", "partner-only feed"):
        assert secret not in text
    # The derived link counts the sibling URL but does not show it: it is in a report the
    # officer cannot see.
    (host,) = [x for x in looked["links"] if x["kind"] == "registrable"]
    assert host["value"] == "evil.example"
    assert host["shared_by"] >= 2
    assert "secret.evil.example" not in text


def test_case_investigator_sees_their_side(world) -> None:
    looked = selectors.lookup(world["investigator"], URL)
    s = looked["sightings"]
    assert [c["number"] for c in s["cases"]] == [world["case"].number]
    assert s["cases"][0]["title"] == "秘匿事件"
    assert [r["number"] for r in s["reports"]] == [world["theirs"].number]
    assert s["not_shown"] == {"report": 1, "feed": 1}
    assert world["mine"].number not in json.dumps(looked)


def test_cyber_division_sees_feeds_and_cases(analyst, world) -> None:
    looked = selectors.lookup(analyst, URL)
    s = looked["sightings"]
    assert [x["name"] for x in s["sources"]] == ["partner-only feed"]
    assert [c["number"] for c in s["cases"]] == [world["case"].number]
    assert s["not_shown"].get("feed") is None


def test_admin_and_the_cli_operator_see_everything(world) -> None:
    for who in (world["admin"], None):
        s = selectors.lookup(who, URL)["sightings"]
        assert s["not_shown"] == {}
        assert {r["number"] for r in s["reports"]} == {world["mine"].number, world["theirs"].number}
        assert len(s["cases"]) == 1 and len(s["sources"]) == 1


def test_related_cases_and_reports_only_through_visible_sources(officer, world) -> None:
    from hakusan.cases.selectors import related_cases
    from hakusan.intake.selectors import related_reports

    assert related_cases(officer, world["mine"]) == []
    assert [r.report for r in related_reports(officer, world["mine"])] == []
    investigator = world["investigator"]
    assert [r.case for r in related_cases(investigator, world["theirs"])] == [world["case"]]


# -- the API -----------------------------------------------------------------------------------


def test_lookup_api_applies_the_callers_permissions(officer, world) -> None:
    api = token_client(officer)
    response = api.get("/api/observables/lookup/", {"value": DEFANGED})
    assert response.status_code == 200
    data = response.json()
    assert (data["type"], data["value"], data["found"]) == ("url", URL, True)
    assert data["sightings"]["not_shown"] == {"report": 1, "case": 1, "feed": 1}
    assert [r["number"] for r in data["sightings"]["reports"]] == [world["mine"].number]
    assert world["theirs"].number not in response.content.decode()
    assert data["decay"]["half_life_days"] == 30.0
    assert data["sightings"]["reports"][0]["first_seen"].endswith("+09:00")
    (entry,) = audit_entries("lookup", "indicators.observable")
    assert entry.actor == officer
    assert entry.detail == {"type": "url", "value": URL, "found": True, "not_shown": 3}
    admin = token_client(world["admin"]).get("/api/observables/lookup/", {"value": URL}).json()
    assert admin["sightings"]["not_shown"] == {}


def test_lookup_api_errors_and_unknown_values(officer, world) -> None:
    api = token_client(officer)
    assert api.get("/api/observables/lookup/").status_code == 400
    bad = api.get("/api/observables/lookup/", {"value": "not a thing"})
    assert bad.status_code == 400 and "value" in bad.json()
    typed = api.get("/api/observables/lookup/", {"value": "x", "type": "colour"})
    assert typed.status_code == 400
    unknown = api.get("/api/observables/lookup/", {"value": "８．８．８．８"}).json()
    assert unknown["value"] == "8.8.8.8" and not unknown["found"]
    assert unknown["warninglisted"] and unknown["sightings"]["total"] == 0
    ja3 = api.get(
        "/api/observables/lookup/",
        {"value": "D41D8CD98F00B204E9800998ECF8427E", "type": "ja3"},
    ).json()
    assert ja3["type"] == "ja3" and ja3["value"] == "d41d8cd98f00b204e9800998ecf8427e"
    assert anonymous_client().get("/api/observables/lookup/", {"value": URL}).status_code == 401
    # Without the trailing slash the router redirects (APPEND_SLASH).
    redirected = api.get("/api/observables/lookup", {"value": URL}, follow=True)
    assert redirected.status_code == 200 and redirected.json()["value"] == URL
