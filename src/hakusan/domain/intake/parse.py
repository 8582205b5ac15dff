"""Streaming parser for bulk report imports (CSV and JSON Lines).

The file is read as bytes, one physical line at a time, and each line is decoded on its own, so
an invalid byte costs only the record that contains it, and memory stays flat however large the
file is. Every record yields ``(line, ReportDraft | RowError)``, ``line`` being the 1-based
physical line where the record starts; line numbers never decrease.

Problems that make the whole file unusable (no header, a required column missing, an
unsupported encoding, a JSON array instead of JSON Lines) raise ``ValueError`` from
:func:`parse_reports` itself, before any row.

CSV
    The first non-blank record is the header; names are matched to :data:`FIELDS` after trimming
    and lower-casing. ``channel``, ``kind`` and ``narrative`` must be present. Unknown columns are
    ignored, announced by ONE warning :class:`RowError` (``warning=True``) on the header line
    whose ``field`` lists them. A header with tabs and no commas selects tab-separated values.
    Quoted fields may contain line breaks. A malformed record (bad quoting, unterminated quote,
    more than :data:`MAX_RECORD_LINES` lines or :data:`MAX_RECORD_BYTES` bytes) is rejected on its
    first line and parsing resumes on the line after it, so a stray quote cannot swallow the
    rows that follow.
JSON Lines
    Each non-blank line is one JSON object with keys from :data:`FIELDS`. Unknown keys are ignored
    with one warning per new key name, on the first line where it appears.
Encoding
    UTF-8 with or without a byte-order mark, unless ``encoding`` says otherwise: ``cp932`` (and
    its aliases ``shift_jis``, ``sjis``, ``ms932``, ``windows-31j``, all decoded as cp932, the
    superset Japanese Excel writes) and ``euc-jp`` are accepted. A line with undecodable bytes is
    rejected with the line number and the byte offset of the first bad byte; the lines around
    it are parsed as usual.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import partial
from typing import BinaryIO, Final

from hakusan.domain import safejson

from .drafts import FIELDS, REQUIRED_FIELDS, DraftError, ReportDraft, build_draft

__all__ = [
    "MAX_RECORD_BYTES",
    "MAX_RECORD_LINES",
    "ImportFormat",
    "ParsedRow",
    "RowError",
    "parse_reports",
]

MAX_RECORD_BYTES: Final = 1 << 20
"""Longest accepted record (CSV) or line (JSON Lines), in bytes."""
MAX_RECORD_LINES: Final = 1_000
"""Most physical lines one CSV record may span."""
MAX_JSON_DEPTH: Final = 8
"""Deepest JSON Lines record accepted (a report is an object with one list: depth 2)."""
MAX_RAW_CHARS: Final = 100_000
"""Longest ``RowError.raw`` kept; longer text is cut and marked."""

_UTF8_BOM: Final = codecs.BOM_UTF8
_UTF16_BOMS: Final = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
# codecs.lookup() name -> codec used. Only encodings where b"\n" always ends a line (ASCII is
# never part of a multi-byte character) qualify; Shift_JIS is read as its superset cp932.
_ENCODINGS: Final = {
    "utf-8": "utf-8",
    "utf-8-sig": "utf-8",
    "cp932": "cp932",
    "shift_jis": "cp932",
    "euc_jp": "euc_jp",
}


class ImportFormat(StrEnum):
    CSV = "csv"
    JSONL = "jsonl"


_FORMAT_ALIASES: Final = {
    "csv": ImportFormat.CSV,
    "tsv": ImportFormat.CSV,
    "jsonl": ImportFormat.JSONL,
    "ndjson": ImportFormat.JSONL,
    "json": ImportFormat.JSONL,
}


@dataclass(frozen=True, slots=True)
class RowError:
    """A record that could not be imported, or (``warning=True``) a note about the file.

    ``line`` is the 1-based physical line where the record starts. ``byte_offset`` is the file
    offset of the offending byte (invalid encoding, JSON syntax error) or else of the record
    start. ``field`` names the bad field(s), comma-separated when several. ``raw`` is the record
    text as read (undecodable bytes shown as U+FFFD).
    """

    line: int
    message: str
    field: str | None = None
    byte_offset: int | None = None
    raw: str = ""
    warning: bool = False


ParsedRow = tuple[int, ReportDraft | RowError]


# -- physical lines -------------------------------------------------------------------------


@dataclass(slots=True)  # not frozen: frozen dataclasses are slow to create, and this is hot
class Line:
    number: int  # 1-based
    offset: int  # file offset of data[0]
    data: bytes  # with its terminator; cut to MAX_RECORD_BYTES when too_long
    too_long: bool = False


class LineSource:
    """Physical lines of a binary stream with numbers and offsets, and a push-back queue.
    Shared by every streaming importer (reports here, indicators in domain.indicators)."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self._number = 0
        self._offset = 0
        self._pushed: deque[Line] = deque()
        self.had_bom = False

    def next(self) -> Line | None:
        if self._pushed:
            return self._pushed.popleft()
        data = self._stream.readline(MAX_RECORD_BYTES + 1)
        if not data:
            return None
        size = len(data)
        too_long = size > MAX_RECORD_BYTES and not data.endswith(b"\n")
        if too_long:
            data = data[:MAX_RECORD_BYTES]
            while chunk := self._stream.readline(1 << 16):  # skip the rest of the line
                size += len(chunk)
                if chunk.endswith(b"\n"):
                    break
        offset = self._offset
        if self._number == 0 and data.startswith(_UTF8_BOM):
            data, offset = data[len(_UTF8_BOM) :], offset + len(_UTF8_BOM)
            self.had_bom = True
        self._number += 1
        self._offset += size
        return Line(self._number, offset, data, too_long)

    def push_back(self, lines: Sequence[Line]) -> None:
        self._pushed.extendleft(reversed(lines))


