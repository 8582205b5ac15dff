"""``derive_canonical`` (the bulk ingest's fast path) gives exactly ``derive``'s links for
canonical values."""

from hypothesis import given
from hypothesis import strategies as st

from hakusan.domain.observables import InvalidObservable, Observable, ObservableType, canonicalize
from hakusan.domain.observables.derive import derive, derive_canonical

from .test_intel_properties import cidrs
from .test_properties import PROFILE, domains, emails, urls

T = ObservableType

linkable = st.one_of(
    urls().map(lambda v: (T.URL, v)),
    domains().map(lambda v: (T.DOMAIN, v)),
    emails.map(lambda v: (T.EMAIL, v)),
    cidrs().map(lambda v: (T.CIDR, v)),
)


def as_tuples(obs: Observable) -> tuple[tuple[str, str, str], ...]:
    return tuple((str(k.kind), str(k.target.type), k.target.value) for k in derive(obs))


@PROFILE
@given(linkable)
def test_derive_canonical_is_derive_of_the_canonical_value(item: tuple[T, str]) -> None:
    kind, raw = item
    try:
        value = canonicalize(kind, raw)
    except InvalidObservable:
        return
    assert derive_canonical(kind.value, value) == as_tuples(Observable(kind, value))


CASES = [
    ("url", "https://a.evil.example/x"),
    ("url", "https://login.example.co.jp:8443/a?b=c"),
    ("url", "http://192.0.2.1/admin"),
    ("url", "http://[2001:db8::1]/"),
    ("url", "https://user@victim-login.pages.dev/"),
    ("url", "http://example.jp/"),
    ("domain", "a.b.example.jp"),
    ("domain", "example.jp"),
    ("domain", "ドメイン.example.jp"),
    ("url", "https://テスト.example.jp/パス"),
    ("domain", "shop.kanazawa.ishikawa.jp"),
    ("email", "taro@mail.example.com"),
    ("email", "hanako@example.jp"),
    ("cidr", "192.0.2.1/32"),
    ("cidr", "2001:db8::1/128"),
    ("cidr", "192.0.2.0/24"),
    ("ipv4", "192.0.2.1"),
    ("sha256", "0" * 64),
]


def test_derive_canonical_examples() -> None:
    for kind, raw in CASES:
        value = canonicalize(kind, raw)
        assert derive_canonical(kind, value) == as_tuples(Observable(T(kind), value)), raw
    assert derive_canonical("url", "https://a.evil.example/x") == (
        ("host", "domain", "a.evil.example"),
        ("registrable", "domain", "evil.example"),
    )
    assert derive_canonical("url", "http://192.0.2.1/admin") == (("host", "ipv4", "192.0.2.1"),)
