"""Bytes of a text file to the text extraction reads.

A byte-order mark selects the encoding (UTF-8, UTF-16 LE/BE, UTF-32 LE/BE: what Windows
tools such as Notepad and PowerShell write); without one the text must be UTF-8. A file in
UTF-16 or UTF-32 *without* a mark is refused with the reason: ASCII text in UTF-16 is valid
UTF-8 (every other byte NUL), so decoding it "works" and nothing is found in it.

``lenient`` replaces invalid sequences with U+FFFD and counts them; it never guesses an
encoding.
"""

from __future__ import annotations

import codecs
from contextvars import ContextVar
from dataclasses import dataclass

__all__ = ["Decoded", "UndecodableText", "decode_text"]

# Longest first: the UTF-32 LE mark begins with the UTF-16 LE one.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le", "UTF-32LE"),
    (codecs.BOM_UTF32_BE, "utf-32-be", "UTF-32BE"),
    (codecs.BOM_UTF8, "utf-8", "UTF-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le", "UTF-16LE"),
    (codecs.BOM_UTF16_BE, "utf-16-be", "UTF-16BE"),
)
# How much of a mark-less file is looked at for the NUL pattern of UTF-16/32.
_SAMPLE = 64 * 1024


@dataclass(frozen=True, slots=True)
class Decoded:
    text: str
    encoding: str  # "UTF-8", "UTF-16LE", ...
    replaced: int = 0  # invalid sequences replaced by U+FFFD (lenient only)
    first_replaced: int | None = None  # byte offset of the first one in the file


class UndecodableText(ValueError):
    """Why the bytes are not text we can read, in one line. ``offset`` is the byte offset of
    an invalid sequence (``replaceable``: lenient decoding would replace it), or None when
    the whole file is in an encoding we do not guess."""

    def __init__(self, message: str, *, offset: int | None = None) -> None:
        super().__init__(message)
        self.offset = offset

    @property
    def replaceable(self) -> bool:
        return self.offset is not None


_noted: ContextVar[list[int]] = ContextVar("hakusan_decoding_noted")


def _replace_and_note(exc: UnicodeError) -> tuple[str, int]:
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    _noted.get().append(exc.start)
    return "\ufffd", exc.end


_HANDLER = "hakusan.replace_and_note"
codecs.register_error(_HANDLER, _replace_and_note)


def _without_bom_looks_like(data: bytes) -> str | None:
    """ "UTF-16LE" etc. when NUL bytes sit at the places ASCII characters leave them in that
    encoding, and (almost) nowhere else; None otherwise (a stray NUL is not a pattern)."""
    sample = data[:_SAMPLE]
    if b"\x00" not in sample or len(sample) < 4:
        return None
    quarter = len(sample) // 4
    at = [sample[i::4].count(0) for i in range(4)]  # NULs by position modulo 4
    # UTF-32 first: its pattern (three NULs in four) also fills one parity of UTF-16's.
    if min(at[1], at[2], at[3]) >= quarter / 2 and at[0] <= at[1] / 4:
        return "UTF-32LE"
    if min(at[0], at[1], at[2]) >= quarter / 2 and at[3] <= at[2] / 4:
        return "UTF-32BE"
    half = len(sample) // 2
    even, odd = at[0] + at[2], at[1] + at[3]
    if odd >= half / 10 and even <= odd / 4:
        return "UTF-16LE"
    if even >= half / 10 and odd <= even / 4:
        return "UTF-16BE"
    return None


def _line_of(body: bytes, codec: str, offset: int) -> int:
    return body[:offset].decode(codec).count("\n") + 1


def decode_text(data: bytes, *, lenient: bool = False) -> Decoded:
    """Decode ``data``; raise :class:`UndecodableText` saying why it cannot be read."""
    skip, codec, name = 0, "utf-8", "UTF-8"
    for bom, bom_codec, bom_name in _BOMS:
        if data.startswith(bom):
            skip, codec, name = len(bom), bom_codec, bom_name
            break
    else:
        guessed = _without_bom_looks_like(data)
        if guessed is not None:
            raise UndecodableText(
                f"looks like {guessed} without a byte-order mark (NUL bytes where ASCII "
                f"characters would have them); convert it to UTF-8 "
                f"(iconv -f {guessed} -t UTF-8) or save it with a byte-order mark"
            )
    body = data[skip:] if skip else data
    try:
        return Decoded(body.decode(codec), name)
    except UnicodeDecodeError as exc:
        if not lenient:
            offset = skip + exc.start
            line = _line_of(body, codec, exc.start)
            raise UndecodableText(
                f"invalid {name} at byte {offset} (line {line})", offset=offset
            ) from None
    token = _noted.set([])
    try:
        text = body.decode(codec, _HANDLER)
        noted = _noted.get()
    finally:
        _noted.reset(token)
    return Decoded(text, name, len(noted), skip + noted[0] if noted else None)
