"""Our observable types ↔ MISP attribute category/type, and TLP ↔ MISP tags.

Export: each observable type has one MISP (category, type, to_ids). A domain is MISP
``domain`` when it is a registrable name and ``hostname`` below one. Types MISP has no
attribute type for (Ethereum addresses, SNS accounts, SMS sender IDs) and the Japanese bank
account form go out as ``text`` / ``bank-account-nr`` with the machine tag
``hakusan:observable-type="<type>"``, so a Hakusan importer restores the type and a MISP user
sees what the value is.

Import: MISP attribute types map to ours through :mod:`hakusan.domain.indicators.misp`
(composites such as ``filename|md5`` and ``ip-dst|port`` split there), with these changes for
whole events: ``link`` is a reference to a write-up, not an indicator, and is skipped;
``malware-sample`` is ``filename|md5``; ``prtn`` a phone number; ``twitter-id`` and
``github-username`` become ``x:<handle>`` and ``github:<handle>``. A type with no mapping
raises :class:`UnsupportedMispType` (the caller reports it, never drops it silently).

TLP: ``tlp:clear`` (and TLP 1.0 ``tlp:white``), ``tlp:green``, ``tlp:amber``,
``tlp:amber+strict``, ``tlp:red``; several TLP tags on one element: the most restrictive wins.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from hakusan.domain.indicators.misp import IP, MispPart, UnsupportedMispType, split_misp
from hakusan.domain.observables import InvalidObservable, canonicalize, detect, registrable_domain
from hakusan.domain.sharing import tlp as tlp_rules

__all__ = [
    "EXPORT_TYPES",
    "HAKUSAN_TYPE_TAG",
    "MispTarget",
    "UnsupportedMispType",
    "canonical_value",
    "export_target",
    "import_parts",
    "is_tlp_tag",
    "tlp_of_tags",
    "tlp_tag",
]

HAKUSAN_TYPE_TAG: Final = "hakusan:observable-type"
_TYPE_TAG_RE: Final = re.compile(r'^hakusan:observable-type="([a-z_0-9]+)"$')


@dataclass(frozen=True, slots=True)
class MispTarget:
    category: str
    type: str
    to_ids: bool
    typed: bool = False  # carries the hakusan:observable-type tag


# our type -> MISP category, type, to_ids (MISP's sane defaults, except where noted)
EXPORT_TYPES: Final[dict[str, MispTarget]] = {
    "ipv4": MispTarget("Network activity", "ip-dst", True),
    "ipv6": MispTarget("Network activity", "ip-dst", True),
    "cidr": MispTarget("Network activity", "ip-dst", True),
    "domain": MispTarget("Network activity", "domain", True),
    "url": MispTarget("Network activity", "url", True),
    "email": MispTarget("Payload delivery", "email-src", True),
    "md5": MispTarget("Payload delivery", "md5", True),
    "sha1": MispTarget("Payload delivery", "sha1", True),
    "sha256": MispTarget("Payload delivery", "sha256", True),
    "ssdeep": MispTarget("Payload delivery", "ssdeep", True),
    "tlsh": MispTarget("Payload delivery", "tlsh", True),
    "filename": MispTarget("Payload delivery", "filename", True),
    "mutex": MispTarget("Artifacts dropped", "mutex", True),
    "user_agent": MispTarget("Network activity", "user-agent", False),
    "ja3": MispTarget("Network activity", "ja3-fingerprint-md5", True),
    "asn": MispTarget("Network activity", "AS", False),
    "cve": MispTarget("External analysis", "vulnerability", False),
    # fraud: phone numbers and payment details are what an officer blocks (to_ids on)
    "phone": MispTarget("Financial fraud", "phone-number", True),
    "btc": MispTarget("Financial fraud", "btc", True),
    "bank_account": MispTarget("Financial fraud", "bank-account-nr", True, typed=True),
    "eth": MispTarget("Financial fraud", "text", True, typed=True),
    "sns_account": MispTarget("Social network", "text", False, typed=True),
    "tel_sms_sender": MispTarget("Financial fraud", "text", True, typed=True),
}

# MISP types that are references or context, never indicators: skipped with this reason.
_NOT_INDICATORS: Final[dict[str, str]] = {
    "link": "a reference to a write-up, not an indicator",
}
_EXTRA: Final[dict[str, str]] = {"prtn": "phone"}
_SNS_PREFIX: Final[dict[str, str]] = {"twitter-id": "x", "github-username": "github"}


def type_tag(our_type: str) -> str:
    return f'{HAKUSAN_TYPE_TAG}="{our_type}"'


def export_target(our_type: str, value: str) -> tuple[MispTarget, list[str]]:
    """(MISP category/type/to_ids, extra tags) for one of our observables."""
    target = EXPORT_TYPES.get(our_type)
    if target is None:
        raise ValueError(f"no MISP mapping for observable type {our_type!r}")
    if our_type == "domain" and registrable_domain(value) not in (None, value):
        target = MispTarget(target.category, "hostname", target.to_ids)
    return target, ([type_tag(our_type)] if target.typed else [])


def _typed(tags: Iterable[str]) -> str | None:
    for tag in tags:
        match = _TYPE_TAG_RE.match(tag.strip())
        if match:
            return match.group(1)
    return None


def import_parts(misp_type: str, value: str, tags: Iterable[str] = ()) -> list[MispPart]:
    """The observables (our type or ``"ip"``, raw value, note) in one MISP attribute.
    Raises :class:`UnsupportedMispType` for a type we do not store (the message names it) and
    ``ValueError`` for a composite without its ``|``."""
    name = misp_type.strip()
    typed = _typed(tags)
    if typed is not None and name in ("text", "bank-account-nr"):
        return [MispPart(typed, value)]
    if name in _NOT_INDICATORS:
        raise UnsupportedMispType(name)
    if name in _EXTRA:
        return [MispPart(_EXTRA[name], value)]
    if name in _SNS_PREFIX:
        handle = value.strip()
        return [
            MispPart("sns_account", handle if ":" in handle else f"{_SNS_PREFIX[name]}:{handle}")
        ]
    if name == "malware-sample":
        return split_misp("filename|md5", value)
    return split_misp(name, value)


def skip_reason(misp_type: str) -> str:
    """Why an attribute of this type is not imported."""
    extra = _NOT_INDICATORS.get(misp_type.strip())
    return f"unsupported type {misp_type}" + (f" ({extra})" if extra else "")


def canonical_value(kind: str, raw: str) -> tuple[str, str]:
    """(our type, canonical value); ``kind`` ``"ip"`` accepts an IPv4/IPv6 address or CIDR
    block. Raises ``InvalidObservable`` naming the problem."""
    if not raw.strip():
        raise InvalidObservable(kind, "empty value")
    if kind == IP:
        found = detect(raw)
        if str(found.type) not in ("ipv4", "ipv6", "cidr"):
            raise InvalidObservable("ip", f"not an IP address (looks like {found.type})", raw)
        return str(found.type), found.value
    return kind, canonicalize(kind, raw)


# -- TLP -------------------------------------------------------------------------------------


def tlp_tag(level: str) -> str:
    return f"tlp:{tlp_rules.normalise(level)}"


def is_tlp_tag(name: str) -> bool:
    return name.strip().lower().startswith("tlp:")


def tlp_of_tags(names: Iterable[str]) -> str | None:
    """The TLP level a set of MISP tags says (most restrictive of several), or None. Tags in
    the ``tlp`` namespace that are not a level (``tlp:ex:chr``, ``tlp:unclear``) are ignored."""
    levels = []
    for name in names:
        if not is_tlp_tag(name):
            continue
        try:
            levels.append(tlp_rules.normalise(name))
        except tlp_rules.UnknownTLP:
            continue
    return tlp_rules.most_restrictive(levels)
