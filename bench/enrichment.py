"""IP enrichment benchmark: load time, memory and lookups/s of the offline ASN/country index
on the real @ip-location-db data (installed by `make install`), beside a named peer measured
in the same run on the same ranges: "bisect on Python ints", the plain pure-Python approach
(sorted lists of int starts/ends, `bisect.bisect_right`, addresses parsed with
`socket.inet_pton` + `int.from_bytes`).

    .venv/bin/python bench/enrichment.py [--n 1000000] [--v6 100000]

Prints a Markdown table (docs/benchmarks.md, "IP enrichment").
"""

import argparse
import bisect
import json
import platform
import socket
import sys
import time
import tracemalloc
from collections.abc import Callable
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

import numpy as np  # noqa: E402

from hakusan.domain.enrichment import IpIntervalIndex, OfflineAsnEnricher, pack_ips  # noqa: E402
from hakusan.domain.enrichment.asn import (  # noqa: E402
    ASN_FILES,
    COUNTRY_FILES,
    find_data_dir,
)


def timed[T](fn: Callable[[], T]) -> tuple[T, float]:
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def best[T](fn: Callable[[], T], repeat: int = 3) -> tuple[T, float]:
    runs = [timed(fn) for _ in range(repeat)]
    return runs[-1][0], min(seconds for _, seconds in runs)


def duel[T](ours: Callable[[], T], peer: Callable[[], T], repeat: int = 3) -> tuple:
    """Best of ``repeat`` for each, the runs interleaved (the machine is shared: its load
    changes over a run, and both sides should see the same)."""
    runs = [(timed(ours), timed(peer)) for _ in range(repeat)]
    return (
        runs[-1][0][0],
        min(r[0][1] for r in runs),
        runs[-1][1][0],
        min(r[1][1] for r in runs),
    )


def traced_peak(fn: Callable[[], object]) -> int:
    tracemalloc.start()
    held = fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    del held
    return peak


class BisectPeer:
    """The peer: the same disjoint ranges as Python int lists, one bisect per address."""

    def __init__(self, index: IpIntervalIndex) -> None:
        v4, v6 = index._v4, index._v6  # the flattened ranges our index holds
        self.starts4, self.ends4 = v4.starts.tolist(), v4.ends.tolist()
        self.rows4 = v4.rows.tolist()
        as_ints = [
            (
                int.from_bytes(bytes(s).ljust(16, b"\0")),
                int.from_bytes(bytes(e).ljust(16, b"\0")),
            )
            for s, e in zip(v6.starts, v6.ends, strict=True)
        ]
        self.starts6 = [s for s, _ in as_ints]
        self.ends6 = [e for _, e in as_ints]
        self.rows6 = v6.rows.tolist()
        self.values = index.values

    def lookup_many(self, ips: list[str]) -> list[tuple[str, ...] | None]:
        out: list[tuple[str, ...] | None] = []
        pton, right = socket.inet_pton, bisect.bisect_right
        for ip in ips:
            if ":" in ip:
                n = int.from_bytes(pton(socket.AF_INET6, ip))
                starts, ends, rows = self.starts6, self.ends6, self.rows6
            else:
                n = int.from_bytes(pton(socket.AF_INET, ip))
                starts, ends, rows = self.starts4, self.ends4, self.rows4
            i = right(starts, n) - 1
            out.append(self.values[rows[i]] if i >= 0 and n <= ends[i] else None)
        return out


