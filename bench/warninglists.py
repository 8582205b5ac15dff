"""Warninglist matching throughput: our WarninglistIndex beside pymispwarninglists itself.

    .venv/bin/python bench/warninglists.py [--n 1000000] [--peer-n 20000] [--slow-n 100]

1. Loads the lists shipped in pymispwarninglists and builds our index: wall and CPU time,
   resident memory before/after (``/proc/self/statm``).
2. Generates a realistic mix of N canonical observables (seeded): IPv4 from public
   resolvers, private ranges, cloud ranges and random public space; IPv6; domains (top
   sites, their subdomains, random subdomains of example.jp, fresh random names); URLs on
   those hosts and on IPs; e-mail addresses (some disposable, some role accounts); md5, sha1
   and sha256 (mostly random, some benign/empty-file hashes from the lists).
3. Matches all N with ``match_many``: values/s, hit rate, and values/s per type.
4. The peer, measured in the same run: ``WarningLists(slow_search=False).search(value)``
   (exact membership in every list, whatever the type) on a sample of --peer-n values,
   and ``slow_search=True`` (CIDR, hostname, substring semantics; linear scans) on
   --slow-n values. Agreement: per value, is the set of lists the same as ours?
"""

import argparse
import gc
import os
import random
import resource
import sys
import time
from collections import Counter
from collections.abc import Callable
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from hakusan.domain.warninglists import (  # noqa: E402
    Warninglist,
    WarninglistIndex,
    load_packaged_lists,
)

console = Console(width=None if sys.stdout.isatty() else 132)
Item = tuple[str, str]


