"""Threat knowledge for attribution: ATT&CK techniques, intrusion sets, threat actors, malware
and ransomware families from the MISP galaxies packaged in ``pymispgalaxies`` (read from the
installed wheel, never from the network), with an alias index.

Pure Python (no Django); the analysis app stores tags and actors that point at clusters by
uuid.

    from hakusan.domain.attribution import GalaxyCluster, GalaxyIndex, GalaxyKind, packaged_index

    index = packaged_index()                 # lazy, cached per process (a few seconds)
    index.search("APT10")                    # menuPass - G0045, APT10 (threat-actor), ...
    index.get("222fbd21-fc4f-4b7e-9f85-0e6e3a76c33f")
"""

from .galaxy import (
    GALAXIES,
    GalaxyCluster,
    GalaxyIndex,
    GalaxyKind,
    Match,
    alias_key,
    packaged_index,
)

__all__ = [
    "GALAXIES",
    "GalaxyCluster",
    "GalaxyIndex",
    "GalaxyKind",
    "Match",
    "alias_key",
    "packaged_index",
]
