"""Indicator imports: the streaming parser for lists of observables from feeds and partners.

Pure Python (no Django); ``hakusan indicators import FILE`` and the indicators store adapt the
rows to sightings.

    from hakusan.domain.indicators import IndicatorFormat, IndicatorRow, parse_indicators

    with open("feed.csv", "rb") as f:
        for line, row in parse_indicators(f, filename="feed.csv"):
            ...  # IndicatorRow (canonical type and value) or RowError (line, byte offset)

Formats: a plain list (``type:value`` or detected), CSV with columns, JSON Lines, and MISP's
attribute CSV (``misp`` or ``misp-csv``: MISP types mapped to ours, composites such as
``filename|md5`` split). Rows carry the TLP their ``tlp:`` tags or ``tlp`` column give
(``IndicatorRow.tlp``). See ``parse`` for the rules and ``misp`` for the type map.
"""

from hakusan.domain.intake.parse import RowError
from hakusan.domain.intake.rejects import write_rejects

from .misp import MISP_TYPES, MispPart, UnsupportedMispType, split_misp
from .parse import (
    CSV_FIELDS,
    FORMAT_NAMES,
    MAX_VALUE_CHARS,
    IndicatorFormat,
    IndicatorRow,
    ParsedIndicator,
    format_of,
    parse_indicators,
    parse_tags,
)

__all__ = [
    "CSV_FIELDS",
    "FORMAT_NAMES",
    "MAX_VALUE_CHARS",
    "MISP_TYPES",
    "IndicatorFormat",
    "IndicatorRow",
    "MispPart",
    "ParsedIndicator",
    "RowError",
    "UnsupportedMispType",
    "format_of",
    "parse_indicators",
    "parse_tags",
    "split_misp",
    "write_rejects",
]
