"""The enricher plugin interface and its registry.

An enricher turns an observable ``(type, canonical value)`` into facts, each carrying the
attribution that the UI shows next to the value (data licences such as CC BY 4.0 require
it). Enrichers are plugins: a class with ``NAME``, ``ONLINE`` and ``TYPES`` that registers
itself in ``ENRICHERS`` with ``@ENRICHERS.register()``; a duplicate name is an error.

Offline enrichers (``ONLINE = False``) read packaged data and always run. Online ones
(``ONLINE = True``: RDAP, passive DNS, a sandbox, …) send the observable to a third party,
so they are off unless the deployment names them: the store calls
``enabled_enrichers(allow_online=settings.<list of names>)`` and runs only what it returns.
A future RDAP enricher would be::

    @ENRICHERS.register()
    class RdapEnricher:
        NAME = "rdap"
        ONLINE = True
        TYPES = frozenset({"ipv4", "ipv6", "domain"})

        def __init__(self, base_url: str, timeout: float = 10.0) -> None: ...
        def enrich(self, type: str, value: str) -> list[EnrichmentFact]: ...
        def enrich_many(self, items): return [self.enrich(t, v) for t, v in items]

and would do nothing until its name is listed in that setting (this machine's network is
closed, so the offline data is the default). Enrichers never touch the ORM: they return
facts and the store records them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import ClassVar, Protocol

from hakusan.domain.registry import Registry, UnknownPlugin


@dataclass(frozen=True, slots=True)
class EnrichmentFact:
    enricher: str  # the enricher's NAME
    key: str  # "asn" | "as_org" | "country" | …
    value: str
    attribution: str  # shown next to the value in the UI
    # What the fact describes: "" the enriched value itself; "asn" the AS that the same
    # result's ``asn`` fact names (an AS's organisation is kept once, on the AS).
    about: str = ""


class Enricher(Protocol):
    NAME: ClassVar[str]
    ONLINE: ClassVar[bool]
    TYPES: ClassVar[frozenset[str]]  # observable types it accepts, e.g. {"ipv4", "ipv6"}

    def enrich(self, type: str, value: str) -> list[EnrichmentFact]:
        """Facts for one observable; ``[]`` when there are none or the type is not handled."""
        ...

    def enrich_many(self, items: Sequence[tuple[str, str]]) -> list[list[EnrichmentFact]]:
        """``[enrich(t, v) for t, v in items]``, but allowed to batch."""
        ...


ENRICHERS: Registry[type[Enricher]] = Registry("enricher")


def enabled_enrichers(
    allow_online: Iterable[str] = (), *, registry: Registry[type[Enricher]] = ENRICHERS
) -> list[type[Enricher]]:
    """Every offline enricher, and the online ones named in ``allow_online``.

    A name in ``allow_online`` that is not registered raises ``UnknownPlugin``, so a typo in
    the setting does not pass unseen (naming an offline enricher there changes nothing).
    """
    allowed = set(allow_online)
    for name in sorted(allowed):
        registry.get(name)
    return [cls for name, cls in registry.items() if not cls.ONLINE or name in allowed]


__all__ = ["ENRICHERS", "Enricher", "EnrichmentFact", "UnknownPlugin", "enabled_enrichers"]
