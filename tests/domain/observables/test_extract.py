"""Extraction from free text: Japanese glue, defanged and full-width forms, false positives."""

import time

import pytest

from hakusan.domain.observables import Extracted, ObservableType, extract

T = ObservableType


def found(text: str) -> list[tuple[str, str]]:
    return [(e.type.value, e.value) for e in extract(text)]


def test_url_glued_to_japanese_ends_before_the_particle() -> None:
    text = "こちらhttps://example.jp/loginにアクセス"
    [item] = extract(text)
    assert item == Extracted(T.URL, "https://example.jp/login", "https://example.jp/login", 3, 27)
    assert text[item.start : item.end] == item.original


def test_phone_glued_to_japanese() -> None:
    assert found("連絡先は03-1234-5678です") == [("phone", "+81312345678")]


def test_full_width_offsets_point_into_the_original() -> None:
    text = "ＴＥＬ：０３ー１２３４ー５６７８、メール：ｓｕｐｐｏｒｔ＠ｅｘａｍｐｌｅ．ｊｐ"
    phone, email = extract(text)
    assert (phone.value, phone.original) == ("+81312345678", "０３ー１２３４ー５６７８")
    assert (email.value, email.original) == (
        "support@example.jp",
        "ｓｕｐｐｏｒｔ＠ｅｘａｍｐｌｅ．ｊｐ",
    )
    for item in (phone, email):
        assert text[item.start : item.end] == item.original


def test_defanged_forms_with_length_changes_map_back() -> None:
    text = "送信元 hxxps[:]//evil[.]example[.]com/a と user [at] example [dot] jp"
    url, email = extract(text)
    assert url.original == "hxxps[:]//evil[.]example[.]com/a"
    assert url.value == "https://evil.example.com/a"
    assert email.original == "user [at] example [dot] jp"
    assert email.value == "user@example.jp"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("090-1234-5678", "+819012345678"),
        ("09012345678", "+819012345678"),
        ("03-1234-5678", "+81312345678"),
        ("0120-123-456", "+81120123456"),
        ("0800-123-4567", "+818001234567"),
        ("(03)1234-5678", "+81312345678"),
        ("03(1234)5678", "+81312345678"),
        ("０９０－１２３４－５６７８", "+819012345678"),
        ("+81-90-1234-5678", "+819012345678"),
        ("+81 3 1234 5678", "+81312345678"),
        ("TEL03-1234-5678", "+81312345678"),
        # International forms with a space or hyphen after the country code, or "(+81)".
        ("+81 90-1234-5678", "+819012345678"),
        ("+81 3-1234-5678", "+81312345678"),
        ("(+81) 90 1234 5678", "+819012345678"),
        ("(+81)3-1234-5678", "+81312345678"),
        ("＋８１ ９０－１２３４－５６７８", "+819012345678"),
        ("（＋８１）９０－１２３４－５６７８", "+819012345678"),
    ],
)
def test_japanese_phone_forms(text: str, expected: str) -> None:
    assert found(f"電話{text}から") == [("phone", expected)]


def test_international_form_of_a_number_from_the_sms_report() -> None:
    text = "SMS送信元 +81 90-2468-1357"
    [item] = extract(text)
    assert (item.type, item.value, item.original) == (T.PHONE, "+819024681357", "+81 90-2468-1357")


@pytest.mark.parametrize(
    "text", ["+81 90-0000-5678", "(+81) 90 0000 5678", "+81-90-0000-5678", "090-0000-5678"]
)
def test_unallocated_range_is_not_a_phone_in_any_form(text: str) -> None:
    # 090-0xxx-xxxx is not allocated (mobile is [6-9]0[1-9]...): no such caller can exist,
    # written with +81 or without.
    assert found(f"SMS送信元 {text}") == []


