"""Pulls from a real TAXII 2.1 peer (medallion): pagination, resuming after a failure,
incremental ``added_after`` pulls, and errors recorded with backoff."""

from datetime import timedelta

import pytest
from django.utils import timezone

from hakusan.core.models import AuditEntry
from hakusan.federation import services
from hakusan.federation.models import PullSource
from hakusan.indicators.models import Observable, Sighting

from .conftest import COLLECTION_ID, PASSWORD, USER, indicator

pytestmark = pytest.mark.django_db


@pytest.fixture
def source_for(make_partner):
    partner, _key = make_partner("Toyama Pref. Police", max_tlp="amber")

    def make(peer, **kw):
        name = kw.pop("name", "toyama")
        params = {
            "api_root_url": peer.api_root_url,
            "collection": "phishing",
            "partner": partner,
            "username": USER,
            "password": PASSWORD,
            "trusted": True,
            "page_size": 100,
        }
        params.update(kw)
        return services.create_pull_source(name, **params)

    return make


def _partner_sightings():
    return Sighting.objects.filter(source_kind="partner")


def _assert_each_imported_once(expected: int) -> None:
    sightings = _partner_sightings()
    assert sightings.values("observable").distinct().count() == expected
    # one sighting per observable, each seen once: nothing was imported twice
    assert sightings.count() == expected
    assert set(sightings.values_list("count", flat=True)) == {1}


def test_pulls_1000_objects_page_by_page_and_resumes_after_a_failure(peer, source_for):
    peer.add([indicator(n) for n in range(1000)])
    source = source_for(peer)
    peer.fail, peer.fail_after = "http", 3  # the peer breaks down after three pages

    first = services.pull(source)

    assert not first.ok and "HTTP 503" in first.error
    assert (first.fetched, first.pages, first.imported) == (300, 3, 300)
    _assert_each_imported_once(300)
    source.refresh_from_db()
    assert source.collection_id == COLLECTION_ID  # the alias was resolved once
    assert source.failures == 1 and "503" in source.last_error
    assert source.next_cursor  # mid-pagination: the cursor was saved with the page
    assert source.added_after == peer.collection["manifest"][299]["date_added"]
    assert source.next_run_at <= timezone.now() + timedelta(seconds=61)  # retried soon
    saved_cursor = source.next_cursor

    peer.fail = ""
    seen = len(peer.requests)
    second = services.pull(source)

    assert second.ok, second.error
    assert (second.fetched, second.pages, second.cursor_restarts) == (700, 7, 0)
    assert second.imported == 700 and second.merged == 0
    assert peer.requests[seen].get("next") == saved_cursor  # resumed, not restarted
    assert all(r.get("limit") == "100" for r in peer.requests)
    assert "next" not in peer.requests[0] and all("next" in r for r in peer.requests[1:])
    _assert_each_imported_once(1000)
    assert Observable.objects.filter(value="host00999.phish.example.jp").exists()
    source.refresh_from_db()
    assert source.added_after == peer.collection["manifest"][-1]["date_added"]
    assert source.next_cursor == "" and source.objects_pulled == 1000
    assert source.failures == 0 and source.last_error == ""
    assert source.next_run_at > timezone.now() + timedelta(seconds=3500)
    entry = AuditEntry.objects.filter(action="federation.pull").latest("id")
    assert entry.detail["fetched"] == 700 and entry.detail["partner_name"] == source.partner.name
    assert PASSWORD not in str(list(AuditEntry.objects.values_list("detail", flat=True)))


def test_restarts_from_the_watermark_when_the_cursor_is_gone(peer, source_for):
    peer.add([indicator(n) for n in range(200)])
    source = source_for(peer, page_size=40)
    peer.fail, peer.fail_after = "http", 2
    assert not services.pull(source).ok
    _assert_each_imported_once(80)

    peer.fail = ""
    peer.forget_cursors()  # the peer restarted: its pagination sessions are gone
    result = services.pull(source)

    assert result.ok, result.error
    assert result.cursor_restarts == 1 and result.fetched == 120
    restart = next(r for r in peer.requests[2:] if "next" not in r)
    assert restart["added_after"] == peer.collection["manifest"][79]["date_added"]
    _assert_each_imported_once(200)


def test_second_pull_fetches_only_what_was_added(peer, source_for):
    peer.add([indicator(n) for n in range(50)])
    source = source_for(peer)
    assert services.pull(source).fetched == 50

    peer.add([indicator(n, kind="ip") for n in range(5)])
    result = services.pull(source)

    assert result.ok and result.fetched == 5 and result.imported == 5
    assert peer.requests[-1]["added_after"] == peer.collection["manifest"][49]["date_added"]
    assert services.pull(source).fetched == 0
    _assert_each_imported_once(55)


