"""STIX patterning (STIX 2.1 §9): writing simple patterns and reading them back.

We write one comparison per indicator: ``[url:value = 'https://example.jp/a']``. Reading, we
turn into observables only what is certainly a list of values: a comparison ``=`` of an object
path to a constant, and ORs of such comparisons (inside one observation or between
observations). Anything else (AND, other operators, qualifiers, MATCHES, …) is not a list of
values: the caller keeps the indicator as a pattern."""

from __future__ import annotations

import re
from dataclasses import dataclass

# Path components that are not plain identifiers are quoted: hashes.'SHA-256'.
_PLAIN_COMPONENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def escape_string(value: str) -> str:
    """A STIX pattern string literal: backslash and quote escaped, in single quotes."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def object_path(object_type: str, *components: str) -> str:
    parts = [c if _PLAIN_COMPONENT.match(c) else escape_string(c) for c in components]
    return f"{object_type}:{'.'.join(parts)}"


def equals(object_type: str, components: tuple[str, ...], value: str | int) -> str:
    literal = str(value) if isinstance(value, int) else escape_string(value)
    return f"[{object_path(object_type, *components)} = {literal}]"


@dataclass(frozen=True, slots=True)
class Comparison:
    object_type: str
    path: tuple[str, ...]  # property path, quoted components unquoted: ("hashes", "SHA-256")
    value: str | int


class NotSimple(ValueError):
    """The pattern is not an OR of equality comparisons to constants."""


_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<string>'(?:[^'\\]|\\.)*')
  | (?P<number>-?[0-9]+(?![0-9.]))
  | (?P<path>[a-z0-9][a-z0-9-]*:(?:[A-Za-z_][A-Za-z0-9_]*|'(?:[^'\\]|\\.)*')
        (?:\.(?:[A-Za-z_][A-Za-z0-9_]*|'(?:[^'\\]|\\.)*'))*)
  | (?P<punct>[\[\]=])
  | (?P<word>[A-Za-z_]+)
  | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)
_UNESCAPE = re.compile(r"\\(.)", re.DOTALL)
_COMPONENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|'(?:[^'\\]|\\.)*'")


def _unquote(literal: str) -> str:
    body = literal[1:-1]
    for match in _UNESCAPE.finditer(body):
        if match[1] not in ("\\", "'"):
            raise NotSimple(f"unknown escape \\{match[1]} in a string")
    return _UNESCAPE.sub(r"\1", body)


def _split_path(text: str) -> tuple[str, tuple[str, ...]]:
    object_type, rest = text.split(":", 1)
    components = tuple(_unquote(c) if c.startswith("'") else c for c in _COMPONENT.findall(rest))
    return object_type, components


def parse_simple(pattern: str) -> list[Comparison]:
    """The comparisons of a pattern that is an OR of ``path = constant`` comparisons, or
    :class:`NotSimple` naming what makes it more than that."""
    tokens: list[tuple[str, str]] = []
    for match in _TOKEN.finditer(pattern):
        kind = match.lastgroup or "other"
        if kind == "ws":
            continue
        if kind == "other":
            raise NotSimple(f"unexpected {match.group()!r}")
        tokens.append((kind, match.group()))
    out: list[Comparison] = []
    position = 0

    def take(kind: str, text: str | None = None) -> str:
        nonlocal position
        if position >= len(tokens):
            raise NotSimple(f"pattern ends where {text or kind} was expected")
        found_kind, found = tokens[position]
        if found_kind != kind or (text is not None and found.upper() != text):
            raise NotSimple(f"{found!r} where {text or kind} was expected")
        position += 1
        return found

    def at(kind: str, text: str) -> bool:
        return (
            position < len(tokens)
            and tokens[position][0] == kind
            and tokens[position][1].upper() == text
        )

    if not tokens:
        raise NotSimple("empty pattern")
    while True:
        take("punct", "[")
        while True:
            object_type, path = _split_path(take("path"))
            if not at("punct", "="):
                found = tokens[position][1] if position < len(tokens) else "end"
                raise NotSimple(f"operator {found!r} (only = is a plain value)")
            take("punct", "=")
            if position < len(tokens) and tokens[position][0] == "string":
                value: str | int = _unquote(take("string"))
            elif position < len(tokens) and tokens[position][0] == "number":
                number = take("number")
                if len(number.lstrip("-+0")) > 20:  # bounded before int(): no AS or port is longer
                    raise NotSimple(f"number with {len(number)} digits is out of range")
                value = int(number)
            else:
                found = tokens[position][1] if position < len(tokens) else "end"
                raise NotSimple(f"{found!r} is not a string or integer constant")
            out.append(Comparison(object_type, path, value))
            if at("word", "OR"):
                take("word", "OR")
                continue
            break
        if position < len(tokens) and tokens[position][0] == "word":
            raise NotSimple(
                f"{tokens[position][1].upper()} inside an observation "
                "(only OR of = comparisons is a list of values)"
            )
        take("punct", "]")
        if position == len(tokens):
            return out
        if at("word", "OR"):
            take("word", "OR")
            continue
        raise NotSimple(f"{tokens[position][1]!r} between observations (only OR is a list)")
