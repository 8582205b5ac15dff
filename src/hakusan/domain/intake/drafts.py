"""Report drafts: the validated, framework-free form of one incoming report.

A :class:`ReportDraft` is what a bulk import (or any other adapter) hands to the intake service.
:func:`build_draft` turns loosely typed values (CSV cells, JSON values, form data) into a draft,
accepting the Japanese labels that station staff use, or raises :class:`DraftError` listing every
problem with the field it concerns.
"""

from __future__ import annotations

import contextlib
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

__all__ = [
    "CHANNELS",
    "FIELDS",
    "FIELD_HELP",
    "KINDS",
    "MAX_DAMAGE_AMOUNT",
    "MAX_ITEMS",
    "MAX_ITEM_CHARS",
    "MAX_NARRATIVE_CHARS",
    "MAX_SHORT_TEXT_CHARS",
    "REQUIRED_FIELDS",
    "TOKYO",
    "VICTIM_KINDS",
    "VICTIM_ORG_SIZES",
    "DraftError",
    "ReportDraft",
    "build_draft",
    "parse_amount",
    "parse_datetime",
]

TOKYO = ZoneInfo("Asia/Tokyo")

CHANNELS: tuple[str, ...] = ("visit", "phone", "web", "email", "ihc", "patrol", "partner")
KINDS: tuple[str, ...] = ("report", "consultation", "information")
VICTIM_KINDS: tuple[str, ...] = ("person", "company", "organisation")
VICTIM_ORG_SIZES: tuple[str, ...] = ("", "large", "sme", "organisation")

_CHANNEL_SET = frozenset(CHANNELS)
_KIND_SET = frozenset(KINDS)
_VICTIM_KIND_SET = frozenset(VICTIM_KINDS)
_VICTIM_ORG_SIZE_SET = frozenset(VICTIM_ORG_SIZES)

MAX_NARRATIVE_CHARS = 20_000
MAX_SHORT_TEXT_CHARS = 500
MAX_ITEMS = 1_000
MAX_ITEM_CHARS = 8_192
# Larger amounts are typing mistakes, and they would overflow a 64-bit database column.
MAX_DAMAGE_AMOUNT = 10**15

# Labels are compared after NFKC normalisation and case folding, so "ＷＥＢ", "Web" and "web"
# are the same, and half-width katakana ("ｳｪﾌﾞ") matches its full-width form.
_CHANNEL_LABELS: dict[str, str] = {
    **{code: code for code in CHANNELS},
    "来署": "visit",
    "電話": "phone",
    "ウェブ": "web",
    "メール": "email",
    "e-mail": "email",
    "サイバーパトロール": "patrol",
    "部外機関": "partner",
}
_KIND_LABELS: dict[str, str] = {
    **{code: code for code in KINDS},
    "通報": "report",
    "相談": "consultation",
    "情報提供": "information",
}
_VICTIM_KIND_LABELS: dict[str, str] = {
    **{code: code for code in VICTIM_KINDS},
    "organization": "organisation",
    "個人": "person",
    "法人": "company",
    "企業": "company",
    "団体": "organisation",
}
_VICTIM_ORG_SIZE_LABELS: dict[str, str] = {
    **{code: code for code in VICTIM_ORG_SIZES if code},
    "organization": "organisation",
    "大企業": "large",
    "中小企業": "sme",
    "団体等": "organisation",
    "団体": "organisation",
}