def decode_line(line: Line, encoding: str) -> tuple[str, int | None]:
    """The line's text, and the file offset of its first undecodable byte (or None)."""
    try:
        return line.data.decode(encoding), None
    except UnicodeDecodeError as exc:
        return line.data.decode(encoding, "replace"), line.offset + exc.start


def _is_blank(data: bytes) -> bool:
    return not data.strip()


class _Decoder:
    def __init__(self, encoding: str) -> None:
        self.encoding = encoding

    def decode(self, line: Line) -> tuple[str, int | None]:
        return decode_line(line, self.encoding)

    def describe_bad_byte(self, line: Line, offset: int) -> str:
        byte = line.data[offset - line.offset]
        message = (
            f"invalid {_encoding_label(self.encoding)} byte 0x{byte:02X} "
            f"on line {line.number} at byte offset {offset}"
        )
        if self.encoding == "utf-8" and _looks_like_shift_jis(byte, line.data):
            message += " (if the file is Shift_JIS from Japanese Excel, import it as cp932)"
        return message


def _looks_like_shift_jis(byte: int, data: bytes) -> bool:
    """Whether a UTF-8 failure on ``byte`` suggests the line is Shift_JIS instead."""
    if not (0x81 <= byte <= 0x9F or 0xE0 <= byte <= 0xEF):  # JIS X 0208 lead bytes
        return False
    try:
        data.decode("cp932")
    except UnicodeDecodeError:
        return False
    return True


def _encoding_label(encoding: str) -> str:
    return {"utf-8": "UTF-8", "cp932": "cp932 (Shift_JIS)", "euc_jp": "EUC-JP"}.get(
        encoding, encoding
    )


def _clip(text: str) -> str:
    text = text.rstrip("\r\n")
    if len(text) > MAX_RAW_CHARS:
        return text[:MAX_RAW_CHARS] + " …[truncated]"
    return text


