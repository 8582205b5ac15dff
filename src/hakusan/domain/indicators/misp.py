"""MISP attribute types → our observable types.

A MISP attribute has one type and one value. Most types name one of our observable types;
composite types (``ip-dst|port``, ``filename|md5``, ``domain|ip``) carry two values separated
by ``|`` and split into both halves: each half that is an observable of ours becomes a row,
and a half that is not (a port) is kept in the row's comment. Types we do not store are
rejected, naming the type.

Plain strings, not ``ObservableType``: this module depends on data, not on the observables
package (the parser checks every value with ``canonicalize`` anyway).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

__all__ = ["MISP_TYPES", "MispPart", "UnsupportedMispType", "split_misp"]

# "ip" means ipv4 or ipv6 (or a CIDR block, which MISP also writes as ip-src/ip-dst).
IP: Final = "ip"

# MISP attribute type -> our type (or IP). Only single-valued types; composites are below.
MISP_TYPES: Final[dict[str, str]] = {
    "ip-src": IP,
    "ip-dst": IP,
    "domain": "domain",
    "hostname": "domain",
    "url": "url",
    "uri": "url",
    "link": "url",
    "email": "email",
    "email-src": "email",
    "email-dst": "email",
    "email-reply-to": "email",
    "target-email": "email",
    "whois-registrant-email": "email",
    "dns-soa-email": "email",
    "md5": "md5",
    "sha1": "sha1",
    "sha256": "sha256",
    "ssdeep": "ssdeep",
    "tlsh": "tlsh",
    "btc": "btc",
    "AS": "asn",
    "as": "asn",
    "mutex": "mutex",
    "filename": "filename",
    "email-attachment": "filename",
    "user-agent": "user_agent",
    "ja3-fingerprint-md5": "ja3",
    "phone-number": "phone",
    "whois-registrant-phone": "phone",
    "vulnerability": "cve",
    "bank-account-nr": "bank_account",
    "iban": "bank_account",
    "twitter-id": "sns_account",
    "github-username": "sns_account",
}

# Composite types: (left type, right type); None keeps that half in the comment.
_COMPOSITES: Final[dict[str, tuple[str, str | None]]] = {
    "ip-src|port": (IP, None),
    "ip-dst|port": (IP, None),
    "hostname|port": ("domain", None),
    "domain|ip": ("domain", IP),
    "filename|md5": ("filename", "md5"),
    "filename|sha1": ("filename", "sha1"),
    "filename|sha256": ("filename", "sha256"),
    "filename|ssdeep": ("filename", "ssdeep"),
    "filename|tlsh": ("filename", "tlsh"),
}

_KEPT_AS_COMMENT: Final = {"ip-src|port": "port", "ip-dst|port": "port", "hostname|port": "port"}


class UnsupportedMispType(ValueError):
    """The MISP attribute type has no observable type here."""

    def __init__(self, misp_type: str) -> None:
        self.misp_type = misp_type
        super().__init__(f"MISP type {misp_type!r} is not supported")


@dataclass(frozen=True, slots=True)
class MispPart:
    """One observable in a MISP attribute: our type ("ip": decide by the value) and the raw
    value; ``note`` is text for the comment (the port of ``ip-dst|port``)."""

    type: str
    raw: str
    note: str = ""


def split_misp(misp_type: str, value: str) -> list[MispPart]:
    """The observables in one MISP attribute (``UnsupportedMispType`` if there are none)."""
    name = misp_type.strip()
    single = MISP_TYPES.get(name) or MISP_TYPES.get(name.lower())
    if single is not None:
        return [MispPart(single, value)]
    pair = _COMPOSITES.get(name.lower())
    if pair is None:
        raise UnsupportedMispType(name)
    # filename|hash: the file name may hold "|"; the hash never does. Otherwise split left.
    if name.lower().startswith("filename|"):
        left, sep, right = value.rpartition("|")
    else:
        left, sep, right = value.partition("|")
    if not sep:
        raise ValueError(f"MISP type {name!r} needs two values separated by '|'")
    parts = [MispPart(pair[0], left)]
    if pair[1] is None:
        label = _KEPT_AS_COMMENT.get(name.lower(), "value")
        parts = [MispPart(pair[0], left, f"{label} {right.strip()}")]
    else:
        parts.append(MispPart(pair[1], right))
    return parts
