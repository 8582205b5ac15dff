"""Reading STIX input: JSON with errors that name line and column, bundles or object lists."""

from __future__ import annotations

from typing import Any

from hakusan.domain import foreign, safejson


class BundleError(ValueError):
    """The input is not STIX we can read at all (not JSON, not a bundle or object list)."""


def _line_column(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def loads(text: str | bytes, *, max_bytes: int = safejson.MAX_BYTES) -> Any:
    """Parse JSON within :mod:`hakusan.domain.safejson`'s limits (size, depth, number length,
    no NaN/Infinity, no lone surrogates); any problem becomes :class:`BundleError` naming line
    and column, or the place in the document."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise BundleError(f"not UTF-8 text (byte {exc.start})") from None
    try:
        return safejson.loads(text, max_bytes=max_bytes)
    except safejson.JSONInputError as exc:
        if exc.offset is not None:
            line, column = _line_column(text, exc.offset)
            raise BundleError(
                f"invalid JSON at line {line}, column {column}: {exc.reason}"
            ) from None
        where = f" at {exc.path}" if exc.path else ""
        raise BundleError(f"invalid JSON{where}: {exc.reason}") from None


def objects_of(data: Any) -> tuple[list[Any], str]:
    """The objects of a bundle, a single object, or a list of objects, and the bundle id
    (blank when there is none). Anything else is a :class:`BundleError`."""
    if isinstance(data, list):
        return data, ""
    if not isinstance(data, dict):
        raise BundleError(f"expected a STIX bundle (a JSON object), got {type(data).__name__}")
    if data.get("type") == "bundle":
        objects = data.get("objects", [])
        if not isinstance(objects, list):
            raise BundleError("the bundle's objects is not a list")
        bundle_id = data.get("id")
        if isinstance(bundle_id, str) and foreign.text_problem(bundle_id) is None:
            return objects, bundle_id
        return objects, ""  # an id the report, a text column and the audit hash cannot hold
    if isinstance(data.get("type"), str) and isinstance(data.get("id"), str):
        return [data], ""
    raise BundleError('not a STIX bundle: no "type": "bundle" (and not a STIX object either)')
