"""Our observable types ↔ STIX 2.1.

Export: :func:`to_stix` gives the cyber-observable object(s) of a canonical value and the
pattern of its indicator. Types STIX has no SCO for get a new SCO type defined by an
extension-definition we author (``new-sco``, STIX 2.1 §7.3) — ``phone-number``,
``cryptocurrency-wallet`` and ``user-agent`` as the de-facto names other platforms use, and
``x-hakusan-*`` where nobody has one. CVEs are ``vulnerability`` SDOs, not observables.

Import: :func:`from_comparison` and :func:`from_sco` give (our type, raw value) pairs; the
caller canonicalises them (and reports the ones that fail)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .ids import ID_CONTRIBUTING, our_id, sco_id
from .patterns import Comparison, equals

# Our types STIX has no SCO for → the SCO type we define for them (one extension each).
CUSTOM_SCO_TYPES: dict[str, str] = {
    "phone": "phone-number",
    "tel_sms_sender": "x-hakusan-sms-sender",
    "bank_account": "x-hakusan-bank-account",
    "btc": "cryptocurrency-wallet",
    "eth": "cryptocurrency-wallet",
    "user_agent": "user-agent",
    "ja3": "x-hakusan-ja3",
}
CUSTOM_SCO_DESCRIPTIONS: dict[str, str] = {
    "phone-number": "A telephone number in E.164 form (value).",
    "x-hakusan-sms-sender": (
        "The sender of an SMS: an E.164 number, a short code (digits) or an alphanumeric "
        "sender ID (upper case), as value."
    ),
    "x-hakusan-bank-account": (
        "A Japanese bank account as bank code (4 digits), branch code (3 digits), account "
        "kind (1 ordinary, 2 current, 4 savings) and account number (7 digits), joined by "
        "hyphens, as value. The holder's name is never included."
    ),
    "cryptocurrency-wallet": "A cryptocurrency address (Bitcoin or Ethereum) as value.",
    "user-agent": "An HTTP User-Agent header value as written, as value.",
    "x-hakusan-ja3": "A JA3 TLS client fingerprint (MD5, 32 lower-case hex digits) as value.",
}
CUSTOM_TYPE_OF_SCO: dict[str, str] = {
    "phone-number": "phone",
    "x-hakusan-sms-sender": "tel_sms_sender",
    "x-hakusan-bank-account": "bank_account",
    "cryptocurrency-wallet": "cryptocurrency",  # btc or eth: decided by the value
    "user-agent": "user_agent",
    "x-hakusan-ja3": "ja3",
}
EXTENSION_CREATED = "2026-01-01T00:00:00.000Z"

_HASH_NAMES = {"md5": "MD5", "sha1": "SHA-1", "sha256": "SHA-256", "ssdeep": "SSDEEP"}
_HASH_TYPES = {
    "MD5": "md5",
    "SHA-1": "sha1",
    "SHA1": "sha1",
    "SHA-256": "sha256",
    "SHA256": "sha256",
    "SSDEEP": "ssdeep",
    "TLSH": "tlsh",
}
# STIX account-type-ov values (a user-account of another platform has no account_type).
_ACCOUNT_TYPES = {"x": "twitter", "twitter": "twitter", "facebook": "facebook"}
_SIMPLE_SCO = {
    "ipv4": "ipv4-addr",
    "ipv6": "ipv6-addr",
    "domain": "domain-name",
    "url": "url",
    "email": "email-addr",
}
_SIMPLE_TYPE = {sco: ours for ours, sco in _SIMPLE_SCO.items()}


@dataclass
class StixForm:
    """How one observable is written in STIX: its SCOs (no markings yet), the pattern of its
    indicator (None: no indicator, e.g. a CVE) and the custom SCO types it uses."""

    scos: list[dict[str, Any]] = field(default_factory=list)
    pattern: str | None = None
    custom_types: list[str] = field(default_factory=list)
    sdo: dict[str, Any] | None = None  # a CVE's vulnerability (created/modified set by caller)


def extension_id(sco_type: str, identity_id: str) -> str:
    return our_id("extension-definition", f"{identity_id}/{sco_type}")


def extension_definition(sco_type: str, identity_id: str) -> dict[str, Any]:
    """The extension-definition of one of our custom SCO types (authored by ``identity_id``)."""
    return {
        "type": "extension-definition",
        "spec_version": "2.1",
        "id": extension_id(sco_type, identity_id),
        "created_by_ref": identity_id,
        "created": EXTENSION_CREATED,
        "modified": EXTENSION_CREATED,
        "name": sco_type,
        "description": CUSTOM_SCO_DESCRIPTIONS[sco_type],
        "schema": (
            f"A {sco_type} cyber-observable object has the common SCO properties and one "
            f"string property, value (the only id-contributing property). "
            + CUSTOM_SCO_DESCRIPTIONS[sco_type]
        ),
        "version": "1.0.0",
        "extension_types": ["new-sco"],
    }


def _sco(sco_type: str, properties: dict[str, Any]) -> dict[str, Any]:
    custom = sco_type not in ID_CONTRIBUTING
    contributing = ("value",) if custom else ID_CONTRIBUTING[sco_type]
    identifier = sco_id(sco_type, properties, contributing, version=4 if custom else 5)
    obj = {"type": sco_type, "spec_version": "2.1", "id": identifier}
    obj.update(properties)
    return obj


def to_stix(our_type: str, value: str, *, identity_id: str) -> StixForm:
    """The STIX form of a canonical observable. Raises ValueError for an unknown type."""
    if our_type in _SIMPLE_SCO:
        sco_type = _SIMPLE_SCO[our_type]
        return StixForm([_sco(sco_type, {"value": value})], equals(sco_type, ("value",), value))
    if our_type == "cidr":
        sco_type = "ipv6-addr" if ":" in value else "ipv4-addr"
        return StixForm([_sco(sco_type, {"value": value})], equals(sco_type, ("value",), value))
    if our_type in _HASH_NAMES or our_type == "tlsh":
        name = "TLSH" if our_type == "tlsh" else _HASH_NAMES[our_type]
        # STIX's TLSH is the 70 hex digits without the "T1" version prefix we keep.
        digest = value.removeprefix("T1") if our_type == "tlsh" else value
        return StixForm(
            [_sco("file", {"hashes": {name: digest}})], equals("file", ("hashes", name), digest)
        )
    if our_type == "filename":
        return StixForm([_sco("file", {"name": value})], equals("file", ("name",), value))
    if our_type == "mutex":
        return StixForm([_sco("mutex", {"name": value})], equals("mutex", ("name",), value))
    if our_type == "asn":
        number = int(value.removeprefix("AS"))
        return StixForm(
            [_sco("autonomous-system", {"number": number})],
            equals("autonomous-system", ("number",), number),
        )
    if our_type == "sns_account":
        platform, handle = value.split(":", 1)
        props: dict[str, Any] = {"user_id": value, "account_login": handle}
        if platform in _ACCOUNT_TYPES:
            props = {"account_type": _ACCOUNT_TYPES[platform], **props}
        return StixForm([_sco("user-account", props)], equals("user-account", ("user_id",), value))
    if our_type in CUSTOM_SCO_TYPES:
        sco_type = CUSTOM_SCO_TYPES[our_type]
        obj = _sco(sco_type, {"value": value})
        obj["extensions"] = {extension_id(sco_type, identity_id): {"extension_type": "new-sco"}}
        return StixForm([obj], equals(sco_type, ("value",), value), [sco_type])
    if our_type == "cve":
        return StixForm(
            sdo={
                "type": "vulnerability",
                "spec_version": "2.1",
                "id": our_id("vulnerability", value),
                "name": value,
                "external_references": [{"source_name": "cve", "external_id": value}],
            }
        )
    raise ValueError(f"no STIX mapping for observable type {our_type!r}")


# --- import ---------------------------------------------------------------------------


def _address_type(sco_type: str, value: str) -> str:
    if "/" in value:
        return "cidr"
    return "ipv4" if sco_type == "ipv4-addr" else "ipv6"


def _custom(sco_type: str, value: str) -> str:
    ours = CUSTOM_TYPE_OF_SCO[sco_type]
    if ours == "cryptocurrency":
        return "eth" if value.lower().startswith("0x") else "btc"
    return ours


def from_comparison(comparison: Comparison) -> tuple[str, str] | None:
    """(our type, raw value) of a pattern comparison, or None when we have no such type."""
    object_type, path, value = comparison.object_type, comparison.path, comparison.value
    if object_type == "autonomous-system" and path == ("number",):
        return ("asn", f"AS{value}") if isinstance(value, int) else None
    if not isinstance(value, str):
        return None
    if path == ("value",):
        if object_type in ("ipv4-addr", "ipv6-addr"):
            return _address_type(object_type, value), value
        if object_type in _SIMPLE_TYPE:
            return _SIMPLE_TYPE[object_type], value
        if object_type in CUSTOM_TYPE_OF_SCO:
            return _custom(object_type, value), value
        return None
    if object_type == "file":
        if len(path) == 2 and path[0] == "hashes" and path[1].upper() in _HASH_TYPES:
            return _HASH_TYPES[path[1].upper()], value
        if path == ("name",):
            return "filename", value
        return None
    if object_type == "mutex" and path == ("name",):
        return "mutex", value
    if object_type == "user-account" and path == ("user_id",):
        return "sns_account", value
    if object_type == "network-traffic" and [p.lower() for p in path] == [
        "extensions",
        "http-request-ext",
        "request_header",
        "user-agent",
    ]:
        return "user_agent", value
    return None


def from_sco(obj: dict[str, Any]) -> list[tuple[str, str]]:
    """(our type, raw value) pairs an SCO (or a CVE vulnerability) stands for; [] when none."""
    sco_type = obj.get("type")
    out: list[tuple[str, str]] = []
    if not isinstance(sco_type, str):
        return out
    value = obj.get("value")
    if sco_type in ("ipv4-addr", "ipv6-addr") and isinstance(value, str):
        out.append((_address_type(sco_type, value), value))
    elif sco_type in _SIMPLE_TYPE and isinstance(value, str):
        out.append((_SIMPLE_TYPE[sco_type], value))
    elif sco_type in CUSTOM_TYPE_OF_SCO and isinstance(value, str):
        out.append((_custom(sco_type, value), value))
    elif sco_type == "file":
        hashes = obj.get("hashes")
        if isinstance(hashes, dict):
            for name, digest in hashes.items():
                if str(name).upper() in _HASH_TYPES and isinstance(digest, str):
                    out.append((_HASH_TYPES[str(name).upper()], digest))
        if isinstance(obj.get("name"), str):
            out.append(("filename", obj["name"]))
    elif sco_type == "mutex" and isinstance(obj.get("name"), str):
        out.append(("mutex", obj["name"]))
    elif sco_type == "autonomous-system" and isinstance(obj.get("number"), int):
        out.append(("asn", f"AS{obj['number']}"))
    elif sco_type == "user-account" and isinstance(obj.get("user_id"), str):
        out.append(("sns_account", obj["user_id"]))
    elif sco_type == "vulnerability":
        refs = obj.get("external_references")
        for ref in refs if isinstance(refs, list) else []:
            if (
                isinstance(ref, dict)
                and ref.get("source_name") == "cve"
                and isinstance(ref.get("external_id"), str)
            ):
                out.append(("cve", ref["external_id"]))
    return out


SCO_TYPES = frozenset(
    {
        *_SIMPLE_TYPE,
        *CUSTOM_TYPE_OF_SCO,
        "file",
        "mutex",
        "autonomous-system",
        "user-account",
    }
)
