"""Enrichment: facts about observables (IP → ASN, organisation, country, …) from plugins.

    from hakusan.domain.enrichment import (
        Enricher, EnrichmentFact, ENRICHERS, IpIntervalIndex, OfflineAsnEnricher,
        data_dir_candidates, enabled_enrichers,
    )

    enricher = OfflineAsnEnricher()          # IpDataMissing names the folders tried
    enricher.enrich("ipv4", "8.8.8.8")
    # [EnrichmentFact("offline-asn", "asn", "AS15169", "ASN data: RouteViews …"),
    #  EnrichmentFact("offline-asn", "as_org", "Google LLC", …),
    #  EnrichmentFact("offline-asn", "country", "US", "Country data: NRO …")]

- ``base``: the ``Enricher`` protocol, ``EnrichmentFact``, the ``ENRICHERS`` registry and
  ``enabled_enrichers`` (online enrichers run only when a setting names them).
- ``ipdata``: ``IpIntervalIndex``, IPv4/IPv6 ranges → rows, numpy binary search, ``.npz``
  cache; the special-purpose ranges that never get facts.
- ``asn``: ``OfflineAsnEnricher`` ("offline-asn") on the ``@ip-location-db`` npm data.

Pure Python and numpy: no Django (the store adapts facts to models).
"""

from hakusan.domain.enrichment.asn import (
    IpDataMissing,
    OfflineAsnEnricher,
    data_dir_candidates,
    find_data_dir,
)
from hakusan.domain.enrichment.base import (
    ENRICHERS,
    Enricher,
    EnrichmentFact,
    enabled_enrichers,
)
from hakusan.domain.enrichment.ipdata import (
    IpDataError,
    IpIntervalIndex,
    PackedIps,
    pack_ips,
    parse_ip,
    special_purpose_index,
)

__all__ = [
    "ENRICHERS",
    "Enricher",
    "EnrichmentFact",
    "IpDataError",
    "IpDataMissing",
    "IpIntervalIndex",
    "OfflineAsnEnricher",
    "PackedIps",
    "data_dir_candidates",
    "enabled_enrichers",
    "find_data_dir",
    "pack_ips",
    "parse_ip",
    "special_purpose_index",
]
