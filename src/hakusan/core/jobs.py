"""Jobs: registered functions that run in-process (embedded default) or on Celery workers.

A job is ``fn(ctx: JobContext, **params) -> dict``. It loads its input, calls services and
reports progress through ``ctx``; the same code runs in a thread of the web process, in the CLI
(inline) or on a Celery worker (``HAKUSAN_REDIS_URL`` set).
"""

import logging
import os
import socket
import threading
import traceback
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import close_old_connections, transaction
from django.utils import timezone

from hakusan.domain.registry import Registry

from .choices import JobStatus
from .models import JobRun, User

log = logging.getLogger(__name__)

JobFunction = Callable[..., dict[str, Any]]
JOBS: Registry[JobFunction] = Registry("job")


def register_job(name: str) -> Callable[[JobFunction], JobFunction]:
    return JOBS.register(name)


class JobContext:
    """Handed to a job: progress reporting, throttled so it does not flood the database."""

    def __init__(self, run: JobRun) -> None:
        self.run = run
        self._last_saved = 0.0

    @property
    def user(self) -> User | None:
        return self.run.created_by

    def progress(self, done: int, total: int | None = None, *, force: bool = False) -> None:
        now = timezone.now().timestamp()
        self.run.progress_done = done
        if total is not None:
            self.run.progress_total = total
        if force or now - self._last_saved >= 0.5:
            JobRun.objects.filter(pk=self.run.pk).update(
                progress_done=done, progress_total=self.run.progress_total
            )
            self._last_saved = now


def use_celery() -> bool:
    return bool(settings.HAKUSAN_REDIS_URL)


def submit(
    name: str,
    params: dict[str, Any] | None = None,
    *,
    user: User | None = None,
    inline: bool = False,
) -> JobRun:
    """Queue a job. ``inline`` runs it now in this thread (CLI, tests)."""
    JOBS.get(name)  # fail early on an unknown name
    run = JobRun.objects.create(name=name, params=params or {}, created_by=user)
    if inline:
        execute(run.pk)
        run.refresh_from_db()
    elif use_celery():
        from hakusan.celery import run_job_task

        transaction.on_commit(lambda: run_job_task.delay(run.pk))
    else:
        transaction.on_commit(lambda: _start_thread(run.pk))
    return run


def _start_thread(run_id: int) -> None:
    def target() -> None:
        try:
            execute(run_id)
        finally:
            close_old_connections()

    threading.Thread(target=target, name=f"hakusan-job-{run_id}", daemon=True).start()


def execute(run_id: int) -> None:
    """Run a queued job to the end, recording its outcome. Never raises for a job's failure."""
    claimed = JobRun.objects.filter(pk=run_id, status=JobStatus.QUEUED).update(
        status=JobStatus.RUNNING,
        started_at=timezone.now(),
        worker=f"{socket.gethostname()[:100]}:{os.getpid()}",
    )
    if not claimed:
        log.warning("job run %s is not queued; skipped", run_id)
        return
    run = JobRun.objects.select_related("created_by").get(pk=run_id)
    ctx = JobContext(run)
    try:
        result = JOBS.get(run.name)(ctx, **run.params)
    except Exception as exc:  # a failed job is recorded, not lost
        log.exception("job %s (%s) failed", run.name, run_id)
        JobRun.objects.filter(pk=run_id).update(
            status=JobStatus.FAILED,
            finished_at=timezone.now(),
            error=f"{type(exc).__name__}: {exc}\n\n{traceback.format_exc(limit=5)}",
        )
        return
    JobRun.objects.filter(pk=run_id).update(
        status=JobStatus.DONE,
        finished_at=timezone.now(),
        result=result or {},
        progress_done=ctx.run.progress_done,
        progress_total=ctx.run.progress_total,
    )


def run_periodic(name: str, params: dict[str, Any] | None = None) -> JobRun:
    """Periodic work (beat on Celery, the scheduler thread in the embedded default)."""
    return submit(name, params, inline=True)