def test_refetched_objects_merge(peer, source_for):
    peer.add([indicator(n) for n in range(20)])
    source = source_for(peer)
    services.pull(source)
    services.reset_pull_state(source)
    known = Observable.objects.count()

    again = services.pull(source)

    assert again.fetched == 20 and again.imported == 0 and again.merged == 20
    assert Observable.objects.count() == known  # nothing new: the values were known


def test_bad_credentials_are_recorded_with_backoff(peer, source_for):
    peer.add([indicator(1)])
    source = source_for(peer, password="wrong-password")

    first = services.pull(source)
    second = services.pull(source)

    assert not first.ok and "HTTP 401" in first.error and "credentials refused" in first.error
    assert not second.ok
    source.refresh_from_db()
    assert source.failures == 2 and "401" in source.last_error
    assert source.last_success_at is None
    wait = source.next_run_at - source.last_run_at
    assert timedelta(seconds=119) <= wait <= timedelta(seconds=121)  # 60 s, then 120 s
    assert not _partner_sightings().exists()
    audit = AuditEntry.objects.filter(action="federation.pull").latest("id")
    assert audit.detail["ok"] is False and "401" in audit.detail["error"]


def test_invalid_json_is_an_error_not_a_crash(peer, source_for):
    peer.add([indicator(n) for n in range(5)])
    source = source_for(peer)
    peer.fail = "json"

    result = services.pull(source)

    assert not result.ok and "Invalid JSON" in result.error
    source.refresh_from_db()
    assert source.failures == 1 and source.added_after == ""


def test_unreachable_server_and_unknown_collection(peer, source_for):
    down = source_for(peer, name="down", api_root_url="http://127.0.0.1:9/taxii2/x/")
    result = services.pull(down)
    assert not result.ok and "cannot connect" in result.error

    wrong = source_for(peer, name="wrong", collection="no-such-collection")
    result = services.pull(wrong)
    assert not result.ok
    assert (
        "no collection 'no-such-collection'" in result.error and "phishing" in result.error.lower()
    )


def test_password_from_the_environment(peer, source_for, monkeypatch):
    peer.add([indicator(1)])
    source = source_for(peer, password="", password_env="FED_TEST_SECRET")
    assert "not set" in services.pull(source).error
    monkeypatch.setenv("FED_TEST_SECRET", PASSWORD)
    PullSource.objects.filter(pk=source.pk).update(next_run_at=None)
    assert services.pull(source).fetched == 1


def test_unmarked_objects_take_the_source_default_tlp(peer, source_for):
    peer.add([indicator(1, tlp=None), indicator(2, tlp="clear")])
    source = source_for(peer, tlp_default="amber")
    assert services.pull(source).ok
    tlps = dict(_partner_sightings().values_list("observable__value", "tlp"))
    assert tlps == {"host00001.phish.example.jp": "amber", "host00002.phish.example.jp": "clear"}


def test_untrusted_source_holds_bundles_for_review(peer, source_for):
    peer.add([indicator(n) for n in range(3)])
    source = source_for(peer, trusted=False)

    result = services.pull(source)

    assert result.ok and result.pending and result.fetched == 3
    assert not _partner_sightings().exists()  # nothing counts until an analyst accepts


def test_pull_due_runs_due_enabled_sources_only(peer, source_for):
    from hakusan.core import jobs

    peer.add([indicator(n) for n in range(3)])
    due = source_for(peer, name="due")
    later = source_for(peer, name="later")
    off = source_for(peer, name="off")
    PullSource.objects.filter(pk=later.pk).update(next_run_at=timezone.now() + timedelta(hours=1))
    services.set_enabled(off, False)

    run = jobs.submit("federation.pull_due", inline=True)

    assert run.status == "done", run.error
    assert [r["source"] for r in run.result["results"]] == [due.name]
    assert run.result["fetched"] == 3 and run.result["failed"] == 0


def test_a_source_is_not_pulled_twice_at_once(peer, source_for):
    source = source_for(peer)
    PullSource.objects.filter(pk=source.pk).update(
        locked_until=timezone.now() + timedelta(minutes=5)
    )
    with pytest.raises(services.FederationBusy):
        services.pull(source)


def test_configuration_errors_name_the_problem(peer, source_for):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as err:
        source_for(peer, name="x", api_root_url="ftp://example.jp/", interval_seconds=5)
    assert set(err.value.message_dict) == {"api_root_url", "interval_seconds"}
    with pytest.raises(ValidationError) as err:
        source_for(peer, name="y", partner="Nobody")
    assert "no partner named 'Nobody'" in str(err.value)
