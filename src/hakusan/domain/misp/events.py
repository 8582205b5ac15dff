"""Reading MISP event JSON (what MISP exports, what a MISP feed serves) into plain records, and
the feed's bookkeeping: deterministic uuids, content hashes, ``hashes.csv`` lines.

Documents read by :func:`events_in`: one event (``{"Event": {...}}`` or the bare event), a
list of those, or a REST search answer (``{"response": [...]}``). A feed's ``manifest.json``
(event uuid -> metadata) is recognised by :func:`is_manifest`; the caller fetches the events
it names.

Attributes of MISP objects are flattened: each becomes an attribute of its event with
``object_name`` set (``file``, ``domain-ip`` …). Tags are read from ``Tag`` lists (the tag
name, or a plain string); galaxies from ``Galaxy`` lists on events and attributes and from
``misp-galaxy:<type>="<value>"`` tags.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Final

__all__ = [
    "AttributeRecord",
    "EventRecord",
    "GalaxyRef",
    "InvalidMispDocument",
    "attribute_uuid",
    "content_hash",
    "event_uuid",
    "events_in",
    "is_manifest",
    "parse_event",
    "value_hashes",
]

_UUID_RE: Final = re.compile(
    r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I
)
_GALAXY_TAG_RE: Final = re.compile(r'^misp-galaxy:([^=]+)="(.*)"$')


class InvalidMispDocument(ValueError):
    """The JSON is not a MISP event, a list of events or a feed manifest."""


@dataclass(frozen=True, slots=True)
class GalaxyRef:
    galaxy: str  # galaxy type: "threat-actor", "mitre-attack-pattern"
    value: str  # "APT10", "Spearphishing Attachment - T1566.001"
    uuid: str = ""  # the cluster uuid when the event gave it

    @property
    def tag(self) -> str:
        return f'misp-galaxy:{self.galaxy}="{self.value}"'


@dataclass(slots=True)
class AttributeRecord:
    uuid: str
    type: str
    category: str
    value: str
    to_ids: bool
    tags: list[str]
    comment: str = ""
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    timestamp: datetime | None = None
    deleted: bool = False
    object_name: str = ""
    galaxies: list[GalaxyRef] = field(default_factory=list)


@dataclass(slots=True)
class EventRecord:
    uuid: str
    info: str
    orgc: str
    date: date | None
    tags: list[str]
    galaxies: list[GalaxyRef]
    attributes: list[AttributeRecord]
    timestamp: datetime | None = None


def is_manifest(obj: Any) -> bool:
    """A feed's ``manifest.json``: event uuid -> metadata with ``info`` (no attributes)."""
    return (
        isinstance(obj, dict)
        and bool(obj)
        and all(isinstance(k, str) and _UUID_RE.match(k) for k in obj)
        and all(isinstance(v, dict) and "Attribute" not in v for v in obj.values())
    )


def events_in(obj: Any) -> Iterator[dict[str, Any]]:
    """The event dicts in a MISP JSON document (see the module docstring)."""
    if isinstance(obj, list):
        for i, item in enumerate(obj):
            if not isinstance(item, dict):
                raise InvalidMispDocument(f"item {i} of the list is not a MISP event object")
            yield from events_in(item)
        return
    if not isinstance(obj, dict):
        raise InvalidMispDocument("expected a MISP event (JSON object) or a list of events")
    if "response" in obj and isinstance(obj["response"], list):
        yield from events_in(obj["response"])
        return
    if "Event" in obj:
        event = obj["Event"]
        if not isinstance(event, dict):
            raise InvalidMispDocument("'Event' is not an object")
        yield event
        return
    if "Attribute" in obj or "Object" in obj or ("info" in obj and "uuid" in obj):
        yield obj
        return
    raise InvalidMispDocument(
        "not a MISP event: expected {'Event': {...}}, a list of events or a feed manifest.json"
    )


