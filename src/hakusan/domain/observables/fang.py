"""Refanging and defanging, with an offset map back to the text as written.

Extraction runs its patterns on a *normalised* copy of the text: width variants folded
(NFKC for full-width and half-width forms), hyphen look-alikes between digits made ASCII
``-``, and defang tokens (``hxxp``, ``[.]``, ``[at]`` ...) undone. Normalising can change
lengths (``[.]`` becomes ``.``), so it records every length-changing edit and
:class:`OffsetMap` maps a span of the normalised text back to the original.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from bisect import bisect_right
from dataclasses import dataclass
from urllib.parse import urlsplit

from .types import ObservableType

__all__ = ["AS_WRITTEN_TYPES", "OffsetMap", "defang", "normalize", "refang"]


@dataclass(frozen=True, slots=True)
class _Edit:
    norm_start: int
    norm_end: int
    orig_start: int
    orig_end: int


class OffsetMap:
    """Maps spans of a normalised string back to the string it came from.

    Only length-changing replacements are recorded; everything between them is an
    identity stretch shifted by a constant.
    """

    __slots__ = ("_edits", "_starts")

    def __init__(self, edits: list[_Edit]) -> None:
        self._edits = edits
        self._starts = [e.norm_start for e in edits]

    def __bool__(self) -> bool:
        return bool(self._edits)

    def _start(self, i: int) -> int:
        k = bisect_right(self._starts, i) - 1
        if k < 0:
            return i
        e = self._edits[k]
        return e.orig_start if i < e.norm_end else e.orig_end + (i - e.norm_end)

    def _end(self, end: int) -> int:
        if end <= 0:
            return 0
        last = end - 1
        k = bisect_right(self._starts, last) - 1
        if k < 0:
            return end
        e = self._edits[k]
        return e.orig_end if last < e.norm_end else e.orig_end + (last - e.norm_end) + 1

    def span(self, start: int, end: int) -> tuple[int, int]:
        if not self._edits:
            return start, end
        return self._start(start), max(self._end(end), self._start(start))


_IDENTITY = OffsetMap([])


class _Builder:
    """Accumulates the normalised text and the edits that changed lengths."""

    __slots__ = ("edits", "pieces", "pos_norm", "pos_orig", "source")

    def __init__(self, source: str) -> None:
        self.source = source
        self.pieces: list[str] = []
        self.edits: list[_Edit] = []
        self.pos_orig = 0  # next unconsumed index in source
        self.pos_norm = 0  # length of the normalised text so far

    def replace(self, start: int, end: int, new: str) -> None:
        if start > self.pos_orig:
            self.pieces.append(self.source[self.pos_orig : start])
            self.pos_norm += start - self.pos_orig
        self.pieces.append(new)
        if len(new) != end - start:
            self.edits.append(_Edit(self.pos_norm, self.pos_norm + len(new), start, end))
        self.pos_norm += len(new)
        self.pos_orig = end

    def finish(self) -> tuple[str, OffsetMap]:
        if not self.pieces:
            return self.source, _IDENTITY
        self.pieces.append(self.source[self.pos_orig :])
        return "".join(self.pieces), OffsetMap(self.edits)


# --- width folding -------------------------------------------------------------------

# Decomposition tags whose NFKC result is the same character in another width or font.
_FOLD_TAGS = frozenset({"<wide>", "<narrow>", "<font>", "<noBreak>", "<small>"})
_NON_ASCII_RUN = re.compile(r"[^\x00-\x7f]+")


@functools.cache
def _fold_char(ch: str) -> str:
    decomposition = unicodedata.decomposition(ch)
    folded = unicodedata.normalize("NFKC", ch)
    if not decomposition.startswith("<"):
        return folded
    tag = decomposition[: decomposition.index(">") + 1]
    if tag in _FOLD_TAGS:
        return folded
    # Circled digits, ℡, ¼, superscripts, ligatures: NFKC would turn ① into "1" and glue
    # it to the digits around ("①03-..."). They are separators here, never IoC parts;
    # punctuation look-alikes (U+2024 ONE DOT LEADER) still fold.
    if any(c.isascii() and c.isalnum() for c in folded):
        return " "
    return folded


class _FoldTable(dict[int, str]):
    """str.translate table filled on first use of each character."""

    def __missing__(self, code: int) -> str:
        folded = self[code] = _fold_char(chr(code))
        return folded


_FOLD_TABLE = _FoldTable()


def _fold(text: str) -> tuple[str, OffsetMap]:
    if text.isascii() or unicodedata.is_normalized("NFKC", text):
        return text, _IDENTITY
    builder = _Builder(text)
    for match in _NON_ASCII_RUN.finditer(text):
        run = match.group()
        if unicodedata.is_normalized("NFKC", run):
            continue
        base = match.start()
        folded = run.translate(_FOLD_TABLE)
        if len(folded) == len(run):  # every character became exactly one: no offset change
            builder.replace(base, match.end(), folded)
            continue
        for offset, ch in enumerate(run):
            folded = _fold_char(ch)
            if folded != ch:
                builder.replace(base + offset, base + offset + 1, folded)
    return builder.finish()


# Hyphen look-alikes Japanese text puts in phone numbers (０３ー１２３４ー５６７８). Only
# between digits: elsewhere ー is the katakana prolonged sound mark. Same length, no edit.
_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2043\u2212\u30fc\ufe63"
# Patterns start with a character class and check what precedes afterwards: the regex
# engine can then skip quickly to candidate characters (a leading lookbehind defeats that).
_DIGIT_DASH = re.compile(rf"[{_DASHES}](?<=[0-9].)(?=[0-9])")

# --- defang tokens -------------------------------------------------------------------

# One leading character class (not an alternation) keeps the engine's fast skip.
_BRACKET_TOKEN = re.compile(
    r"[\[\(\{\\](?:"
    r"(?<=[\[\(\{]) ?(?:(?P<dot>\.|[Dd][Oo][Tt])|(?P<at>@|[Aa][Tt])) ?[\]\)\}] ?"
    r"|(?<=[\[\(\{])(?P<sep>:|://|/)[\]\)\}]"
    r"|(?<=\\)(?P<escaped>\.))"
)
# What a URL starts with, defanged or not ("https://", "hxxps[:]//", "hxxp[://]", "ttp://").
_SCHEME_AHEAD = re.compile(r"[A-Za-z][A-Za-z0-9+.*-]{0,15}(?:[\[\(\{]?:[\]\)\}]?//|[\[\(\{]://)")
# Anchored on the "p" (rare) rather than on h/t/f (common): hxxp, h**p, ttp, fxp before ":".
# hxxp, h**p and fxp are undone even when glued to letters or digits ("URLhxxps://"; the
# extractor decides whether a URL starts there). The h抜き "ttp" needs a non-word before it:
# after a letter it is the tail of a word ("http", "shttp").
_SCHEME_TOKEN = re.compile(
    r"[Pp](?=[Ss]?[\[\(\{]?:)(?:"
    r"(?<=[Hh][Xx][Xx].)(?P<hxxp>)"
    r"|(?<=[Hh]\*\*.)(?P<hstar>)"
    r"|(?<=[Tt][Tt].)(?<![A-Za-z0-9]...)(?P<ttp>)"
    r"|(?<=[Ff][Xx].)(?P<fxp>))"
)


def _refang_tokens(text: str) -> tuple[str, OffsetMap]:
    edits: list[tuple[int, int, str]] = []
    if "[" in text or "(" in text or "{" in text or "\\" in text:
        for match in _BRACKET_TOKEN.finditer(text):
            start, end = match.span()
            if match["sep"]:
                new = match["sep"]
            else:
                new = "." if match["dot"] or match["escaped"] else "@"
                # "example [.] com": the space before the token goes too.
                if start and text[start - 1] == " " and (not edits or edits[-1][1] < start - 1):
                    start -= 1
                # ... but not the one after it when a URL follows ("foo [.] https://..."):
                # "foo.https://" would glue the scheme to the word and lose the URL.
                if text[end - 1] == " " and _SCHEME_AHEAD.match(text, end):
                    end -= 1
            edits.append((start, end, new))
    if ":" in text:
        scheme_edits = []
        for match in _SCHEME_TOKEN.finditer(text):
            # hxxp/h**p -> http, ttp -> http ("h抜き", a Japanese board habit), fxp -> ftp
            kind = match.lastgroup
            length = 4 if kind in ("hxxp", "hstar") else 3
            new = "ftp" if kind == "fxp" else "http"
            scheme_edits.append((match.end() - length, match.end(), new))
        if scheme_edits:
            edits = sorted(edits + scheme_edits)
    if not edits:
        return text, _IDENTITY
    builder = _Builder(text)
    for start, end, new in edits:
        builder.replace(start, end, new)
    return builder.finish()


class Normalized:
    """Normalised text plus the map from its spans back to the original text."""

    __slots__ = ("_maps", "text")

    def __init__(self, text: str, maps: tuple[OffsetMap, ...]) -> None:
        self.text = text
        self._maps = maps

    def span(self, start: int, end: int) -> tuple[int, int]:
        # Maps were applied in order, so undo them last-first.
        for offset_map in reversed(self._maps):
            start, end = offset_map.span(start, end)
        return start, end


def normalize(text: str) -> Normalized:
    """Fold widths, ASCII-fy dashes between digits and undo defanging, keeping offsets."""
    folded, fold_map = _fold(text)
    if not folded.isascii():
        folded = _DIGIT_DASH.sub("-", folded)
    refanged, refang_map = _refang_tokens(folded)
    maps = tuple(m for m in (fold_map, refang_map) if m)
    return Normalized(refanged, maps)


def refang(text: str) -> str:
    """Undo defanging (hxxp, [.], [at], [://] ...) and fold full/half-width characters.

    Folding is NFKC for width variants (ｅｘａｍｐｌｅ．ｊｐ -> example.jp, ０３ -> 03);
    hyphen look-alikes between digits become ``-``.
    """
    result = normalize(text).text
    return result if result.isascii() else unicodedata.normalize("NFC", result)


def refang_fully(text: str) -> str:
    """Refang until nothing changes ("[[.]]" needs two passes); canonicalisers use this."""
    for _ in range(8):
        again = refang(text)
        if again == text:
            break
        text = again
    return text


# --- defang --------------------------------------------------------------------------


# Types whose values are kept as written, only stripped: refanging would rewrite them ("[.]" in
# a file name, "ttp:" inside an ssdeep hash). canonicalize() does not refang them either.
AS_WRITTEN_TYPES = frozenset(
    {
        ObservableType.MUTEX,
        ObservableType.FILENAME,
        ObservableType.USER_AGENT,
        ObservableType.SSDEEP,
    }
)


def _defang_host(host: str) -> str:
    return host.replace(".", "[.]")


def defang(value: str, type: ObservableType | str | None = None) -> str:
    """Make a value safe to display (not clickable): hxxp, [.], [@].

    URLs get ``hxxp``/``hxxps``/``fxp`` and ``[.]`` in the host; domains, IPv4 and CIDR
    blocks get ``[.]``; e-mail gets ``[@]`` and ``[.]`` in its domain. Other types are not
    clickable and are returned refanged but otherwise unchanged, except mutex, filename,
    user_agent and ssdeep, which are never refanged (only stripped): ``[.]`` in a file name
    is part of the name. ``refang(defang(v, t)) == v`` for canonical v of the refanged types.
    """
    if type is None:
        from .canonical import detect

        type = detect(value).type
    kind = ObservableType(type)
    if kind in AS_WRITTEN_TYPES:
        return value.strip()
    value = refang_fully(value.strip())
    if kind in (ObservableType.DOMAIN, ObservableType.IPV4, ObservableType.CIDR):
        return _defang_host(value)
    if kind is ObservableType.EMAIL:
        local, sep, domain = value.rpartition("@")
        return f"{local}[@]{_defang_host(domain)}" if sep else value
    if kind is ObservableType.URL:
        return _defang_url(value)
    return value


_SCHEME_DEFANG = {"http": "hxxp", "https": "hxxps", "ftp": "fxp", "ftps": "fxps"}


def _defang_url(value: str) -> str:
    scheme, sep, rest = value.partition("://")
    if not sep:
        return _defang_host(value)
    try:
        netloc = urlsplit(value).netloc
    except ValueError:
        netloc = rest.split("/", 1)[0]
    scheme_out = _SCHEME_DEFANG.get(scheme.lower(), scheme)
    if netloc and rest.startswith(netloc):
        return f"{scheme_out}://{netloc.replace('.', '[.]')}{rest[len(netloc) :]}"
    return f"{scheme_out}://{rest}"
