"""``hakusan blocklists …``: the blocklist feeds from the command line.

    hakusan blocklists import-jpcert PATH [--tlp clear] [--source "JPCERT/CC phishing URLs"]
                                          [--confidence 80] [--rejects FILE] [--user NAME]

``import-jpcert`` imports a JPCERT/CC phishurl-list CSV, or a directory of them, as a phishing
source (the ``blocklists.import_jpcert`` job: in-process, or on a Celery worker when
HAKUSAN_REDIS_URL is set) with a progress bar, then prints what was imported, what was rejected
(file and line) and how many URLs are on a warninglist (left out of every feed)."""

import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.console import Console

from hakusan.blocklists import services
from hakusan.core import jobs
from hakusan.core.choices import TLP
from hakusan.core.cli_jobs import follow_job
from hakusan.core.models import User


class Command(BaseCommand):
    help = (
        "Blocklist feeds. 'import-jpcert PATH': import JPCERT/CC phishing URL lists (a CSV "
        "file or a directory of them) as a phishing source for the /feeds/phishing feed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser("import-jpcert", help="import JPCERT/CC phishurl-list CSV files")
        imp.add_argument("path", help="a monthly CSV file or a directory of them")
        imp.add_argument(
            "--tlp",
            choices=list(TLP.values),
            default=TLP.CLEAR,
            help="TLP of the sightings (default clear: the list is public)",
        )
        imp.add_argument("--source", default=services.JPCERT_SOURCE, help="indicator source name")
        imp.add_argument(
            "--confidence",
            type=int,
            default=services.JPCERT_CONFIDENCE,
            help=f"confidence of the sightings, 0-100 (default {services.JPCERT_CONFIDENCE})",
        )
        imp.add_argument("--rejects", default=None, help="write every rejected row to this CSV")
        imp.add_argument("--user", default=None, help="user name the import is recorded under")
        imp.add_argument("--timeout", type=float, default=24 * 3600.0)

    def handle(self, *args: Any, **o: Any) -> None:
        path = Path(o["path"]).resolve()
        try:
            files = services.jpcert_files(path)
        except Exception as exc:
            raise CommandError(str(getattr(exc, "message", exc))) from None
        if not 0 <= o["confidence"] <= 100:
            raise CommandError("--confidence: an integer from 0 to 100")
        source = o["source"].strip()
        if not source or len(source) > 100:
            raise CommandError("--source: a name of 1 to 100 characters")
        user = None
        if o["user"]:
            try:
                user = User.objects.get(username=o["user"])
            except User.DoesNotExist:
                raise CommandError(f"--user: no user {o['user']!r}") from None
        params = {
            "path": str(path),
            "source": source,
            "tlp": o["tlp"],
            "confidence": o["confidence"],
            "rejects_path": str(Path(o["rejects"]).resolve()) if o["rejects"] else None,
        }
        run = jobs.submit("blocklists.import_jpcert", params, user=user)
        where = "a Celery worker" if jobs.use_celery() else "this process"
        console = Console(soft_wrap=True)
        console.print(
            f"job {run.pk}: importing {len(files)} file(s) from {path} into {source!r} on {where}",
            markup=False,
        )
        started = time.monotonic()
        r = follow_job(run, console, path.name, o["timeout"])
        seconds = max(time.monotonic() - started, 1e-9)
        s = r["stats"]
        console.print(
            f"imported {r['imported']:,} row(s) from {r['files']} file(s) in {seconds:.1f} s "
            f"({r['imported'] / seconds:,.0f} rows/s): {s['sightings']:,} sighting(s) "
            f"({s['new_sightings']:,} new), {r['observables']:,} distinct URL(s) in the source",
            markup=False,
        )
        console.print(
            f"on a warninglist (left out of every feed): {r['warninglisted']:,}", markup=False
        )
        for hit in r["warninglists"][:5]:
            console.print(f"  {hit['count']:>7,}  {hit['name']}", markup=False)
        console.print(
            f"rejected {r['rejected']:,} row(s)"
            + (f": see {r['rejects_file']}" if r.get("rejects_file") else ""),
            markup=False,
        )
        for e in r["errors"][:20]:
            console.print(f"  {e['file']}:{e['line']}: {e['message']}", markup=False)
