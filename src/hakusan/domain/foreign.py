"""Typed access to foreign JSON structures (MISP events, STIX objects) after parsing.

A value of the wrong shape becomes one :class:`ShapeError` naming where it stands
(``$.Event.Attribute[3].Tag``) instead of a TypeError deep inside a mapper, and
:func:`unstorable` says why a parsed value cannot be stored as it is (a JSON column, a text
column, the audit hash): NUL characters (PostgreSQL text refuses them), lone surrogates
(UTF-8 cannot encode them), non-finite or huge numbers, nesting too deep. The checks walk
iteratively, so depth itself cannot crash them.
"""

from __future__ import annotations

import math
from typing import Any

MAX_DEPTH = 64
# Integers beyond this many digits are refused (int -> str conversion is quadratic and Python
# refuses it beyond 4,300 digits; no foreign field of ours needs more than 40).
MAX_INT_DIGITS = 40
_INT_LIMIT = 10**MAX_INT_DIGITS


class ShapeError(ValueError):
    """A foreign value that is not what the format says: ``path`` and what was expected."""

    def __init__(self, path: str, expected: str, value: Any) -> None:
        self.path = path
        self.expected = expected
        self.got = kind(value)
        super().__init__(f"{path}: expected {expected}, got {self.got}")


def kind(value: Any) -> str:
    """The JSON kind of ``value`` in words (for messages)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def text_problem(value: str) -> str | None:
    """Why a string cannot be stored (NUL, lone surrogate), or None."""
    if "\x00" in value:
        return "contains a NUL character"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "contains a lone surrogate"
    return None


def number_problem(value: Any) -> str | None:
    """Why a number cannot be stored (non-finite, more than 40 digits), or None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return f"number {value} is not finite"
    if isinstance(value, int) and not -_INT_LIMIT < value < _INT_LIMIT:
        return f"number with more than {MAX_INT_DIGITS} digits"
    return None


def expect_dict(value: Any, path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ShapeError(path, "an object", value)
    return value


def expect_list(value: Any, path: str) -> list[Any]:
    """A list; ``null`` or a missing value is an empty list."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise ShapeError(path, "a list", value)
    return value


def expect_str(value: Any, path: str, *, numbers: bool = False) -> str:
    """Text that can be stored; ``null``/missing is ``""``. With ``numbers`` a finite number of
    at most 40 digits is accepted as its text (MISP writes some ids and times as numbers)."""
    if value is None:
        return ""
    if numbers and isinstance(value, int | float) and not isinstance(value, bool):
        problem = number_problem(value)
        if problem is not None:
            raise ShapeError(path, "text or a number", value)
        return str(value)
    if not isinstance(value, str):
        raise ShapeError(path, "text or a number" if numbers else "text", value)
    problem = text_problem(value)
    if problem is not None:
        raise ValueError(f"{path}: {problem}")
    return value


def _path(parts: tuple[str | int, ...]) -> str:
    out = "$"
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else f".{part[:40]}"
    return out


def unstorable(value: Any, *, max_depth: int = MAX_DEPTH) -> str | None:
    """Why ``value`` (parsed JSON) cannot be stored verbatim, naming where; None when it can."""
    stack: list[tuple[Any, int, tuple[str | int, ...]]] = [(value, 1, ())]
    while stack:
        node, depth, path = stack.pop()
        if isinstance(node, str):
            problem = text_problem(node)
        elif isinstance(node, int | float):
            problem = number_problem(node)
        elif node is None:
            problem = None
        elif isinstance(node, dict | list):
            if depth > max_depth:
                return f"{_path(path)}: nested deeper than {max_depth} levels"
            problem = None
            if isinstance(node, dict):
                for key, item in node.items():
                    if not isinstance(key, str):
                        return f"{_path(path)}: a key that is not text"
                    key_problem = text_problem(key)
                    if key_problem is not None:
                        return f"{_path(path)}: a key {key_problem}"
                    stack.append((item, depth + 1, (*path, key)))
            else:
                stack.extend((item, depth + 1, (*path, i)) for i, item in enumerate(node))
        else:
            problem = f"not a JSON value ({type(node).__name__})"
        if problem is not None:
            return f"{_path(path)}: {problem}"
    return None
