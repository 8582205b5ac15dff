"""The observable store: one row per value, one sighting per source, re-imports that update,
warninglists on the real packaged lists, derived links, the too-common guard, decay with false
positives, expiry, enrichment and the maintenance jobs. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from hakusan.domain.indicators import IndicatorRow
from hakusan.indicators import selectors, services
from hakusan.indicators.choices import SourceKind
from hakusan.indicators.models import (
    Enrichment,
    IndicatorSource,
    Observable,
    ObservableLink,
    Sighting,
)
from hakusan.indicators.services import SightingInput
from tests.api import file_report, open_case

pytestmark = pytest.mark.django_db


def row(value: str, type_: str, line: int = 1, **kwargs: Any) -> IndicatorRow:
    return IndicatorRow(line, 0, type_, value, value, **kwargs)


def sighting(kind: str, sid: int, type_: str, value: str, **kwargs: Any) -> SightingInput:
    return SightingInput(kind, sid, type_, value, value, timezone.now(), "amber", **kwargs)


@pytest.fixture
def source(analyst) -> IndicatorSource:
    return services.create_source(analyst, "abuse feed", default_tlp="green")


@pytest.fixture
def case_of(analyst, draft) -> Callable[..., Any]:
    """A case opened by the analyst from a report whose narrative holds ``text``."""

    def make(text: str) -> Any:
        report = file_report(analyst, draft, narrative=text)
        return open_case(analyst, [report])

    return make


def test_reimport_updates_counts_not_rows(analyst, source) -> None:
    first = [row("evil.example", "domain", tags=("kit",)), row("192.0.2.7", "ipv4")]
    stats = services.import_indicators(analyst, source, first)
    assert (stats.offered, stats.new_sightings, stats.new_observables) == (2, 2, 2)
    assert Sighting.objects.filter(source_kind=SourceKind.FEED, source_id=source.pk).count() == 2
    later = timezone.now() + timedelta(days=3)
    again = [
        row("evil.example", "domain", first_seen=later, last_seen=later, tags=("c2",)),
        row("evil.example", "domain", line=2),  # twice in one file: folded, counted twice
    ]
    stats = services.import_indicators(analyst, source, again, tags=["batch2"])
    assert (stats.sightings, stats.new_sightings, stats.new_observables) == (1, 0, 0)
    assert Observable.objects.filter(type="domain", value="evil.example").count() == 1
    s = Sighting.objects.get(observable__value="evil.example", source_kind=SourceKind.FEED)
    assert s.count == 3
    assert s.last_seen == later
    assert s.seen_at < later
    assert sorted(s.tags) == ["batch2", "c2", "kit"]
    assert s.tlp == "green"  # the source's default
    assert s.original == ""  # written canonically: not stored twice
    assert Observable.objects.get(value="evil.example").last_seen == later
    # Another source sighting the same value is a second row.
    other = services.create_source(analyst, "partner list")
    services.import_indicators(analyst, other, [row("evil.example", "domain")])
    assert Sighting.objects.filter(observable__value="evil.example").count() == 2


def test_batches_fold_across_boundaries(analyst, source) -> None:
    rows = [row(f"198.51.100.{i % 7}", "ipv4", line=i) for i in range(40)]
    stats = services.import_indicators(analyst, source, rows, batch_size=6)
    assert stats.batches == 7 and stats.offered == 40
    assert Sighting.objects.filter(source_kind=SourceKind.FEED).count() == 7
    assert sum(Sighting.objects.values_list("count", flat=True)) == 40


def test_reports_record_through_the_same_path(officer, draft) -> None:
    """Filing a report flags, links and enriches its observables as an import would."""
    report = file_report(
        officer,
        draft,
        narrative="偽サイト hxxps://a[.]evil[.]example/x と 8.8.8.8 に誘導された",
    )
    url = Observable.objects.get(type="url", value="https://a.evil.example/x")
    links = {
        (link.kind, link.to_observable.value)
        for link in ObservableLink.objects.filter(from_observable=url).select_related(
            "to_observable"
        )
    }
    assert links == {("host", "a.evil.example"), ("registrable", "evil.example")}
    dns = Observable.objects.get(type="ipv4", value="8.8.8.8")
    assert dns.warninglisted
    sighting = Sighting.objects.get(observable=url, source_kind=SourceKind.REPORT)
    assert sighting.source_id == report.pk and sighting.original.startswith("hxxps://")


@pytest.mark.parametrize(
    ("type_", "value", "slug"),
    [
        ("ipv4", "8.8.8.8", "public-dns-v4"),
        ("domain", "google.com", "tranco"),
        ("ipv4", "192.168.0.1", "rfc1918"),
    ],
)
def test_warninglisted_values_are_flagged_stored_and_not_correlated(
    make_user, draft, analyst, type_, value, slug
) -> None:
    one = file_report(make_user("reception", "station"), draft, narrative=f"接続先 {value}")
    two = file_report(make_user("reception", "other"), draft, narrative=f"接続先 {value}")
    obs = Observable.objects.get(type=type_, value=value)  # stored, never dropped
    assert slug in {h["slug"] for h in obs.warninglist_hits}
    assert all(set(h) == {"slug", "name", "category", "matched"} for h in obs.warninglist_hits)
    assert obs.warninglist_version == services.store.annotator().version
    # Both reports keep their sighting …
    assert Sighting.objects.filter(observable=obs, source_kind=SourceKind.REPORT).count() == 2
    # … but the value counts for no correlation: not "seen elsewhere", shares no sources.
    (mine,) = [
        r for r in selectors.seen_elsewhere(SourceKind.REPORT, one.pk) if r.observable == obs
    ]
    assert mine.warninglisted and mine.elsewhere == 0 and mine.warninglist_names
    assert selectors.sources_sharing([obs.pk], SourceKind.REPORT) == {}
    looked = selectors.lookup(analyst, value)
    assert looked["warninglisted"] and not looked["correlates"]
    assert slug in {h["slug"] for h in looked["warninglist_hits"]}
    assert two.pk  # filed


def test_correlating_values_do_count(make_user, draft) -> None:
    one = file_report(
        make_user("reception", "station"), draft, narrative="hxxp://c2[.]evil[.]example/gate"
    )
    file_report(make_user("reception", "other"), draft, narrative="hxxp://c2[.]evil[.]example/gate")
    (url,) = [
        r for r in selectors.seen_elsewhere(SourceKind.REPORT, one.pk) if r.observable.type == "url"
    ]
    assert not url.warninglisted and url.elsewhere == 1


def test_derived_links_correlate_a_url_and_a_sibling_host(analyst, source) -> None:
    services.import_indicators(
        analyst, source, [row("https://a.evil.example/x", "url"), row("b.evil.example", "domain")]
    )
    looked = selectors.lookup(None, "b[.]evil[.]example")
    (link,) = [x for x in looked["links"] if x["direction"] == "out"]
    assert (link["kind"], link["value"]) == ("registrable", "evil.example")
    assert link["shared_by"] == 2  # the URL's host a.evil.example and the URL itself
    assert {"type": "url", "value": "https://a.evil.example/x"} in link["shared_sample"]
    hub = selectors.lookup(None, "evil.example")
    assert hub["found"] and hub["decay"] is None  # derived only: never sighted itself
    (incoming,) = [x for x in hub["links"] if x["direction"] == "in"]
    assert incoming["shared_by"] == 3


@override_settings(HAKUSAN_TOO_COMMON=2)
def test_too_common_values_are_flagged_without_pairwise_rows(analyst, case_of) -> None:
    cases = [case_of("踏み台 hxxp://hub[.]evil[.]example/x") for _ in range(3)]
    looked = selectors.lookup(analyst, "http://hub.evil.example/x")
    assert looked["sightings"]["by_kind"]["case"] == 3
    assert looked["too_common"] and looked["too_common_limit"] == 2 and not looked["correlates"]
    obs = Observable.objects.get(type="url", value="http://hub.evil.example/x")
    assert selectors.sources_sharing([obs.pk], SourceKind.CASE) == {}
    rows = selectors.seen_elsewhere(SourceKind.CASE, cases[0].pk)
    (mine,) = [r for r in rows if r.observable == obs]
    assert mine.too_common
    # Stored linearly: one sighting per source, no table of pairs.
    assert Sighting.objects.filter(observable=obs).count() == 6  # 3 reports + 3 cases
    with override_settings(HAKUSAN_TOO_COMMON=3):
        assert not selectors.lookup(analyst, "http://hub.evil.example/x")["too_common"]


def test_false_positive_lowers_the_decay_score(analyst, source) -> None:
    services.import_indicators(analyst, source, [row("203.0.113.50", "ipv4", confidence=80)])
    before = selectors.lookup(None, "203.0.113.50")["decay"]
    assert before["score"] == pytest.approx(0.8, abs=0.01)
    assert before["half_life_days"] == 21.0
    s = Sighting.objects.get(observable__value="203.0.113.50")
    services.mark_false_positive(s, analyst, reason="our own scanner")
    after = selectors.lookup(None, "203.0.113.50")["decay"]
    assert after["false_positives"] == 1
    assert after["score"] < before["score"]
    from hakusan.core.models import AuditEntry

    entry = AuditEntry.objects.get(action="false_positive")
    assert entry.detail["reason"] == "our own scanner"
    # Age: three half-lives later the score is an eighth.
    later = timezone.now() + timedelta(days=63)
    aged = selectors.lookup(None, "203.0.113.50", now=later)["decay"]
    assert aged["score"] < after["score"] / 7
    assert Sighting.objects.filter(observable__value="203.0.113.50").count() == 1  # history kept


def test_expiry_hides_from_exports_not_from_analysis(analyst, source) -> None:
    services.import_indicators(analyst, source, [row("evil.example", "domain")])
    obs = Observable.objects.get(value="evil.example")
    past = timezone.now() - timedelta(hours=1)
    services.set_expiry(obs, analyst, past, reason="taken down")
    looked = selectors.lookup(None, "evil.example")
    assert looked["expired"] and looked["found"] and looked["sightings"]["total"] == 1
    assert not selectors.exportable_observables().filter(pk=obs.pk).exists()
    services.set_expiry(obs, analyst, None)
    assert not selectors.lookup(None, "evil.example")["expired"]
    assert selectors.exportable_observables().filter(pk=obs.pk).exists()
    services.import_indicators(analyst, source, [row("8.8.8.8", "ipv4")])
    dns = Observable.objects.get(value="8.8.8.8")
    assert not selectors.exportable_observables().filter(pk=dns.pk).exists()  # warninglisted


def test_ip_enrichment_and_asn_link(analyst, source) -> None:
    services.import_indicators(analyst, source, [row("8.8.8.8", "ipv4"), row("192.0.2.1", "ipv4")])
    facts = dict(Enrichment.objects.filter(observable__value="8.8.8.8").values_list("key", "value"))
    if not facts:
        pytest.skip("the offline IP data is not installed (make install)")
    assert facts["asn"] == "AS15169"
    assert Enrichment.objects.filter(observable__value="8.8.8.8").first().attribution
    assert ObservableLink.objects.filter(
        from_observable__value="8.8.8.8", kind="asn", to_observable__value="AS15169"
    ).exists()
    assert not Enrichment.objects.filter(observable__value="192.0.2.1").exists()  # special use
    looked = selectors.lookup(None, "8.8.8.8")
    assert {e["key"] for e in looked["enrichment"]} >= {"asn", "as_org", "country"}
    assert all(e["attribution"] for e in looked["enrichment"])


def test_an_as_organisation_is_kept_once_on_the_as(analyst, source) -> None:
    """Addresses of one AS share its organisation fact, stored on the AS observable; each
    address's lookup still shows it, and the AS's own lookup has it."""
    services.import_indicators(analyst, source, [row("8.8.8.8", "ipv4"), row("8.8.4.4", "ipv4")])
    if not Enrichment.objects.exists():
        pytest.skip("the offline IP data is not installed (make install)")
    orgs = Enrichment.objects.filter(key="as_org")
    assert list(orgs.values_list("observable__value", flat=True)) == ["AS15169"]
    assert not Enrichment.objects.filter(observable__value="8.8.4.4", key="as_org").exists()
    org = orgs.get().value
    for value in ("8.8.8.8", "8.8.4.4", "AS15169"):
        facts = {e["key"]: e["value"] for e in selectors.lookup(None, value)["enrichment"]}
        assert facts["as_org"] == org, value
    # Enriching again (the maintenance job) adds no second copy.
    from hakusan.indicators.services import enrich_pending

    Enrichment.objects.filter(observable__value="8.8.4.4").delete()
    enrich_pending()
    assert Enrichment.objects.filter(key="as_org").count() == 1
    assert Enrichment.objects.filter(observable__value="8.8.4.4", key="asn").exists()


def test_reflag_job_recomputes_stale_flags(analyst, source) -> None:
    from hakusan.core.jobs import submit

    services.import_indicators(
        analyst, source, [row("8.8.8.8", "ipv4"), row("evil.example", "domain")]
    )
    Observable.objects.update(warninglist_version="old", warninglist_hits=[])
    run = submit("indicators.reflag_warninglists", {"batch_size": 1}, inline=True)
    assert run.status == "done", run.error
    assert run.result["checked"] == Observable.objects.count()
    assert Observable.objects.get(value="8.8.8.8").warninglisted
    assert not Observable.objects.get(value="evil.example").warninglisted
    assert set(Observable.objects.values_list("warninglist_version", flat=True)) == {
        services.store.annotator().version
    }
    again = submit("indicators.reflag_warninglists", {}, inline=True)
    assert again.result["checked"] == 0


def test_enrich_job_fills_in_missing_facts(analyst, source) -> None:
    from hakusan.core.jobs import submit

    services.import_indicators(analyst, source, [row("1.1.1.1", "ipv4")])
    if not Enrichment.objects.exists():
        pytest.skip("the offline IP data is not installed (make install)")
    Enrichment.objects.all().delete()
    run = submit("indicators.enrich", {}, inline=True)
    assert run.status == "done", run.error
    assert run.result["facts"] >= 1
    assert Enrichment.objects.filter(observable__value="1.1.1.1", key="asn").exists()


def test_sightings_of_other_kinds_share_the_store(analyst) -> None:
    services.record_sightings(
        [
            sighting(SourceKind.SENSOR, 5, "ipv4", "203.0.113.9", confidence=90),
            sighting(SourceKind.PARTNER, 6, "ipv4", "203.0.113.9", provenance="bundle--1"),
            sighting(SourceKind.MANUAL, 7, "ipv4", "203.0.113.9"),
        ]
    )
    looked = selectors.lookup(None, "203.0.113.9")
    assert looked["sightings"]["by_kind"] == {"sensor": 1, "partner": 1, "manual": 1}
    assert [p["id"] for p in looked["sightings"]["partners"]] == [6]
    assert {o["kind"] for o in looked["sightings"]["other"]} == {"sensor", "manual"}
    assert looked["decay"]["confidence"] == 90


@pytest.mark.django_db(transaction=True)
def test_pipelined_import_outside_a_transaction(make_user) -> None:
    """Outside a transaction (the import job), batches are written on a second thread while
    the next is prepared; the result is the same as the sequential path."""
    analyst = make_user("analyst", "cyber")
    feed = services.create_source(analyst, "pipelined feed")
    rows = [row(f"198.51.100.{i % 11}", "ipv4", line=i) for i in range(60)]
    rows += [row("https://a.evil.example/x", "url"), row("b.evil.example", "domain")]
    stats = services.import_indicators(analyst, feed, rows, batch_size=7)
    assert stats.batches == 9 and stats.offered == 62
    assert stats.new_sightings == 13
    assert Sighting.objects.filter(source_kind=SourceKind.FEED).count() == 13
    assert sum(Sighting.objects.values_list("count", flat=True)) == 62
    assert ObservableLink.objects.filter(to_observable__value="evil.example").count() == 3


@pytest.mark.django_db(transaction=True)
def test_a_failing_batch_stops_the_pipeline(make_user, monkeypatch) -> None:
    from hakusan.indicators import ingest

    analyst = make_user("analyst", "cyber")
    feed = services.create_source(analyst, "broken feed")
    calls = {"n": 0}
    real = ingest.write

    def flaky(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("disk full")
        return real(*args, **kwargs)

    monkeypatch.setattr(ingest, "write", flaky)
    rows = [row(f"198.51.100.{i}", "ipv4", line=i) for i in range(50)]
    with pytest.raises(RuntimeError, match="disk full"):
        services.import_indicators(analyst, feed, rows, batch_size=10)
    assert calls["n"] == 2  # nothing written after the failure
    assert Sighting.objects.count() == 10  # the first batch, committed on its own


def test_annotation_caches_stay_bounded(monkeypatch) -> None:
    from hakusan.indicators import ingest

    monkeypatch.setattr(ingest, "_CACHE_LIMIT", 5)
    notes = ingest.Annotator()
    notes._index = ingest.annotator().index
    keys = [("ipv4", f"11.22.33.{i}") for i in range(6)] + [("ipv4", "8.8.8.8")]
    assert set(notes.hits(keys)) == {("ipv4", "8.8.8.8")}
    assert set(notes.hits([("ipv4", "8.8.8.8"), ("ipv4", "11.22.33.77")])) == {("ipv4", "8.8.8.8")}
    assert len(notes._hits) <= len(keys)
    urls = [("url", f"https://h{i}.evil.example/x") for i in range(12)]
    for key in urls:
        assert ("host", ("domain", key[1].split("/")[2])) in notes.derived(key)
    assert len(notes._derived) <= 2 * 5 + 1


def test_lookup_lists_the_newest_sightings_of_each_kind_and_counts_the_rest() -> None:
    from hakusan.indicators.selectors import LOOKUP_LIMIT

    cases = LOOKUP_LIMIT + 7
    services.record_sightings(
        [sighting(SourceKind.CASE, n, "domain", "hub.example.jp") for n in range(1, cases + 1)]
        + [sighting(SourceKind.SENSOR, n, "domain", "hub.example.jp") for n in (4, 9)]
    )
    looked = selectors.lookup(None, "hub.example.jp")
    assert looked["sightings"]["by_kind"] == {"case": cases, "sensor": 2}
    listed = [entry["id"] for entry in looked["sightings"]["cases"]]
    assert listed == list(range(cases, cases - LOOKUP_LIMIT, -1))  # newest first
    assert looked["sightings"]["more"] == {"case": 7}
    assert [entry["id"] for entry in looked["sightings"]["other"]] == [9, 4]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only")
def test_lookups_are_prepared_once_per_connection() -> None:
    services.record_sightings([sighting(SourceKind.SENSOR, 1, "domain", "x.example.jp")])
    answers = [selectors.lookup(None, "x.example.jp") for _ in range(3)]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s",
            ["%indicators_sighting%"],
        )
        assert cursor.fetchone()[0] == 1
    with override_settings(HAKUSAN_PG_PREPARED_LOOKUPS=False):
        unprepared = selectors.lookup(None, "x.example.jp")
    assert answers[0] == answers[2] == unprepared
    assert unprepared["sightings"]["by_kind"] == {"sensor": 1}
