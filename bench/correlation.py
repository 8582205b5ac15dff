"""Correlation store benchmark: bulk ingest, lookups and storage at N sightings, on SQLite and
PostgreSQL, beside PostgreSQL ``COPY`` of the same rows into the same indexed tables.

    .venv/bin/python bench/correlation.py [--n 1000000] [--db both|sqlite|postgresql]
                                          [--lookups 2000] [--batch 50000] [--json FILE]

The target run is ``--n 10000000`` (10 M sightings); the default is 1 M.

1. Generates N sightings (seeded) as a CSV file, the raw input (``type,value,case,seen_at``):
   a mix of types (url 30 %, domain 20 %, ipv4 20 %, email 10 %, sha256 8 %, md5 5 %, phone
   4 %, ipv6 3 %) with realistic repetition: 20 hot values (warninglisted ones among them)
   take 2 % of the sightings (thousands each), N/50 warm values 18 % (about 9 each), and the
   other 80 % are values seen once; URLs, hosts and e-mail domains share N/50 registrable
   domains (so derived links repeat); sightings are spread over N/100 cases.
2. For each database, in a fresh worker process with a fresh database: ingests the raw file
   through ``hakusan.indicators.ingest.ingest`` (the store's one write path: set-based
   batches, warninglist flags, derived links, offline IP enrichment), streaming. Measures
   rows/s, the split between Python preparation and SQL, CPU seconds (this process, both
   threads, and the PostgreSQL writer backend's, from /proc when the server is local: the
   work done, which a shared machine's load inflates less than wall time), peak RSS
   (``getrusage``) and the RSS growth during ingest (the warninglist index is loaded
   before, and counted apart).
3. PostgreSQL only, the floor: the rows the ingest left in the store's four tables
   (observables with their flags, sightings, derived links, enrichment facts) dumped by
   binary ``COPY … TO`` and ``COPY``-ed back into ``LIKE … INCLUDING ALL`` copies (same
   indexes and constraints), timed the same way (wall and CPU, client and backend). Ours as
   a fraction of it; also of the observables and sightings alone (the earlier passes' floor).
4. Lookups (before the floor, whose copies would evict the store from the caches):
   ``selectors.lookup(None, value)`` (the full operator view, every query the CLI
   and API run) on a uniform sample of the distinct observables, and apart on the hot
   values: p50/p99 in ms. Also EXPLAIN of the two key queries (the (type, value) unique
   index; the (observable, source_kind, source_id) index).
5. Storage: tables and indexes (``pg_total_relation_size``; SQLite ``dbstat``) over the raw
   input file size.

Prints a rich table; ``--json`` saves the figures.
"""

from __future__ import annotations

import argparse
import csv
import ipaddress
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

