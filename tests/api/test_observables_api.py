"""The observables API: search, and sightings listed where the caller may see the source,
counted otherwise."""

from typing import Any

import pytest

from tests.api import URL_IN_NARRATIVE, audit_entries, file_report, open_case, token_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(officer) -> Any:
    return token_client(officer)


def _url(report: Any) -> Any:
    from hakusan.indicators.choices import SourceKind
    from hakusan.indicators.selectors import observables_of

    return next(o for o in observables_of(SourceKind.REPORT, report.pk) if o.type == "url")


def test_search_by_part_and_type(api, officer, draft) -> None:
    report = file_report(officer, draft)
    response = api.get("/api/observables/", {"q": "delivery-check"})
    assert response.status_code == 200
    rows = response.json()["results"]
    assert rows and all(URL_IN_NARRATIVE in r["value"] for r in rows)
    assert {
        r["type"]
        for r in api.get("/api/observables/", {"q": "delivery-check", "type": "url"}).json()[
            "results"
        ]
    } == {"url"}
    url = next(r for r in rows if r["type"] == "url")
    assert url["sightings"] == {"report": 1}
    assert url["first_seen"].endswith("+09:00")
    assert api.get("/api/observables/", {"type": "colour"}).status_code == 400
    filters = [e.detail["filters"] for e in audit_entries("list", "indicators.observable")]
    assert filters == [{"q": "delivery-check"}, {"q": "delivery-check", "type": "url"}]
    assert _url(report).pk == url["id"]


def test_detail_lists_visible_sources_and_counts_the_rest(api, officer, make_user, draft) -> None:
    mine = file_report(officer, draft)
    other_station = make_user("reception", "other")
    theirs = file_report(other_station, draft)
    investigator = make_user("investigator", "other")
    case = open_case(investigator, [theirs])
    obs = _url(mine)
    response = api.get(f"/api/observables/{obs.pk}/")
    assert response.status_code == 200
    data = response.json()
    assert data["value"] == obs.value
    assert [(s["kind"], s["id"], s["number"]) for s in data["sources"]] == [
        ("report", mine.pk, mine.number)
    ]
    assert data["sources"][0]["original"].startswith("hxxps://")
    assert data["sightings"] == {"report": 2, "case": 1}
    assert data["not_shown"] == {"report": 1, "case": 1}
    assert theirs.number not in str(data) and case.number not in str(data)
    entries = audit_entries("view", "indicators.observable", obs.pk)
    assert entries and entries[0].detail == {"sources_shown": 1, "not_shown": 2}
    # The investigator of the other station sees their report and case, and counts mine.
    theirs_view = token_client(investigator).get(f"/api/observables/{obs.pk}/").json()
    assert {(s["kind"], s["number"]) for s in theirs_view["sources"]} == {
        ("report", theirs.number),
        ("case", case.number),
    }
    assert theirs_view["not_shown"] == {"report": 1}


def test_admin_sees_every_source(make_user, officer, draft) -> None:
    one = file_report(officer, draft)
    two = file_report(make_user("reception", "other"), draft)
    admin = token_client(make_user("admin", "cyber"))
    data = admin.get(f"/api/observables/{_url(one).pk}/").json()
    assert {s["number"] for s in data["sources"]} == {one.number, two.number}
    assert data["not_shown"] == {}


def test_invisible_observable_is_404(api, make_user, draft) -> None:
    elsewhere = file_report(make_user("reception", "other"), draft)
    assert api.get(f"/api/observables/{_url(elsewhere).pk}/").status_code == 404
    assert api.get("/api/observables/999999/").status_code == 404


def test_exact_value_in_any_form_finds_an_observable_seen_elsewhere(api, make_user, draft) -> None:
    elsewhere = file_report(make_user("reception", "other"), draft)
    obs = _url(elsewhere)
    for query in (obs.value, "hxxps://delivery-check[.]example[.]jp/track"):
        rows = api.get("/api/observables/", {"q": query}).json()["results"]
        assert [(r["id"], r["sightings"]) for r in rows] == [(obs.pk, {"report": 1})], query
