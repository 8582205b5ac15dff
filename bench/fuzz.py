"""Fuzzing benchmark (issue 9 §4): every fuzz target of ``tests/fuzz`` (``targets_*.py``) fed
hostile inputs from ``tests/fuzz/strategies.generate`` (mutated valid documents, hostile JSON
values, deep nesting, random bytes, known fragments), counting crashes: any exception other
than the target's own clear error, or a 5xx from an endpoint.

    .venv/bin/python bench/fuzz.py [--inputs 1000000] [--targets a,b] [--seed 1]
                                   [--db-weight 0.002] [--target-seconds S]
                                   [--json FILE] [--crashes DIR]

``--inputs`` is the total, split across targets; a target that needs the database (a request
through Django's test client, a report filed when the input is valid) gets ``--db-weight``
of a pure target's share, so a run fits in minutes. The database is a fresh SQLite file in a
temporary directory (``hakusan.settings.embedded``).

The peer, on the very same inputs: the standard library's ``json.loads`` without limits, as
the entry points parsed before. A peer crash is an input it raises on with anything but a
clean ``JSONDecodeError`` (RecursionError, the integer digit limit's ValueError, …) or that it
accepts while a strict store would refuse it (NaN/Infinity, a lone surrogate: the
IntegrityError and UnicodeEncodeError the probe found downstream).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

OUT = Console(width=110)


@dataclass
class Outcome:
    name: str
    inputs: int = 0
    seconds: float = 0.0
    crashes: int = 0
    peer_crashes: int = 0
    samples: list[tuple[bytes, str]] = field(default_factory=list)

    def per_million(self, count: int) -> float:
        return count * 1e6 / self.inputs if self.inputs else 0.0


def setup_django(directory: Path) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "hakusan.settings.embedded"
    os.environ["HAKUSAN_DATA_DIR"] = str(directory / "data")
    os.environ.pop("HAKUSAN_DATABASE_URL", None)
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]  # Django's test client
    call_command("migrate", verbosity=0)


def peer_crashes(data: bytes) -> bool:
    """Whether plain ``json.loads`` crashes on ``data`` or lets through what a store refuses."""
    try:
        value = json.loads(data)
    except json.JSONDecodeError:
        return False
    except (RecursionError, ValueError, UnicodeDecodeError):
        return True
    try:
        json.dumps(value, allow_nan=False).encode("utf-8")
    except (ValueError, UnicodeEncodeError, RecursionError):
        return True
    return False


def run_target(target: Any, n: int, seed: int, progress: Any, budget: float = 0) -> Outcome:
    from tests.fuzz.strategies import generate

    outcome = Outcome(target.name)
    rng = random.Random(f"{seed}:{target.name}")
    seeds = list(target.seeds)
    if target.setup is not None:
        target.setup()
    spent = 0.0
    began = time.perf_counter()
    for i in range(n):
        if budget and time.perf_counter() - began > budget:
            break  # the time budget is spent: the figures say how many inputs ran
        data = generate(rng, seeds)
        start = time.perf_counter()
        try:
            target.run(data)
        except target.expected:
            pass
        except Exception as exc:  # a crash: counted, kept for the report
            outcome.crashes += 1
            if len(outcome.samples) < 5:
                detail = "".join(traceback.format_exception_only(exc)).strip()
                outcome.samples.append((data, detail[:300]))
        spent += time.perf_counter() - start
        outcome.peer_crashes += peer_crashes(data)
        outcome.inputs = i + 1
        progress(outcome, n)
    outcome.seconds = spent
    return outcome


def shares(targets: dict[str, Any], total: int, db_weight: float) -> dict[str, int]:
    weights = {name: db_weight if t.needs_db else 1.0 for name, t in targets.items()}
    scale = total / sum(weights.values())
    return {name: max(1, round(w * scale)) for name, w in weights.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--inputs", type=int, default=1_000_000, help="total over all targets")
    parser.add_argument("--targets", default="", help="comma-separated names (default: all)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--db-weight", type=float, default=0.002)
    parser.add_argument(
        "--target-seconds", type=float, default=0, help="stop a target after this long (0: never)"
    )
    parser.add_argument("--json", type=Path, help="write the figures here too")
    parser.add_argument("--crashes", type=Path, help="save crashing inputs here (<target>-<n>.bin)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="hakusan-bench-fuzz-") as tmp:
        setup_django(Path(tmp))
        import logging

        logging.disable(logging.CRITICAL)  # a refused input is logged; that is not news here
        from tests.fuzz.registry import all_targets

        targets = all_targets()
        if args.targets:
            wanted = args.targets.split(",")
            unknown = sorted(set(wanted) - set(targets))
            if unknown:
                sys.exit(f"unknown target(s): {', '.join(unknown)} (known: {', '.join(targets)})")
            targets = {name: targets[name] for name in wanted}
        plan = shares(targets, args.inputs, args.db_weight)
        started = time.perf_counter()
        done_before = 0

        shown = [0.0]
        tty = sys.stderr.isatty()

        def progress(outcome: Outcome, n: int) -> None:
            now = time.perf_counter()
            if now - shown[0] < (1 if tty else 15) and outcome.inputs < n:
                return
            shown[0] = now
            total = done_before + outcome.inputs
            line = (
                f"{total:,}/{sum(plan.values()):,} inputs  {total / (now - started):,.0f}/s  "
                f"{outcome.name}: {outcome.inputs:,}/{n:,}, crashes {outcome.crashes}"
            )
            sys.stderr.write(f"\r{line}   " if tty else line + "\n")
            sys.stderr.flush()

        outcomes = []
        for name, target in targets.items():
            outcome = run_target(target, plan[name], args.seed, progress, args.target_seconds)
            outcomes.append(outcome)
            done_before += outcome.inputs
            # As each target ends (a long run interrupted keeps what it found).
            print(
                f"{name}: {outcome.inputs:,} inputs, {outcome.crashes} crashes, json.loads "
                f"{outcome.peer_crashes:,}, {outcome.seconds:,.1f} s in the target",
                flush=True,
            )
            for k, (data, detail) in enumerate(outcome.samples):
                print(f"  crash: {detail}\n    input: {data[:200]!r}", flush=True)
                if args.crashes:
                    args.crashes.mkdir(parents=True, exist_ok=True)
                    (args.crashes / f"{name}-{k}.bin").write_bytes(data)
        if tty:
            sys.stderr.write("\n")
        elapsed = time.perf_counter() - started
        report(outcomes, elapsed, args)


def report(outcomes: list[Outcome], elapsed: float, args: argparse.Namespace) -> None:
    inputs = sum(o.inputs for o in outcomes)
    crashes = sum(o.crashes for o in outcomes)
    peer = sum(o.peer_crashes for o in outcomes)
    table = Table(
        title=f"Fuzzing: {inputs:,} hostile inputs over {len(outcomes)} targets in "
        f"{elapsed:,.0f} s (seed {args.seed})"
    )
    for column in ("target", "inputs", "inputs/s", "crashes", "per million", "json.loads crashes"):
        table.add_column(column, justify="left" if column == "target" else "right")
    for o in outcomes:
        table.add_row(
            o.name,
            f"{o.inputs:,}",
            f"{o.inputs / o.seconds:,.0f}" if o.seconds else "-",
            f"{o.crashes:,}",
            f"{o.per_million(o.crashes):,.1f}",
            f"{o.peer_crashes:,} ({o.per_million(o.peer_crashes):,.0f}/M)",
        )
    total = Outcome("all", inputs, elapsed, crashes, peer)
    table.add_row(
        "all",
        f"{inputs:,}",
        f"{inputs / elapsed:,.0f}",
        f"{crashes:,}",
        f"{total.per_million(crashes):,.1f}",
        f"{peer:,} ({total.per_million(peer):,.0f}/M)",
        style="bold",
    )
    OUT.print(table)
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "inputs": inputs,
                    "seconds": round(elapsed, 1),
                    "crashes": crashes,
                    "crashes_per_million": total.per_million(crashes),
                    "peer_json_loads_crashes": peer,
                    "targets": {
                        o.name: {
                            "inputs": o.inputs,
                            "seconds": round(o.seconds, 1),
                            "crashes": o.crashes,
                            "peer_crashes": o.peer_crashes,
                        }
                        for o in outcomes
                    },
                },
                indent=2,
            )
        )
    if crashes:
        sys.exit(1)


if __name__ == "__main__":
    main()
