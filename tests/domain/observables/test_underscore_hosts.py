"""Underscores in host labels below the registrable name ("www_amazon.co.jp.example.top", as in
real phishing URLs) are accepted; in the registrable label or the public suffix they are not.
Extraction from text does not glue identifiers joined by "_" into host names."""

import csv
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from hakusan.domain.observables import (
    InvalidObservable,
    ObservableType,
    canonicalize,
    defang,
    detect,
    extract,
)
from hakusan.domain.observables.canonical import url_host

T = ObservableType
EXAMPLES = int(os.environ.get("HAKUSAN_HYPOTHESIS_EXAMPLES", "150"))
PROFILE = settings(
    max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("www_amazon.co.jp.example.top", "www_amazon.co.jp.example.top"),
        ("WWW_Amazon.CO.JP.Example.Top.", "www_amazon.co.jp.example.top"),
        ("login_secure.www.example.jp", "login_secure.www.example.jp"),
        ("_dmarc.example.jp", "_dmarc.example.jp"),
        ("a_.b_c.example.co.jp", "a_.b_c.example.co.jp"),
        ("my_shop.example.test", "my_shop.example.test"),  # special-use TLD: name.test
        ("テスト_1.example.jp", "xn--_1-fi4a2bl.example.jp"),  # IDNA keeps working
        ("xn--_1-fi4a2bl.example.jp", "xn--_1-fi4a2bl.example.jp"),
        ("www_x.example.jp", "www_x.example.jp"),
    ],
)
def test_underscores_below_the_registrable_name(raw: str, expected: str) -> None:
    assert canonicalize(T.DOMAIN, raw) == expected
    assert canonicalize(T.DOMAIN, expected) == expected


@pytest.mark.parametrize(
    ("raw", "label"),
    [
        ("foo_bar.com", "foo_bar"),
        ("www.foo_bar.com", "foo_bar"),
        ("www_amazon.co.jp", "www_amazon"),  # co.jp is the suffix: www_amazon is registrable
        ("a.b_c.jp", "b_c"),
        ("x.c_o.jp", "c_o"),  # not a public suffix: c_o.jp would be the registrable name
        ("www.example.c_m", None),  # no such top-level domain
        ("a_b.test", "a_b"),
        ("x.a_b.example", "a_b"),
    ],
)
def test_underscores_in_the_registrable_name_or_suffix_are_rejected(
    raw: str, label: str | None
) -> None:
    with pytest.raises(InvalidObservable) as caught:
        canonicalize(T.DOMAIN, raw)
    if label is not None:
        assert f"label {label!r}" in caught.value.reason
        assert "below the registrable name" in caught.value.reason


@pytest.mark.parametrize("raw", ["-a_b.example.jp", "a_b-.example.jp", "a b_c.example.jp"])
def test_other_label_rules_still_hold(raw: str) -> None:
    with pytest.raises(InvalidObservable):
        canonicalize(T.DOMAIN, raw)


def test_urls_with_underscore_hosts() -> None:
    url = "HTTPS://www_Amazon.co.jp.example.top:443/ap/signin?x_y=1"
    canonical = canonicalize(T.URL, url)
    assert canonical == "https://www_amazon.co.jp.example.top/ap/signin?x_y=1"
    assert url_host(canonical) == "www_amazon.co.jp.example.top"
    assert canonicalize(T.URL, canonical) == canonical
    # Defanged as analysts write it.
    assert canonicalize(T.URL, "hxxps://www_amazon.co.jp.example[.]top/ap/signin?x_y=1") == (
        canonical
    )
    assert canonicalize(T.URL, "www_amazon.co.jp.example.top/") == (
        "http://www_amazon.co.jp.example.top/"
    )
    with pytest.raises(InvalidObservable, match="host: label 'foo_bar'"):
        canonicalize(T.URL, "https://foo_bar.com/")


def test_email_domains_follow_the_same_rule() -> None:
    assert canonicalize(T.EMAIL, "info@mail_1.example.jp") == "info@mail_1.example.jp"
    with pytest.raises(InvalidObservable):
        canonicalize(T.EMAIL, "info@foo_bar.jp")


def test_detect() -> None:
    assert detect("www_amazon.co.jp.example.top").type == T.DOMAIN
    assert detect("https://www_amazon.co.jp.example.top/").type == T.URL


@pytest.mark.parametrize(
    "text",
    [
        "ID:abc_www.example.jp",
        "file_name.example.jp",
        "foo_bar.com にアクセス",
        "sess_id=abc_www.example.jp",
        "変数user_domain.example.comを参照",
    ],
)
def test_extraction_does_not_glue_identifiers(text: str) -> None:
    for item in extract(text):
        assert "_" not in item.value, (text, item)
        assert text[item.start : item.end] == item.original


def test_extraction_still_finds_plain_hosts_next_to_underscores() -> None:
    values = {(i.type, i.value) for i in extract("key_id: 1 / 接続先 c2.example.net _ 以上")}
    assert (T.DOMAIN, "c2.example.net") in values


labels = st.from_regex(r"[a-z0-9]([a-z0-9_-]{0,12}[a-z0-9_])?", fullmatch=True)
plain = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,12}[a-z0-9])?", fullmatch=True)
suffixes = st.sampled_from(["jp", "co.jp", "com", "net", "top", "test", "example", "ne.jp"])


@PROFILE
@given(st.lists(labels, min_size=1, max_size=3), plain, suffixes)
def test_underscore_subdomains_are_canonical_fixed_points(
    below: list[str], name: str, suffix: str
) -> None:
    try:  # "co" + "jp" is a public suffix, not a registrable name
        canonicalize(T.DOMAIN, f"{name}.{suffix}")
    except InvalidObservable:
        assume(False)
    domain = ".".join([*below, name, suffix])
    canonical = canonicalize(T.DOMAIN, domain)
    assert canonical == domain
    assert canonicalize(T.DOMAIN, canonical) == canonical
    assert canonicalize(T.DOMAIN, domain.upper()) == canonical
    url = f"https://{domain}/login"
    assert canonicalize(T.URL, url) == url
    assert canonicalize(T.URL, defang(url)) == url


@PROFILE
@given(plain, plain, suffixes, st.lists(plain, max_size=2))
def test_underscore_in_the_registrable_label_is_always_rejected(
    left: str, right: str, suffix: str, below: list[str]
) -> None:
    domain = ".".join([*below, f"{left}_{right}", suffix])
    with pytest.raises(InvalidObservable):
        canonicalize(T.DOMAIN, domain)


JPCERT = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "jpcert-phishurl"


@pytest.mark.shared
def test_jpcert_phishing_urls_with_underscore_hosts_are_accepted() -> None:
    """JPCERT/CC's phishing URL lists: every URL whose host has an underscore canonicalises,
    unless the underscore is in the registrable name or the row is broken for another reason
    (whitespace inside the URL)."""
    accepted, refused = 0, []
    for path in sorted(JPCERT.glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                url = (row.get("URL") or "").strip()
                host = url.split("://", 1)[-1].split("/", 1)[0]
                if "_" not in host or any(c.isspace() for c in url):
                    continue
                try:
                    canonicalize(T.URL, url)
                    accepted += 1
                except InvalidObservable as exc:
                    refused.append((url, exc.reason))
    assert accepted >= 700, accepted
    assert all("below the registrable name" in reason for _url, reason in refused), refused[:5]
