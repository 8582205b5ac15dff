"""Find observables in free (often Japanese) text.

Patterns run on the normalised text (see :mod:`.fang`); spans are mapped back so that
``text[start:end] == original``. Boundaries are ASCII-only on purpose: Japanese characters
count as word characters for ``\\b``, and IoCs are routinely glued to them
(``こちらhttps://example.jp/loginにアクセス``).

The extraction policy (overlaps, scheme-less URLs, file-like names, context rules) is
listed in the package docstring, ``hakusan.domain.observables``.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from .canonical import (
    canonical_btc,
    canonical_cve,
    canonical_domain,
    canonical_email,
    canonical_eth,
    canonical_ipv4,
    canonical_ipv6,
    canonical_phone,
    canonical_url,
)
from .fang import normalize
from .types import Extracted, InvalidObservable, ObservableType

__all__ = ["extract"]

T = ObservableType

# Performance: every scanning pattern starts with a literal or a character class and checks
# what precedes *after* it ("[0-9](?<![0-9.].)"), never with a lookbehind or IGNORECASE,
# so the regex engine can skip straight to candidate characters. Longer patterns run
# anchored at a cheap literal ("://", "@").

# Non-ASCII characters that may form an IDN label: not spaces, not CJK punctuation
# (、。「」), not the katakana middle dot, not the (already folded) width-variant block.
_NA = r"[^\x00-\x7f\s\u3000-\u303f\u30fb\uff00-\uffef]"
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_TLD = r"(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})"
_HOST = rf"(?:{_LABEL}\.)+{_TLD}(?![a-z0-9_-])"
# A label is all-ASCII or all-Unicode: mixed would swallow the Japanese glued in front.
_IDN_HOST = rf"(?:(?:{_LABEL}|{_NA}+)\.)+{_TLD}(?![a-z0-9_-])"
# Inside a URL (matched from "scheme://", so nothing is glued in front) labels may hold "_"
# (wildcard DNS answers for them; real phishing hosts use it); canonical_url still refuses
# it in the registrable name.
_URL_LABEL = r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?"
_URL_HOST = rf"(?:(?:{_URL_LABEL}|{_NA}+)\.)+{_TLD}(?![a-z0-9_-])"
_IPV4_RAW = r"(?:[0-9]{1,3}\.){3}[0-9]{1,3}"
_PATH = r"[a-z0-9\-._~!$&'()*+,;=:@%/?#\[\]]"
_DASH = "\\-\u2010-\u2015\u2212\u30fc"

# Anchored (used with .match at a known start).
_URL = re.compile(
    r"(?:https?|ftps?|sftp|wss?)://"
    r"(?:[a-z0-9\-._~!$&'()*+,;=:%]+@)?"
    rf"(?:\[[0-9a-f:.]+\]|{_URL_HOST}|{_IPV4_RAW}(?![0-9]))"
    rf"(?::[0-9]{{1,5}})?(?:[/?#]{_PATH}*)?",
    re.IGNORECASE,
)
_SCHEME_BEFORE = re.compile(r"(?:https?|ftps?|sftp|wss?)\Z", re.IGNORECASE)
# Schemes that start a URL even when glued to ASCII letters or digits ("URLhttps://",
# "手順2https://"): the exact tokens only. sftp, ws and wss are not split off a word
# ("news://" is not "ws://"), and neither are registered longer schemes ending in a token.
_GLUED_SCHEMES = frozenset({"http", "https", "ftp", "ftps"})
_LONGER_SCHEME_BEFORE = re.compile(r"(?:shttp|tftp)\Z", re.IGNORECASE)  # S-HTTP, TFTP
_PATH_AFTER_HOST = re.compile(rf"(?::[0-9]{{1,5}})?/{_PATH}+", re.IGNORECASE)
_LOCAL_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._%+-")
_HOST_AFTER = re.compile(_HOST, re.IGNORECASE)

# Scanning.
_DOMAIN = re.compile(
    r"[A-Za-z0-9](?<![A-Za-z0-9\-_@].)(?<![A-Za-z0-9]\..)[A-Za-z0-9-]*+(?:\.[A-Za-z0-9-]++)++"
)
_IPV4 = re.compile(r"[0-9](?<![0-9.].)[0-9]{0,2}(?:\.[0-9]{1,3}){3}(?![0-9]|\.[0-9])")
_IPV6 = re.compile(
    r"[0-9A-Fa-f:](?<![0-9A-Za-z.].)(?=[0-9A-Fa-f]{0,3}:[0-9A-Fa-f]{0,4}:|:[0-9A-Fa-f])"
    r"[0-9A-Fa-f:.]*+(?![A-Za-z0-9])"
)
_HASH = re.compile(r"[0-9A-Fa-f](?<![0-9A-Za-z_].)[0-9A-Fa-f]{31,}+(?![0-9A-Za-z_])")
_ETH = re.compile(r"0(?<![A-Za-z0-9].)[xX][0-9a-fA-F]{40}(?![A-Za-z0-9])")
_B58 = r"[1-9A-HJ-NP-Za-km-z]{25,34}"
_BTC = re.compile(
    rf"(?:1(?<![A-Za-z0-9].){_B58}|3(?<![A-Za-z0-9].){_B58}"
    r"|b(?<![A-Za-z0-9].)c1[02-9ac-hj-np-z]{8,87}|B(?<![A-Za-z0-9].)C1[02-9AC-HJ-NP-Z]{8,87})"
    r"(?![A-Za-z0-9])"
)
_CVE = re.compile(
    rf"[Cc](?<![A-Za-z0-9].)[Vv][Ee][{_DASH} ]?[0-9]{{4}}[{_DASH}][0-9]{{4,7}}(?![0-9])"
)
# Letters are checked in Python: "TEL03-..." is fine, "ABC0312345678" is an identifier.
_PHONE_NOT_BEFORE = r"(?<![0-9+\-/_,].)"
_PHONE_LABELS = ("tel", "fax")
_PHONE = re.compile(
    rf"(?:\+{_PHONE_NOT_BEFORE}[0-9]{{1,3}}[ \-]?(?:\(0\)[ \-]?)?[0-9]{{1,4}}"
    r"(?:[ \-]?[0-9]{1,4}){1,4}"
    rf"|\({_PHONE_NOT_BEFORE}(?:0[0-9]{{1,4}}\)[ \-]?[0-9]{{1,4}}[ \-]?[0-9]{{3,4}}"
    r"|\+[0-9]{1,3}\)[ \-]?[0-9]{1,4}(?:[ \-]?[0-9]{1,4}){1,4})"  # "(+81) 90 ..."
    rf"|0{_PHONE_NOT_BEFORE}(?:[0-9]{{1,4}}\([0-9]{{1,4}}\)[0-9]{{3,4}}"
    r"|[0-9]{1,4}(?:[ \-]?[0-9]{1,4}){1,3}))"
    r"(?![0-9])"
)
_DIGIT = re.compile(r"[0-9]")
_HEX_LETTER = re.compile(r"[a-fA-F]")
_HEX_DIGIT = re.compile(r"[0-9a-fA-F]")
_PHONE_CUT = re.compile(r"[ \-()]")

# "version 1.2.3.4", "v10.0.0.1", "バージョン1.0.0.2": a dotted quad after these is a version.
_VERSION_BEFORE = re.compile(
    r"(?:(?<![a-z])(?:v|ver\.?|version|rev\.?|build|release|firmware)|バージョン|ファームウェア)"
    r"\s*[:=]?\s*$",
    re.IGNORECASE,
)
# A leading-zero number after these labels is an identifier, not a phone number
# ("注文番号0123456789", "口座番号 0123456"); 電話番号/TEL/連絡先 are not in the list.
_ID_BEFORE = re.compile(
    r"(?:(?:注文|受付|伝票|追跡|送り状|口座|会員|管理|顧客|整理|契約|予約|申込|取引|認証|承認|"
    r"問い?合わ?せ|お客様|order|invoice|account|tracking|customer|member)"
    r"\s*(?:番号|no\.?|number|id|コード|#)"
    r"|(?<![a-z])(?<!tel)(?<!tel )(?<!fax)(?<!fax )(?<!phone)(?<!phone )no\.)"
    r"\s*[:=#]?\s*$",
    re.IGNORECASE,
)
# Technology names that happen to be registrable domains.
NOT_DOMAINS = frozenset({"asp.net", "vb.net", "ado.net"})
# Real TLDs that are far more often file extensions in a report ("setup.py", "a.zip").
FILE_LIKE_TLDS = frozenset({"zip", "mov", "py", "sh", "md", "rs", "ps", "one"})
# E-mail-shaped identifiers in these headers are message ids, not addresses.
_MESSAGE_ID_LINE = re.compile(r"(?:message-id|in-reply-to|references)\s*:", re.IGNORECASE)
_URL_TRAILING = ".,;:!?'\"*("
_CLOSERS = {")": "(", "]": "[", "}": "{"}
_ALNUM = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
# "+", "." and "-" join scheme words ("git+https", "soap.beep"): never a URL start after them.
_SCHEME_JOINERS = frozenset("+.-")
# Longest match wins; on equal length, the more specific type.
_SPECIFICITY = (T.URL, T.EMAIL, T.ETH, T.BTC, T.SHA256, T.SHA1, T.MD5, T.CVE, T.IPV6)
_PRIORITY = {t: i for i, t in enumerate((*_SPECIFICITY, T.IPV4, T.PHONE, T.DOMAIN))}

_Candidate = tuple[int, int, ObservableType, str]
_OriginalOf = Callable[[int, int], str]  # normalised span -> the text as written
_Canon = Callable[[str], str]


def _add(
    out: list[_Candidate], start: int, end: int, kind: ObservableType, canonical: _Canon, raw: str
) -> bool:
    """Append the candidate if ``raw`` canonicalises; say whether it did."""
    try:
        value = canonical(raw)
    except InvalidObservable:
        return False
    out.append((start, end, kind, value))
    return True


def _trim_url(text: str, start: int, end: int) -> int:
    """Drop trailing punctuation that belongs to the sentence, and unbalanced closers."""
    counts: dict[str, int] | None = None  # bracket counts, taken once (linear time)
    while end > start:
        char = text[end - 1]
        if char in _CLOSERS:
            if counts is None:
                segment = text[start:end]
                counts = {c: segment.count(c) for c in "()[]{}"}
            if counts[char] <= counts[_CLOSERS[char]]:
                break
            counts[char] -= 1
        elif char in _URL_TRAILING:
            if counts is not None and char == "(":
                counts[char] -= 1
        else:
            break
        end -= 1
    return end


def _scheme_starts_url(text: str, start: int, scheme_end: int) -> bool:
    """Whether the scheme found at ``start`` begins a URL, given what precedes it."""
    before = text[start - 1 : start]
    if not before or (before not in _ALNUM and before not in _SCHEME_JOINERS):
        return True
    if before in _SCHEME_JOINERS:
        return False
    # Glued to letters or digits ("URLhttps://"): only the exact tokens, and not the tail
    # of a longer scheme word.
    return (
        text[start:scheme_end].lower() in _GLUED_SCHEMES
        and _LONGER_SCHEME_BEFORE.search(text, max(0, scheme_end - 5), scheme_end) is None
    )


def _urls(text: str, out: list[_Candidate]) -> None:
    i = text.find("://")
    while i >= 0:
        scheme = _SCHEME_BEFORE.search(text, max(0, i - 5), i)
        if scheme is not None and _scheme_starts_url(text, scheme.start(), i):
            start = scheme.start()
            match = _URL.match(text, start)
            if match is not None:
                end = _trim_url(text, start, match.end())
                _add(out, start, end, T.URL, canonical_url, text[start:end])
        i = text.find("://", i + 3)


def _domain_allowed(host: str, start: int, end: int, original: _OriginalOf) -> bool:
    """File-like and technology names count as domains only when written defanged."""
    low = host.lower()
    if low.rsplit(".", 1)[-1] not in FILE_LIKE_TLDS and low not in NOT_DOMAINS:
        return True
    written = original(start, end)
    return any(c in written for c in "[({")


def _domains(text: str, out: list[_Candidate], original: _OriginalOf) -> None:
    """Bare domains, and bare domains followed by a path (scheme-less URLs)."""
    for match in _DOMAIN.finditer(text):
        start, end = match.span()
        raw = match.group()
        tld_start = raw.rfind(".") + 1
        if not raw[tld_start].isalpha() or text[end : end + 1] == "_":
            continue  # 1.2.3.4, 3.14, foo.bar_baz
        if not _domain_allowed(raw, start, end, original):
            continue
        if not _add(out, start, end, T.DOMAIN, canonical_domain, raw):
            continue
        if text[end : end + 1] in ("/", ":") and text[start - 1 : start] != "/":
            path = _PATH_AFTER_HOST.match(text, end)
            if path is None:
                continue
            url_end = _trim_url(text, start, path.end())
            if text.find("/", end, url_end) not in (-1, url_end - 1):  # not "example.jp/"
                _add(out, start, url_end, T.URL, canonical_url, text[start:url_end])


def _emails(text: str, out: list[_Candidate]) -> None:
    at = text.find("@")
    while at >= 0:
        host = _HOST_AFTER.match(text, at + 1)
        start, limit = at, max(0, at - 65)
        while start > limit and text[start - 1] in _LOCAL_CHARS:
            start -= 1
        while start < at and text[start] == ".":
            start += 1
        if host is not None and 0 < at - start <= 64:
            line_start = text.rfind("\n", 0, start) + 1
            if not _MESSAGE_ID_LINE.match(text, line_start):
                end = host.end()
                _add(out, start, end, T.EMAIL, canonical_email, text[start:end])
        at = text.find("@", at + 1)


def _ipv4s(text: str, out: list[_Candidate]) -> None:
    for match in _IPV4.finditer(text):
        start, end = match.span()
        if not _VERSION_BEFORE.search(text, max(0, start - 24), start):
            _add(out, start, end, T.IPV4, canonical_ipv4, match.group())


def _ipv6s(text: str, out: list[_Candidate]) -> None:
    for match in _IPV6.finditer(text):
        start = match.start()
        if text[start - 1 : start] == ":" and text[start : start + 2] != "::":
            continue  # inside "a:b:c", not a start
        raw = match.group().rstrip(".")
        if raw.endswith(":") and not raw.endswith("::"):
            raw = raw[:-1]  # "アドレスは2001:db8::1:" - the colon belongs to the sentence
        colons = raw.count(":")
        # Without "::" an address has all 8 groups (or 6 and a dotted quad): skips 10:00:00.
        if "::" not in raw and colons != 7 and not (colons == 6 and "." in raw):
            continue
        if colons < 2 or not _HEX_DIGIT.search(raw):
            continue
        _add(out, start, start + len(raw), T.IPV6, canonical_ipv6, raw)


_HASH_TYPES = {32: T.MD5, 40: T.SHA1, 64: T.SHA256}


def _hashes(text: str, out: list[_Candidate]) -> None:
    for match in _HASH.finditer(text):
        raw = match.group()
        kind = _HASH_TYPES.get(len(raw))
        # A hash has both digits and letters; 32 digits alone is an account or order number.
        if kind is None or not (_DIGIT.search(raw) and _HEX_LETTER.search(raw)):
            continue
        out.append((match.start(), match.end(), kind, raw.lower()))


def _simple(
    pattern: re.Pattern[str],
    canonical: _Canon,
    kind: ObservableType,
    text: str,
    out: list[_Candidate],
) -> None:
    for match in pattern.finditer(text):
        _add(out, match.start(), match.end(), kind, canonical, match.group())


def _phones(text: str, out: list[_Candidate]) -> None:
    pos = 0
    while True:
        match = _PHONE.search(text, pos)
        if match is None:
            return
        start, raw = match.start(), match.group()
        international = raw[0] == "+" or raw[1] == "+"  # "+81 ..." or "(+81) ..."
        # The pattern is greedy ("03-1234-5678 0120" ...): try shorter cuts at separators.
        cuts = [len(raw)] + [m.start() for m in reversed(list(_PHONE_CUT.finditer(raw)))]
        found = None
        for cut in cuts:
            candidate = raw[:cut].rstrip(" -(")
            digits = sum(c.isdigit() for c in candidate)
            if international:
                if not 8 <= digits <= 15:
                    continue
            elif not 10 <= digits <= 11:
                continue
            try:
                found = (candidate, canonical_phone(candidate))
            except InvalidObservable:
                continue
            break
        if found is None:
            pos = start + 1
            continue
        end = start + len(found[0])
        pos = end
        if not international and _ID_BEFORE.search(text, max(0, start - 16), start):
            continue
        if start and text[start - 1].isascii() and text[start - 1].isalpha():
            label = text[max(0, start - 3) : start].lower()
            before = text[start - 4 : start - 3]
            if label not in _PHONE_LABELS or (before.isascii() and before.isalpha()):
                continue
        out.append((start, end, T.PHONE, found[1]))


def _resolve(candidates: list[_Candidate]) -> list[_Candidate]:
    """Non-overlapping subset: within each cluster of overlapping matches, longest first."""
    candidates.sort(key=lambda c: (c[0], c[0] - c[1]))
    chosen: list[_Candidate] = []
    i, n = 0, len(candidates)
    while i < n:
        cluster_end = candidates[i][1]
        j = i + 1
        while j < n and candidates[j][0] < cluster_end:
            cluster_end = max(cluster_end, candidates[j][1])
            j += 1
        if j == i + 1:
            chosen.append(candidates[i])
        else:
            picked: list[_Candidate] = []
            for cand in sorted(candidates[i:j], key=lambda c: (c[0] - c[1], _PRIORITY[c[2]], c[0])):
                if all(cand[1] <= p[0] or cand[0] >= p[1] for p in picked):
                    picked.append(cand)
            chosen.extend(sorted(picked))
        i = j
    return chosen


def extract(text: str) -> list[Extracted]:
    """Every observable in ``text``, in order of appearance (repeats included).

    ``value`` is canonical; ``original``/``start``/``end`` refer to ``text`` as given.
    """
    if not text:
        return []
    normalized = normalize(text)
    norm = normalized.text
    has_digit = _DIGIT.search(norm) is not None
    has_dot = "." in norm
    if not (has_digit or has_dot or ":" in norm):
        return []  # fast path: nothing any pattern could match

    def original(start: int, end: int) -> str:
        o_start, o_end = normalized.span(start, end)
        return text[o_start:o_end]

    found: list[_Candidate] = []
    if "://" in norm:
        _urls(norm, found)
    if has_dot:
        if "@" in norm:
            _emails(norm, found)
        _domains(norm, found, original)
        if has_digit:
            _ipv4s(norm, found)
    if norm.count(":") >= 2:
        _ipv6s(norm, found)
    if has_digit:
        _hashes(norm, found)
        _phones(norm, found)
        _simple(_BTC, canonical_btc, T.BTC, norm, found)
        if "0x" in norm or "0X" in norm:
            _simple(_ETH, canonical_eth, T.ETH, norm, found)
        if "CVE" in norm or "cve" in norm or "Cve" in norm:  # str.lower() is slow on kana
            _simple(_CVE, canonical_cve, T.CVE, norm, found)
    results = []
    for start, end, kind, value in _resolve(found):
        o_start, o_end = normalized.span(start, end)
        results.append(Extracted(kind, value, text[o_start:o_end], o_start, o_end))
    return results