@dataclass(frozen=True, slots=True)
class ReportDraft:
    """One report as received, validated but not yet stored.

    Codes are canonical (``channel`` is one of :data:`CHANNELS`, and so on); datetimes are
    timezone-aware (naive input was taken as Asia/Tokyo). Construction checks these invariants,
    so a draft built by any adapter is as trustworthy as one from :func:`build_draft`.
    """

    channel: str
    kind: str
    narrative: str
    received_at: datetime | None = None
    occurred_at: datetime | None = None
    reporter_name: str = ""
    reporter_contact: str = ""
    victim_kind: str = "person"
    victim_name: str = ""
    victim_contact: str = ""
    victim_org_size: str = ""
    victim_industry: str = ""
    damage_amount: int | None = None
    damage_from: date | None = None
    damage_to: date | None = None
    items: tuple[str, ...] = ()
    category_code: str = ""
    station_code: str = ""
    external_ref: str = ""

    def __post_init__(self) -> None:
        if (
            self.channel in _CHANNEL_SET
            and self.kind in _KIND_SET
            and self.victim_kind in _VICTIM_KIND_SET
            and self.victim_org_size in _VICTIM_ORG_SIZE_SET
            and self.narrative
            and not self.narrative.isspace()
            and (self.received_at is None or self.received_at.utcoffset() is not None)
            and (self.occurred_at is None or self.occurred_at.utcoffset() is not None)
            and (self.damage_amount is None or self.damage_amount >= 0)
            and (
                self.damage_from is None
                or self.damage_to is None
                or self.damage_from <= self.damage_to
            )
            and isinstance(self.items, tuple)
        ):
            return
        self._explain_invalid()

    def _explain_invalid(self) -> None:
        for name, allowed in (
            ("channel", CHANNELS),
            ("kind", KINDS),
            ("victim_kind", VICTIM_KINDS),
            ("victim_org_size", VICTIM_ORG_SIZES),
        ):
            if getattr(self, name) not in allowed:
                raise ValueError(f"{name} must be one of {allowed}, not {getattr(self, name)!r}")
        if not self.narrative.strip():
            raise ValueError("narrative must not be empty")
        for name in ("received_at", "occurred_at"):
            value = getattr(self, name)
            if value is not None and value.utcoffset() is None:
                raise ValueError(f"{name} must be timezone-aware")
        if self.damage_amount is not None and self.damage_amount < 0:
            raise ValueError("damage_amount must be >= 0")
        if self.damage_from and self.damage_to and self.damage_from > self.damage_to:
            raise ValueError("damage_from must not be after damage_to")
        if not isinstance(self.items, tuple):
            raise ValueError("items must be a tuple of strings")
        raise AssertionError("unreachable")  # pragma: no cover


FIELDS: tuple[str, ...] = (
    "channel",
    "kind",
    "narrative",
    "received_at",
    "occurred_at",
    "reporter_name",
    "reporter_contact",
    "victim_kind",
    "victim_name",
    "victim_contact",
    "victim_org_size",
    "victim_industry",
    "damage_amount",
    "damage_from",
    "damage_to",
    "items",
    "category_code",
    "station_code",
    "external_ref",
)
"""Accepted CSV column names and JSON keys (matched after trimming and lower-casing)."""

REQUIRED_FIELDS: tuple[str, ...] = ("channel", "kind", "narrative")

FIELD_HELP: Mapping[str, str] = {
    "channel": "required; visit|phone|web|email|ihc|patrol|partner or "
    "来署|電話|Web|ウェブ|メール|IHC|サイバーパトロール|部外機関",
    "kind": "required; report|consultation|information or 通報|相談|情報提供",
    "narrative": f"required; free text, at most {MAX_NARRATIVE_CHARS:,} characters",
    "received_at": "ISO 8601, YYYY/MM/DD HH:MM[:SS] or YYYY-MM-DD HH:MM; "
    "without an offset the time is Asia/Tokyo; a date alone means 00:00",
    "occurred_at": "as received_at",
    "reporter_name": "free text",
    "reporter_contact": "free text (telephone, e-mail, address)",
    "victim_kind": "person (default)|company|organisation or 個人|法人|企業|団体",
    "victim_name": "free text",
    "victim_contact": "free text",
    "victim_org_size": "empty|large|sme|organisation or 大企業|中小企業|団体等",
    "victim_industry": "free text",
    "damage_amount": "yen, an integer >= 0: 150000, 150,000, ¥150,000, 150000円 "
    "(full-width digits accepted)",
    "damage_from": "date the damage began (YYYY-MM-DD or YYYY/MM/DD)",
    "damage_to": "date the damage ended; not before damage_from",
    "items": "URLs, SMS senders, mail headers, account numbers...; CSV: one cell with entries "
    "separated by line breaks or ' | '; JSON: a list of strings or one such string",
    "category_code": "confirmed category, a lower-case ASCII slug (a-z, 0-9, '-', '_')",
    "station_code": "receiving department code",
    "external_ref": "identifier in the source system, used to detect duplicates",
}


