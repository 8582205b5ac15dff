"""TAXII 2.1 protocol details without Django: media types, timestamps, paging tokens and the
``match[version]`` filter (OASIS TAXII 2.1, sections 1.6.8, 3.4–3.6)."""

import base64
import binascii
import hashlib
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

TAXII_MEDIA = "application/taxii+json"
TAXII_MEDIA_21 = "application/taxii+json;version=2.1"
STIX_MEDIA_21 = "application/stix+json;version=2.1"

_MEDIA_RE = re.compile(r"^application/taxii\+json(?:;version=([0-9.]+))?$")
_TS_RE = re.compile(r"^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$")


class ProtocolError(ValueError):
    """A request the server cannot serve: ``status`` is the HTTP status of the error."""

    def __init__(self, status: int, title: str, description: str = "") -> None:
        super().__init__(description or title)
        self.status = status
        self.title = title
        self.description = description


def _media_items(header: str) -> list[str]:
    return [item.replace(" ", "").split(";q=")[0] for item in header.split(",") if item.strip()]


def accepts_taxii(header: str) -> bool:
    """Does an ``Accept`` header admit TAXII 2.1 JSON? ``application/taxii+json`` with no
    version means the latest, which is 2.1 here; ``*/*`` and ``application/*`` (curl's default)
    admit anything. A request without the header is refused: TAXII clients must send it."""
    for item in _media_items(header):
        if item in ("*/*", "application/*"):
            return True
        match = _MEDIA_RE.match(item.lower())
        if match and match.group(1) in (None, "2.1"):
            return True
    return False


def is_taxii_content_type(header: str) -> bool:
    match = _MEDIA_RE.match(header.replace(" ", "").lower())
    return bool(match) and match.group(1) in (None, "2.1")  # type: ignore[union-attr]


def parse_timestamp(value: str, what: str = "timestamp") -> datetime:
    """An RFC 3339 timestamp (STIX/TAXII) → aware UTC datetime, microsecond precision (finer
    digits are truncated)."""
    if len(value) in (20, 24, 27) and value[-1] == "Z" and value[10] == "T":
        try:  # the common forms (seconds, milliseconds, microseconds), in C
            return datetime.fromisoformat(value[:-1]).replace(tzinfo=UTC)
        except ValueError:
            pass
    match = _TS_RE.match(value.strip())
    if not match:
        raise ProtocolError(
            400,
            "Bad Request",
            f"{what}: {value!r} is not a timestamp like 2026-11-26T07:46:38.123Z",
        )
    day, time, fraction, zone = match.groups()
    text = f"{day}T{time}.{(fraction or '0')[:6].ljust(6, '0')}"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ProtocolError(400, "Bad Request", f"{what}: {value!r} is not a valid date") from None
    if zone == "Z":
        return parsed.replace(tzinfo=UTC)
    sign = 1 if zone[0] == "+" else -1
    offset = timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6])) * sign
    return (parsed - offset).replace(tzinfo=UTC)


def taxii_timestamp(value: datetime) -> str:
    """date_added and the X-TAXII-Date-Added-* headers: always microseconds."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def stix_timestamp(value: datetime) -> str:
    """A STIX version: milliseconds, or microseconds when the value has them."""
    value = value.astimezone(UTC)
    if value.microsecond % 1000:
        return value.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def canonical(obj: dict[str, Any]) -> str:
    return json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def content_hash(body: str) -> str:
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def object_version(obj: dict[str, Any]) -> str | None:
    """The version of a STIX object: ``modified``, else ``created``, else none (then the
    server's date_added is the version)."""
    value = obj.get("modified") or obj.get("created")
    return value if isinstance(value, str) else None


def object_spec_version(obj: dict[str, Any]) -> str:
    value = obj.get("spec_version")
    if isinstance(value, str) and value:
        return value
    # STIX 2.0 objects have no spec_version but always have created; 2.1 SCOs have neither.
    return "2.0" if "created" in obj else "2.1"


def encode_next(date_added: datetime) -> str:
    """The ``next`` token: where the page ended (date_added is unique per collection)."""
    raw = date_added.astimezone(UTC).strftime("%Y%m%d%H%M%S%f")
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_next(token: str) -> datetime:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode("ascii")
        return datetime.strptime(raw, "%Y%m%d%H%M%S%f").replace(tzinfo=UTC)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise ProtocolError(
            400, "Bad Request", f"next: {token!r} is not a token we issued"
        ) from None


@dataclass(frozen=True)
class VersionFilter:
    """``match[version]``: any of ``last``, ``first``, ``all`` and timestamps (comma-separated)."""

    all: bool = False
    last: bool = False
    first: bool = False
    timestamps: tuple[datetime, ...] = ()


def parse_version_filter(value: str | None, default: str = "last") -> VersionFilter:
    raw = value if value not in (None, "") else default
    assert raw is not None
    last = first = every = False
    stamps: list[datetime] = []
    for item in (part.strip() for part in raw.split(",")):
        if item == "last":
            last = True
        elif item == "first":
            first = True
        elif item == "all":
            every = True
        elif item:
            stamps.append(parse_timestamp(item, "match[version]"))
    if every:
        return VersionFilter(all=True)
    return VersionFilter(last=last, first=first, timestamps=tuple(stamps))


def parse_limit(value: str | None, default: int, maximum: int) -> int:
    if value in (None, ""):
        return default
    assert value is not None
    try:
        limit = int(value)
    except ValueError:
        raise ProtocolError(400, "Bad Request", f"limit: {value!r} is not a number") from None
    if limit <= 0:
        raise ProtocolError(400, "Bad Request", "limit: must be a positive number")
    return min(limit, maximum)


def split_list(value: str | None) -> list[str]:
    return [item.strip() for item in (value or "").split(",") if item.strip()]
