"""Canonical forms per type, detection of unknown values, and the error messages."""

import pytest

from hakusan.domain.observables import (
    InvalidObservable,
    Observable,
    ObservableType,
    canonicalize,
    detect,
)
from hakusan.domain.observables.canonical import eip55_checksum_ok

T = ObservableType

VALID = [
    # ipv4
    (T.IPV4, "192.0.2.1", "192.0.2.1"),
    (T.IPV4, " 198.51.100[.]7 ", "198.51.100.7"),
    (T.IPV4, "２０３．０．１１３．９", "203.0.113.9"),
    # ipv6: RFC 5952 compression, lower case, IPv4-mapped in mixed notation
    (T.IPV6, "2001:0DB8:0000:0000:0000:0000:0000:0001", "2001:db8::1"),
    (T.IPV6, "[2001:db8::1]", "2001:db8::1"),
    (T.IPV6, "2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"),
    (T.IPV6, "::FFFF:192.0.2.1", "::ffff:192.0.2.1"),
    # domain
    (T.DOMAIN, "Example.JP", "example.jp"),
    (T.DOMAIN, "www.example.co.jp.", "www.example.co.jp"),
    (T.DOMAIN, "example[.]com", "example.com"),
    (T.DOMAIN, "ｅｘａｍｐｌｅ．ｊｐ", "example.jp"),
    (T.DOMAIN, "例え.jp", "xn--r8jz45g.jp"),
    (T.DOMAIN, "例え。jp", "xn--r8jz45g.jp"),
    (T.DOMAIN, "phish.example.test", "phish.example.test"),
    (T.DOMAIN, "s3.amazonaws.com", "s3.amazonaws.com"),
    # url
    (T.URL, "HTTP://Example.JP:80/Path?Q=1#Frag", "http://example.jp/Path?Q=1#Frag"),
    (T.URL, "hxxps[:]//evil[.]example[.]com", "https://evil.example.com/"),
    (T.URL, "https://example.jp:443/a", "https://example.jp/a"),
    (T.URL, "https://example.jp:8443/a", "https://example.jp:8443/a"),
    (T.URL, "https://example.jp?x=1", "https://example.jp/?x=1"),
    (T.URL, "http://[2001:DB8::1]:8080/x", "http://[2001:db8::1]:8080/x"),
    (T.URL, "https://例え.jp/パス", "https://xn--r8jz45g.jp/パス"),
    (T.URL, "www.example.jp/login", "http://www.example.jp/login"),
    (T.URL, "ttp://example.jp/a", "http://example.jp/a"),
    (T.URL, "https://user:pw@example.jp/", "https://user:pw@example.jp/"),
    # email
    (T.EMAIL, "Taro.Yamada@Example.CO.JP", "taro.yamada@example.co.jp"),
    (T.EMAIL, "taro [at] example [dot] jp", "taro@example.jp"),
    (T.EMAIL, "mailto:<info@example.jp>", "info@example.jp"),
    # hashes
    (T.MD5, "D41D8CD98F00B204E9800998ECF8427E", "d41d8cd98f00b204e9800998ecf8427e"),
    (
        T.SHA1,
        "da39a3ee5e6b4b0d3255bfef95601890afd80709",
        "da39a3ee5e6b4b0d3255bfef95601890afd80709",
    ),
    (
        T.SHA256,
        "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    ),
    # phone: E.164, Japanese plan by default
    (T.PHONE, "03-1234-5678", "+81312345678"),
    (T.PHONE, "０９０ー１２３４ー５６７８", "+819012345678"),
    (T.PHONE, "(03)1234-5678", "+81312345678"),
    (T.PHONE, "0120-123-456", "+81120123456"),
    (T.PHONE, "+81 90 1234 5678", "+819012345678"),
    (T.PHONE, "+81(0)3-1234-5678", "+81312345678"),
    (T.PHONE, "+44 20 7946 0958", "+442079460958"),
    (T.PHONE, "+81 90-1234-5678", "+819012345678"),
    (T.PHONE, "(+81) 90 1234 5678", "+819012345678"),
    (T.PHONE, "（＋８１）３－１２３４－５６７８", "+81312345678"),
    # btc: genesis address, P2SH, BIP-173 and BIP-350 vectors
    (T.BTC, "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"),
    (T.BTC, "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy", "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy"),
    (
        T.BTC,
        "BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4",
        "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4",
    ),
    (
        T.BTC,
        "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0",
        "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0",
    ),
    (
        T.BTC,
        "bc1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3qccfmv3",
        "bc1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3qccfmv3",
    ),
    (T.BTC, "BC1SW50QGDZ25J", "bc1sw50qgdz25j"),
    (T.BTC, "bc1zw508d6qejxtdg4y5r3zarvaryvaxxpcs", "bc1zw508d6qejxtdg4y5r3zarvaryvaxxpcs"),
    # eth: EIP-55 vectors
    (
        T.ETH,
        "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
        "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed",
    ),
    (
        T.ETH,
        "0xD1220A0CF47C7B9BE7A2E6BA89F429762E7B9ADB",
        "0xd1220a0cf47c7b9be7a2e6ba89f429762e7b9adb",
    ),
    # cve
    (T.CVE, "cve-2021-44228", "CVE-2021-44228"),
    (T.CVE, "ＣＶＥ－２０２４－３４００", "CVE-2024-3400"),
    (T.CVE, "CVE-2014-0160", "CVE-2014-0160"),
]


@pytest.mark.parametrize(("kind", "raw", "expected"), VALID)
def test_canonical_value(kind: ObservableType, raw: str, expected: str) -> None:
    assert canonicalize(kind, raw) == expected
    assert canonicalize(kind.value, raw) == expected  # the type may be given as a string
    assert canonicalize(kind, expected) == expected  # idempotent


@pytest.mark.parametrize(("kind", "raw", "expected"), VALID)
def test_detect_finds_type_and_value(kind: ObservableType, raw: str, expected: str) -> None:
    assert detect(raw) == Observable(kind, expected)


INVALID = [
    (T.IPV4, "192.168.01.1", "leading zero"),
    (T.IPV4, "256.1.1.1", "above 255"),
    (T.IPV4, "1.2.3", "dotted quad"),
    (T.IPV6, "2001:db8::1::2", "ipv6"),
    (T.IPV6, "fe80::1%eth0", "zone"),
    (T.DOMAIN, "invoice.pdf.exe", "not a top-level domain"),
    (T.DOMAIN, "co.jp", "public suffix"),
    (T.DOMAIN, "localhost", "two labels"),
    (T.DOMAIN, "-bad.example.jp", "letters, digits"),
    (T.DOMAIN, "exa_mple.jp", "letters, digits"),
    (T.URL, "javascript://alert(1)", "scheme"),
    (T.URL, "http://intranet/portal", "host"),
    (T.URL, "https://example.jp:70000/", "port"),
    (T.URL, "https://exa mple.jp/", "whitespace"),
    (T.EMAIL, "no-at-sign.example.jp", "local-part@domain"),
    (T.EMAIL, "a..b@example.jp", "dot-atom"),
    (T.EMAIL, "user@example.invoice", "domain"),
    (T.MD5, "d41d8cd98f00b204e9800998ecf8427", "32 hex digits"),
    (T.SHA1, "zz39a3ee5e6b4b0d3255bfef95601890afd80709", "hexadecimal"),
    (T.SHA256, "e3b0", "64 hex digits"),
    (T.PHONE, "03-1234-567", "not a valid number"),
    (T.PHONE, "0120-ABC-DEF", "only digits"),
    (T.PHONE, "0", "not a valid number"),  # was a bare ValueError from int("")
    (T.PHONE, "(0)", "not a valid number"),
    (T.BTC, "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb", "checksum"),
    (T.BTC, "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5", "checksum"),
    # BIP-350: witness v0 with a bech32m checksum, v1 with a bech32 one.
    (T.BTC, "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kemeawh", "checksum"),
    (T.BTC, "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqh2y7hd", "checksum"),
    (T.BTC, "BC1QR508D6QEJXTDG4Y5R3ZARVARYV98GJ9P", "program"),  # v0, 16 bytes
    (T.BTC, "bc1pw5dgrnzv", "program"),  # 1 byte
    (T.BTC, "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7v07qwwzcrf", "program"),
    (T.BTC, "tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx", "mainnet"),
    (T.BTC, "mipcBbFg9gMiCh81Kj8tqqdgoZub1ZJRfn", "mainnet"),
    (T.ETH, "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD", "EIP-55"),
    (T.ETH, "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beae", "40 hex"),
    (T.CVE, "CVE-24-1234", "CVE-YYYY-NNNN"),
    (T.CVE, "CVE-2024-01234", "leading zero"),
    (T.CVE, "CVE-1988-0001", "predates"),
]


@pytest.mark.parametrize(("kind", "raw", "reason"), INVALID)
def test_invalid_names_type_and_reason(kind: ObservableType, raw: str, reason: str) -> None:
    with pytest.raises(InvalidObservable) as caught:
        canonicalize(kind, raw)
    message = str(caught.value)
    assert message.startswith(f"invalid {kind.value}")
    assert reason.lower() in message.lower()
    assert caught.value.type == kind.value
    assert isinstance(caught.value, ValueError)


def test_unknown_type_and_empty_value() -> None:
    with pytest.raises(InvalidObservable, match="unknown observable type"):
        canonicalize("sha512", "ab")
    with pytest.raises(InvalidObservable, match="empty"):
        canonicalize(T.DOMAIN, "   ")


def test_detect_reports_the_likely_type_reason() -> None:
    with pytest.raises(InvalidObservable, match=r"invalid ipv4.*leading zero"):
        detect("192.168.001.001")
    with pytest.raises(InvalidObservable, match="EIP-55"):
        detect("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD")
    with pytest.raises(InvalidObservable, match="not recognised"):
        detect("hello")


def test_detect_scheme_less_and_bare_forms() -> None:
    assert detect("example[.]com/login") == Observable(T.URL, "http://example.com/login")
    assert detect("example[.]com") == Observable(T.DOMAIN, "example.com")
    assert detect("０３－１２３４－５６７８") == Observable(T.PHONE, "+81312345678")
    assert detect("[2001:db8::5]") == Observable(T.IPV6, "2001:db8::5")


EIP55_VECTORS = [  # from EIP-55
    "52908400098527886E0F7030069857D2E4169EE7",
    "8617E340B3D01FA5F11F306F4090FD50E238070D",
    "de709f2102306220921060314715629080e2fb77",
    "27b1fdb04752bbc536007a920d24acb045561c26",
    "5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
    "fB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
    "dbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
    "D1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
]


@pytest.mark.parametrize("hex40", EIP55_VECTORS)
def test_eip55_vectors(hex40: str) -> None:
    assert eip55_checksum_ok(hex40)
    assert canonicalize(T.ETH, "0x" + hex40) == "0x" + hex40.lower()
    # The case of every letter is fixed by the hash: flip one and the checksum fails.
    i = next(i for i, c in enumerate(hex40) if c.isalpha())
    assert not eip55_checksum_ok(hex40[:i] + hex40[i].swapcase() + hex40[i + 1 :])
