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

from .canonical import SPECIAL_USE_TLDS, canonicalize, url_host
from .fang import refang_fully
from .types import InvalidObservable, Observable, ObservableType

__all__ = ["DerivedKind", "DerivedLink", "derive", "registrable_domain"]

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


def _host_observable(host: str) -> Observable:
    if ":" in host:
        return Observable(T.IPV6, host)
    try:
        ipaddress.IPv4Address(host)
    except ValueError:
        return Observable(T.DOMAIN, host)
    return Observable(T.IPV4, host)


def _registrable_link(domain: str) -> list[DerivedLink]:
    registrable = registrable_domain(domain)
    if registrable is None or registrable == domain:
        return []
    return [DerivedLink("registrable", Observable(T.DOMAIN, registrable))]


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
    """
    kind = ObservableType(obs.type)
    value = canonicalize(kind, obs.value)
    links: list[DerivedLink] = []
    if kind is T.URL:
        host = _host_observable(url_host(value))
        links.append(DerivedLink("host", host))
        if host.type is T.DOMAIN:
            links += _registrable_link(host.value)
    elif kind is T.DOMAIN:
        links += _registrable_link(value)
    elif kind is T.EMAIL:
        domain = value.rpartition("@")[2]
        links.append(DerivedLink("domain", Observable(T.DOMAIN, domain)))
        links += _registrable_link(domain)
    elif kind is T.CIDR:
        address, _, prefix = value.rpartition("/")
        if prefix == ("128" if ":" in address else "32"):
            links.append(DerivedLink("host", _host_observable(address)))
    self_ = Observable(kind, value)
    seen: set[Observable] = {self_}
    unique = []
    for link in links:
        if link.target not in seen:
            seen.add(link.target)
            unique.append(link)
    return unique