def _too_long_message(line: Line) -> str:
    return f"line {line.number} is longer than {MAX_RECORD_BYTES:,} bytes; it was skipped"


# -- entry point ------------------------------------------------------------------------------


def parse_reports(
    stream: BinaryIO,
    fmt: ImportFormat | str | None = None,
    *,
    filename: str = "",
    encoding: str | None = None,
) -> Iterator[ParsedRow]:
    """Parse a CSV or JSON Lines file of reports, streaming.

    ``fmt`` None takes the format from ``filename``'s suffix (.csv/.tsv, .jsonl/.ndjson/.json),
    else from the first non-blank byte (``{`` or ``[`` means JSON Lines). ``encoding`` None means
    UTF-8 with an optional byte-order mark.

    The header (CSV) and the start of the file are checked at call time: ValueError is raised
    here, before any row, when the file cannot be imported at all. The returned iterator never
    raises for bad content; an I/O error of ``stream`` propagates.
    """
    decoder = _Decoder(resolve_encoding(encoding))
    if isinstance(stream, io.RawIOBase):  # readline() on raw files reads byte by byte
        stream = io.BufferedReader(stream)
    source = LineSource(stream)
    first = _first_non_blank(source)
    _check_start(source, first, decoder.encoding)
    resolved = _resolve_format(fmt, filename, first)
    if resolved is ImportFormat.JSONL:
        if first is not None and first.data.lstrip().startswith(b"["):
            raise ValueError(
                f"line {first.number} starts a JSON array; expected JSON Lines "
                "(one JSON object per line, no enclosing [ ])"
            )
        return _parse_jsonl(source, decoder)
    if first is None:
        return iter(())
    return _parse_csv(source, decoder, first)


def resolve_encoding(encoding: str | None) -> str:
    if encoding is None:
        return "utf-8"
    alias = encoding.strip().lower().replace("_", "-")
    if alias in ("windows-31j", "x-sjis", "cp-932", "ms-932"):  # names Java and browsers use
        return "cp932"
    try:
        name = codecs.lookup(encoding).name
    except LookupError:
        raise ValueError(f"unknown encoding {encoding!r}") from None
    resolved = _ENCODINGS.get(name)
    if resolved is None:
        raise ValueError(
            f"unsupported encoding {encoding!r}; use UTF-8 (recommended), cp932/Shift_JIS or EUC-JP"
        )
    return resolved


def _resolve_format(
    fmt: ImportFormat | str | None, filename: str, first: Line | None
) -> ImportFormat:
    if fmt is not None:
        resolved = _FORMAT_ALIASES.get(str(fmt).strip().lower().lstrip("."))
        if resolved is None:
            raise ValueError(f"unknown import format {fmt!r}; expected csv or jsonl")
        return resolved
    suffix = filename.rpartition(".")[2].lower() if "." in filename else ""
    if suffix in _FORMAT_ALIASES:
        return _FORMAT_ALIASES[suffix]
    if first is not None and first.data.lstrip()[:1] in (b"{", b"["):
        return ImportFormat.JSONL
    return ImportFormat.CSV


def _first_non_blank(source: LineSource) -> Line | None:
    """Peek at the first non-blank line; it and the blank lines before it are pushed back."""
    seen: list[Line] = []
    while (line := source.next()) is not None:
        seen.append(line)
        if line.too_long or not _is_blank(line.data):
            source.push_back(seen)
            return line
        if len(seen) > MAX_RECORD_LINES:  # a desert of blank lines: keep memory bounded
            seen.clear()
    return None


def _check_start(source: LineSource, first: Line | None, encoding: str) -> None:
    if source.had_bom and encoding != "utf-8":
        raise ValueError(
            f"the file starts with a UTF-8 byte-order mark but {_encoding_label(encoding)} "
            "was requested; import it as UTF-8"
        )
    if first is not None and first.number == 1 and first.data.startswith(_UTF16_BOMS):
        raise ValueError(
            "the file is UTF-16 (Excel 'Unicode text'); save it as 'CSV UTF-8' and import again"
        )