@pytest.mark.parametrize(
    "text",
    [
        "invoice.pdf.exe を開いた",
        "setup.py と README.md と archive.zip",
        "version 1.2.3.4",
        "バージョン1.0.0.2",
        "2024-11-05 と 2024/11/05 と 令和6年11月5日",
        "¥150,000 と 1,500,000円",
        "注文番号0123456789",
        "お客様番号：0123-45-6789",
        "〒060-0001",
        "12:34:56 と 00:1a:2b:3c:4d:5e",
        "12345678901234567890123456789012",
        "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5",
        "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb",
        "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD",
        "192.168.001.010",
        "Node.js と ASP.NET",
    ],
)
def test_false_positives_are_not_extracted(text: str) -> None:
    assert found(text) == []


def test_defanged_file_like_name_is_a_domain() -> None:
    assert found("evil[.]zip と evil.zip") == [("domain", "evil.zip")]


def test_host_of_url_or_email_is_not_reported_again() -> None:
    assert found("https://example.jp/a と info@example.jp") == [
        ("url", "https://example.jp/a"),
        ("email", "info@example.jp"),
    ]


def test_scheme_less_url_needs_a_path() -> None:
    assert found("www.example.jp/login と www.example.jp と example.jp/") == [
        ("url", "http://www.example.jp/login"),
        ("domain", "www.example.jp"),
        ("domain", "example.jp"),
    ]


def test_cidr_is_an_address_not_a_url() -> None:
    assert found("192.0.2.0/24") == [("ipv4", "192.0.2.0")]


def test_every_occurrence_in_order() -> None:
    text = "192.0.2.1, 192.0.2.1 と example.com"
    items = extract(text)
    assert [(e.value, e.start) for e in items] == [
        ("192.0.2.1", 0),
        ("192.0.2.1", 11),
        ("example.com", 23),
    ]


def test_url_trailing_punctuation_and_brackets() -> None:
    assert found("(https://example.org/x). see https://example.com/a_(b)_c, ok") == [
        ("url", "https://example.org/x"),
        ("url", "https://example.com/a_(b)_c"),
    ]


def test_hashes_are_word_bounded() -> None:
    md5 = "d41d8cd98f00b204e9800998ecf8427e"
    assert found(f"md5:{md5}") == [("md5", md5)]
    assert found(f"{md5}0") == []  # 33 hex digits: no hash
    assert found(f"x{md5}") == []  # part of a longer token
    assert found(f"ハッシュ{md5}です") == [("md5", md5)]


def test_crypto_addresses() -> None:
    assert found("送金先1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNaへ") == [
        ("btc", "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa")
    ]
    assert found("eth 0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed") == [
        ("eth", "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed")
    ]


def test_ipv6_forms() -> None:
    assert found("from [2001:db8::dead:beef]:8443 at 10:30:00") == [("ipv6", "2001:db8::dead:beef")]
    assert found("アドレスは2001:DB8:0:0:0:0:0:1です") == [("ipv6", "2001:db8::1")]


