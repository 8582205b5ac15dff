"""Warninglist value objects and the map from MISP attribute types to our observable types."""

from collections.abc import Iterable
from dataclasses import dataclass

LIST_TYPES = frozenset({"cidr", "hostname", "string", "substring", "regex"})
CATEGORIES = frozenset({"false-positive", "known"})

# Our observable types (hakusan.domain.observables.ObservableType values) that a list can
# apply to. Kept as plain strings: domain/ modules depend on data, not on each other.
OUR_TYPES = frozenset(
    {"ipv4", "ipv6", "domain", "url", "email", "md5", "sha1", "sha256", "phone"}
    | {"btc", "eth", "cve"}
)

# MISP attribute type -> our observable types. Composite types whose first component is one
# of ours (``ip-src|port``, ``filename|md5``, ``hostname|port``) count for that component.
# ``domain|ip`` is left out on purpose: it pairs two observables, and every packaged list that
# names it also names ``domain``/``hostname`` or ``ip-*`` - except ``disposable-email``, a list
# of e-mail providers that is not meant to flag a bare domain.
_IP = ("ipv4", "ipv6")
MISP_TYPE_MAP: dict[str, tuple[str, ...]] = {
    "ip-src": _IP,
    "ip-dst": _IP,
    "ip-src|port": _IP,
    "ip-dst|port": _IP,
    "domain": ("domain",),
    "hostname": ("domain",),
    "hostname|port": ("domain",),
    "url": ("url",),
    "uri": ("url",),
    "link": ("url",),
    "email": ("email",),
    "email-src": ("email",),
    "email-dst": ("email",),
    "target-email": ("email",),
    "whois-registrant-email": ("email",),
    "dns-soa-email": ("email",),
    "md5": ("md5",),
    "filename|md5": ("md5",),
    "x509-fingerprint-md5": ("md5",),
    "sha1": ("sha1",),
    "filename|sha1": ("sha1",),
    "x509-fingerprint-sha1": ("sha1",),
    "sha256": ("sha256",),
    "filename|sha256": ("sha256",),
    "x509-fingerprint-sha256": ("sha256",),
    "phone-number": ("phone",),
    "whois-registrant-phone": ("phone",),
    "btc": ("btc",),
    "eth": ("eth",),
    "vulnerability": ("cve",),
}


@dataclass(frozen=True, slots=True)
class Warninglist:
    """One warninglist's metadata (its entries travel beside it, not inside it)."""

    slug: str  # directory name in misp-warninglists, e.g. "public-dns-v4"
    name: str
    description: str
    version: int
    list_type: str  # "cidr" | "hostname" | "string" | "substring" | "regex"
    category: str  # "false-positive" | "known"
    matching_attributes: tuple[str, ...]  # MISP attribute types, as written in the list

    @property
    def observable_types(self) -> frozenset[str]:
        """Our observable types this list applies to (all of them when it names none)."""
        return applicable_types(self.matching_attributes)


@dataclass(frozen=True, slots=True)
class Hit:
    """A value is on a warninglist."""

    slug: str
    name: str
    category: str
    matched: str  # the list entry that matched, e.g. "8.8.8.0/24" or "google.com"


def applicable_types(matching_attributes: Iterable[str]) -> frozenset[str]:
    """Our observable types covered by MISP ``matching_attributes``.

    As in MISP, a list without matching attributes applies to every type.
    """
    attributes = tuple(matching_attributes)
    if not attributes:
        return OUR_TYPES
    out: set[str] = set()
    for attribute in attributes:
        out.update(MISP_TYPE_MAP.get(attribute.strip().lower(), ()))
    return frozenset(out)


# The lists in pymispwarninglists 1.7.0 carry no category, and MISP then assumes
# false_positive. These lists name kinds of service that attackers use rather than values too
# common to mean anything: a hit is worth showing, but must not hide the value from
# correlation or from blocklist exports (a phishing URL on bit.ly or on a dynamic-DNS host).
KNOWN_BY_DEFAULT = frozenset(
    {
        "disposable-email",
        "dynamic-dns",
        "link-in-bio",
        "lots-project",
        "public-ipfs-gateways",
        "url-shortener",
    }
)


def normalise_category(raw: object, slug: str = "") -> str:
    """A list's category: ``false-positive`` or ``known``.

    MISP writes ``false_positive``; we write ``false-positive``. When the list says nothing,
    ``known`` for the slugs in ``KNOWN_BY_DEFAULT``, else ``false-positive`` as in MISP.
    """
    if isinstance(raw, str) and raw.strip():
        value = raw.strip().lower().replace("_", "-")
        if value in CATEGORIES:
            return value
    return "known" if slug in KNOWN_BY_DEFAULT else "false-positive"
