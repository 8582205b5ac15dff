"""Refanging (with the offset map extraction relies on) and defanging for display."""

import pytest

from hakusan.domain.observables import ObservableType, canonicalize, defang, refang
from hakusan.domain.observables.fang import normalize

T = ObservableType


@pytest.mark.parametrize(
    ("written", "refanged"),
    [
        ("hxxp://example[.]com", "http://example.com"),
        ("hXXps[:]//example(.)jp", "https://example.jp"),
        ("h**p://example{.}org", "http://example.org"),
        ("hxxps[://]example[dot]com", "https://example.com"),
        ("ttp://example.jp/a", "http://example.jp/a"),
        ("fxp://files.example.jp", "ftp://files.example.jp"),
        ("user[@]example.jp user[at]example.jp user (at) example (dot) jp", None),
        ("example\\.com", "example.com"),
        ("ｈｔｔｐｓ：／／ｅｘａｍｐｌｅ．ｊｐ", "https://example.jp"),
        ("０３ー１２３４ー５６７８", "03-1234-5678"),
        ("サーバー", "サーバー"),  # ー inside a word stays
        ("ｶﾀｶﾅ", "カタカナ"),
        ("http://example.jp", "http://example.jp"),
    ],
)
def test_refang(written: str, refanged: str | None) -> None:
    if refanged is None:
        assert refang(written) == "user@example.jp user@example.jp user@example.jp"
    else:
        assert refang(written) == refanged


def test_refang_keeps_ordinary_text() -> None:
    text = "これは通常の文章です (注: 2024年). Nothing [here] at all."
    assert refang(text) == text


def test_circled_digits_do_not_glue_to_numbers() -> None:
    assert refang("①03-1234-5678") == " 03-1234-5678"
    assert refang("℡03") == " 03"


@pytest.mark.parametrize(
    "text",
    [
        "ｈｘｘｐｓ［：］／／ｅｖｉｌ［．］ｅｘａｍｐｌｅ［．］ｎｅｔ／ｌｏｇｉｎ",
        "a [.] b (dot) c [at] d ttp://x ①② ㈱ ﬁ",
        "メールは user [at] example [dot] jp まで",
    ],
)
def test_offset_map_covers_every_normalised_span(text: str) -> None:
    normalized = normalize(text)
    norm = normalized.text
    for start in range(len(norm)):
        for end in range(start + 1, len(norm) + 1):
            o_start, o_end = normalized.span(start, end)
            assert 0 <= o_start <= o_end <= len(text)
            # Mapping is monotone: a longer span never maps to a shorter original.
            assert normalized.span(start, end - 1 if end - 1 > start else end)[0] == o_start


def test_offset_map_spans_replacements() -> None:
    text = "見てhxxps[:]//evil[.]example[.]com/aです"
    normalized = normalize(text)
    start = normalized.text.index("https")
    end = normalized.text.index("です")
    o_start, o_end = normalized.span(start, end)
    assert text[o_start:o_end] == "hxxps[:]//evil[.]example[.]com/a"


@pytest.mark.parametrize(
    ("kind", "value", "shown"),
    [
        (T.URL, "https://evil.example.com/a.php", "hxxps://evil[.]example[.]com/a.php"),
        (T.URL, "http://192.0.2.1/x", "hxxp://192[.]0[.]2[.]1/x"),
        (T.URL, "ftp://files.example.jp/", "fxp://files[.]example[.]jp/"),
        (T.DOMAIN, "evil.example.com", "evil[.]example[.]com"),
        (T.IPV4, "192.0.2.1", "192[.]0[.]2[.]1"),
        (T.EMAIL, "taro@example.co.jp", "taro[@]example[.]co[.]jp"),
        (T.MD5, "d41d8cd98f00b204e9800998ecf8427e", "d41d8cd98f00b204e9800998ecf8427e"),
        (T.PHONE, "+81312345678", "+81312345678"),
    ],
)
def test_defang_round_trips(kind: ObservableType, value: str, shown: str) -> None:
    assert defang(value, kind) == shown
    assert defang(shown, kind) == shown  # already defanged: unchanged
    assert canonicalize(kind, shown) == value
    assert refang(shown) == value


def test_defang_detects_type_when_not_given() -> None:
    assert defang("https://evil.example.com/") == "hxxps://evil[.]example[.]com/"
    assert defang("user@example.jp", "email") == "user[@]example[.]jp"


def test_spaced_token_before_a_url_keeps_the_space_after_it() -> None:
    # Joining "foo" and "https://" would make the scheme part of a word.
    text = "foo [.] https://host.example.jp/x"
    normalized = normalize(text)
    assert normalized.text == "foo. https://host.example.jp/x"
    start = normalized.text.index("https")
    assert normalized.span(start, len(normalized.text)) == (8, len(text))
    assert refang("example [.] com") == "example.com"
