"""JSON from outside, parsed with limits: size, nesting depth, number length, no NaN/Infinity,
no lone surrogates. Every entry point that reads foreign JSON (REST, TAXII, STIX, MISP, imports)
goes through :func:`loads`, so hostile input becomes one clear :class:`JSONInputError`
instead of a RecursionError, an IntegrityError or a UnicodeEncodeError deep in the code.

The standard library's C decoder does the parsing; the limits are hooks on it and one iterative
walk over the result (no recursion, so depth itself cannot crash the check).
"""

import json
from typing import Any

MAX_BYTES = 64 * 1024 * 1024
MAX_DEPTH = 64
# Longest literal accepted for a number: 2**64 has 20 digits; a float's repr at most ~24 chars.
MAX_NUMBER_CHARS = 40


class JSONInputError(ValueError):
    """Input that is not acceptable JSON. ``offset`` is a character offset when known (for str
    input) or a byte offset (bytes input decoded as UTF-8); ``path`` is where in the document
    (``$.objects[3].name``) for problems found after parsing."""

    def __init__(self, reason: str, *, offset: int | None = None, path: str = "") -> None:
        self.reason = reason
        self.offset = offset
        self.path = path
        where = []
        if offset is not None:
            where.append(f"at offset {offset}")
        if path:
            where.append(f"at {path}")
        super().__init__(f"{reason} ({', '.join(where)})" if where else reason)


def _reject_constant(name: str) -> Any:
    raise JSONInputError(f"{name} is not a JSON number")


def _parse_int(text: str) -> int:
    if len(text) > MAX_NUMBER_CHARS:
        raise JSONInputError(f"number with {len(text)} digits is too long")
    return int(text)


def _parse_float(text: str) -> float:
    if len(text) > MAX_NUMBER_CHARS:
        raise JSONInputError(f"number with {len(text)} characters is too long")
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise JSONInputError(f"number {text} is out of range")
    return value


def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise JSONInputError("not valid UTF-8", offset=exc.start) from None


def _has_lone_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _path(parts: tuple[str | int, ...]) -> str:
    out = "$"
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def check(value: Any, *, max_depth: int = MAX_DEPTH) -> None:
    """Walk an already-parsed value: depth and lone surrogates in keys and strings."""
    stack: list[tuple[Any, int, tuple[str | int, ...]]] = [(value, 1, ())]
    while stack:
        node, depth, path = stack.pop()
        if isinstance(node, str):
            if _has_lone_surrogate(node):
                raise JSONInputError("string contains a lone surrogate", path=_path(path))
            continue
        if not isinstance(node, dict | list):
            continue
        if depth > max_depth:
            raise JSONInputError(f"nested deeper than {max_depth} levels", path=_path(path))
        if isinstance(node, dict):
            for key, item in node.items():
                if _has_lone_surrogate(key):
                    raise JSONInputError("key contains a lone surrogate", path=_path(path))
                stack.append((item, depth + 1, (*path, key)))
        else:
            stack.extend((item, depth + 1, (*path, i)) for i, item in enumerate(node))


def loads(
    data: str | bytes | bytearray,
    *,
    max_bytes: int = MAX_BYTES,
    max_depth: int = MAX_DEPTH,
) -> Any:
    """Parse ``data`` as JSON within the limits; raise :class:`JSONInputError` otherwise."""
    if isinstance(data, bytes | bytearray):
        if len(data) > max_bytes:
            raise JSONInputError(f"{len(data):,} bytes is more than the limit of {max_bytes:,}")
        text = _decode(bytes(data))
    else:
        text = data
        if len(text) > max_bytes:
            raise JSONInputError(
                f"{len(text):,} characters is more than the limit of {max_bytes:,}"
            )
    try:
        value = json.loads(
            text,
            parse_constant=_reject_constant,
            parse_int=_parse_int,
            parse_float=_parse_float,
        )
    except JSONInputError:
        raise
    except RecursionError:
        raise JSONInputError(f"nested deeper than {max_depth} levels") from None
    except json.JSONDecodeError as exc:
        raise JSONInputError(exc.msg, offset=exc.pos) from None
    except ValueError as exc:  # int() beyond the interpreter's digit limit, etc.
        raise JSONInputError(str(exc)) from None
    check(value, max_depth=max_depth)
    return value
