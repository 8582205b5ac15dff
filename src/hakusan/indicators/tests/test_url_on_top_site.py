"""A phishing URL on a big shared host (a top site) correlates by URL; its host does not."""

from __future__ import annotations

import pytest
from tests.api import file_report

from hakusan.indicators import selectors
from hakusan.indicators.choices import SourceKind
from hakusan.indicators.models import Observable

pytestmark = pytest.mark.django_db

PHISH = "https://sites.google.com/view/kakin-kakunin-2026/login"


def test_a_url_with_a_path_on_a_top_site_correlates_but_its_host_does_not(
    make_user, draft, analyst
) -> None:
    one = file_report(make_user("reception", "station"), draft, narrative=f"誘導先 {PHISH}")
    file_report(make_user("reception", "other"), draft, narrative=f"誘導先 {PHISH}")
    url = Observable.objects.get(type="url", value=PHISH)
    assert not url.warninglisted  # its path is specific: not "google.com, a top site"
    host = Observable.objects.get(type="domain", value="sites.google.com")
    assert host.warninglisted and "tranco" in {h["slug"] for h in host.warninglist_hits}
    (mine,) = [
        r for r in selectors.seen_elsewhere(SourceKind.REPORT, one.pk) if r.observable.type == "url"
    ]
    assert mine.elsewhere == 1  # the other report
    looked = selectors.lookup(analyst, PHISH)
    assert looked["correlates"] and not looked["warninglisted"]
    assert not selectors.lookup(analyst, "sites.google.com")["correlates"]


def test_a_bare_top_site_url_is_flagged_like_its_host(make_user, draft, analyst) -> None:
    file_report(make_user("reception", "station"), draft, narrative="参照 https://www.google.com/")
    url = Observable.objects.get(type="url", value="https://www.google.com/")
    assert url.warninglisted and "tranco" in {h["slug"] for h in url.warninglist_hits}
    # a value not stored is flagged by the same policy
    assert not selectors.lookup(analyst, "https://www.google.com/forms/abc")["warninglisted"]
    assert selectors.lookup(analyst, "https://www.google.com/")["warninglisted"]