def _when(value: Any) -> datetime | None:
    """MISP writes Unix times as strings or numbers, first/last seen as ISO 8601."""
    if value in (None, "", 0, "0"):
        return None
    try:
        if isinstance(value, (int, float)) or (isinstance(value, str) and value.isdigit()):
            return datetime.fromtimestamp(int(value), tz=UTC)
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except (ValueError, OverflowError, OSError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _date(value: Any) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def _tag_names(items: Any) -> list[str]:
    names: list[str] = []
    for item in items or []:
        if isinstance(item, str):
            name = item
        elif isinstance(item, dict):
            inner = item.get("Tag", item)
            name = inner.get("name", "") if isinstance(inner, dict) else ""
        else:
            continue
        name = str(name).strip()
        if name and name not in names:
            names.append(name)
    return names


def _galaxies(items: Any) -> list[GalaxyRef]:
    found: list[GalaxyRef] = []
    for galaxy in items or []:
        if not isinstance(galaxy, dict):
            continue
        kind = str(galaxy.get("type", "")).strip()
        for cluster in galaxy.get("GalaxyCluster") or []:
            if not isinstance(cluster, dict):
                continue
            value = str(cluster.get("value", "")).strip()
            ctype = str(cluster.get("type", "") or kind).strip()
            if not value or not ctype:
                continue
            found.append(GalaxyRef(ctype, value, str(cluster.get("uuid", "") or "")))
    return found


def _galaxies_of_tags(tags: list[str]) -> list[GalaxyRef]:
    out = []
    for tag in tags:
        match = _GALAXY_TAG_RE.match(tag)
        if match:
            out.append(GalaxyRef(match.group(1).strip(), match.group(2).strip()))
    return out


def _merge(*lists: list[GalaxyRef]) -> list[GalaxyRef]:
    """Galaxy refs without duplicates; one with a uuid beats the same (galaxy, value) without."""
    by_key: dict[tuple[str, str], GalaxyRef] = {}
    for refs in lists:
        for ref in refs:
            key = (ref.galaxy, ref.value)
            if key not in by_key or (ref.uuid and not by_key[key].uuid):
                by_key[key] = ref
    return list(by_key.values())


def _attribute(raw: dict[str, Any], object_name: str = "") -> AttributeRecord:
    tags = _tag_names(raw.get("Tag"))
    galaxies = _merge(_galaxies(raw.get("Galaxy")), _galaxies_of_tags(tags))
    to_ids = raw.get("to_ids", True)
    if isinstance(to_ids, str):
        to_ids = to_ids.strip().lower() in ("1", "true", "yes")
    deleted = raw.get("deleted", False)
    if isinstance(deleted, str):
        deleted = deleted.strip().lower() in ("1", "true", "yes")
    return AttributeRecord(
        uuid=str(raw.get("uuid", "") or ""),
        type=str(raw.get("type", "") or "").strip(),
        category=str(raw.get("category", "") or "").strip(),
        value=str(raw.get("value", "") if raw.get("value") is not None else ""),
        to_ids=bool(to_ids),
        tags=tags,
        comment=str(raw.get("comment", "") or ""),
        first_seen=_when(raw.get("first_seen")),
        last_seen=_when(raw.get("last_seen")),
        timestamp=_when(raw.get("timestamp")),
        deleted=bool(deleted),
        object_name=object_name,
        galaxies=galaxies,
    )


def parse_event(event: dict[str, Any]) -> EventRecord:
    """One event dict (from :func:`events_in`) as a record, object attributes flattened."""
    orgc = event.get("Orgc") or event.get("Org") or {}
    tags = _tag_names(event.get("Tag"))
    attributes = [_attribute(a) for a in event.get("Attribute") or [] if isinstance(a, dict)]
    for obj in event.get("Object") or []:
        if not isinstance(obj, dict):
            continue
        name = str(obj.get("name", "") or "object")
        deleted = str(obj.get("deleted", "")).lower() in ("1", "true")
        for raw in obj.get("Attribute") or []:
            if isinstance(raw, dict):
                record = _attribute(raw, name)
                record.deleted = record.deleted or deleted
                attributes.append(record)
    return EventRecord(
        uuid=str(event.get("uuid", "") or ""),
        info=str(event.get("info", "") or ""),
        orgc=str(orgc.get("name", "") if isinstance(orgc, dict) else "").strip(),
        date=_date(event.get("date")),
        tags=tags,
        galaxies=_merge(_galaxies(event.get("Galaxy")), _galaxies_of_tags(tags)),
        attributes=attributes,
        timestamp=_when(event.get("timestamp")),
    )


# -- feed bookkeeping ----------------------------------------------------------------------


def event_uuid(org_uuid: str, key: str) -> str:
    """A stable event uuid for one of our objects (``case:C2026-00012``, ``campaign:7``,
    ``indicators:green``) under the exporting organisation's uuid."""
    return str(uuid.uuid5(uuid.UUID(org_uuid), key))


def attribute_uuid(event: str, misp_type: str, value: str) -> str:
    return str(uuid.uuid5(uuid.UUID(event), f"{misp_type}|{value}"))


def content_hash(obj: Any) -> str:
    """SHA-256 of canonical JSON: equal content, equal hash (timestamps left out by callers)."""
    text = json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def value_hashes(misp_type: str, value: str) -> list[str]:
    """The MD5s a MISP feed's ``hashes.csv`` lists for one attribute: of the value, or of each
    ``|``-separated part of a composite type (as MISP and PyMISP compute them)."""
    parts = value.split("|") if ("|" in misp_type or misp_type == "malware-sample") else [value]
    return [hashlib.md5(p.encode("utf-8"), usedforsecurity=False).hexdigest() for p in parts]
