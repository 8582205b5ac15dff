"""TAXII 2.1 server benchmark: Hakusan beside medallion (the OASIS reference server, memory
backend), both paged through with the real ``taxii2-client`` over loopback HTTP.

    .venv/bin/python bench/taxii.py [--n 100000] [--peer-n 300] [--page 1000]
                                    [--db sqlite|postgresql] [--json FILE]

1. In a fresh data directory (its own SQLite file, or a fresh ``hakusan_bench_taxii``
   PostgreSQL database with ``--db postgresql``, dropped at the end): ingests N fictional domain indicators
   (``*.bench-kit-<k>.example.jp``, TLP:GREEN, one feed) through the indicators service, then
   publishes the ``indicators-green`` collection (``taxii.services.publish``): 3 STIX objects
   per indicator (SCO, indicator, ``based-on`` relationship) + identity and markings. Times the
   first publish and an incremental republish with nothing changed.
2. Serves Hakusan's WSGI app (werkzeug, threaded, 127.0.0.1) and pages through every object with
   ``taxii2client.v21.as_pages(Collection.get_objects, per_request=PAGE)`` as a green partner
   (Basic auth with its token): objects/s.
3. Loads the first objects of that collection (``--peer-n`` indicators' worth, same bodies,
   same order) into medallion's memory backend, serves it the same way and pages through them
   with the same client code and page size; Hakusan is paged over a collection holding the very
   same objects too, so the ratio compares equal work. medallion matches every object against
   every manifest record per request (O(n²)): at N = 100,000 it would not finish, hence the
   smaller peer size.

Prints a rich table (objects/s, ratio, peak RSS of this process after each phase).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

console = Console()
PG_ADMIN_URL = os.environ.get("HAKUSAN_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
PG_DB = "hakusan_bench_taxii"


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def setup_django(db: str, directory: Path) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "hakusan.settings.embedded"
    os.environ["HAKUSAN_DATA_DIR"] = str(directory / "data")
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


def drop_database(db: str) -> None:
    if db != "postgresql":
        return
    import psycopg
    from django.db import connections

    connections.close_all()
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")


def load(n: int) -> float:
    from hakusan.indicators.ingest import SightingInput
    from hakusan.indicators.models import IndicatorSource
    from hakusan.indicators.services import record_sightings

    source = IndicatorSource.objects.create(name="bench feed", default_tlp="green")
    seen = datetime(2026, 11, 1, tzinfo=UTC)
    start = time.perf_counter()
    batch: list[SightingInput] = []
    for i in range(n):
        value = f"h{i}.bench-kit-{i % 997}.example.jp"
        at = seen + timedelta(seconds=i)
        batch.append(SightingInput("feed", source.pk, "domain", value, "", at, "green"))
        if len(batch) == 20_000:
            record_sightings(batch)
            batch = []
    record_sightings(batch)
    return time.perf_counter() - start


def page_through(url: str, user: str, password: str, page: int) -> tuple[int, float]:
    from taxii2client.v21 import Collection, as_pages

    collection = Collection(url, user=user, password=password)
    collection.refresh()
    count = 0
    start = time.perf_counter()
    ids: set[str] = set()
    for envelope in as_pages(collection.get_objects, per_request=page):
        objects = envelope.get("objects", [])
        count += len(objects)
        ids.update(o["id"] for o in objects)
    seconds = time.perf_counter() - start
    if len(ids) != count:
        raise SystemExit(f"{url}: {count} objects but {len(ids)} distinct ids")
    return count, seconds


def run(args: argparse.Namespace, directory: Path) -> dict[str, Any]:
    setup_django(args.db, directory)
    from django.core.wsgi import get_wsgi_application

    from hakusan.partners.services import create_partner
    from hakusan.taxii import services
    from hakusan.taxii.models import Collection, SharedObject
    from hakusan.taxii.tests import peers

    result: dict[str, Any] = {"n": args.n, "peer_n": args.peer_n, "page": args.page}
    console.print(f"ingesting {args.n:,} indicators …")
    result["ingest_s"] = load(args.n)
    green = Collection.objects.get(alias="indicators-green")
    start, cpu = time.perf_counter(), time.process_time()
    counts = services.publish(green)["indicators-green"]
    result["publish_s"] = time.perf_counter() - start
    result["publish_cpu_s"] = time.process_time() - cpu
    result["published"] = counts
    start = time.perf_counter()
    services.publish(green)
    result["republish_s"] = time.perf_counter() - start
    console.print(
        f"published {counts['versions']:,} objects in {result['publish_s']:.1f} s "
        f"(republish, nothing changed: {result['republish_s']:.1f} s)"
    )
    result["rss_after_publish_mb"] = peak_mb()

    _partner, key = create_partner("Bench partner", max_tlp="green")
    served = peers.serve_wsgi(get_wsgi_application())
    base = f"{served.url}/taxii2/hakusan/collections/"
    console.print("paging through Hakusan …")
    page_through(f"{base}{green.pk}/", "bench", key, args.page)  # warm (and publish if dirty)
    count, seconds = page_through(f"{base}{green.pk}/", "bench", key, args.page)
    result["hakusan"] = {"objects": count, "seconds": seconds, "per_s": count / seconds}
    result["rss_after_hakusan_mb"] = peak_mb()

    # the peer's share: the first objects of the collection, same bodies and order
    peer_objects = 3 * args.peer_n + 3
    rows = list(
        SharedObject.objects.filter(collection=green, latest=True).order_by("date_added")[
            :peer_objects
        ]
    )
    small = Collection.objects.create(
        alias="bench-peer-size", title="bench", direction="outbound", tlp="green",
        kinds=["indicators"], dirty=False,
    )  # fmt: skip
    SharedObject.objects.bulk_create(
        [
            SharedObject(
                collection=small,
                stix_id=r.stix_id,
                type=r.type,
                spec_version=r.spec_version,
                version=r.version,
                date_added=r.date_added,
                body=r.body,
                content_hash=r.content_hash,
            )
            for r in rows
        ],
        batch_size=1000,
    )
    count, seconds = page_through(f"{base}{small.pk}/", "bench", key, args.page)
    result["hakusan_small"] = {"objects": count, "seconds": seconds, "per_s": count / seconds}
    served.stop()

    objects = [json.loads(r.body) for r in rows]
    medallion = peers.serve_medallion(
        [peers.medallion_collection("bench", "bench", objects, can_read=True, can_write=False)],
        max_page_size=args.page,
    )
    user, password = peers.MEDALLION_USER
    console.print(f"paging through medallion ({len(objects):,} objects) …")
    count, seconds = page_through(
        f"{medallion.url}/hakusan/collections/bench/", user, password, args.page
    )
    medallion.stop()
    result["medallion"] = {"objects": count, "seconds": seconds, "per_s": count / seconds}
    result["rss_after_medallion_mb"] = peak_mb()
    return result


def report(r: dict[str, Any]) -> None:
    table = Table(title=f"TAXII 2.1: paging with taxii2-client as_pages, page size {r['page']}")
    for column in ("server", "objects", "seconds", "objects/s", "vs medallion"):
        table.add_column(column, justify="right" if column != "server" else "left")
    peer = r["medallion"]["per_s"]
    rows = (
        (f"Hakusan ({r['n']:,} indicators)", r["hakusan"]),
        ("Hakusan (peer size)", r["hakusan_small"]),
        ("medallion 3.0.0 (peer size, memory)", r["medallion"]),
    )
    for name, m in rows:
        table.add_row(
            name,
            f"{m['objects']:,}",
            f"{m['seconds']:.2f}",
            f"{m['per_s']:,.0f}",
            f"{m['per_s'] / peer:,.1f}×",
        )
    console.print(table)
    p = r["published"]
    console.print(
        f"ingest {r['n']:,} indicators: {r['ingest_s']:.1f} s; first publish: "
        f"{p['versions']:,} objects in {r['publish_s']:.1f} s "
        f"({p['versions'] / max(r['publish_s'], 1e-9):,.0f} objects/s; "
        f"CPU {r['publish_cpu_s']:.1f} s); "
        f"republish with nothing changed: {r['republish_s']:.1f} s"
    )
    console.print(
        f"peak RSS of this process: {r['rss_after_publish_mb']:.0f} MB after publishing, "
        f"{r['rss_after_hakusan_mb']:.0f} MB after Hakusan served, "
        f"{r['rss_after_medallion_mb']:.0f} MB after medallion"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=100_000, help="indicators (3 objects each)")
    parser.add_argument("--peer-n", type=int, default=300, help="indicators for medallion")
    parser.add_argument("--page", type=int, default=1000)
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    args.peer_n = min(args.peer_n, args.n)
    with tempfile.TemporaryDirectory(prefix="hakusan-bench-taxii-") as tmp:
        try:
            result = run(args, Path(tmp))
        finally:
            drop_database(args.db)
    report(result)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