def random_ips(n4: int, n6: int, index: IpIntervalIndex, seed: int = 7) -> tuple[list, list]:
    rng = np.random.default_rng(seed)
    v4 = [socket.inet_ntoa(int(x).to_bytes(4)) for x in rng.integers(0, 2**32, n4)]
    # IPv6 at random inside random ranges of the data (uniform over 2^128 would all miss)
    v6 = []
    starts, ends = index._v6.starts, index._v6.ends
    for k in rng.integers(0, len(starts), n6):
        lo = int.from_bytes(bytes(starts[k]).ljust(16, b"\0"))
        hi = int.from_bytes(bytes(ends[k]).ljust(16, b"\0"))
        n = lo + int(rng.integers(0, 2**62)) % (hi - lo + 1)
        v6.append(socket.inet_ntop(socket.AF_INET6, n.to_bytes(16)))
    return v4, v6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=1_000_000, help="random IPv4 addresses")
    parser.add_argument("--v6", type=int, default=100_000, help="IPv6 addresses")
    args = parser.parse_args()

    folder = find_data_dir()
    version = json.loads((folder / "asn" / "package.json").read_text())["version"]
    print(f"data: {folder} (@ip-location-db/asn {version})")
    print(
        f"machine: {platform.processor() or platform.machine()}, Python {platform.python_version()}"
    )

    indexes = {}
    for name, files, columns in (
        ("asn", ASN_FILES, ("asn", "as_org")),
        ("country", COUNTRY_FILES, ("country",)),
    ):
        paths = [folder / f for f in files]
        lines = sum(p.read_bytes().count(b"\n") for p in paths)
        parse = partial(IpIntervalIndex.from_csv, paths, columns=columns, cache=False)
        cached = partial(IpIntervalIndex.from_csv, paths, columns=columns)
        index, cold = best(parse, repeat=2)
        cached()  # make sure the cache exists
        _, warm = best(cached)
        cache_file = next(folder.glob(f"{files[0].split('/')[0]}/.*.hakusan-*.npz"))
        peak_cold = traced_peak(parse)
        peer_bytes = traced_peak(partial(BisectPeer, index))
        indexes[name] = index
        print(
            f"{name}: {lines:,} CSV lines -> {len(index):,} disjoint ranges, "
            f"{len(index.values):,} distinct values; cold load {cold:.2f} s, "
            f"cached load {warm:.3f} s (.npz {cache_file.stat().st_size / 1e6:.1f} MB); "
            f"held {index.nbytes / 1e6:.1f} MB (arrays {(index._v4.nbytes + index._v6.nbytes) / 1e6:.1f} MB), "
            f"peak while parsing {peak_cold / 1e6:.0f} MB; peer's int lists {peer_bytes / 1e6:.1f} MB"
        )

    asn = indexes["asn"]
    v4, v6 = random_ips(args.n, args.v6, asn)
    peer = BisectPeer(asn)
    print()
    print(
        "| lookups (asn index) | n | hakusan /s | bisect on Python ints /s | ours/peer | hit rate |"
    )
    print("|---|---|---|---|---|---|")
    for label, ips in (("random IPv4", v4), ("IPv6 in ranges", v6), ("mixed", v4[: len(v6)] + v6)):
        ours, t_ours, theirs, t_peer = duel(
            partial(asn.lookup_many, ips), partial(peer.lookup_many, ips)
        )
        assert ours == theirs, "the peer disagrees"
        hits = sum(r is not None for r in ours) / len(ips)
        print(
            f"| {label} | {len(ips):,} | {len(ips) / t_ours:,.0f} | {len(ips) / t_peer:,.0f} "
            f"| {t_peer / t_ours:.1f}x | {hits:.0%} |"
        )

    keys6 = pack_ips(v6).v6_keys  # IPv6 design choice: search on the high 64 bits first
    _, t_halves = best(partial(asn._v6.find, keys6))
    _, t_s16 = best(partial(np.searchsorted, asn._v6.starts, keys6, side="right"))
    print()
    print(
        f"IPv6 search alone, {len(keys6):,} keys: high 64-bit half then 16-byte ties "
        f"{len(keys6) / t_halves:,.0f}/s; 16-byte keys (S16) only {len(keys6) / t_s16:,.0f}/s"
    )

    enricher = OfflineAsnEnricher(folder)
    enricher.load()
    items = [("ipv4", ip) for ip in v4[: args.n // 4]] + [("ipv6", ip) for ip in v6]
    facts, t_enrich = best(lambda: enricher.enrich_many(items), repeat=2)
    n_facts = sum(map(len, facts))
    print()
    print(
        f"OfflineAsnEnricher.enrich_many: {len(items):,} IPs in {t_enrich:.2f} s = "
        f"{len(items) / t_enrich:,.0f} IPs/s ({n_facts:,} facts: asn, as_org, country)"
    )
    _, t_one = best(lambda: [enricher.enrich("ipv4", ip) for ip in v4[:20000]], repeat=2)
    print(f"OfflineAsnEnricher.enrich one at a time: {20000 / t_one:,.0f} IPs/s")


if __name__ == "__main__":
    main()