console = Console()
PG_ADMIN_URL = os.environ.get("HAKUSAN_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
PG_DB = os.environ.get("HAKUSAN_BENCH_PG_DB", "hakusan_bench")  # a free name: runs may overlap
STORE_TABLES = (
    "indicators_observable",
    "indicators_sighting",
    "indicators_observablelink",
    "indicators_enrichment",
)
HOT = 20
HOT_VALUES = [
    ("ipv4", "8.8.8.8"),
    ("domain", "google.com"),
    ("ipv4", "192.168.0.1"),
    ("url", "http://192.168.0.1/"),
    ("domain", "docomo.ne.jp"),
]
WORDS = [
    *("shop", "mail", "login", "secure", "account", "pay", "bank", "support", "cloud", "news"),
    *("info", "portal", "app", "web", "store", "kyoto", "osaka", "tokyo", "kanazawa", "fuji"),
    *("sakura", "yama", "kawa", "umi", "hana", "tori", "neko", "inu", "card", "delivery"),
    *("track", "post", "verify", "update", "hakusan"),
]
TLDS = ["com", "net", "jp", "co.jp", "ne.jp", "xyz", "top", "info", "shop", "online"]
# uuid,event_id,category,type,value,comment,to_ids,date,object_relation,attribute_tag,…
MISP_HEADER = (
    "uuid,event_id,category,type,value,comment,to_ids,date,object_relation,attribute_tag,"
    "object_uuid,object_name,object_meta_category\n"
)
MISP_TYPE = {
    "url": "url",
    "domain": "domain",
    "ipv4": "ip-dst",
    "ipv6": "ip-dst",
    "email": "email-src",
    "sha256": "sha256",
    "md5": "md5",
    "phone": "phone-number",
}
TYPE_MIX = [
    ("url", 30),
    ("domain", 20),
    ("ipv4", 20),
    ("email", 10),
    ("sha256", 8),
    ("md5", 5),
    ("phone", 4),
    ("ipv6", 3),
]


# -- generation ----------------------------------------------------------------------------


class Mix:
    """Seeded canonical values, drawn by type; ``serial`` makes each draw a distinct value."""

    def __init__(self, n: int, seed: int) -> None:
        self.rng = random.Random(seed)
        rng = self.rng
        self.registrable = [
            f"{rng.choice(WORDS)}-{i:x}.{rng.choice(TLDS)}" for i in range(max(1000, n // 50))
        ]
        self.types = [t for t, w in TYPE_MIX for _ in range(w)]
        self.serial = 0

    def value(self, kind: str) -> str:
        rng = self.rng
        self.serial += 1
        serial = self.serial
        if kind == "url":
            host = f"{rng.choice(WORDS)}-{rng.randrange(10**4)}.{rng.choice(self.registrable)}"
            return f"https://{host}/{rng.choice(WORDS)}/{serial:x}{rng.getrandbits(24):06x}"
        if kind == "domain":
            return f"{rng.choice(WORDS)}-{serial:x}.{rng.choice(self.registrable)}"
        if kind == "ipv4":  # 16.0.0.0 + a bijection of [0, 2**31): distinct, spread out
            address = 0x10000000 + (serial * 2654435761) % (1 << 31)
            return str(ipaddress.IPv4Address(address))
        if kind == "email":
            return f"{rng.choice(WORDS)}.{serial:x}@{rng.choice(self.registrable)}"
        if kind == "sha256":
            return f"{rng.getrandbits(256):064x}"
        if kind == "md5":
            return f"{rng.getrandbits(128):032x}"
        if kind == "phone":
            return f"+8190{1 + serial % 9}{(serial // 9) % 10**7:07d}"
        address6 = ipaddress.IPv6Address((0x2400 << 112) | rng.getrandbits(96))
        return address6.compressed  # ipv6

    def any(self) -> tuple[str, str]:
        kind = self.rng.choice(self.types)
        return kind, self.value(kind)


def generate(n: int, directory: Path, seed: int = 20261126, samples: int = 2000) -> dict[str, Any]:
    """Write input.csv (the raw input); return counts and the lookup samples."""
    mix = Mix(n, seed)
    rng = mix.rng
    cases = max(1, n // 100)
    hot = list(HOT_VALUES) + [mix.any() for _ in range(HOT - len(HOT_VALUES))]
    warm = [mix.any() for _ in range(max(1, n // 50))]
    end = datetime(2026, 11, 26, tzinfo=UTC)
    span = 365 * 86400
    repeated: set[int] = set()  # hot and warm observables sighted
    pairs: set[tuple[int, int]] = set()  # hot and warm (observable, case) already written
    next_id = HOT + len(warm) + 1
    reservoir: list[tuple[str, str]] = []
    misp_bytes = 0  # the same rows as MISP's attribute CSV export would write them
    misp_fixed = 36 + 16 + 1 + 8 + 12 + 1  # uuid, category, to_ids, date, commas, newline
    distinct = 0
    folded_sightings = 0
    started = time.perf_counter()
    with (directory / "input.csv").open("w", newline="") as raw:
        w_raw = csv.writer(raw)
        for _ in range(n):
            r = rng.random()
            if r < 0.02:
                k = rng.randrange(HOT)
                oid, (kind, value) = k + 1, hot[k]
            elif r < 0.20:
                k = rng.randrange(len(warm))
                oid, (kind, value) = HOT + k + 1, warm[k]
            else:
                oid, next_id = next_id, next_id + 1
                kind, value = mix.any()
            case = rng.randrange(1, cases + 1)
            seen = end - timedelta(seconds=rng.randrange(span))
            w_raw.writerow((kind, value, case, seen.isoformat()))
            misp_bytes += misp_fixed + len(str(case)) + len(MISP_TYPE[kind]) + len(value)
            if oid > HOT + len(warm):  # seen once: its rows are final now
                distinct += 1
                if len(reservoir) < samples:
                    reservoir.append((kind, value))
                elif (j := rng.randrange(distinct)) < samples:
                    reservoir[j] = (kind, value)
            else:
                repeated.add(oid)
                if (oid, case) in pairs:
                    continue
                pairs.add((oid, case))
            folded_sightings += 1
    distinct += len(repeated)
    warm_sample = rng.sample(warm, min(len(warm), samples // 20))
    # Uniform over distinct values: warm ones in their share of the distinct values.
    share = len(repeated) / max(1, distinct)
    uniform = reservoir[: int(samples * (1 - share))] + warm_sample[: int(samples * share) + 1]
    return {
        "n": n,
        "cases": cases,
        "distinct": distinct,
        "folded_sightings": folded_sightings,
        "raw_bytes": (directory / "input.csv").stat().st_size,
        "misp_bytes": misp_bytes + len(MISP_HEADER),
        "generate_s": time.perf_counter() - started,
        "sample": uniform,
        "hot": hot,
    }


# -- workers -------------------------------------------------------------------------------


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def cpu_s() -> float:
    """CPU seconds of this process (all threads), user + system."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def backend_cpu_s(pid: int | None) -> float:
    """CPU seconds of a PostgreSQL backend on this machine (0 when it cannot be read)."""
    if not pid:
        return 0.0
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def backend_pid() -> int | None:
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    connection.ensure_connection()
    return int(connection.connection.info.backend_pid)


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def setup_django(db: str, directory: Path) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = os.environ.get(
        "HAKUSAN_BENCH_SETTINGS", "hakusan.settings.embedded"
    )
    os.environ["HAKUSAN_DATA_DIR"] = str(directory / f"data-{db}")
    if db == "postgresql":
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {PG_DB}")
            admin.execute(f"CREATE DATABASE {PG_DB}")
        os.environ["HAKUSAN_DATABASE_URL"] = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + PG_DB
    else:
        os.environ.pop("HAKUSAN_DATABASE_URL", None)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def read_input(path: Path) -> Iterator[Any]:
    from hakusan.indicators.ingest import SightingInput

    parse = datetime.fromisoformat
    with path.open(newline="") as f:
        for kind, value, case, seen in csv.reader(f):
            yield SightingInput("case", int(case), kind, value, value, parse(seen), "amber")


def ingest_run(path: Path, batch: int) -> dict[str, Any]:
    from hakusan.indicators import ingest

    spent = {"prepare": 0.0, "write": 0.0}
    prepare, write = ingest.prepare, ingest.write

    def timed_prepare(*a: Any, **k: Any) -> Any:
        t = time.perf_counter()
        try:
            return prepare(*a, **k)
        finally:
            spent["prepare"] += time.perf_counter() - t

    backend: dict[int | None, float] = {}  # the writer's backend: its CPU after each batch

    def timed_write(*a: Any, **k: Any) -> Any:
        t = time.perf_counter()
        try:
            return write(*a, **k)
        finally:
            spent["write"] += time.perf_counter() - t
            pid = backend_pid()
            if pid:
                backend[pid] = backend_cpu_s(pid)

    ingest.prepare, ingest.write = timed_prepare, timed_write
    rss: list[float] = []
    ingest.annotator().index  # the warninglist index, loaded before the clock starts  # noqa: B018
    for enricher in ingest.annotator().enrichers():
        enricher.load()  # and the IP data
    before = rss_mb()
    cpu_before = cpu_s()
    started = time.perf_counter()
    # As the import job runs it: batches written on a second thread while the next is prepared.
    stats = ingest.ingest(
        read_input(path),
        batch_size=batch,
        progress=lambda _s: rss.append(rss_mb()),
        pipeline=True,
    )
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        # CPU seconds, ours (both threads) and the database backend's (PostgreSQL): the
        # work done, whatever else the machine runs meanwhile
        "cpu_s": cpu_s() - cpu_before,
        "backend_cpu_s": sum(backend.values()),
        "stats": stats.as_dict(),
        "prepare_s": spent["prepare"],
        "write_s": spent["write"],
        "rss_before_mb": before,
        "rss_max_mb": max(rss, default=before),
        "rss_first_batch_mb": rss[0] if rss else before,
        "rss_by_batch_mb": [round(x) for x in rss],
        "peak_rss_mb": peak_mb(),
    }


def floor_run(directory: Path) -> dict[str, Any]:
    """The floor (PostgreSQL): the rows the ingest left in the store's four tables, dumped
    to files (binary ``COPY … TO``) and ``COPY``-ed back from them into ``LIKE … INCLUDING
    ALL`` copies (same columns, indexes and constraints), in the store's own row order, timed
    per table (wall, and CPU of this process and the backend). The same rows in the same
    indexed tables, without working out what they are."""
    from django.db import connection

    dumps = {}
    with connection.cursor() as c:
        for table in STORE_TABLES:
            dumps[table] = directory / f"floor_{table}.bin"
            with (
                dumps[table].open("wb") as f,
                c.copy(f"COPY {table} TO STDOUT (FORMAT binary)") as copy,
            ):
                for block in copy:
                    f.write(block)
            c.execute(f"DROP TABLE IF EXISTS floor_{table}")
            c.execute(f"CREATE TABLE floor_{table} (LIKE {table} INCLUDING ALL)")
    pid = backend_pid()
    tables: dict[str, dict[str, float]] = {}
    for table, path in dumps.items():
        backend_before = backend_cpu_s(pid)
        cpu_before = cpu_s()
        started = time.perf_counter()
        with (
            connection.cursor() as c,
            path.open("rb") as f,
            c.copy(f"COPY floor_{table} FROM STDIN (FORMAT binary)") as copy,
        ):
            while block := f.read(1 << 20):
                copy.write(block)
        tables[table] = {
            "seconds": time.perf_counter() - started,
            "cpu_s": cpu_s() - cpu_before + backend_cpu_s(pid) - backend_before,
        }
    with connection.cursor() as c:
        for table in STORE_TABLES:
            c.execute("SELECT pg_total_relation_size(%s)", [f"floor_{table}"])
            tables[table]["bytes"] = c.fetchone()[0]
            c.execute(f"DROP TABLE floor_{table}")
            dumps[table].unlink()
    narrow = STORE_TABLES[:2]  # observables and sightings: the floor of the earlier passes

    def total(key: str, names: tuple[str, ...] = STORE_TABLES) -> float:
        return sum(tables[t][key] for t in names)

    return {
        "seconds": total("seconds"),
        "cpu_s": total("cpu_s"),
        "bytes": int(total("bytes")),
        "narrow_seconds": total("seconds", narrow),
        "narrow_cpu_s": total("cpu_s", narrow),
        "narrow_bytes": int(total("bytes", narrow)),
        "tables": tables,
    }


def storage(db: str) -> dict[str, int]:
    from django.db import connection

    sizes: dict[str, int] = {}
    with connection.cursor() as c:
        if db == "postgresql":
            c.execute("VACUUM ANALYZE")
            for table in STORE_TABLES:
                c.execute("SELECT pg_total_relation_size(%s)", [table])
                sizes[table] = c.fetchone()[0]
        else:
            c.execute("ANALYZE")
            try:
                c.execute(
                    "SELECT m.tbl_name, sum(d.pgsize) FROM dbstat d"
                    " JOIN sqlite_master m ON m.name = d.name GROUP BY m.tbl_name"
                )
                found = dict(c.fetchall())
                sizes = {t: int(found.get(t, 0)) for t in STORE_TABLES}
            except Exception:  # dbstat not compiled in: the whole file
                sizes = {"file": Path(connection.settings_dict["NAME"]).stat().st_size}
    return sizes


def explain(db: str, kind: str, value: str) -> list[str]:
    from django.db import connection

    from hakusan.indicators.models import Observable, Sighting

    obs = Observable.objects.get(type=kind, value=value)
    queries = [
        Observable.objects.filter(type=kind, value=value),
        Sighting.objects.filter(observable=obs).values("source_kind").order_by(),
    ]
    plans = []
    for qs in queries:
        sql, params = qs.query.sql_with_params()
        prefix = "EXPLAIN " if db == "postgresql" else "EXPLAIN QUERY PLAN "
        with connection.cursor() as c:
            c.execute(prefix + sql, params)
            plans.append(" | ".join(str(r[-1]) for r in c.fetchall()))
    return plans


def lookups(values: list[list[str]], repeat: int = 1) -> dict[str, float]:
    from hakusan.indicators.selectors import lookup

    times = []
    found = 0
    for _ in range(repeat):
        for _kind, value in values:
            start = time.perf_counter()
            result = lookup(None, value)
            times.append((time.perf_counter() - start) * 1000)
            found += result["found"]
    times.sort()
    return {
        "count": len(times),
        "found": found,
        "p50_ms": times[len(times) // 2],
        "p99_ms": times[min(len(times) - 1, int(len(times) * 0.99))],
        "max_ms": times[-1],
    }


def worker(db: str, directory: Path, batch: int) -> dict[str, Any]:
    meta = json.loads((directory / "meta.json").read_text())
    setup_django(db, directory)
    result: dict[str, Any] = {"db": db}
    result["ingest"] = ingest_run(directory / "input.csv", batch)
    result["storage"] = storage(db)
    # Lookups before the floor: its dumps and copies (the store's size twice over) would
    # evict the store's pages from the caches, as a deployment never does.
    lookups(meta["sample"][:100])  # warm the caches and the connection
    result["lookup"] = lookups(meta["sample"])
    result["lookup_hot"] = lookups(meta["hot"], repeat=5)
    result["explain"] = explain(db, *meta["sample"][0])
    if db == "postgresql":
        result["floor"] = floor_run(directory)
    return result


# -- the run -------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="sightings (target: 10000000)")
    parser.add_argument("--db", choices=["both", "sqlite", "postgresql"], default="both")
    parser.add_argument("--batch", type=int, default=50_000)
    parser.add_argument("--lookups", type=int, default=2000)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--dir", type=Path, default=None, help="work directory (default: temp)")
    parser.add_argument("--worker", choices=["sqlite", "postgresql"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.dir, args.batch)))
        return
    with tempfile.TemporaryDirectory(prefix="hakusan-bench-", dir=args.dir) as tmp:
        directory = Path(tmp)
        console.print(f"generating {args.n:,} sightings …")
        meta = generate(args.n, directory, samples=args.lookups)
        (directory / "meta.json").write_text(json.dumps(meta))
        console.print(
            f"  {meta['distinct']:,} distinct values, {meta['cases']:,} cases, raw input "
            f"{meta['raw_bytes'] / 2**20:,.1f} MiB ({meta['generate_s']:.0f} s)"
        )
        results = {"meta": {k: v for k, v in meta.items() if k not in ("sample", "hot")}}
        for db in ("sqlite", "postgresql") if args.db == "both" else (args.db,):
            console.print(f"{db}: ingest, storage, floor, lookups …")
            done = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--worker",
                    db,
                    "--dir",
                    str(directory),
                    "--batch",
                    str(args.batch),
                ],
                capture_output=True,
                text=True,
                check=False,
            )
            if done.returncode != 0:
                console.print(done.stderr[-3000:], markup=False)
                raise SystemExit(f"{db} worker failed")
            results[db] = json.loads(done.stdout.strip().splitlines()[-1])
    report(results)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


def report(results: dict[str, Any]) -> None:
    meta = results["meta"]
    n, raw = meta["n"], meta["raw_bytes"]
    table = Table(title=f"Correlation store, N = {n:,} sightings ({meta['distinct']:,} values)")
    table.add_column("")
    dbs = [db for db in ("sqlite", "postgresql") if db in results]
    for db in dbs:
        table.add_column(db, justify="right")
    pg = results.get("postgresql")
    if pg:
        table.add_column("COPY floor (PG)", justify="right")
        table.add_column("ours / floor", justify="right")

    def row(label: str, values: list[str], floor: str = "", ratio: str = "") -> None:
        table.add_row(label, *values, *([floor, ratio] if pg else []))

    rates = [n / results[db]["ingest"]["seconds"] for db in dbs]
    floor_rate = n / pg["floor"]["seconds"] if pg else 0.0
    row(
        "ingest, sightings/s",
        [f"{r:,.0f}" for r in rates],
        f"{floor_rate:,.0f}" if pg else "",
        f"{n / pg['ingest']['seconds'] / floor_rate:.0%}" if pg else "",
    )
    cpu = [
        results[db]["ingest"].get("cpu_s", 0.0) + results[db]["ingest"].get("backend_cpu_s", 0.0)
        for db in dbs
    ]
    floor_cpu = pg["floor"].get("cpu_s", 0.0) if pg else 0.0
    if pg:
        narrow_rate = n / pg["floor"]["narrow_seconds"]
        row(
            "  floor of observables + sightings alone",
            ["" for _ in dbs],
            f"{narrow_rate:,.0f}",
            f"{n / pg['ingest']['seconds'] / narrow_rate:.0%}",
        )
    row(
        "CPU s (ours + PG backend)",
        [f"{c:,.1f}" for c in cpu],
        f"{floor_cpu:,.1f}" if pg else "",
        f"{floor_cpu / cpu[-1]:.0%}" if pg and cpu[-1] else "",
    )
    row(
        "ingest, s",
        [f"{results[db]['ingest']['seconds']:,.1f}" for db in dbs],
        f"{pg['floor']['seconds']:,.1f}" if pg else "",
    )
    row(
        "  of which Python (flags, links, enrichment)",
        [f"{results[db]['ingest']['prepare_s']:,.1f}" for db in dbs],
    )
    row(
        "  of which SQL (staging + upserts)",
        [f"{results[db]['ingest']['write_s']:,.1f}" for db in dbs],
    )
    row("lookup p50, ms", [f"{results[db]['lookup']['p50_ms']:.2f}" for db in dbs])
    row("lookup p99, ms", [f"{results[db]['lookup']['p99_ms']:.2f}" for db in dbs])
    row("lookup p99, hot values, ms", [f"{results[db]['lookup_hot']['p99_ms']:.2f}" for db in dbs])
    sizes = [sum(results[db]["storage"].values()) for db in dbs]
    floor_size = pg["floor"]["bytes"] if pg else 0
    row(
        "storage, MiB (tables + indexes)",
        [f"{s / 2**20:,.0f}" for s in sizes],
        f"{floor_size / 2**20:,.0f}" if pg else "",
    )
    row(
        "storage / raw input",
        [f"{s / raw:.2f}x" for s in sizes],
        f"{floor_size / raw:.2f}x" if pg else "",
    )
    row("peak RSS, MiB", [f"{results[db]['ingest']['peak_rss_mb']:,.0f}" for db in dbs])
    row(
        "RSS after 1/4, 1/2, all batches, MiB",
        [
            "/".join(
                str(r[min(len(r) - 1, len(r) * q // 4)]) if r else "-"
                for q in (1, 2, 4)
                for r in [results[db]["ingest"].get("rss_by_batch_mb", [])]
            )
            for db in dbs
        ],
    )
    row(
        "RSS growth while ingesting, MiB",
        [
            f"{results[db]['ingest']['rss_max_mb'] - results[db]['ingest']['rss_before_mb']:,.0f}"
            for db in dbs
        ],
    )
    console.print(table)
    console.print(
        f"raw input: {raw / 2**20:,.1f} MiB CSV (type,value,case,seen_at); the same rows as "
        f"MISP's attribute CSV: {meta['misp_bytes'] / 2**20:,.1f} MiB"
    )
    for db in dbs:
        s = results[db]["ingest"]["stats"]
        console.print(
            f"{db}: {s['observables']:,} observables written ({s['new_observables']:,} new, "
            f"derived included), {s['sightings']:,} sightings, {s['links']:,} links, "
            f"{s['facts']:,} enrichment facts, {s['warninglisted']:,} warninglisted; "
            f"storage {results[db]['storage']}"
        )
        for plan in results[db]["explain"]:
            console.print(f"  plan: {plan}", markup=False)


if __name__ == "__main__":
    main()
