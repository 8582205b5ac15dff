"""JSON from outside, parsed with limits: size, nesting depth, number length, no NaN/Infinity,
no lone surrogates. Every entry point that reads foreign JSON (REST, TAXII, STIX, MISP, imports)
goes through :func:`loads`, so hostile input becomes one clear :class:`JSONInputError`
instead of a RecursionError, an IntegrityError or a UnicodeEncodeError deep in the code.

The standard library's C decoder does the parsing; the limits are hooks on it and one iterative
walk over the result (no recursion, so depth itself cannot crash the check).
"""

import json
from collections.abc import Callable
from typing import Any

MAX_BYTES = 64 * 1024 * 1024
MAX_DEPTH = 64
# Longest literal accepted for a number: 2**64 has 20 digits; a float's repr at most ~24 chars.
MAX_NUMBER_CHARS = 40


class JSONInputError(ValueError):
    """Input that is not acceptable JSON. ``offset`` is a character offset when known (for str
    input) or a byte offset (bytes input decoded as UTF-8); ``path`` is where in the document
    (``$.objects[3].name``) for problems found after parsing. ``code`` and ``params`` name the
    problem for callers that word it themselves (a translated API error): one of ``too_large``
    (size, limit), ``not_utf8``, ``constant`` (name), ``number_too_long`` (length),
    ``number_out_of_range`` (text), ``too_deep`` (limit), ``lone_surrogate``, ``syntax``
    (message)."""

    def __init__(
        self,
        reason: str,
        *,
        offset: int | None = None,
        path: str = "",
        code: str = "syntax",
        params: dict[str, Any] | None = None,
    ) -> None:
        self.reason = reason
        self.offset = offset
        self.path = path
        self.code = code
        self.params = params if params is not None else {"message": reason}
        where = []
        if offset is not None:
            where.append(f"at offset {offset}")
        if path:
            where.append(f"at {path}")
        super().__init__(f"{reason} ({', '.join(where)})" if where else reason)


class _Refused:
    """A number the hooks refused, left in place so the walk in :func:`check` can name where it
    stands (the decoder's hooks know neither the offset nor the path)."""

    __slots__ = ("code", "params", "reason")

    def __init__(self, reason: str, code: str, params: dict[str, Any]) -> None:
        self.reason, self.code, self.params = reason, code, params


def _reject_constant(name: str) -> Any:
    return _Refused(f"{name} is not a JSON number", "constant", {"name": name})


def _parse_int(text: str) -> Any:
    if len(text) > MAX_NUMBER_CHARS:
        return _Refused(
            f"number with {len(text)} digits is too long", "number_too_long", {"length": len(text)}
        )
    return int(text)


def _parse_float(text: str) -> Any:
    if len(text) > MAX_NUMBER_CHARS:
        return _Refused(
            f"number with {len(text)} characters is too long",
            "number_too_long",
            {"length": len(text)},
        )
    value = float(text)
    if value in (float("inf"), float("-inf")):
        return _Refused(f"number {text} is out of range", "number_out_of_range", {"text": text})
    return value


def _decode(data: bytes) -> str:
    bom = 3 if data.startswith(b"\xef\xbb\xbf") else 0
    try:
        return data[bom:].decode("utf-8")
    except UnicodeDecodeError as exc:
        raise JSONInputError(
            "not valid UTF-8", offset=bom + exc.start, code="not_utf8", params={}
        ) from None


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
        if isinstance(node, _Refused):
            raise JSONInputError(node.reason, path=_path(path), code=node.code, params=node.params)
        if isinstance(node, str):
            if _has_lone_surrogate(node):
                raise JSONInputError(
                    "string contains a lone surrogate",
                    path=_path(path),
                    code="lone_surrogate",
                    params={},
                )
            continue
        if not isinstance(node, dict | list):
            continue
        if depth > max_depth:
            raise JSONInputError(
                f"nested deeper than {max_depth} levels",
                path=_path(path),
                code="too_deep",
                params={"limit": max_depth},
            )
        children: list[tuple[Any, int, tuple[str | int, ...]]] = []
        if isinstance(node, dict):
            for key, item in node.items():
                if _has_lone_surrogate(key):
                    raise JSONInputError(
                        "key contains a lone surrogate",
                        path=_path(path),
                        code="lone_surrogate",
                        params={},
                    )
                children.append((item, depth + 1, (*path, key)))
        else:
            children = [(item, depth + 1, (*path, i)) for i, item in enumerate(node)]
        stack.extend(reversed(children))  # the first problem in document order is reported


def loads(
    data: str | bytes | bytearray,
    *,
    max_bytes: int = MAX_BYTES,
    max_depth: int = MAX_DEPTH,
    object_pairs_hook: Callable[[list[tuple[str, Any]]], Any] | None = None,
) -> Any:
    """Parse ``data`` as JSON within the limits; raise :class:`JSONInputError` otherwise.
    ``object_pairs_hook`` is json's (e.g. to refuse duplicate keys by raising
    :class:`JSONInputError`)."""
    from_bytes = isinstance(data, bytes | bytearray)
    if isinstance(data, bytes | bytearray):
        if len(data) > max_bytes:
            raise JSONInputError(
                f"{len(data):,} bytes is more than the limit of {max_bytes:,}",
                code="too_large",
                params={"size": len(data), "limit": max_bytes},
            )
        text = _decode(bytes(data))
    else:
        text = data
        if len(text) > max_bytes:
            raise JSONInputError(
                f"{len(text):,} characters is more than the limit of {max_bytes:,}",
                code="too_large",
                params={"size": len(text), "limit": max_bytes},
            )
    try:
        value = json.loads(
            text,
            parse_constant=_reject_constant,
            parse_int=_parse_int,
            parse_float=_parse_float,
            object_pairs_hook=object_pairs_hook,
        )
    except JSONInputError:
        raise
    except RecursionError:
        raise JSONInputError(
            f"nested deeper than {max_depth} levels", code="too_deep", params={"limit": max_depth}
        ) from None
    except json.JSONDecodeError as exc:
        # Bytes in, bytes out: the decoder counts characters, the caller's file has bytes.
        offset = len(text[: exc.pos].encode("utf-8", "surrogatepass")) if from_bytes else exc.pos
        if from_bytes and data[:3] == b"\xef\xbb\xbf":
            offset += 3
        raise JSONInputError(exc.msg, offset=offset) from None
    except ValueError as exc:  # int() beyond the interpreter's digit limit, etc.
        raise JSONInputError(str(exc)) from None
    check(value, max_depth=max_depth)
    return value
