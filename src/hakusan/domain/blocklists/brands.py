"""Brand names: the organisation a phishing site imitates (``三井住友カード``, ``Apple ID``).

A brand travels as a sighting tag ``brand:<name>``. Names are normalised so that the same brand
written in full-width or with odd spacing is one tag: Unicode NFKC (full-width Latin and digits
to ASCII, half-width katakana to full-width), white space collapsed to one space, trimmed. Case
is kept (brands are proper names, ``au`` is not ``AU``); tags are compared as written."""

import re
import unicodedata
from collections.abc import Iterable
from typing import Final

BRAND_PREFIX: Final = "brand:"
# Tags are at most 100 characters (the indicator import's limit), the prefix included.
MAX_BRAND_CHARS: Final = 100 - len(BRAND_PREFIX)

_SPACE = re.compile(r"\s+")


def normalise_brand(name: str) -> str:
    """The canonical form of a brand name ("" when there is none). Longer names are cut to
    :data:`MAX_BRAND_CHARS` characters."""
    text = unicodedata.normalize("NFKC", name)
    text = _SPACE.sub(" ", text).strip()
    return text[:MAX_BRAND_CHARS].rstrip()


def brand_tag(name: str) -> str | None:
    """``brand:<normalised name>``, or None for a blank name."""
    brand = normalise_brand(name)
    return f"{BRAND_PREFIX}{brand}" if brand else None


def brands_from_tags(tags: Iterable[str]) -> list[str]:
    """The brand names among tags (``brand:`` prefix, case-insensitive), normalised."""
    found: dict[str, None] = {}
    for tag in tags:
        if isinstance(tag, str) and tag[: len(BRAND_PREFIX)].lower() == BRAND_PREFIX:
            brand = normalise_brand(tag[len(BRAND_PREFIX) :])
            if brand:
                found[brand] = None
    return list(found)
