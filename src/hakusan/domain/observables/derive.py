"""Derived observables: what a value implies, so related values correlate.

    derive(Observable(URL, "https://a.evil.example/x"))
    -> [DerivedLink("host", Observable(DOMAIN, "a.evil.example")),
        DerivedLink("registrable", Observable(DOMAIN, "evil.example"))]

and ``b.evil.example`` derives ``evil.example`` too, so the two meet there. The policy
(which links, the Public Suffix List sections used) is in the package docstring.
"""

from __future__ import annotations

import functools
import ipaddress
from dataclasses import dataclass
from typing import Literal

from publicsuffixlist import PublicSuffixList

from .canonical import _URL, SPECIAL_USE_TLDS, canonicalize, url_host
from .fang import refang_fully
from .types import InvalidObservable, Observable, ObservableType

__all__ = ["DerivedKind", "DerivedLink", "derive", "derive_canonical", "registrable_domain"]

T = ObservableType

# host: the host of a URL (or the address a one-address CIDR block is); registrable: the
# registrable domain of a host; domain: the domain of an e-mail address. network is reserved
# for address-in-block membership, which is a range query in the store (an address lies in
# every block around it), not a value derive() can name: it is never produced here.
DerivedKind = Literal["host", "registrable", "domain", "network"]


@dataclass(frozen=True, slots=True)
class DerivedLink:
    kind: DerivedKind
    target: Observable


@functools.cache
def _psl() -> PublicSuffixList:
    # ICANN *and* private sections: "victim-login.pages.dev" and "x.github.io" are each
    # registered by one customer, so each is its own registrable domain, not all of
    # pages.dev/github.io joined into one hub. (Validity of a domain stays ICANN-only.)
    return PublicSuffixList()


def registrable_domain(domain: str) -> str | None:
    """The registrable domain ("eTLD+1") of a host name, or None for a public suffix itself
    (``jp``, ``co.jp``, ``github.io``), an IP address or anything that is not a host name.

    Uses the ICANN and private sections of the bundled Public Suffix List; the RFC 2606/6761
    names ``.test``, ``.example`` and ``.invalid`` count as public suffixes
    (``a.evil.example`` -> ``evil.example``).
    """
    name = refang_fully(domain).strip().lower().removesuffix(".")
    if not name.isascii():
        try:
            name = canonicalize(T.DOMAIN, name)
        except InvalidObservable:
            return None
    labels = name.split(".")
    if len(labels) < 2 or not all(labels):
        return None
    try:
        ipaddress.ip_address(name)
        return None
    except ValueError:
        pass
    if labels[-1] in SPECIAL_USE_TLDS:
        return ".".join(labels[-2:])
    registrable = _psl().privatesuffix(name, accept_unknown=False)
    return registrable if isinstance(registrable, str) else None


def _registrable_canonical(domain: str) -> str | None:
    """``registrable_domain`` of a canonical domain (``canonical_domain``'s output: ASCII,
    lower case, no trailing dot, nothing to refang, never an IP address since its last
    label is not all digits): the same answer without refanging and the IP parse."""
    labels = domain.split(".")
    if len(labels) < 2 or not all(labels):
        return None
    if labels[-1] in SPECIAL_USE_TLDS:
        return ".".join(labels[-2:])
    registrable = _psl().privatesuffix(domain, accept_unknown=False)
    return registrable if isinstance(registrable, str) else None


def _host_type(host: str) -> str:
    """The type of a canonical URL's host: ipv6 (unbracketed), ipv4 (a dotted quad; a
    domain's last label is never all digits, so a domain never ends in one that parses) or
    domain."""
    if ":" in host:
        return "ipv6"
    if host[-1:].isdigit():
        try:
            ipaddress.IPv4Address(host)
        except ValueError:
            return "domain"
        return "ipv4"
    return "domain"


def derive_canonical(kind: str, value: str) -> tuple[tuple[str, str, str], ...]:
    """``derive`` of a value that is canonical already (as ``canonicalize`` returns it), as
    (link kind, target type, target value) tuples: the same links in the same order,
    without canonicalising again (a bulk ingest gets canonical values from its parsers).

    Given a value that is not canonical the result is unspecified (it may be wrong or
    empty; it never raises for a string): call ``derive`` for values as written."""
    links: list[tuple[str, str, str]] = []
    if kind == "url":
        match = _URL.match(value)
        if match is None:
            return ()
        host = match["host"]
        if host.startswith("["):
            host = host[1:-1]
        host_type = _host_type(host) if host else "domain"
        links.append(("host", host_type, host))
        if host_type == "domain":
            registrable = _registrable_canonical(host)
            if registrable is not None and registrable != host:
                links.append(("registrable", "domain", registrable))
    elif kind == "domain":
        registrable = _registrable_canonical(value)
        if registrable is not None and registrable != value:
            links.append(("registrable", "domain", registrable))
    elif kind == "email":
        domain = value.rpartition("@")[2]
        links.append(("domain", "domain", domain))
        registrable = _registrable_canonical(domain)
        if registrable is not None and registrable != domain:
            links.append(("registrable", "domain", registrable))
    elif kind == "cidr":
        address, _, prefix = value.rpartition("/")
        if prefix == ("128" if ":" in address else "32"):
            links.append(("host", "ipv6" if ":" in address else "ipv4", address))
    else:
        return ()
    unique: list[tuple[str, str, str]] = []
    seen = {(kind, value)}
    for link in links:
        target = (link[1], link[2])
        if target not in seen:
            seen.add(target)
            unique.append(link)
    return tuple(unique)


def derive(obs: Observable) -> list[DerivedLink]:
    """The observables ``obs`` implies, in a fixed order, without duplicates or ``obs``.

    - url: its host (a domain, or the ipv4/ipv6 address it names), then the host's
      registrable domain when that differs from the host;
    - domain: its registrable domain, when different;
    - email: its domain, then that domain's registrable domain when different;
    - cidr of one address (/32, /128): that address, as the host.

    Profile URLs are not turned into sns_account here, and other types derive nothing. The
    value is canonicalised first, so a value as written (defanged, upper case) is fine.
    Raises :class:`InvalidObservable` if it is not a valid value of its type.
    (``derive_canonical`` is this without the canonicalisation, for canonical values.)
    """
    kind = ObservableType(obs.type)
    value = canonicalize(kind, obs.value)
    if kind is T.URL:
        url_host(value)  # raises for a URL it cannot parse, as it always has
    return [
        DerivedLink(link_kind, Observable(T(target_type), target))  # type: ignore[arg-type]
        for link_kind, target_type, target in derive_canonical(kind.value, value)
    ]
