"""Deterministic STIX identifiers and timestamps.

SCO ids follow STIX 2.1 §2.9 exactly as the ``stix2`` library computes them: a UUIDv5 in the
SCO namespace over the JSON canonicalisation (RFC 8785) of the id-contributing properties.
Everything we produce ourselves (indicators, relationships, sightings, groupings, identity)
gets a UUIDv5 over :data:`HAKUSAN_NAMESPACE` and a descriptive name, so exporting the same data
twice yields the same ids and a consumer sees new versions of one object, not duplicates."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from stix2.canonicalization.Canonicalize import canonicalize

# STIX 2.1 §2.9: the namespace of deterministic cyber-observable ids.
SCO_NAMESPACE = uuid.UUID("00abedb4-aa42-466c-9c01-fed23315a9b7")
# Ours, fixed forever: changing it would give every exported object a new id.
HAKUSAN_NAMESPACE = uuid.UUID("6f6a3f0e-5d0b-5a8e-9c1e-48414b555341")

# The id-contributing properties of the SCO types we write (STIX 2.1 §6).
ID_CONTRIBUTING: dict[str, tuple[str, ...]] = {
    "ipv4-addr": ("value",),
    "ipv6-addr": ("value",),
    "domain-name": ("value",),
    "url": ("value",),
    "email-addr": ("value",),
    "file": ("hashes", "name", "extensions", "parent_directory_ref"),
    "autonomous-system": ("number",),
    "mutex": ("name",),
    "user-account": ("account_type", "user_id", "account_login"),
}
_HASH_PREFERENCE = ("MD5", "SHA-1", "SHA-256", "SHA-512")


def _one_hash(hashes: dict[str, str]) -> dict[str, str]:
    for name in _HASH_PREFERENCE:
        if name in hashes:
            return {name: hashes[name]}
    first = next(iter(hashes))
    return {first: hashes[first]}


def sco_id(
    sco_type: str,
    properties: dict[str, Any],
    contributing: tuple[str, ...],
    *,
    version: int = 5,
) -> str:
    """The deterministic id of an SCO (the ``stix2`` library's algorithm); ``version=4`` for
    our custom SCO types (see :func:`as_v4`)."""
    selected: dict[str, Any] = {}
    for key in contributing:
        if key in properties:
            value = properties[key]
            selected[key] = _one_hash(value) if key == "hashes" else value
    if not selected:
        raise ValueError(f"{sco_type}: no id-contributing property set")
    value = uuid.uuid5(SCO_NAMESPACE, canonicalize(selected, utf8=False))
    return f"{sco_type}--{as_v4(value) if version == 4 else value}"


def as_v4(value: uuid.UUID) -> uuid.UUID:
    """The same hash bits with the version nibble set to 4.

    STIX 2.1 says objects other than SCOs SHOULD have UUIDv4 ids (and the validator in strict
    mode holds SCO types it does not know to that too); a UUIDv5 hash re-versioned as 4 is
    still deterministic and is indistinguishable from a random v4 id."""
    return uuid.UUID(bytes=value.bytes, version=4)


def our_id(stix_type: str, name: str) -> str:
    """A deterministic id for an object we author: ``stix_type--`` and the UUIDv5 of
    ``"<stix_type>:<name>"`` in our namespace, re-versioned as 4 (see :func:`as_v4`)."""
    return f"{stix_type}--{as_v4(uuid.uuid5(HAKUSAN_NAMESPACE, f'{stix_type}:{name}'))}"


def timestamp(value: datetime) -> str:
    """RFC 3339 in UTC with millisecond precision, as STIX 2.1 asks for created/modified."""
    if value.tzinfo is None:
        raise ValueError("STIX timestamps need a timezone-aware datetime")
    value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def parse_timestamp(value: str) -> datetime:
    """A STIX timestamp (``2026-01-02T03:04:05Z``, fractions of any length) → aware datetime."""
    text = value.strip()
    if not text.endswith(("Z", "z")):
        raise ValueError(f"STIX timestamps end in Z (UTC): {value!r}")
    text = text[:-1]
    if "." in text:
        head, fraction = text.split(".", 1)
        text = f"{head}.{(fraction + '000000')[:6]}"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"not a STIX timestamp: {value!r}") from None
    return parsed.replace(tzinfo=UTC)