@pytest.mark.parametrize(
    ("text", "value", "original"),
    [
        (
            "記載のURLhxxps://delivery-check[.]example[.]jp/track にアクセス",
            "https://delivery-check.example.jp/track",
            "hxxps://delivery-check[.]example[.]jp/track",
        ),
        ("リンクhttps://example.jp/a", "https://example.jp/a", "https://example.jp/a"),
        ("LINK:https://example.jp/a", "https://example.jp/a", "https://example.jp/a"),
        ("URLhttp://example.jp/a", "http://example.jp/a", "http://example.jp/a"),
        ("詳細はこちらhttps://example.jp/a", "https://example.jp/a", "https://example.jp/a"),
        (
            "SMS本文:【宅配】お荷物の確認はhttps://example.jp/a",
            "https://example.jp/a",
            "https://example.jp/a",
        ),
        ("SeeHTTPS://Example.JP/a", "https://example.jp/a", "HTTPS://Example.JP/a"),
        ("URLhXXps[:]//example[.]jp/a", "https://example.jp/a", "hXXps[:]//example[.]jp/a"),
        ("URLh**p://example.jp/a", "http://example.jp/a", "h**p://example.jp/a"),
        ("URLfxp://example.jp/pub", "ftp://example.jp/pub", "fxp://example.jp/pub"),
        ("手順2https://example.jp/a", "https://example.jp/a", "https://example.jp/a"),
        (
            "ＵＲＬｈｔｔｐｓ：／／ｅｘａｍｐｌｅ．ｊｐ／ａ",
            "https://example.jp/a",
            "ｈｔｔｐｓ：／／ｅｘａｍｐｌｅ．ｊｐ／ａ",
        ),
    ],
)
def test_scheme_glued_after_letters_or_digits_starts_a_url(
    text: str, value: str, original: str
) -> None:
    [item] = extract(text)
    assert (item.type, item.value, item.original) == (T.URL, value, original)
    assert text[item.start : item.end] == original


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Longer scheme words that end in a known scheme are not split: TFTP is not FTP,
        # news: is not ws:, S-HTTP is not HTTP.
        ("tftp://192.0.2.1/boot.img", [("ipv4", "192.0.2.1")]),
        ("news://news.example.jp/fj.comp", [("domain", "news.example.jp")]),
        ("shttp://example.jp/a", [("domain", "example.jp")]),
        # Only http(s)/ftp(s) split off glued letters; sftp, ws and wss need a non-word before.
        ("URLsftp://example.jp/a", [("domain", "example.jp")]),
        ("URLwss://example.jp/a", [("domain", "example.jp")]),
        # "+", "." and "-" join scheme words (git+https); h抜き "ttp" needs a non-word before.
        ("git+https://example.jp/repo", [("domain", "example.jp")]),
        ("URLttp://example.jp/a", [("domain", "example.jp")]),
    ],
)
def test_longer_scheme_words_are_not_split(text: str, expected: list[tuple[str, str]]) -> None:
    assert found(text) == expected


def test_unicode_host_only_after_a_scheme() -> None:
    assert found("https://例え.jp/path と https://例え.jpにアクセス") == [
        ("url", "https://xn--r8jz45g.jp/path"),
        ("url", "https://xn--r8jz45g.jp/"),
    ]


def test_fast_path_and_empty_text() -> None:
    assert extract("") == []
    assert extract("数字も記号もない日本語の文章です") == []


def test_message_id_is_not_an_email() -> None:
    text = "Message-ID: <abc123@mail.example.jp>\nFrom: a@example.com"
    assert found(text) == [("email", "a@example.com")]


@pytest.mark.parametrize(
    "text",
    [
        "https://example.jp/" + ")" * 50_000,  # unbalanced closers: once quadratic
        "https://example.jp/" + "(" * 50_000,
        "[.]" * 20_000,
        "a." * 50_000,
        ("a." * 40 + "@") * 1_000,
        "0-" * 50_000,
        "+1 " * 30_000,
        "https://" + "あ." * 20_000,
    ],
)
def test_pathological_input_stays_linear(text: str) -> None:
    started = time.perf_counter()
    extract(text)
    assert time.perf_counter() - started < 3.0


@pytest.mark.parametrize(
    "token", ["[.]", "(.)", "{.}", "[dot]", "(dot)", "[ . ]", "［.］", "[at]", "[@]"]
)
@pytest.mark.parametrize(
    "url",
    ["https://host.example.jp/x", "hxxps://host[.]example[.]jp/x", "hxxps[:]//host.example.jp/x"],
)
def test_spaced_defang_token_before_a_url_keeps_the_url(token: str, url: str) -> None:
    # The spaces around "[.]" are eaten ("example [.] com"), but the one before a URL's scheme
    # used to go too: "foo.https://..." has no URL in it.
    text = f"foo {token} {url}"
    assert ("url", "https://host.example.jp/x") in found(text)
    [item] = [e for e in extract(text) if e.type is T.URL]
    assert text[item.start : item.end] == url


def test_spaced_defang_tokens_still_join_host_labels() -> None:
    assert found("example [.] com と user [at] example [.] jp") == [
        ("domain", "example.com"),
        ("email", "user@example.jp"),
    ]
