"""Shared by the import commands: follow a submitted job with a progress bar, and report its
rejected rows — the same whether it runs in-process or on a Celery worker."""

import time
from typing import Any

from django.core.management.base import CommandError
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

from .choices import JobStatus
from .models import JobRun


def follow_job(run: JobRun, console: Console, label: str, timeout: float) -> dict[str, Any]:
    """Poll ``run`` until it finishes; its result, or a CommandError naming what went wrong."""
    deadline = time.monotonic() + timeout
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task(label, total=100)
        while True:
            run.refresh_from_db()
            progress.update(task, completed=run.percent or 0)
            if run.finished:
                break
            if time.monotonic() > deadline:
                raise CommandError(f"job {run.pk} still {run.status} after {timeout}s")
            time.sleep(0.3)
    if run.status == JobStatus.FAILED:
        raise CommandError(f"import failed: {run.error.splitlines()[0] if run.error else ''}")
    return run.result


def print_rejects(console: Console, result: dict[str, Any]) -> None:
    console.print(
        f"rejected {result['rejected']} row(s)"
        + (f": see {result['rejects_file']}" if result.get("rejects_file") else "")
    )
    for e in result.get("errors", [])[:10]:
        where = f"line {e['line']}" + (
            f", byte {e['byte_offset']}" if e.get("byte_offset") is not None else ""
        )
        console.print(f"  {where}: {e['message']}", markup=False)