def rss_mb() -> float:
    """Current resident set size (Linux), else the peak."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# -- the mix ---------------------------------------------------------------------------------

WORDS = [
    *("shop", "mail", "login", "secure", "account", "pay", "bank", "support", "cloud"),
    *("news", "info", "portal", "app", "web", "store", "kyoto", "osaka", "tokyo"),
    *("kanazawa", "hakusan", "sakura", "fuji", "yama", "kawa", "umi", "hana", "tori"),
]
TLDS = ["com", "net", "org", "jp", "co.jp", "ne.jp", "xyz", "top", "info", "shop", "online"]
FREEMAIL = ["gmail.com", "yahoo.co.jp", "docomo.ne.jp", "ezweb.ne.jp", "icloud.com", "outlook.jp"]


class Mix:
    """Seeded generator of canonical (type, value) pairs drawn partly from the real lists."""

    def __init__(self, lists: list[tuple[Warninglist, list[str]]], seed: int = 20261126) -> None:
        self.rng = random.Random(seed)
        by_slug = {meta.slug: entries for meta, entries in lists}
        self.resolvers_v4 = [e for e in by_slug["public-dns-v4"] if "/" not in e and ":" not in e]
        self.resolvers_v6 = [e for e in by_slug["public-dns-v6"] if "/" not in e]
        self.cloud: list[IPv4Network] = []
        for slug in ("amazon-aws", "microsoft-azure", "google-gcp", "cloudflare", "akamai"):
            for entry in by_slug[slug]:
                net = ip_network(entry, strict=False)
                if isinstance(net, IPv4Network):
                    self.cloud.append(net)
        self.top = [e.lstrip(".").lower() for e in by_slug["tranco"][:100_000]]
        self.benign = [
            e.lower()
            for slug in ("nioc-filehash", "empty-hashes", "ti-falsepositives")
            for e in by_slug[slug]
            if len(e) in (32, 40, 64)
        ]
        self.disposable = [e for e in by_slug["disposable-email"] if "." in e]

    def label(self, k: int = 8) -> str:
        return "".join(self.rng.choices("abcdefghijklmnopqrstuvwxyz0123456789", k=k))

    def ipv4(self) -> str:
        r = self.rng.random()
        rng = self.rng
        if r < 0.10:
            return rng.choice(self.resolvers_v4)
        if r < 0.33:
            base, size = rng.choice(
                ((10 << 24, 1 << 24), (0xAC10 << 16, 1 << 20), (0xC0A8 << 16, 1 << 16))
            )
            n = base + rng.randrange(size)
        elif r < 0.50:
            net = rng.choice(self.cloud)
            n = int(net.network_address) + rng.randrange(net.num_addresses)
        else:
            n = rng.randrange(1 << 24, 224 << 24)
        return f"{n >> 24}.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"

    def ipv6(self) -> str:
        if self.rng.random() < 0.2:
            return str(ip_network(self.rng.choice(self.resolvers_v6)).network_address)
        n = (0x2400 << 112) + self.rng.getrandbits(120)
        return str(IPv6Network((n, 128)).network_address)

    def domain(self) -> str:
        r = self.rng.random()
        rng = self.rng
        if r < 0.30:
            return rng.choice(self.top)
        if r < 0.50:
            return (
                f"{rng.choice(['www', 'mail', 'cdn', 'api', self.label(6)])}.{rng.choice(self.top)}"
            )
        if r < 0.75:
            return f"{self.label(rng.randint(4, 12))}.example.jp"
        return f"{rng.choice(WORDS)}-{self.label(5)}.{rng.choice(TLDS)}"

    def url(self) -> str:
        rng = self.rng
        host = self.ipv4() if rng.random() < 0.1 else self.domain()
        path = "/".join(self.label(rng.randint(3, 9)) for _ in range(rng.randint(0, 3)))
        query = f"?id={self.label(6)}" if rng.random() < 0.3 else ""
        return f"{rng.choice(['http', 'https'])}://{host}/{path}{query}"

    def email(self) -> str:
        rng = self.rng
        r = rng.random()
        if r < 0.10:
            domain = rng.choice(self.disposable)
        elif r < 0.60:
            domain = rng.choice(FREEMAIL)
        else:
            domain = self.domain()
        local = (
            rng.choice(["abuse", "security", "info"])
            if r > 0.97
            else self.label(rng.randint(4, 12))
        )
        return f"{local}@{domain}"

    def digest(self, kind: str) -> str:
        size = {"md5": 32, "sha1": 40, "sha256": 64}[kind]
        if self.rng.random() < 0.10:
            picks = [h for h in (self.rng.choice(self.benign) for _ in range(8)) if len(h) == size]
            if picks:
                return picks[0]
        return f"{self.rng.getrandbits(size * 4):0{size}x}"

    def items(self, n: int) -> list[Item]:
        weights: list[tuple[str, float, Callable[[], str]]] = [
            ("ipv4", 0.30, self.ipv4),
            ("ipv6", 0.05, self.ipv6),
            ("domain", 0.25, self.domain),
            ("url", 0.20, self.url),
            ("email", 0.05, self.email),
            ("md5", 0.05, lambda: self.digest("md5")),
            ("sha1", 0.03, lambda: self.digest("sha1")),
            ("sha256", 0.07, lambda: self.digest("sha256")),
        ]
        kinds = self.rng.choices([w[0] for w in weights], [w[1] for w in weights], k=n)
        makers = {name: make for name, _, make in weights}
        return [(kind, makers[kind]()) for kind in kinds]


# -- measurements ----------------------------------------------------------------------------


def machine_reference() -> tuple[float, float]:
    """CPU seconds for 10 M Python additions, and ns per dict.get on a 1 M-key dict."""
    started = time.process_time()
    total = 0
    for i in range(10_000_000):
        total += i
    loop = time.process_time() - started
    table = {str(i): i for i in range(1_000_000)}
    keys = [str(i * 7 % 1_000_000) for i in range(300_000)]
    get = table.get
    started = time.process_time()
    for key in keys:
        get(key)
    return loop, (time.process_time() - started) / len(keys) * 1e9


def build_ours() -> tuple[WarninglistIndex, list[tuple[Warninglist, list[str]]], dict[str, float]]:
    gc.collect()
    before = rss_mb()
    wall, cpu = time.perf_counter(), time.process_time()
    lists = load_packaged_lists()
    load_wall, load_cpu = time.perf_counter() - wall, time.process_time() - cpu
    after_load = rss_mb()
    wall, cpu = time.perf_counter(), time.process_time()
    index = WarninglistIndex.build(lists)
    build_wall, build_cpu = time.perf_counter() - wall, time.process_time() - cpu
    gc.collect()
    figures = {
        "load_wall": load_wall,
        "load_cpu": load_cpu,
        "build_wall": build_wall,
        "build_cpu": build_cpu,
        "rss_lists": after_load - before,
        "rss_index": rss_mb() - after_load,
    }
    return index, lists, figures


def timed(run: Callable[[], Any]) -> tuple[float, float, Any]:
    wall, cpu = time.perf_counter(), time.process_time()
    result = run()
    return time.perf_counter() - wall, time.process_time() - cpu, result


def peer_search(peer: Any, items: list[Item]) -> list[frozenset[str]]:
    search = peer.search
    return [frozenset(wl.name for wl in search(value)) for _, value in items]


def agreement(
    index: WarninglistIndex, items: list[Item], peer_names: list[frozenset[str]]
) -> tuple[int, int, Counter[tuple[str, str, str]]]:
    """Values whose list sets agree: as the peer reports them, and keeping only the peer's
    hits on lists that apply to the value's type; Counter of (who, type, list) differences."""
    slug_of = {meta.name: meta.slug for meta in index.lists}
    types_of = {meta.slug: meta.observable_types for meta in index.lists}
    same = same_typed = 0
    diff: Counter[tuple[str, str, str]] = Counter()
    for (kind, value), names in zip(items, peer_names, strict=True):
        ours = {hit.slug for hit in index.match(kind, value)}
        theirs = {slug_of.get(name, name) for name in names}
        typed = {slug for slug in theirs if kind in types_of.get(slug, ())}
        same += ours == theirs
        same_typed += ours == typed
        for slug in ours - theirs:
            diff["ours only", kind, slug] += 1
        for slug in theirs - ours:
            who = "peer only" if slug in typed else "peer only, not this type"
            diff[who, kind, slug] += 1
    return same, same_typed, diff


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="values to match (ours)")
    parser.add_argument("--peer-n", type=int, default=20_000, help="sample for the peer")
    parser.add_argument("--slow-n", type=int, default=100, help="sample for slow_search=True")
    parser.add_argument("--seed", type=int, default=20261126)
    args = parser.parse_args()

    loop, get_ns = machine_reference()
    console.print(
        f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average "
        f"{os.getloadavg()[0]:.1f}; reference: 10 M additions {loop:.2f} s CPU, "
        f"dict.get on 1 M keys {get_ns:.0f} ns"
    )
    index, lists, built = build_ours()
    table = Table(title="Build (pymispwarninglists 1.7.0 data)")
    for col in ("step", "wall s", "CPU s", "RSS MB"):
        table.add_column(col, justify="left" if col == "step" else "right")
    for step, key, rss in (
        ("load JSON", "load", "rss_lists"),
        ("build index", "build", "rss_index"),
    ):
        table.add_row(
            step,
            f"{built[key + '_wall']:.2f}",
            f"{built[key + '_cpu']:.2f}",
            f"{built[rss]:.0f}",
        )
    console.print(table)
    console.print(
        f"{len(index.lists)} lists, {index.entries:,} entries, version {index.version}, "
        f"skipped entries: {dict(index.invalid)}"
    )

    mix = Mix(lists, args.seed)
    items = mix.items(args.n)
    counts = Counter(kind for kind, _ in items)
    del lists
    gc.collect()

    # compile the lazily built substring expression outside the timing
    index.match_many([("email", "warm@example.jp"), ("domain", "warm.example.jp")])
    wall, cpu, results = timed(lambda: index.match_many(items))
    flagged = sum(1 for hits in results if hits)
    del results
    gc.collect()
    # again, as a long-running process would: Hit caches warm, memory already allocated
    wall2, cpu2, _ = timed(lambda: index.match_many(items))
    gc.collect()
    table = Table(title=f"Ours: WarninglistIndex.match_many, {args.n:,} values")
    for col in ("type", "values", "flagged", "hits/value", "values/s (CPU)"):
        table.add_column(col, justify="left" if col == "type" else "right")
    for kind in sorted(counts, key=lambda k: -counts[k]):
        group = [item for item in items if item[0] == kind]
        _, kind_cpu, kind_hits = timed(lambda group=group: index.match_many(group))
        share = sum(1 for hits in kind_hits if hits) / len(group)
        per_value = sum(len(hits) for hits in kind_hits) / len(group)
        table.add_row(
            kind,
            f"{len(group):,}",
            f"{share:.1%}",
            f"{per_value:.2f}",
            f"{len(group) / kind_cpu:,.0f}",
        )
    table.add_row(
        "[b]all, mixed: first call[/b]",
        f"{len(items):,}",
        f"{flagged / len(items):.1%}",
        "",
        f"[b]{len(items) / cpu:,.0f}[/b]",
    )
    table.add_row("[b]all, mixed: second call[/b]", "", "", "", f"{len(items) / cpu2:,.0f}")
    console.print(table)
    ours_rate = len(items) / cpu
    console.print(
        f"all {len(items):,} in one call: {cpu:.2f} s CPU, {wall:.2f} s wall; "
        f"second call {cpu2:.2f} s CPU, {wall2:.2f} s wall"
    )

    # -- the peer ----------------------------------------------------------------------------
    from pymispwarninglists import WarningLists

    rows: list[tuple[str, ...]] = []
    for slow, sample_n in ((False, args.peer_n), (True, args.slow_n)):
        if sample_n <= 0:
            continue
        sample = random.Random(args.seed + 1).sample(items, min(sample_n, len(items)))
        gc.collect()
        before = rss_mb()
        build_wall, _, peer = timed(lambda slow=slow: WarningLists(slow_search=slow))
        peer_rss = rss_mb() - before
        _, peer_cpu, names = timed(lambda peer=peer, sample=sample: peer_search(peer, sample))
        _, ours_cpu, _ = timed(lambda sample=sample: index.match_many(sample))
        peer_rate = len(sample) / peer_cpu
        same, same_typed, diff = agreement(index, sample, names)
        label = f"WarningLists(slow_search={slow})"
        rows.append(
            (
                label,
                f"{len(sample):,}",
                f"{build_wall:.1f} s / {peer_rss:.0f} MB",
                f"{peer_rate:,.0f}" if peer_rate >= 100 else f"{peer_rate:.1f}",
                f"{len(sample) / ours_cpu / peer_rate:,.0f}x",
                f"{same / len(sample):.1%}",
                f"{same_typed / len(sample):.1%}",
            )
        )
        detail = Table(title=f"Differences from {label} on {len(sample):,} values (top 20)")
        for col in ("who", "type", "list", "values"):
            detail.add_column(col, justify="right" if col == "values" else "left")
        for (who, kind, slug), count in diff.most_common(20):
            detail.add_row(who, kind, slug, f"{count:,}")
        console.print(detail)
        del peer
        gc.collect()

    table = Table(title="Peer, same run")
    columns = (
        "matcher",
        "values",
        "build / RSS",
        "values/s (CPU)",
        "ours/peer",
        "same lists",
        "same, typed",
    )
    for col in columns:
        table.add_column(col, justify="left" if col == "matcher" else "right")
    table.add_row(
        "[b]hakusan WarninglistIndex[/b]",
        f"{len(items):,}",
        f"{built['load_wall'] + built['build_wall']:.1f} s / "
        f"{built['rss_lists'] + built['rss_index']:.0f} MB",
        f"[b]{ours_rate:,.0f}[/b]",
        "1.0x",
        "-",
        "-",
    )
    for row in rows:
        table.add_row(*row)
    console.print(table)


if __name__ == "__main__":
    main()
