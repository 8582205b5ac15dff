"""Adapters for the peer extractors we measure against (iocextract, iocsearcher, ioc-finder).

Each adapter maps text to ``[(type, value), ...]`` in our type names, values canonicalised
with our ``canonicalize`` (raw value kept when ours rejects it), so that comparisons are
about what was found, not about spelling. Shared by the quality test and bench/extract.py.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path
from urllib.parse import urlsplit

from hakusan.domain.observables import InvalidObservable, canonicalize, extract
from hakusan.domain.observables.canonical import SPECIAL_USE_TLDS

CORPUS = Path(__file__).resolve().parents[2] / "data" / "extraction" / "corpus.jsonl"

Found = list[tuple[str, str]]
Extractor = Callable[[str], Found]


def load_corpus() -> list[tuple[str, Found]]:
    rows = []
    for line in CORPUS.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        rows.append((row["text"], [(e["type"], e["value"]) for e in row["expected"]]))
    return rows


def canonical_or_raw(kind: str, value: str) -> tuple[str, str]:
    try:
        return kind, canonicalize(kind, value)
    except InvalidObservable:
        return kind, value


def _drop_hosts_of_urls(found: Found) -> Found:
    """Our policy reports a URL or e-mail, not its host again as a domain; align peers."""
    hosts = set()
    for kind, value in found:
        if kind == "url":
            try:
                hosts.add((urlsplit(value).hostname or "").lower())
            except ValueError:
                continue
        elif kind == "email":
            hosts.add(value.rpartition("@")[2].lower())
    return [(k, v) for k, v in found if not (k == "domain" and v in hosts)]


def uses_special_tld(kind: str, value: str) -> bool:
    """Values under .test/.example/.invalid, which the peers' TLD lists reject."""
    if kind == "url":
        try:
            host = urlsplit(value).hostname or ""
        except ValueError:
            return False
    elif kind in ("domain", "email"):
        host = value.rpartition("@")[2]
    else:
        return False
    return host.lower().rsplit(".", 1)[-1] in SPECIAL_USE_TLDS


def ours(text: str) -> Found:
    return [(item.type.value, item.value) for item in extract(text)]


def _iocextract() -> Extractor:
    import iocextract

    calls: list[tuple[str, Callable[[str], Iterable[str]]]] = [
        ("url", lambda t: iocextract.extract_urls(t, refang=True)),
        ("ipv4", lambda t: iocextract.extract_ipv4s(t, refang=True)),
        ("ipv6", iocextract.extract_ipv6s),
        ("email", lambda t: iocextract.extract_emails(t, refang=True)),
        ("md5", iocextract.extract_md5_hashes),
        ("sha1", iocextract.extract_sha1_hashes),
        ("sha256", iocextract.extract_sha256_hashes),
        ("phone", iocextract.extract_telephone_nums),
    ]

    def run(text: str) -> Found:
        found = [canonical_or_raw(kind, v) for kind, call in calls for v in call(text)]
        return _drop_hosts_of_urls(found)

    return run


def _iocsearcher() -> Extractor:
    from iocsearcher.searcher import Searcher

    searcher = Searcher()
    names = {
        "url": "url", "fqdn": "domain", "onionAddress": "domain", "email": "email",
        "ip4": "ipv4", "ip6": "ipv6", "md5": "md5", "sha1": "sha1", "sha256": "sha256",
        "phoneNumber": "phone", "bitcoin": "btc", "ethereum": "eth", "cve": "cve",
    }  # fmt: skip

    def run(text: str) -> Found:
        found = [
            canonical_or_raw(names[ioc.name], ioc.value)
            for ioc in searcher.search_data(text)
            if ioc.name in names
        ]
        return _drop_hosts_of_urls(found)

    return run


def _ioc_finder() -> Extractor:
    from ioc_finder import find_iocs

    names = {
        "urls": "url", "domains": "domain", "email_addresses": "email", "ipv4s": "ipv4",
        "ipv6s": "ipv6", "md5s": "md5", "sha1s": "sha1", "sha256s": "sha256",
        "phone_numbers": "phone", "bitcoin_addresses": "btc", "cves": "cve",
    }  # fmt: skip

    def run(text: str) -> Found:
        # Options set to our policy: no domains from URL/e-mail hosts, nothing from paths.
        result = find_iocs(
            text,
            parse_domain_from_url=False,
            parse_domain_from_email_address=False,
            parse_from_url_path=False,
        )
        found = [
            canonical_or_raw(names[key], value)
            for key, values in result.items()
            if key in names and isinstance(values, list)
            for value in values
        ]
        return _drop_hosts_of_urls(found)

    return run


def peers() -> dict[str, Extractor | str]:
    """Name -> extractor, or name -> why it could not be loaded."""
    loaded: dict[str, Extractor | str] = {}
    for name, factory in (
        ("iocextract", _iocextract),
        ("iocsearcher", _iocsearcher),
        ("ioc-finder", _ioc_finder),
    ):
        try:
            loaded[name] = factory()
        except Exception as exc:  # an unavailable peer is reported, not fatal
            loaded[name] = f"{type(exc).__name__}: {exc}"
    return loaded
