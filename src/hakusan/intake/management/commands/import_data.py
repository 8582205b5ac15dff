"""``hakusan import reports FILE``: bulk import through the job system (in-process, or on a
Celery worker when HAKUSAN_REDIS_URL is set), with a progress bar and a summary."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.console import Console

from hakusan.core import jobs
from hakusan.core.cli_jobs import follow_job, print_rejects
from hakusan.core.models import Department, User


class Command(BaseCommand):
    help = "Import data. 'reports FILE': reports from CSV or JSON lines."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("what", choices=["reports"])
        parser.add_argument("file")
        parser.add_argument("--user", required=True, help="user name the reports are filed by")
        parser.add_argument("--format", choices=["csv", "jsonl"], default=None)
        parser.add_argument(
            "--department",
            help="receiving department code (default: the "
            "row's station_code, else the user's department)",
        )
        parser.add_argument("--encoding", default=None, help="e.g. cp932 for Japanese Excel CSV")
        parser.add_argument("--rejects", default=None, help="where to write rejected rows")
        parser.add_argument("--timeout", type=float, default=3600.0)

    def handle(self, *args: Any, **o: Any) -> None:
        path = Path(o["file"]).resolve()
        if not path.is_file():
            raise CommandError(f"{o['file']}: no such file")
        try:
            user = User.objects.get(username=o["user"])
        except User.DoesNotExist:
            raise CommandError(f"--user: no user {o['user']!r}") from None
        if o["department"] and not Department.objects.filter(code=o["department"]).exists():
            raise CommandError(f"--department: unknown code {o['department']!r}")
        params = {
            "path": str(path),
            "fmt": o["format"],
            "department": o["department"],
            "encoding": o["encoding"],
            "rejects_path": str(Path(o["rejects"]).resolve()) if o["rejects"] else None,
        }
        run = jobs.submit("intake.import_reports", params, user=user)
        where = "a Celery worker" if jobs.use_celery() else "this process"
        console = Console()
        console.print(f"job {run.pk}: importing {path.name} on {where}")
        r = follow_job(run, console, path.name, o["timeout"])
        console.print(
            f"imported {r['imported']} report(s)"
            + (f" ({r['first']} … {r['last']})" if r.get("first") else "")
        )
        if r.get("skipped"):
            console.print(skipped_summary(r), markup=False, soft_wrap=True)
        print_rejects(console, r)


def skipped_summary(result: dict[str, Any]) -> str:
    """One line on the rows an earlier run had filed, e.g. after a crash and a re-run."""
    by = result.get("skipped_by", {})
    ranges = ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in result.get("skipped_lines", []))
    more = ", …" if result.get("skipped_lines_truncated") else ""
    return (
        f"skipped {result['skipped']} row(s) already imported "
        f"(by external_ref: {by.get('external_ref', 0)}, by row digest: "
        f"{by.get('row_digest', 0)}; lines {ranges}{more})"
    )
