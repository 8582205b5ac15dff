"""``hakusan indicators …``: the observable store from the command line.

    hakusan indicators import FILE --source NAME [--tlp green] [--tag T ...] [--format F]
    hakusan indicators lookup VALUE [--type T]
    hakusan indicators reflag | enrich

``import`` runs the ``indicators.import`` job (in-process, or on a Celery worker when
HAKUSAN_REDIS_URL is set) with a progress bar, a summary and a rejects file. ``lookup`` prints
the canonical value, warninglist hits, decay score, sightings and links as JSON. The CLI is
the operator's: it sees every source (there is no user to restrict it to); the lookup is
recorded in the audit log with no actor.
"""

import json
import sys
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.console import Console

from hakusan.core import audit, jobs
from hakusan.core.choices import TLP, JobStatus
from hakusan.core.cli_jobs import follow_job, print_rejects
from hakusan.core.models import User
from hakusan.domain.indicators import FORMAT_NAMES
from hakusan.domain.observables import InvalidObservable, ObservableType


class Command(BaseCommand):
    help = (
        "The observable store. 'import FILE --source NAME': bulk import of indicators; "
        "'lookup VALUE': where else a value has been seen, as JSON; 'reflag', 'enrich': "
        "maintenance jobs."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser("import", help="import an indicator file")
        imp.add_argument("file")
        imp.add_argument("--source", required=True, help="indicator source name (created if new)")
        imp.add_argument(
            "--tlp",
            choices=list(TLP.values),
            default=None,
            help=(
                "lowest TLP of the sightings: a row whose tlp: tags or tlp column say more "
                "restrictive keeps that (default: the file's tags, else the source's TLP, "
                "green for a new source)"
            ),
        )
        imp.add_argument(
            "--tag", action="append", default=[], dest="tags", help="tag every row (repeatable)"
        )
        imp.add_argument(
            "--format",
            choices=list(FORMAT_NAMES),
            default=None,
            help="plain, csv, jsonl or misp-csv (MISP attribute CSV; also 'misp'); "
            "default: from the file",
        )
        imp.add_argument("--encoding", default=None, help="e.g. cp932 for Japanese Excel CSV")
        imp.add_argument("--rejects", default=None, help="where to write rejected rows")
        imp.add_argument("--user", default=None, help="user name the import is recorded under")
        imp.add_argument("--timeout", type=float, default=24 * 3600.0)
        look = sub.add_parser("lookup", help="where else has this value been seen (JSON)")
        look.add_argument("value")
        look.add_argument(
            "--type", choices=[t.value for t in ObservableType], default=None, dest="obs_type"
        )
        look.add_argument("--indent", type=int, default=2)
        sub.add_parser("reflag", help="re-flag values after a warninglist update")
        sub.add_parser("enrich", help="enrich IP addresses not enriched yet")

    def handle(self, *args: Any, **o: Any) -> None:
        action = o["action"]
        if action == "import":
            self._import(o)
        elif action == "lookup":
            self._lookup(o)
        else:
            name = {
                "reflag": "indicators.reflag_warninglists",
                "enrich": "indicators.enrich",
            }[action]
            run = jobs.submit(name, {}, inline=True)
            if run.status == JobStatus.FAILED:
                raise CommandError(
                    f"{name} failed: {run.error.splitlines()[0] if run.error else ''}"
                )
            self.stdout.write(json.dumps(run.result, ensure_ascii=False))

    def _lookup(self, o: dict[str, Any]) -> None:
        from hakusan.indicators.selectors import lookup

        try:
            result = lookup(None, o["value"], type=o["obs_type"])
        except InvalidObservable as exc:
            raise CommandError(str(exc)) from None
        audit.record(
            None,
            "lookup",
            object_type="indicators.observable",
            object_id=result["id"] or "",
            detail={"type": result["type"], "value": result["value"], "via": "cli"},
        )
        indent = o["indent"] if o["indent"] > 0 else None
        sys.stdout.write(json.dumps(result, ensure_ascii=False, indent=indent) + "\n")

    def _import(self, o: dict[str, Any]) -> None:
        path = Path(o["file"]).resolve()
        if not path.is_file():
            raise CommandError(f"{o['file']}: no such file")
        user = None
        if o["user"]:
            try:
                user = User.objects.get(username=o["user"])
            except User.DoesNotExist:
                raise CommandError(f"--user: no user {o['user']!r}") from None
        source = o["source"].strip()
        if not source or len(source) > 100:
            raise CommandError("--source: a name of 1 to 100 characters")
        params = {
            "path": str(path),
            "source": source,
            "tlp": o["tlp"],
            "tags": o["tags"],
            "fmt": o["format"],
            "encoding": o["encoding"],
            "rejects_path": str(Path(o["rejects"]).resolve()) if o["rejects"] else None,
        }
        if o["tlp"] is None:
            from hakusan.indicators.models import IndicatorSource

            if not IndicatorSource.objects.filter(name=source).exists():
                params["source_tlp"] = TLP.GREEN
        run = jobs.submit("indicators.import", params, user=user)
        where = "a Celery worker" if jobs.use_celery() else "this process"
        console = Console(soft_wrap=True)
        console.print(f"job {run.pk}: importing {path.name} into {source!r} on {where}")
        started = time.monotonic()
        r = follow_job(run, console, path.name, o["timeout"])
        s = r["stats"]
        seconds = max(time.monotonic() - started, 1e-9)
        console.print(
            f"imported {r['imported']} row(s) into {r['source']!r} in {seconds:.1f} s: "
            f"{s['sightings']} sighting(s) ({s['new_sightings']} new, "
            f"{s['sightings'] - s['new_sightings']} seen again), "
            f"{s['new_observables']} new observable(s), {s['warninglisted']} warninglisted"
        )
        print_rejects(console, r)
        for w in r.get("warnings", [])[:5]:
            console.print(f"  note, line {w['line']}: {w['message']}", markup=False)