class DraftError(ValueError):
    """The values cannot form a draft; ``problems`` holds ``(field, message)`` pairs."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        super().__init__("; ".join(message for _, message in problems))

    @property
    def fields(self) -> tuple[str, ...]:
        return tuple(field for field, _ in self.problems)


class _Invalid(Exception):
    """Raised by a field converter; the message is completed with the field name."""


def _show(value: object) -> str:
    """A short, quoted rendering of a bad value for error messages."""
    text = value if isinstance(value, str) else repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return repr(text) if isinstance(value, str) else text


def _nfkc(value: str) -> str:
    return value if value.isascii() else unicodedata.normalize("NFKC", value)


def _as_text(value: object) -> str:
    """A text value from a CSV cell or JSON value; None means empty, integers are allowed."""
    if value is None:
        return ""
    if isinstance(value, str):
        text = value
    elif isinstance(value, int) and not isinstance(value, bool):
        if abs(value) >= 10**100:  # str() refuses very long integers; no code is that long
            raise _Invalid("integer too long")
        text = str(value)
    else:
        raise _Invalid(f"expected a string, got {type(value).__name__} {_show(value)}")
    if "\x00" in text:
        raise _Invalid("contains a NUL character")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text.strip()


def _short_text(value: object) -> str:
    text = _as_text(value)
    if len(text) > MAX_SHORT_TEXT_CHARS:
        raise _Invalid(f"{len(text):,} characters, the limit is {MAX_SHORT_TEXT_CHARS:,}")
    return text


def _label(labels: Mapping[str, str], what: str) -> Callable[[object], str]:
    choices = ", ".join(sorted(set(labels.values())))

    def convert(value: object) -> str:
        text = _as_text(value)
        if not text:
            return ""
        code = labels.get(text) or labels.get(_nfkc(text).casefold())
        if code is None:
            raise _Invalid(f"{_show(text)} is not a known {what} (expected one of: {choices})")
        return code

    return convert


_channel = _label(_CHANNEL_LABELS, "channel")
_kind = _label(_KIND_LABELS, "kind")
_victim_kind = _label(_VICTIM_KIND_LABELS, "victim kind")
_victim_org_size = _label(_VICTIM_ORG_SIZE_LABELS, "organisation size")


def _narrative(value: object) -> str:
    text = _as_text(value)
    if len(text) > MAX_NARRATIVE_CHARS:
        raise _Invalid(f"{len(text):,} characters, the limit is {MAX_NARRATIVE_CHARS:,}")
    return text


_NAIVE_DATETIME_RE = re.compile(
    r"(\d{4})([/-])(\d{1,2})\2(\d{1,2})(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2}))?)?",
    re.ASCII,
)


def parse_datetime(value: str) -> datetime:
    """Parse a date/time as accepted by imports; naive values are taken as Asia/Tokyo.

    Accepts ISO 8601 (``2024-05-01T09:30:00+09:00``, ``...Z``), ``YYYY/MM/DD HH:MM[:SS]`` and
    ``YYYY-MM-DD HH:MM[:SS]`` (one-digit month, day and hour too, as Excel writes them), and a
    date alone (midnight). Full-width digits and punctuation are accepted. Raises ValueError.
    """
    text = _nfkc(value).strip()
    parsed: datetime | None = None
    if "/" not in text:
        with contextlib.suppress(ValueError):
            parsed = datetime.fromisoformat(text)
    if parsed is None:
        match = _NAIVE_DATETIME_RE.fullmatch(text)
        if not match:
            raise ValueError(f"not a date/time: {value!r}")
        year, _, month, day, hour, minute, second = match.groups()
        parsed = datetime(
            int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0)
        )
    if parsed.utcoffset() is None:
        parsed = parsed.replace(tzinfo=TOKYO)
    return parsed


def _datetime(value: object) -> datetime | None:
    text = _as_text(value)
    if not text:
        return None
    try:
        return parse_datetime(text)
    except ValueError:
        raise _Invalid(
            f"{_show(text)} is not a date/time "
            "(expected ISO 8601, YYYY/MM/DD HH:MM[:SS] or YYYY-MM-DD HH:MM)"
        ) from None


_AMOUNT_RE = re.compile(r"(?:¥|\\|JPY)?\s*(\d{1,3}(?:,\d{3})+|\d+)\s*(?:円|JPY)?", re.ASCII)


def parse_amount(value: str) -> int:
    """Parse an amount in yen: ``150000``, ``150,000``, ``¥150,000``, ``150000円``.

    Full-width digits, commas and yen signs are accepted, and so is a backslash before the
    digits (the yen sign of Shift_JIS files). Thousands separators must group by three.
    Raises ValueError for anything else, including negative and fractional amounts.
    """
    match = _AMOUNT_RE.fullmatch(_nfkc(value).strip())
    if not match or len(match[1]) > 24:
        raise ValueError(f"not an amount in yen: {value!r}")
    return int(match[1].replace(",", ""))


def _amount(value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool):
        raise _Invalid(f"{_show(value)} is not an amount in yen")
    if isinstance(value, float):
        if not value.is_integer():
            raise _Invalid(f"{_show(value)} is not an amount in yen (whole yen only)")
        value = int(value)
    if isinstance(value, int):
        amount = value
    else:
        text = _as_text(value)
        if not text:
            return None
        try:
            amount = parse_amount(text)
        except ValueError:
            unsigned = _nfkc(text).lstrip("-−▲△ ")
            if unsigned != _nfkc(text) and _AMOUNT_RE.fullmatch(unsigned):
                raise _Invalid(f"{_show(text)} is negative") from None
            raise _Invalid(f"{_show(text)} is not an amount in yen") from None
    if amount < 0:
        raise _Invalid(f"{amount} is negative")
    if amount > MAX_DAMAGE_AMOUNT:
        raise _Invalid(f"{amount:,} yen is implausibly large (limit {MAX_DAMAGE_AMOUNT:,})")
    return amount


_ITEM_SEPARATOR_RE = re.compile(r"\r\n|\r|\n| \| ")


def _items(value: object) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, list | tuple):
        raw: list[str] = []
        for index, entry in enumerate(value):
            try:
                raw.append(_as_text(entry))
            except _Invalid as exc:
                raise _Invalid(f"entry {index + 1}: {exc}") from None
    else:
        raw = _ITEM_SEPARATOR_RE.split(_as_text(value))
    items: dict[str, None] = {}  # ordered set: drop blanks and repeats, keep first-seen order
    for entry in raw:
        entry = entry.strip()
        if not entry:
            continue
        if len(entry) > MAX_ITEM_CHARS:
            raise _Invalid(
                f"an entry has {len(entry):,} characters, the limit is {MAX_ITEM_CHARS:,}"
            )
        items[entry] = None
    if len(items) > MAX_ITEMS:
        raise _Invalid(f"{len(items):,} entries, the limit is {MAX_ITEMS:,}")
    return tuple(items)


_SLUG_RE = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}", re.ASCII)


def _category_code(value: object) -> str:
    text = _nfkc(_as_text(value)).lower()
    if text and not _SLUG_RE.fullmatch(text):
        raise _Invalid(
            f"{_show(text)} is not a category code (ASCII letters, digits, '-' and '_', "
            "at most 64 characters)"
        )
    return text


def _date(value: object) -> date | None:
    when = _datetime(value)
    return when.astimezone(TOKYO).date() if when is not None else None


def _code(value: object) -> str:
    text = _nfkc(_short_text(value))
    return _printable(text)


def _reference(value: object) -> str:
    return _printable(_short_text(value))


def _printable(text: str) -> str:
    if text.isprintable():
        return text
    if any(unicodedata.category(char).startswith("C") for char in text):
        raise _Invalid(f"{_show(text)} contains control characters")
    return text


_CONVERTERS: dict[str, Callable[[object], object]] = {
    "channel": _channel,
    "kind": _kind,
    "narrative": _narrative,
    "received_at": _datetime,
    "occurred_at": _datetime,
    "reporter_name": _short_text,
    "reporter_contact": _short_text,
    "victim_kind": _victim_kind,
    "victim_name": _short_text,
    "victim_contact": _short_text,
    "victim_org_size": _victim_org_size,
    "victim_industry": _short_text,
    "damage_amount": _amount,
    "damage_from": _date,
    "damage_to": _date,
    "items": _items,
    "category_code": _category_code,
    "station_code": _code,
    "external_ref": _reference,
}
assert tuple(_CONVERTERS) == FIELDS


def build_draft(values: Mapping[str, object]) -> ReportDraft:
    """Validate and normalise loosely typed values into a :class:`ReportDraft`.

    ``values`` maps names from :data:`FIELDS` to strings (CSV cells) or JSON values; other keys
    are ignored, and missing or empty optional values take the draft's defaults. Every problem
    is collected, so one :class:`DraftError` lists all bad fields of a row.
    """
    problems: list[tuple[str, str]] = []
    converted: dict[str, object] = {}
    for name, convert in _CONVERTERS.items():
        if name not in values:
            continue
        try:
            result = convert(values[name])
        except _Invalid as exc:
            problems.append((name, f"{name}: {exc}"))
            continue
        if result not in ("", None, ()):
            converted[name] = result
    for name in REQUIRED_FIELDS:
        if name not in converted and not any(field == name for field, _ in problems):
            problems.append((name, f"{name}: required, but empty or missing"))
    start, end = converted.get("damage_from"), converted.get("damage_to")
    if isinstance(start, date) and isinstance(end, date) and start > end:
        problems.append(("damage_to", f"damage_to: {end} is before damage_from {start}"))
    if problems:
        order = {name: index for index, name in enumerate(FIELDS)}
        problems.sort(key=lambda problem: order[problem[0]])
        raise DraftError(problems)
    return ReportDraft(**converted)  # type: ignore[arg-type]
