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

from hakusan.domain.foreign import ShapeError, expect_dict, expect_list, expect_str, text_problem

__all__ = [
    "AttributeRecord",
    "EventRecord",
    "GalaxyRef",
    "InvalidMispDocument",
    "Rejected",
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
    rejected: list[Rejected] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Rejected:
    """An attribute (or MISP object) that could not be read: its uuid and type when they are
    clean text, where it stands in the document, and why."""

    uuid: str
    type: str
    path: str
    reason: str


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


def _when(value: Any, path: str) -> datetime | None:
    """MISP writes Unix times as strings or numbers, first/last seen as ISO 8601."""
    text = expect_str(value, path, numbers=True)
    if text in ("", "0"):
        return None
    try:
        if isinstance(value, int | float) or text.isdigit():
            return datetime.fromtimestamp(int(float(text)), tz=UTC)
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (ValueError, OverflowError, OSError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _date(value: Any, path: str) -> date | None:
    text = expect_str(value, path)
    if not text:
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        return None


def _flag(value: Any, path: str, default: bool) -> bool:
    """MISP booleans: true/false, 0/1, "0"/"1", "true"/"false"."""
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes")
    raise ShapeError(path, "a boolean", value)


def _tag_names(items: Any, path: str) -> list[str]:
    names: list[str] = []
    for i, item in enumerate(expect_list(items, path)):
        where = f"{path}[{i}]"
        if isinstance(item, str):
            name = expect_str(item, where)
        else:
            tag = expect_dict(item, where)
            inner = expect_dict(tag.get("Tag", tag), f"{where}.Tag" if "Tag" in tag else where)
            name = expect_str(inner.get("name"), f"{where}.name")
        name = name.strip()
        if name and name not in names:
            names.append(name)
    return names


def _galaxies(items: Any, path: str) -> list[GalaxyRef]:
    found: list[GalaxyRef] = []
    for i, item in enumerate(expect_list(items, path)):
        galaxy = expect_dict(item, f"{path}[{i}]")
        kind = expect_str(galaxy.get("type"), f"{path}[{i}].type").strip()
        clusters = expect_list(galaxy.get("GalaxyCluster"), f"{path}[{i}].GalaxyCluster")
        for j, raw in enumerate(clusters):
            where = f"{path}[{i}].GalaxyCluster[{j}]"
            cluster = expect_dict(raw, where)
            value = expect_str(cluster.get("value"), f"{where}.value").strip()
            ctype = (expect_str(cluster.get("type"), f"{where}.type") or kind).strip()
            if not value or not ctype:
                continue
            found.append(GalaxyRef(ctype, value, expect_str(cluster.get("uuid"), f"{where}.uuid")))
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


def _attribute(raw: dict[str, Any], path: str, object_name: str = "") -> AttributeRecord:
    """One attribute; a field of the wrong shape raises ``ValueError`` naming its path."""
    tags = _tag_names(raw.get("Tag"), f"{path}.Tag")
    galaxies = _merge(_galaxies(raw.get("Galaxy"), f"{path}.Galaxy"), _galaxies_of_tags(tags))
    return AttributeRecord(
        uuid=expect_str(raw.get("uuid"), f"{path}.uuid"),
        type=expect_str(raw.get("type"), f"{path}.type").strip(),
        category=expect_str(raw.get("category"), f"{path}.category").strip(),
        value=expect_str(raw.get("value"), f"{path}.value", numbers=True),
        to_ids=_flag(raw.get("to_ids"), f"{path}.to_ids", True),
        tags=tags,
        comment=expect_str(raw.get("comment"), f"{path}.comment"),
        first_seen=_when(raw.get("first_seen"), f"{path}.first_seen"),
        last_seen=_when(raw.get("last_seen"), f"{path}.last_seen"),
        timestamp=_when(raw.get("timestamp"), f"{path}.timestamp"),
        deleted=_flag(raw.get("deleted"), f"{path}.deleted", False),
        object_name=object_name,
        galaxies=galaxies,
    )


def _label(raw: Any, name: str) -> str:
    """A field of a rejected element for the report, when it is clean text."""
    value = raw.get(name) if isinstance(raw, dict) else None
    return value[:120] if isinstance(value, str) and text_problem(value) is None else ""


def _reject(raw: Any, path: str, reason: str) -> Rejected:
    return Rejected(_label(raw, "uuid"), _label(raw, "type"), path, reason)


def _attributes(event: dict[str, Any], path: str) -> tuple[list[AttributeRecord], list[Rejected]]:
    """The event's attributes and those of its objects; one malformed attribute (or object) is
    one reject, the others are read."""
    records: list[AttributeRecord] = []
    rejected: list[Rejected] = []
    for i, raw in enumerate(expect_list(event.get("Attribute"), f"{path}.Attribute")):
        where = f"{path}.Attribute[{i}]"
        try:
            records.append(_attribute(expect_dict(raw, where), where))
        except ValueError as exc:
            rejected.append(_reject(raw, where, str(exc)))
    for i, obj in enumerate(expect_list(event.get("Object"), f"{path}.Object")):
        where = f"{path}.Object[{i}]"
        try:
            body = expect_dict(obj, where)
            name = expect_str(body.get("name"), f"{where}.name") or "object"
            deleted = _flag(body.get("deleted"), f"{where}.deleted", False)
            inner = expect_list(body.get("Attribute"), f"{where}.Attribute")
        except ValueError as exc:
            rejected.append(_reject(obj, where, str(exc)))
            continue
        for j, raw in enumerate(inner):
            at = f"{where}.Attribute[{j}]"
            try:
                record = _attribute(expect_dict(raw, at), at, name)
            except ValueError as exc:
                rejected.append(_reject(raw, at, str(exc)))
                continue
            record.deleted = record.deleted or deleted
            records.append(record)
    return records, rejected


def parse_event(event: dict[str, Any], path: str = "$.Event") -> EventRecord:
    """One event dict (from :func:`events_in`) as a record, object attributes flattened.
    Malformed attributes are listed in ``rejected``; a malformed event-level field (``"Tag":
    5``, ``"Attribute": "x"``) raises :class:`InvalidMispDocument` naming its path."""
    try:
        event = expect_dict(event, path)
        orgc = event.get("Orgc") or event.get("Org") or {}
        org_path = f"{path}.Orgc" if event.get("Orgc") else f"{path}.Org"
        tags = _tag_names(event.get("Tag"), f"{path}.Tag")
        galaxies = _merge(_galaxies(event.get("Galaxy"), f"{path}.Galaxy"), _galaxies_of_tags(tags))
        attributes, rejected = _attributes(event, path)
        return EventRecord(
            uuid=expect_str(event.get("uuid"), f"{path}.uuid"),
            info=expect_str(event.get("info"), f"{path}.info"),
            orgc=expect_str(expect_dict(orgc, org_path).get("name"), f"{org_path}.name").strip(),
            date=_date(event.get("date"), f"{path}.date"),
            tags=tags,
            galaxies=galaxies,
            attributes=attributes,
            timestamp=_when(event.get("timestamp"), f"{path}.timestamp"),
            rejected=rejected,
        )
    except InvalidMispDocument:
        raise
    except ValueError as exc:
        raise InvalidMispDocument(str(exc)) from None


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
