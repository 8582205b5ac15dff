"""Offline IP → ASN, AS organisation and country, from the ``@ip-location-db`` npm packages.

The data is installed with the front-end assets (``frontend/package.json`` pins
``@ip-location-db/asn`` and ``@ip-location-db/geo-whois-asn-country``; ``npm ci`` checks
each tarball against the sha512 in ``frontend/package-lock.json``), so lookups need no
network. Files read, under the data directory::

    asn/asn-ipv4.csv, asn/asn-ipv6.csv                          start,end,asn,org
    geo-whois-asn-country/geo-whois-asn-country-ipv{4,6}.csv    start,end,country

Facts for a public address (keys in this order, each where the data has a value):

- ``asn``: ``"AS15169"`` (the ``AS`` prefix, as RIRs and PeeringDB write it: a bare number
  is ambiguous next to other numbers in a case file);
- ``as_org``: the AS organisation as the data has it (``"Google LLC"``), ``about="asn"``: a
  fact of the AS, which the store keeps once on the AS observable, not on each address;
- ``country``: ISO 3166-1 alpha-2 (``"US"``) of the range's registration/geofeed, not of
  the host's physical location.

Known limits of the data (2.3.2026061719): its README warns that the npm releases contain
data bugs and that npm updates are deprecated in favour of the project's GitHub releases;
IPv6 country data falls back to ``AU`` (APNIC's seat) for parts of the APNIC space (e.g.
``2001:380::/32``, NTT, is ``AU``), and ``1.1.1.0/24`` (Cloudflare) is ``AU`` as registered
to APNIC Labs. Treat ``country`` as a lead, not as evidence; ``asn`` and ``as_org`` come from
routing data (RouteViews) first.

Special-purpose addresses (private, loopback, documentation, multicast, …; see
``ipdata.SPECIAL_PURPOSE``), malformed values and other observable types give no facts and
no error. The indexes are loaded on first use, once per process and data directory, and
cached as ``.npz`` beside the CSV files (see ``ipdata``).
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import ClassVar

import numpy as np
import numpy.typing as npt

from hakusan.domain.enrichment.base import ENRICHERS, EnrichmentFact
from hakusan.domain.enrichment.ipdata import IpIntervalIndex, pack_ips, special_purpose_index

log = logging.getLogger(__name__)

ENV_VAR = "HAKUSAN_IPDB_DIR"
REPO_ROOT = Path(__file__).resolve().parents[4]
ASN_FILES = ("asn/asn-ipv4.csv", "asn/asn-ipv6.csv")
COUNTRY_FILES = (
    "geo-whois-asn-country/geo-whois-asn-country-ipv4.csv",
    "geo-whois-asn-country/geo-whois-asn-country-ipv6.csv",
)
ASN_ATTRIBUTION = (
    "ASN data: RouteViews (https://www.routeviews.org), NRO (https://www.nro.net) and "
    "DB-IP (https://db-ip.com), CC BY 4.0, via @ip-location-db/asn {version}"
)
COUNTRY_ATTRIBUTION = (
    "Country data: NRO (https://www.nro.net), CC BY 4.0, and network operators' geofeeds, "
    "via @ip-location-db/geo-whois-asn-country {version}"
)


class IpDataMissing(FileNotFoundError):
    """The packaged IP data is not installed where we looked."""


def data_dir_candidates() -> list[Path]:
    """Where the data is looked for, in order: ``$HAKUSAN_IPDB_DIR`` if set, then
    ``<repo>/frontend/node_modules/@ip-location-db`` (installed by ``make install``)."""
    found = []
    if os.environ.get(ENV_VAR):
        found.append(Path(os.environ[ENV_VAR]))
    found.append(REPO_ROOT / "frontend" / "node_modules" / "@ip-location-db")
    return found


def find_data_dir(data_dir: Path | str | None = None) -> Path:
    """The first candidate (or ``data_dir`` alone) holding every file; else ``IpDataMissing``."""
    tried = [Path(data_dir)] if data_dir is not None else data_dir_candidates()
    missing: list[str] = []
    for folder in tried:
        absent = [name for name in (*ASN_FILES, *COUNTRY_FILES) if not (folder / name).is_file()]
        if not absent:
            return folder
        missing.append(f"{folder} (missing {', '.join(absent)})")
    raise IpDataMissing(
        "IP → ASN/country data not found; looked in: "
        + "; ".join(missing)
        + f". Install it with `make install` (npm ci in frontend/) or set {ENV_VAR} to a "
        "folder holding asn/ and geo-whois-asn-country/ from the @ip-location-db packages."
    )


def _version(folder: Path) -> str:
    try:
        return str(json.loads((folder / "package.json").read_text(encoding="utf-8"))["version"])
    except (OSError, ValueError, KeyError):
        return "(version unknown)"


class _Data:
    """The loaded indexes of one data directory, shared by every enricher on it."""

    def __init__(self, folder: Path) -> None:
        self.asn = IpIntervalIndex.from_csv(
            [folder / f for f in ASN_FILES], columns=("asn", "as_org")
        )
        self.country = IpIntervalIndex.from_csv(
            [folder / f for f in COUNTRY_FILES], columns=("country",)
        )
        self.asn_attribution = ASN_ATTRIBUTION.format(version=_version(folder / "asn"))
        self.country_attribution = COUNTRY_ATTRIBUTION.format(
            version=_version(folder / "geo-whois-asn-country")
        )


_RECHECK_SECONDS = 60.0
_LOADED: dict[Path, tuple[tuple[int, ...], _Data, float]] = {}  # folder: stamp, data, checked
_LOCK = threading.Lock()


def _load(folder: Path) -> _Data:
    """The data of ``folder``, loaded once per process. The files are looked at again at most
    once a minute, and reloaded when they changed (``npm ci`` of a new version)."""
    held = _LOADED.get(folder)
    now = time.monotonic()
    if held is not None and now - held[2] < _RECHECK_SECONDS:
        return held[1]
    with _LOCK:
        stamp = tuple(n for f in (*ASN_FILES, *COUNTRY_FILES) for n in _stat(folder / f))
        held = _LOADED.get(folder)
        if held is not None and held[0] == stamp:
            data = held[1]
        else:
            data = _Data(folder)
            log.info("loaded IP data from %s: %r, %r", folder, data.asn, data.country)
        _LOADED[folder] = (stamp, data, now)
        return data


@cache
def _special_flags(index: IpIntervalIndex) -> npt.NDArray[np.bool_]:
    """Per row of the special-purpose index, whether it is special (not an exception); one
    more False at the end, picked by row -1 (not special-purpose at all)."""
    return np.array([bool(v[0]) for v in index.values] + [False], dtype=bool)


def _stat(path: Path) -> tuple[int, int]:
    st = path.stat()
    return st.st_size, st.st_mtime_ns


@ENRICHERS.register()
class OfflineAsnEnricher:
    """IP → ``asn``, ``as_org``, ``country`` from the packaged public data (module doc)."""

    NAME: ClassVar[str] = "offline-asn"
    ONLINE: ClassVar[bool] = False
    TYPES: ClassVar[frozenset[str]] = frozenset({"ipv4", "ipv6"})

    def __init__(self, data_dir: Path | str | None = None) -> None:
        self.data_dir = find_data_dir(data_dir)  # fails fast; the data loads on first use

    def load(self) -> None:
        """Load now (the first lookup would otherwise): a few seconds, or 0.1 s cached."""
        _load(self.data_dir)

    @property
    def attributions(self) -> tuple[str, str]:
        data = _load(self.data_dir)
        return data.asn_attribution, data.country_attribution

    def enrich(self, type: str, value: str) -> list[EnrichmentFact]:
        if type not in self.TYPES:
            return []
        return self.enrich_many([(type, value)])[0]

    def enrich_many(self, items: Sequence[tuple[str, str]]) -> list[list[EnrichmentFact]]:
        out: list[list[EnrichmentFact]] = [[] for _ in items]
        at = [i for i, (kind, _) in enumerate(items) if kind in self.TYPES]
        if not at:
            return out
        data = _load(self.data_dir)
        packed = pack_ips([items[i][1] for i in at], strict=False)
        special = special_purpose_index()
        public = ~_special_flags(special)[special.find_packed(packed)]
        asn_rows = np.where(public, data.asn.find_packed(packed), -1).tolist()
        country_rows = np.where(public, data.country.find_packed(packed), -1).tolist()
        asn_facts: dict[int, list[EnrichmentFact]] = {-1: []}
        country_facts: dict[int, list[EnrichmentFact]] = {-1: []}
        for i, a, c in zip(at, asn_rows, country_rows, strict=True):
            facts = asn_facts.get(a)
            if facts is None:
                facts = asn_facts[a] = self._asn_facts(data, data.asn.values[a])
            more = country_facts.get(c)
            if more is None:
                more = country_facts[c] = self._country_facts(data, data.country.values[c])
            out[i] = facts + more
        return out

    def _asn_facts(self, data: _Data, row: tuple[str, ...]) -> list[EnrichmentFact]:
        number, org = row
        facts = []
        if number.isdigit() and int(number) > 0:  # AS0 (RFC 7607) means "not routed"
            facts.append(EnrichmentFact(self.NAME, "asn", f"AS{int(number)}", data.asn_attribution))
        if org.strip():
            facts.append(
                EnrichmentFact(self.NAME, "as_org", org.strip(), data.asn_attribution, about="asn")
            )
        return facts

    def _country_facts(self, data: _Data, row: tuple[str, ...]) -> list[EnrichmentFact]:
        (code,) = row
        code = code.strip().upper()
        if len(code) != 2 or not code.isalpha():
            return []
        return [EnrichmentFact(self.NAME, "country", code, data.country_attribution)]
