"""Derived links (url -> host -> registrable domain, email -> domain) and registrable domains."""

import pytest

from hakusan.domain.observables import (
    DerivedLink,
    InvalidObservable,
    Observable,
    ObservableType,
    derive,
    registrable_domain,
)

T = ObservableType


def dom(value: str) -> Observable:
    return Observable(T.DOMAIN, value)


@pytest.mark.parametrize(
    ("domain", "registrable"),
    [
        ("a.evil.example", "evil.example"),
        ("evil.example", "evil.example"),
        ("x.y.phish.test", "phish.test"),
        ("foo.invalid", "foo.invalid"),
        ("mail.example.jp", "example.jp"),
        ("example.jp", "example.jp"),
        ("www.example.co.jp", "example.co.jp"),
        # The PSL lists only lg.jp: every municipality of a prefecture meets at <pref>.lg.jp.
        ("www.pref.ishikawa.lg.jp", "ishikawa.lg.jp"),
        ("a.b.example.com", "example.com"),
        ("WWW.Example.COM.", "example.com"),
        ("www.example[.]co[.]jp", "example.co.jp"),
        ("www.例え.jp", "xn--r8jz45g.jp"),
        # Private PSL section: one customer's site is its own registrable domain.
        ("login-verify.pages.dev", "login-verify.pages.dev"),
        ("a.victim-site.github.io", "victim-site.github.io"),
        ("bucket.s3.amazonaws.com", "bucket.s3.amazonaws.com"),
        # Suffixes themselves, addresses and non-names have none.
        ("jp", None),
        ("co.jp", None),
        ("lg.jp", None),
        ("example", None),
        ("github.io", None),
        ("s3.amazonaws.com", None),
        ("192.0.2.1", None),
        ("2001:db8::1", None),
        ("invoice.pdf.exe", None),
        ("", None),
        ("a..b.jp", None),
    ],
)
def test_registrable_domain(domain: str, registrable: str | None) -> None:
    assert registrable_domain(domain) == registrable


def test_a_url_and_a_sibling_host_share_the_registrable_domain() -> None:
    from_url = derive(Observable(T.URL, "https://a.evil.example/x"))
    assert from_url == [
        DerivedLink("host", dom("a.evil.example")),
        DerivedLink("registrable", dom("evil.example")),
    ]
    from_domain = derive(dom("b.evil.example"))
    assert from_domain == [DerivedLink("registrable", dom("evil.example"))]
    shared = {link.target for link in from_url} & {link.target for link in from_domain}
    assert shared == {dom("evil.example")}


@pytest.mark.parametrize(
    ("observable", "links"),
    [
        (
            Observable(T.URL, "http://192.0.2.1/x"),
            [DerivedLink("host", Observable(T.IPV4, "192.0.2.1"))],
        ),
        (
            Observable(T.URL, "http://[2001:db8::1]:8080/x"),
            [DerivedLink("host", Observable(T.IPV6, "2001:db8::1"))],
        ),
        (
            Observable(T.URL, "https://user:pw@www.example.co.jp:8443/login?next=/"),
            [
                DerivedLink("host", dom("www.example.co.jp")),
                DerivedLink("registrable", dom("example.co.jp")),
            ],
        ),
        # The host is already registrable: no second link to the same domain.
        (Observable(T.URL, "https://example.jp/"), [DerivedLink("host", dom("example.jp"))]),
        # A host that is itself a (private) public suffix has no registrable domain.
        (
            Observable(T.URL, "https://s3.amazonaws.com/bucket/key"),
            [DerivedLink("host", dom("s3.amazonaws.com"))],
        ),
        (
            Observable(T.EMAIL, "user@mail.example.jp"),
            [
                DerivedLink("domain", dom("mail.example.jp")),
                DerivedLink("registrable", dom("example.jp")),
            ],
        ),
        (Observable(T.EMAIL, "taro@example.co.jp"), [DerivedLink("domain", dom("example.co.jp"))]),
        (dom("www.example.co.jp"), [DerivedLink("registrable", dom("example.co.jp"))]),
        (dom("example.co.jp"), []),
        (dom("s3.amazonaws.com"), []),
        (
            Observable(T.CIDR, "192.0.2.1/32"),
            [DerivedLink("host", Observable(T.IPV4, "192.0.2.1"))],
        ),
        (
            Observable(T.CIDR, "2001:db8::1/128"),
            [DerivedLink("host", Observable(T.IPV6, "2001:db8::1"))],
        ),
        (Observable(T.CIDR, "192.0.2.0/24"), []),
        (Observable(T.IPV4, "192.0.2.1"), []),
        (Observable(T.MD5, "d41d8cd98f00b204e9800998ecf8427e"), []),
        # Profile URLs are URLs here: no sns_account is derived.
        (
            Observable(T.URL, "https://x.com/handle"),
            [DerivedLink("host", dom("x.com"))],
        ),
    ],
)
def test_derive(observable: Observable, links: list[DerivedLink]) -> None:
    assert derive(observable) == links


def test_derive_canonicalises_first_and_accepts_type_strings() -> None:
    written = Observable("url", "hxxps://A.Evil[.]example/x")  # type: ignore[arg-type]
    assert derive(written) == derive(Observable(T.URL, "https://a.evil.example/x"))


def test_derive_rejects_invalid_values() -> None:
    with pytest.raises(InvalidObservable):
        derive(Observable(T.URL, "javascript://alert(1)"))


def test_derived_links_are_hashable_values() -> None:
    link = DerivedLink("host", dom("example.jp"))
    assert link == DerivedLink("host", dom("example.jp"))
    assert len({link, DerivedLink("host", dom("example.jp"))}) == 1
