"""An alias index over the MISP galaxy clusters that ship inside ``pymispgalaxies``.

Which galaxies: ATT&CK techniques (``mitre-attack-pattern``), intrusion sets
(``mitre-intrusion-set``) and MISP's ``threat-actor`` galaxy (actors), ATT&CK software
(``mitre-malware``, ``mitre-tool``) and MISP's ``ransomware`` galaxy (families). A galaxy that a
future version of the package no longer ships is skipped, not an error.

Names. ATT&CK values read ``menuPass - G0045`` and ``Data Encrypted for Impact - T1486``: the
name is the value without the trailing external id, which is kept apart (``G0045``,
``T1486``, ``T1003.001``).

Search (``GalaxyIndex.search``) compares *alias keys*: NFKC, case-folded, every character that
is not a letter or digit removed, so ``APT 10``, ``apt-10`` and ``ＡＰＴ１０`` are ``apt10``.
Ranks: 0 an exact name or external id, 1 an exact alias, 2 a name or alias that starts with
the query, 3 one that contains it (queries of two keys or more). Within a rank actors come
first, then techniques, malware, ransomware and tools, then by name. "APT10" finds MISP's
``APT10`` (synonyms STONE PANDA, Menupass Team, …) and ATT&CK's ``menuPass - G0045`` (synonym
APT10) at rank 0 and 1.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from typing import Any

log = logging.getLogger(__name__)


class GalaxyKind(StrEnum):
    ACTOR = "actor"
    TECHNIQUE = "technique"
    MALWARE = "malware"
    RANSOMWARE = "ransomware"
    TOOL = "tool"


# galaxy type (file name in the package) -> what its clusters are
GALAXIES: dict[str, GalaxyKind] = {
    "mitre-intrusion-set": GalaxyKind.ACTOR,
    "threat-actor": GalaxyKind.ACTOR,
    "mitre-attack-pattern": GalaxyKind.TECHNIQUE,
    "mitre-malware": GalaxyKind.MALWARE,
    "ransomware": GalaxyKind.RANSOMWARE,
    "mitre-tool": GalaxyKind.TOOL,
}
_KIND_ORDER = {kind: i for i, kind in enumerate(GalaxyKind)}
_NOT_KEY = re.compile(r"[^\w]|_", re.UNICODE)
MAX_REFS = 5


def alias_key(text: str) -> str:
    """How names are compared: NFKC, case-folded, letters and digits only."""
    return _NOT_KEY.sub("", unicodedata.normalize("NFKC", text).casefold())


@dataclass(frozen=True)
class GalaxyCluster:
    uuid: str
    galaxy: str  # the galaxy type: "mitre-intrusion-set"
    kind: GalaxyKind
    value: str  # as in MISP: "menuPass - G0045"
    name: str  # "menuPass"
    external_id: str  # "G0045", "T1486", or ""
    aliases: tuple[str, ...]
    description: str
    country: str = ""
    tactics: tuple[str, ...] = ()  # ATT&CK kill-chain phases of a technique
    refs: tuple[str, ...] = ()

    @property
    def tag(self) -> str:
        """The MISP machine tag: ``misp-galaxy:mitre-intrusion-set="menuPass - G0045"``."""
        return f'misp-galaxy:{self.galaxy}="{self.value}"'

    @property
    def label(self) -> str:
        return f"{self.name} ({self.external_id})" if self.external_id else self.name


@dataclass(frozen=True)
class Match:
    cluster: GalaxyCluster
    matched: str  # the name, alias or id that matched
    rank: int  # 0 exact name/id, 1 exact alias, 2 prefix, 3 substring


def _split_value(value: str, external_id: str) -> str:
    suffix = f" - {external_id}"
    if external_id and value.endswith(suffix):
        return value[: -len(suffix)]
    return value


def cluster_from_dict(galaxy: str, kind: GalaxyKind, raw: dict[str, Any]) -> GalaxyCluster:
    """One cluster value of a galaxy JSON file (the MISP format)."""
    meta = raw.get("meta") or {}
    external_id = str(meta.get("external_id") or "")
    value = str(raw["value"])
    name = _split_value(value, external_id)
    synonyms = meta.get("synonyms") or []
    aliases = tuple(dict.fromkeys(s for s in (str(x).strip() for x in synonyms) if s and s != name))
    tactics = tuple(
        str(phase).rpartition(":")[2] for phase in meta.get("kill_chain") or () if phase
    )
    return GalaxyCluster(
        uuid=str(raw["uuid"]),
        galaxy=galaxy,
        kind=kind,
        value=value,
        name=name,
        external_id=external_id,
        aliases=aliases,
        description=str(raw.get("description") or ""),
        country=str(meta.get("country") or ""),
        tactics=tuple(dict.fromkeys(tactics)),
        refs=tuple(str(r) for r in (meta.get("refs") or ())[:MAX_REFS]),
    )


def _packaged_values(galaxy: str) -> list[dict[str, Any]]:
    """The cluster values of one galaxy, as pymispgalaxies ships them."""
    from pymispgalaxies import Cluster

    cluster = Cluster(galaxy, skip_duplicates=True)
    return [dict(v.to_dict(), value=v.value, uuid=v.uuid) for v in cluster.cluster_values.values()]


class GalaxyIndex:
    """Clusters by uuid and by alias key."""

    def __init__(self, clusters: Iterable[GalaxyCluster], counts: dict[str, int] | None = None):
        self._by_uuid: dict[str, GalaxyCluster] = {}
        for cluster in clusters:
            self._by_uuid.setdefault(cluster.uuid, cluster)
        self.counts = dict(counts or {})
        self._exact: dict[str, list[tuple[GalaxyCluster, str, int]]] = {}
        for cluster in self._by_uuid.values():
            self._add(alias_key(cluster.name), cluster, cluster.name, 0)
            self._add(alias_key(cluster.value), cluster, cluster.name, 0)
            if cluster.external_id:
                self._add(alias_key(cluster.external_id), cluster, cluster.external_id, 0)
            for alias in cluster.aliases:
                self._add(alias_key(alias), cluster, alias, 1)
        self._keys = sorted(self._exact)

    def _add(self, key: str, cluster: GalaxyCluster, shown: str, rank: int) -> None:
        if key:
            self._exact.setdefault(key, []).append((cluster, shown, rank))

    def __len__(self) -> int:
        return len(self._by_uuid)

    def __iter__(self) -> Iterator[GalaxyCluster]:
        return iter(self._by_uuid.values())

    def get(self, uuid: str) -> GalaxyCluster | None:
        return self._by_uuid.get(str(uuid))

    def by_external_id(self, external_id: str) -> list[GalaxyCluster]:
        key = alias_key(external_id)
        return [
            c for c in self._by_uuid.values() if c.external_id and alias_key(c.external_id) == key
        ]

    def search(
        self, query: str, *, kinds: Iterable[GalaxyKind | str] | None = None, limit: int = 20
    ) -> list[Match]:
        """Clusters whose name, external id or an alias matches ``query`` (see the module
        docstring for the ranks), best first, one match per cluster."""
        key = alias_key(query)
        if not key or limit <= 0:
            return []
        wanted = {GalaxyKind(k) for k in kinds} if kinds else None
        best: dict[str, Match] = {}

        def offer(cluster: GalaxyCluster, shown: str, rank: int) -> None:
            if wanted is not None and cluster.kind not in wanted:
                return
            current = best.get(cluster.uuid)
            if current is None or rank < current.rank:
                best[cluster.uuid] = Match(cluster, shown, rank)

        for cluster, shown, rank in self._exact.get(key, ()):
            offer(cluster, shown, rank)
        if len(key) >= 2:
            for candidate in self._keys:
                if candidate == key or key not in candidate:
                    continue
                rank = 2 if candidate.startswith(key) else 3
                for cluster, shown, _ in self._exact[candidate]:
                    offer(cluster, shown, rank)
        ordered = sorted(
            best.values(),
            key=lambda m: (m.rank, _KIND_ORDER[m.cluster.kind], m.cluster.name.casefold()),
        )
        return ordered[:limit]


def load_packaged(galaxies: Iterable[str] = tuple(GALAXIES)) -> GalaxyIndex:
    clusters: list[GalaxyCluster] = []
    counts: dict[str, int] = {}
    for galaxy in galaxies:
        kind = GALAXIES[galaxy]
        try:
            values = _packaged_values(galaxy)
        except (OSError, KeyError, ValueError) as exc:  # a galaxy no longer shipped
            log.warning("galaxy %s not loaded: %s", galaxy, exc)
            continue
        counts[galaxy] = len(values)
        clusters.extend(cluster_from_dict(galaxy, kind, raw) for raw in values if raw.get("uuid"))
    return GalaxyIndex(clusters, counts)


@cache
def packaged_index() -> GalaxyIndex:
    """The index of the packaged galaxies, built once per process."""
    return load_packaged()
