"""Text entries: hostname normalisation, many-pattern substring search, MISP regexes."""

import re
from collections.abc import Sequence
from typing import Any

_HOST = re.compile(r"[a-z0-9_-]+(?:\.[a-z0-9_-]+)*")
_NOT_HOST_CHAR = re.compile(r"[^a-z0-9._\n-]")


def normalise_host(entry: str) -> tuple[str, bool] | None:
    """A hostname entry -> (host, written as a wildcard); None when it is not a hostname.

    Lower case, IDNA for Unicode labels, trailing dot dropped; a leading ``.`` or ``*.``
    (``.google.ad``, ``*.example.jp``) is dropped and reported as a wildcard.
    """
    host = entry.strip().lower()
    wildcard = False
    while host.startswith(("*.", ".")):
        host = host[2:] if host[0] == "*" else host[1:]
        wildcard = True
    host = host.rstrip(".")
    if host and not host.isascii():
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            return None
    if not _HOST.fullmatch(host):
        return None
    return host, wildcard


def normalise_hosts(
    entries: Sequence[str], joined: str | None = None
) -> tuple[list[str], list[str], int]:
    """Many hostname entries -> (plain hosts, wildcard hosts, number of invalid entries).

    Lists are large (Tranco: a million names), so the common shapes are handled in bulk:
    the joined, lower-cased text is checked once for characters a host name cannot hold,
    and only lists that fail that check go entry by entry through ``normalise_host``.
    ``joined``: the entries joined with newlines, when the caller has that already.
    """
    source = "\n".join(entries) if joined is None else joined
    text = source.lower()
    if not text or _NOT_HOST_CHAR.search(text) is not None or "*" in text:
        return _normalise_one_by_one(entries)
    # Already normalised (the usual case): keep the caller's strings rather than copies.
    keys = list(entries) if text == source else text.split("\n")
    dotted = text.startswith(".") or "\n." in text
    if dotted or text.endswith(".") or ".\n" in text:
        plain = [k.rstrip(".") for k in keys if not k.startswith(".")]
        wildcard = [k.strip(".") for k in keys if k.startswith(".")]
    else:
        plain, wildcard = keys, []
    if "" in plain or "" in wildcard or ".." in text:
        return _normalise_one_by_one(entries)
    return plain, wildcard, 0


def _normalise_one_by_one(entries: Sequence[str]) -> tuple[list[str], list[str], int]:
    plain: list[str] = []
    wildcard: list[str] = []
    invalid = 0
    for entry in entries:
        parsed = normalise_host(entry)
        if parsed is None:
            invalid += 1
        elif parsed[1]:
            wildcard.append(parsed[0])
        else:
            plain.append(parsed[0])
    return plain, wildcard, invalid


class SubstringMatcher:
    """Finds every pattern that occurs in a text.

    Few patterns: a loop of ``in`` tests. Many: a trie of the patterns is compiled into one
    regular expression (the alternation is factored by prefix, so the engine branches on
    one character at a time) that answers "does any pattern occur?" in C; only texts that
    pass walk the trie in Python to collect every pattern found, overlapping ones included.
    """

    __slots__ = ("_any", "_few", "_source", "_trie")

    _END = ""  # key of a trie node's payload: (pattern, ids); real keys are one character
    FEW = 8

    def __init__(self, patterns: dict[str, tuple[int, ...]]) -> None:
        items = [(pattern, ids) for pattern, ids in patterns.items() if pattern]
        self._few: tuple[tuple[str, tuple[int, ...]], ...] | None = None
        self._trie: dict[str, Any] = {}
        self._source: str | None = None
        self._any: re.Pattern[str] | None = None
        if len(items) <= self.FEW:
            self._few = tuple(items)
            return
        trie = self._trie
        for pattern, ids in items:
            node = trie
            for char in pattern:
                node = node.setdefault(char, {})
            node[self._END] = (pattern, ids)
        # Compiled on first use: sre's compiler is Python and takes a while on big lists.
        self._source = self._regex(trie)

    @classmethod
    def _regex(cls, node: dict[str, Any]) -> str:
        # Iterative post-order build (patterns can be long; no recursion limit to worry about).
        out: dict[int, str] = {}
        stack: list[tuple[dict[str, Any], bool]] = [(node, False)]
        while stack:
            current, expanded = stack.pop()
            if cls._END in current and current is not node:
                out[id(current)] = ""  # a pattern ends here: longer ones add nothing
                continue
            children = [(c, child) for c, child in current.items() if c != cls._END]
            if not expanded:
                stack.append((current, True))
                stack.extend((child, False) for _, child in children)
                continue
            alternatives = [re.escape(c) + out[id(child)] for c, child in sorted(children)]
            if len(alternatives) == 1:
                out[id(current)] = alternatives[0]
            else:
                out[id(current)] = "(?:" + "|".join(alternatives) + ")"
        return out[id(node)]

    def __bool__(self) -> bool:
        return bool(self._few) or self._source is not None

    def find(self, text: str) -> list[tuple[str, tuple[int, ...]]]:
        """(pattern, ids) for every distinct pattern occurring in ``text``."""
        if self._few is not None:
            return [item for item in self._few if item[0] in text]
        if self._any is None:
            if self._source is None:
                return []
            self._any = re.compile(self._source, re.DOTALL)
        if self._any.search(text) is None:
            return []
        found: list[tuple[str, tuple[int, ...]]] = []
        trie = self._trie
        end = self._END
        for start in range(len(text)):
            node = trie.get(text[start])
            position = start + 1
            while node is not None:
                payload = node.get(end)
                if payload is not None and payload not in found:
                    found.append(payload)
                if position == len(text):
                    break
                node = node.get(text[position])
                position += 1
        return found


_FLAGS = {"i": re.IGNORECASE, "m": re.MULTILINE, "s": re.DOTALL, "x": re.VERBOSE}
_IGNORED_FLAGS = frozenset("guUD")


def compile_misp_regex(entry: str) -> re.Pattern[str] | None:
    """A MISP (PCRE) regex entry, ``/body/flags`` or a bare body -> compiled; None if invalid.

    ``g``, ``u``, ``U`` and ``D`` are dropped (search semantics, str is Unicode already).
    """
    text = entry.strip()
    body, flags = text, 0
    if len(text) >= 2 and text[0] == "/":
        close = text.rfind("/")
        suffix = text[close + 1 :]
        if close > 0 and all(f in _FLAGS or f in _IGNORED_FLAGS for f in suffix):
            body = text[1:close]
            for flag in suffix:
                flags |= _FLAGS.get(flag, 0)
    if not body:
        return None
    try:
        return re.compile(body, flags)
    except (re.error, OverflowError, RecursionError):
        return None