# -- CSV --------------------------------------------------------------------------------------


class _RecordTooLarge(Exception):
    pass


class _CsvFeed:
    """Iterator of decoded lines for csv.reader that remembers the lines of the current record."""

    def __init__(self, source: LineSource, decoder: _Decoder) -> None:
        self.source = source
        self.decoder = decoder
        self.lines: list[Line] = []
        self.texts: list[str] = []
        self.bad: tuple[Line, int] | None = None
        self.size = 0

    def start_record(self) -> None:
        self.lines = []
        self.texts = []
        self.bad = None
        self.size = 0

    def __iter__(self) -> _CsvFeed:
        return self

    def __next__(self) -> str:
        line = self.source.next()
        if line is None:
            raise StopIteration
        self.lines.append(line)
        self.size += len(line.data)
        if line.too_long:
            raise _RecordTooLarge(_too_long_message(line))
        if len(self.lines) > MAX_RECORD_LINES:
            raise _RecordTooLarge(
                f"the record spans more than {MAX_RECORD_LINES:,} lines (unbalanced quote?)"
            )
        if self.size > MAX_RECORD_BYTES:
            raise _RecordTooLarge(
                f"the record is longer than {MAX_RECORD_BYTES:,} bytes (unbalanced quote?)"
            )
        text, bad = self.decoder.decode(line)
        if bad is not None and self.bad is None:
            self.bad = (line, bad)
        self.texts.append(text)
        return text

    def raw(self) -> str:
        if self.texts:
            return _clip("".join(self.texts))
        if self.lines:  # only a too-long line was read
            return _clip(self.lines[0].data[:2_000].decode(self.decoder.encoding, "replace"))
        return ""


@dataclass(slots=True)
class _Record:
    line: int
    offset: int
    cells: list[str] | None  # None: the record could not be read, see error
    error: RowError | None


def _csv_records(feed: _CsvFeed, reader: Iterator[list[str]]) -> Iterator[_Record]:
    """Non-blank CSV records; structurally broken ones come back with an error.

    After a broken multi-line record, parsing resumes on the line after its first line: the
    lines it swallowed are read again as records of their own.
    """
    while True:
        feed.start_record()
        try:
            cells = next(reader)
        except StopIteration:
            return
        except (csv.Error, _RecordTooLarge) as exc:
            if not feed.lines:  # pragma: no cover - csv raises only after reading a line
                return
            start = feed.lines[0]
            detail = str(exc)
            if isinstance(exc, csv.Error):
                detail = _csv_error_message(detail, start, feed.lines[-1])
            raw = feed.raw()
            if len(feed.lines) > 1:
                # Only the first line is rejected: the others are read again as records.
                detail += f"; only line {start.number} rejected, reading on from the next line"
                raw = raw.split("\n", 1)[0].rstrip("\r")
            yield _Record(
                start.number,
                start.offset,
                None,
                RowError(start.number, detail, None, start.offset, raw),
            )
            feed.source.push_back(feed.lines[1:])
            continue
        if not feed.lines or all(not cell.strip() for cell in cells):
            continue
        start = feed.lines[0]
        if feed.bad is not None:
            bad_line, bad_offset = feed.bad
            yield _Record(
                start.number,
                start.offset,
                cells,
                RowError(
                    start.number,
                    feed.decoder.describe_bad_byte(bad_line, bad_offset),
                    None,
                    bad_offset,
                    feed.raw(),
                ),
            )
            continue
        yield _Record(start.number, start.offset, cells, None)


def _csv_error_message(detail: str, start: Line, last: Line) -> str:
    where = (
        f"line {last.number}"
        if last.number == start.number
        else (f"lines {start.number}-{last.number}")
    )
    if "unexpected end of data" in detail:
        return f"CSV: unterminated quoted field starting on line {start.number}"
    if "expected after" in detail:
        return f"CSV: malformed quoting on {where} (a quote inside a quoted field must be doubled)"
    if "field larger than field limit" in detail:
        return f"CSV: a field on {where} is longer than {csv.field_size_limit():,} characters"
    return f"CSV: {detail} on {where}"


