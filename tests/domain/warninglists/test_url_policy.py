"""A URL with a path of its own is not flagged by its host's entries when asked
(``specific_urls``, as the observable store asks); full-URL entries still apply."""

import pytest

from hakusan.domain.warninglists import Hit, Warninglist, WarninglistIndex

HOST_URL = ("hostname", "domain", "url")


def wl(slug: str, list_type: str, category: str) -> Warninglist:
    return Warninglist(
        slug=slug,
        name=f"List {slug}",
        description=f"{slug} for tests",
        version=1,
        list_type=list_type,
        category=category,
        matching_attributes=HOST_URL,
    )


def slugs(hits: list[Hit]) -> list[str]:
    return [hit.slug for hit in hits]


@pytest.fixture(scope="module")
def index() -> WarninglistIndex:
    return WarninglistIndex.build(
        [
            (wl("top", "hostname", "false-positive"), ["bigsite.example", "docs.example.jp"]),
            (wl("shorteners", "hostname", "known"), ["short.example"]),
            (wl("urls", "string", "false-positive"), ["https://bigsite.example/robots.txt"]),
        ]
    )


@pytest.mark.parametrize(
    "url",
    [
        "https://bigsite.example/",
        "https://www.bigsite.example/",
        "https://bigsite.example:8443/",
        "https://bigsite.example/#top",
        "https://user@bigsite.example",
    ],
)
def test_a_bare_top_site_url_is_flagged_like_its_host(index, url):
    assert slugs(index.match("url", url, specific_urls=True)) == ["top"]
    assert slugs(index.match("url", url)) == ["top"]


@pytest.mark.parametrize(
    "url",
    [
        "https://bigsite.example/phish/login.html",
        "https://sites.bigsite.example/view/kakin-kakunin",
        "https://bigsite.example/?id=1",
        "https://bigsite.example:8443/x#top",
        "https://docs.example.jp/forms/d/e/1FAIpQL/viewform",
    ],
)
def test_a_url_with_its_own_path_on_a_top_site_is_not_flagged_by_host(index, url):
    assert index.match("url", url, specific_urls=True) == []
    # MISP's matching (the default) still flags it by host
    assert slugs(index.match("url", url)) == ["top"]
    # and the host itself stays flagged either way
    host = url.split("/")[2].split(":")[0].split("@")[-1]
    assert slugs(index.match("domain", host, specific_urls=True)) == ["top"]


def test_exact_urls_still_apply_and_known_hosts_only_bare(index):
    assert index.match("url", "https://short.example/3abcDEF", specific_urls=True) == []
    assert slugs(index.match("url", "https://short.example/3abcDEF")) == ["shorteners"]
    assert slugs(index.match("url", "https://short.example/", specific_urls=True)) == ["shorteners"]
    assert slugs(index.match("url", "https://bigsite.example/robots.txt", specific_urls=True)) == [
        "urls"
    ]


def test_match_many_passes_the_policy_on(index):
    items = [
        ("url", "https://bigsite.example/phish"),
        ("url", "https://bigsite.example/"),
        ("domain", "bigsite.example"),
    ]
    assert [slugs(h) for h in index.match_many(items, specific_urls=True)] == [
        [],
        ["top"],
        ["top"],
    ]
    assert [slugs(h) for h in index.match_many(items)] == [["top"], ["top"], ["top"]]
