"""Reading STIX input: JSON with errors that name line and column, bundles or object lists."""

from __future__ import annotations

import json
from typing import Any


class BundleError(ValueError):
    """The input is not STIX we can read at all (not JSON, not a bundle or object list)."""


def loads(text: str | bytes) -> Any:
    """Parse JSON; a syntax error becomes :class:`BundleError` naming line and column."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise BundleError(f"not UTF-8 text (byte {exc.start})") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise BundleError(
            f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from None


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
        return objects, bundle_id if isinstance(bundle_id, str) else ""
    if isinstance(data.get("type"), str) and isinstance(data.get("id"), str):
        return [data], ""
    raise BundleError('not a STIX bundle: no "type": "bundle" (and not a STIX object either)')