def _parse_csv(source: LineSource, decoder: _Decoder, first: Line) -> Iterator[ParsedRow]:
    header_text, _ = decoder.decode(first)
    delimiter = "\t" if "\t" in header_text and "," not in header_text else ","
    feed = _CsvFeed(source, decoder)
    reader = csv.reader(feed, delimiter=delimiter, quotechar='"', strict=True)
    records = _csv_records(feed, reader)
    header = next(records, None)
    if header is None:  # pragma: no cover - first is a non-blank line
        return iter(())
    columns, warning = _csv_header(header, decoder, feed)
    return _csv_rows(records, feed, columns, warning)


def _csv_header(
    header: _Record, decoder: _Decoder, feed: _CsvFeed
) -> tuple[list[str | None], RowError | None]:
    if header.error is not None or header.cells is None:
        assert header.error is not None
        raise ValueError(f"line {header.line}: cannot read the header: {header.error.message}")
    names = [cell.strip().lower() for cell in header.cells]
    seen: set[str] = set()
    duplicates: list[str] = []
    for name in names:
        if name in seen and name and name not in duplicates:
            duplicates.append(name)
        seen.add(name)
    if duplicates:
        raise ValueError(
            f"line {header.line}: duplicate column(s) in header: {', '.join(duplicates)}"
        )
    missing = [name for name in REQUIRED_FIELDS if name not in seen]
    if missing:
        shown = ", ".join(repr(name) for name in names[:8]) + (", ..." if len(names) > 8 else "")
        raise ValueError(
            f"line {header.line}: required column(s) missing from header: {', '.join(missing)} "
            f"(found {shown}); the first line must name the columns, from: {', '.join(FIELDS)}"
        )
    known = set(FIELDS)
    columns: list[str | None] = [name if name in known else None for name in names]
    unknown = [
        name or f"(blank column {index + 1})"
        for index, name in enumerate(names)
        if name not in known
    ]
    warning = None
    if unknown:
        warning = RowError(
            header.line,
            f"unknown column(s) ignored: {', '.join(unknown)}",
            ",".join(unknown),
            header.offset,
            feed.raw(),
            warning=True,
        )
    return columns, warning


def _csv_rows(
    records: Iterator[_Record],
    feed: _CsvFeed,
    columns: list[str | None],
    warning: RowError | None,
) -> Iterator[ParsedRow]:
    if warning is not None:
        yield warning.line, warning
    width = len(columns)
    for record in records:
        if record.error is not None:
            error = record.error
            if record.cells is not None and error.field is None:  # name the undecodable field
                error = _with_field(error, _field_with_replacement(record.cells, columns))
            yield record.line, error
            continue
        assert record.cells is not None
        cells = record.cells
        if len(cells) > width and any(cell.strip() for cell in cells[width:]):
            yield (
                record.line,
                RowError(
                    record.line,
                    f"{len(cells)} values but the header has {width} columns",
                    None,
                    record.offset,
                    feed.raw(),
                ),
            )
            continue
        values = {name: cell for name, cell in zip(columns, cells, strict=False) if name}
        yield record.line, _draft_or_error(values, record.line, record.offset, feed.raw)


def _field_with_replacement(cells: list[str], columns: list[str | None]) -> str | None:
    for index, cell in enumerate(cells):
        if "\ufffd" in cell:
            return columns[index] if index < len(columns) else None
    return None


def _with_field(error: RowError, field: str | None) -> RowError:
    if field is None:
        return error
    return RowError(
        error.line, f"{field}: {error.message}", field, error.byte_offset, error.raw, error.warning
    )


