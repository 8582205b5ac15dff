"""Decoding a text file for extraction: byte-order marks, UTF-16 without one, --lenient."""

import codecs

import pytest

from hakusan.domain.observables.decoding import UndecodableText, decode_text

TEXT = "連絡先 192.0.2.1 と hxxps://login[.]example[.]jp/a\n"


@pytest.mark.parametrize(
    ("bom", "codec", "name"),
    [
        (codecs.BOM_UTF8, "utf-8", "UTF-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le", "UTF-16LE"),
        (codecs.BOM_UTF16_BE, "utf-16-be", "UTF-16BE"),
        (codecs.BOM_UTF32_LE, "utf-32-le", "UTF-32LE"),
        (codecs.BOM_UTF32_BE, "utf-32-be", "UTF-32BE"),
    ],
)
@pytest.mark.parametrize("lenient", [False, True])
def test_a_byte_order_mark_selects_the_encoding(bom, codec, name, lenient) -> None:
    decoded = decode_text(bom + TEXT.encode(codec), lenient=lenient)
    assert decoded.text == TEXT  # the mark itself is dropped
    assert decoded.encoding == name
    assert decoded.replaced == 0


def test_plain_utf8() -> None:
    decoded = decode_text(TEXT.encode())
    assert (decoded.text, decoded.encoding, decoded.replaced) == (TEXT, "UTF-8", 0)


def test_invalid_utf8_names_byte_and_line() -> None:
    data = "一行目\n二行目 ".encode() + b"\xff" + b" 192.0.2.1\n"
    with pytest.raises(UndecodableText, match=r"invalid UTF-8 at byte 20 \(line 2\)"):
        decode_text(data)
    decoded = decode_text(data, lenient=True)
    assert decoded.text == "一行目\n二行目 \ufffd 192.0.2.1\n"
    assert decoded.replaced == 1
    assert decoded.first_replaced == 20


def test_invalid_utf16_after_its_bom_names_the_byte() -> None:
    data = codecs.BOM_UTF16_LE + "ab".encode("utf-16-le") + b"\x00\xdc" + "c".encode("utf-16-le")
    with pytest.raises(UndecodableText, match=r"invalid UTF-16LE at byte 6"):
        decode_text(data)
    decoded = decode_text(data, lenient=True)
    assert decoded.text == "ab\ufffdc"
    assert decoded.first_replaced == 6


@pytest.mark.parametrize(("codec", "name"), [("utf-16-le", "UTF-16LE"), ("utf-16-be", "UTF-16BE")])
@pytest.mark.parametrize("text", ["see 192.0.2.1 now\n", TEXT])
@pytest.mark.parametrize("lenient", [False, True])
def test_utf16_without_a_bom_is_refused_with_the_reason(codec, name, text, lenient) -> None:
    # ASCII-only UTF-16 is valid UTF-8 (every other byte NUL): decoding it as UTF-8 "works"
    # and finds nothing, so it must be recognised rather than decoded.
    with pytest.raises(UndecodableText) as caught:
        decode_text(text.encode(codec), lenient=lenient)
    message = str(caught.value)
    assert f"looks like {name} without a byte-order mark" in message
    assert "\n" not in message


def test_a_stray_nul_is_not_taken_for_utf16() -> None:
    data = b"log line 192.0.2.1\x00 tail\n" * 3
    assert decode_text(data).text == data.decode()
