"""The REST API's JSON parser: foreign JSON through :mod:`hakusan.domain.safejson` (size, depth,
number length, no NaN/Infinity, no lone surrogates), each refusal a 400 naming what and where,
in the caller's language. Staff tools that read JSON (bulk import) word errors the same way."""

from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from hakusan.domain import safejson

# A report with its narrative and items is a few KB; 10 MiB leaves room for bulk endpoints.
DEFAULT_MAX_BYTES = 10 * 1024 * 1024


def max_bytes() -> int:
    return int(getattr(settings, "HAKUSAN_API_MAX_JSON_BYTES", DEFAULT_MAX_BYTES))


def describe(exc: safejson.JSONInputError) -> str:
    """``exc`` in the active language, with the byte offset or the path where it stands."""
    p = exc.params
    if exc.code == "too_large":
        what = _("%(size)s bytes is more than the limit of %(limit)s bytes") % {
            "size": f"{p['size']:,}",
            "limit": f"{p['limit']:,}",
        }
    elif exc.code == "not_utf8":
        what = _("not valid UTF-8")
    elif exc.code == "constant":
        what = _("%(name)s is not a JSON number") % {"name": p["name"]}
    elif exc.code == "number_too_long":
        what = _("a number of %(length)s characters is too long") % {"length": p["length"]}
    elif exc.code == "number_out_of_range":
        what = _("the number %(text)s is out of range") % {"text": p["text"]}
    elif exc.code == "too_deep":
        what = _("nested deeper than %(limit)s levels") % {"limit": p["limit"]}
    elif exc.code == "lone_surrogate":
        what = _("a string contains a lone surrogate (\\ud800-\\udfff)")
    else:
        what = _("JSON syntax error: %(message)s") % {"message": p.get("message", exc.reason)}
    if exc.path:
        return _("%(problem)s (at %(path)s)") % {"problem": what, "path": exc.path}
    if exc.offset is not None:
        return _("%(problem)s (byte offset %(offset)s)") % {"problem": what, "offset": exc.offset}
    return what


class SafeJSONParser(JSONParser):
    """DRF's JSON parser with safejson's limits; every refusal is a ParseError (400)."""

    def parse(self, stream: Any, media_type: Any = None, parser_context: Any = None) -> Any:
        limit = max_bytes()
        raw = stream.read(limit + 1) if stream is not None else b""
        try:
            return safejson.loads(raw, max_bytes=limit)
        except safejson.JSONInputError as exc:
            raise ParseError(
                _("The request body is not acceptable JSON: %(problem)s")
                % {"problem": describe(exc)}
            ) from None
