"""The rejects file of a bulk import: one entry per RowError, for people to read and fix."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from typing import Final, TextIO

from .parse import ImportFormat, RowError

__all__ = ["REJECT_COLUMNS", "write_rejects"]

REJECT_COLUMNS: Final = ("line", "byte_offset", "field", "message", "raw")

# A cell starting with one of these is a formula in Excel and LibreOffice; report text comes
# from the public, so neutralise it (OWASP "CSV injection") with a leading apostrophe.
_FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> object:
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def write_rejects(errors: Iterable[RowError], out: TextIO, fmt: ImportFormat | str) -> int:
    """Write ``errors`` to ``out`` and return how many were written.

    CSV: a header row, then ``line, byte_offset, field, message, raw`` per error; open ``out``
    with ``newline=""``. Text cells that Excel would run as a formula get a leading ``'``.
    JSONL: one JSON object per error with the same keys (``raw`` verbatim, ``null`` for missing
    values). Warnings (``RowError.warning``) are written like errors; filter them out first if
    only rejected records are wanted.
    """
    fmt = ImportFormat(str(fmt).lower())
    count = 0
    if fmt is ImportFormat.CSV:
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(REJECT_COLUMNS)
        for error in errors:
            writer.writerow(
                [
                    error.line,
                    "" if error.byte_offset is None else error.byte_offset,
                    _cell(error.field or ""),
                    _cell(error.message),
                    _cell(error.raw),
                ]
            )
            count += 1
        return count
    for error in errors:
        record = {
            "line": error.line,
            "byte_offset": error.byte_offset,
            "field": error.field,
            "message": error.message,
            "raw": error.raw,
        }
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
        count += 1
    return count