def _draft_or_error(
    values: Mapping[str, object], line: int, offset: int, raw: Callable[[], str]
) -> ReportDraft | RowError:
    try:
        return build_draft(values)
    except DraftError as exc:
        return RowError(line, str(exc), ",".join(exc.fields), offset, raw())


# -- JSON Lines -------------------------------------------------------------------------------


def _no_duplicates(pairs: list[tuple[str, object]]) -> dict[str, object]:
    result: dict[str, object] = {}
    for key, value in pairs:
        if key in result:
            raise safejson.JSONInputError(
                f"key {key!r} given twice in one object", code="duplicate_key", params={"key": key}
            )
        result[key] = value
    return result


_MAX_UNKNOWN_KEYS_TRACKED: Final = 100


def _parse_jsonl(source: LineSource, decoder: _Decoder) -> Iterator[ParsedRow]:
    known = set(FIELDS)
    unknown_seen: set[str] = set()
    while (line := source.next()) is not None:
        if line.too_long:
            raw = line.data[:2_000].decode(decoder.encoding, "replace")
            yield (
                line.number,
                RowError(line.number, _too_long_message(line), None, line.offset, _clip(raw)),
            )
            continue
        if _is_blank(line.data):
            continue
        text, bad = decoder.decode(line)
        if bad is not None:
            message = decoder.describe_bad_byte(line, bad)
            yield line.number, RowError(line.number, message, None, bad, _clip(text))
            continue
        result = _json_object(text, line, decoder.encoding)
        if isinstance(result, RowError):
            yield line.number, result
            continue
        values: dict[str, object] = {}
        collisions: list[str] = []
        new_unknown: list[str] = []
        for key, value in result.items():
            name = key.strip().lower()
            if name in values:
                collisions.append(name)
            if name in known:
                values[name] = value
            elif name not in unknown_seen and len(unknown_seen) < _MAX_UNKNOWN_KEYS_TRACKED:
                unknown_seen.add(name)
                new_unknown.append(name)
        if new_unknown:
            yield (
                line.number,
                RowError(
                    line.number,
                    f"unknown key(s) ignored: {', '.join(new_unknown)} (first seen on line "
                    f"{line.number})",
                    ",".join(new_unknown),
                    line.offset,
                    "",
                    warning=True,
                ),
            )
        if collisions:
            yield (
                line.number,
                RowError(
                    line.number,
                    f"key(s) given twice (names are not case-sensitive): {', '.join(collisions)}",
                    ",".join(collisions),
                    line.offset,
                    _clip(text),
                ),
            )
            continue
        yield line.number, _draft_or_error(values, line.number, line.offset, partial(_clip, text))


def _json_object(text: str, line: Line, encoding: str) -> dict[str, object] | RowError:
    def error(message: str, offset: int = line.offset) -> RowError:
        return RowError(line.number, message, None, offset, _clip(text))

    try:
        # Limits (depth, number length, no NaN/Infinity, no lone surrogates): one bad line is
        # one reject, never an exception out of the import.
        value = safejson.loads(
            text,
            max_bytes=MAX_RECORD_BYTES,
            max_depth=MAX_JSON_DEPTH,
            object_pairs_hook=_no_duplicates,
        )
    except safejson.JSONInputError as exc:
        if exc.code == "syntax" and exc.offset is not None:
            offset = line.offset + len(text[: exc.offset].encode(encoding, "replace"))
            column = exc.offset - text.rfind("\n", 0, exc.offset)
            return error(
                f"invalid JSON at line {line.number} column {column} "
                f"(byte offset {offset}): {exc.reason}",
                offset,
            )
        where = f" at {exc.path}" if exc.path else ""
        return error(f"invalid JSON{where}: {exc.reason}")
    if not isinstance(value, dict):
        kind = {list: "an array", str: "a string", bool: "a boolean", type(None): "null"}.get(
            type(value), "a number"
        )
        return error(f"expected a JSON object, got {kind}")
    return value
