"""Intake benchmark: import N fictional reports (extraction + triage + storage) through
`hakusan import reports` on SQLite and PostgreSQL, and measure our extractor's throughput
beside a peer extractor (iocextract) on the same text.

    .venv/bin/python bench/intake.py [--n 100000] [--pg postgresql://postgres@127.0.0.1:5432/postgres]

Prints reports/s per database and MB/s per extractor with the ratio ours/peer.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.progress import track
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from hakusan.domain.demo import generate_reports  # noqa: E402
from hakusan.domain.observables import extract  # noqa: E402

console = Console()


def write_reports(n: int, path: Path) -> str:
    """The import file, and the same text concatenated for the extractor comparison."""
    texts = []
    with path.open("w", encoding="utf-8") as out:
        for s in track(
            generate_reports(n, seed=42), total=n, description="generating", console=console
        ):
            row = {
                "channel": s.channel,
                "kind": s.kind,
                "narrative": s.narrative,
                "items": list(s.items),
                "reporter_name": s.reporter_name,
                "victim_kind": s.victim_kind,
                "victim_name": s.victim_name,
                "damage_amount": s.damage_amount,
                "received_at": s.occurred_at.isoformat(),
            }
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
            if len(texts) < 2500:  # ~1 MB: the peer extracts at ~0.1 MB/s
                texts.append("\n".join([s.narrative, *s.items]))
    return "\n\n".join(texts)


def run_import(name: str, db_url: str, source: Path, workdir: Path) -> float:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "HAKUSAN_"))}
    env.update(HAKUSAN_DATA_DIR=str(workdir / name), HAKUSAN_DATABASE_URL=db_url)
    hakusan = [sys.executable, "-m", "hakusan"]
    subprocess.run([*hakusan, "migrate", "-v", "0"], env=env, check=True)
    subprocess.run(
        [
            *hakusan,
            "createuser",
            "bench",
            "--role",
            "analyst",
            "--department",
            "cyber",
            "--password-stdin",
        ],
        env=env,
        input="bench-password-2026\n",
        text=True,
        check=True,
        capture_output=True,
    )
    start = time.perf_counter()
    subprocess.run(
        [*hakusan, "import", "reports", str(source), "--user", "bench", "--timeout", "7200"],
        env=env,
        check=True,
    )
    return time.perf_counter() - start


def pg_database(base_url: str, name: str) -> str:
    import psycopg

    with psycopg.connect(base_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    return base_url.rsplit("/", 1)[0] + "/" + name


def mb_per_s(fn, text: str, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn(text)
        best = min(best, time.perf_counter() - start)
    return len(text.encode()) / 1e6 / best


def iocextract_all(text: str) -> list:
    import iocextract

    return list(iocextract.extract_iocs(text, refang=True))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument(
        "--pg",
        default=os.environ.get("HAKUSAN_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres"),
    )
    parser.add_argument("--skip-pg", action="store_true")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="hakusan-bench-") as tmp:
        workdir = Path(tmp)
        source = workdir / "reports.jsonl"
        text = write_reports(args.n, source)
        size_mb = source.stat().st_size / 1e6

        rates = {}
        sqlite_s = run_import("sqlite", f"sqlite:///{workdir / 'bench.sqlite3'}", source, workdir)
        rates["SQLite"] = args.n / sqlite_s
        console.print(f"SQLite: {rates['SQLite']:,.0f} reports/s")
        if not args.skip_pg:
            url = pg_database(args.pg, "hakusan_bench_intake")
            pg_s = run_import("pg", url, source, workdir)
            rates["PostgreSQL"] = args.n / pg_s

        table = Table(
            title=f"Intake: import of {args.n:,} fictional reports ({size_mb:.1f} MB "
            "JSONL) with extraction, triage and storage"
        )
        table.add_column("database")
        table.add_column("reports/s", justify="right")
        for name, rate in rates.items():
            table.add_row(name, f"{rate:,.0f}")
        console.print(table)

        ours = mb_per_s(extract, text)
        peer = mb_per_s(iocextract_all, text)
        table = Table(
            title=f"Extractor throughput on the same {len(text.encode()) / 1e6:.1f} MB"
            " of report text"
        )
        for column in ("extractor", "MB/s", "ratio (ours/peer)"):
            table.add_column(column, justify="right")
        table.add_row("hakusan extract()", f"{ours:.2f}", f"{ours / peer:.2f}")
        table.add_row("iocextract (peer)", f"{peer:.2f}", "1.00")
        console.print(table)


if __name__ == "__main__":
    main()
