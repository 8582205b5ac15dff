"""Jobs: registered functions that run in-process (embedded default) or on Celery workers.

A job is ``fn(ctx: JobContext, **params) -> dict``. It loads its input, calls services and
reports progress through ``ctx``; the same code runs in a thread of the web process, in the CLI
(inline) or on a Celery worker (``HAKUSAN_REDIS_URL`` set).
"""

import logging
import threading
import traceback
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import DatabaseError, close_old_connections, connection, transaction
from django.utils import timezone

from hakusan.domain.registry import Registry

from .choices import JobStatus
from .models import JobRun, User
from .reaper import reap_quietly, worker_id

log = logging.getLogger(__name__)


class InputRefused(ValueError):
    """A job's input that cannot be used at all (a file that is missing, empty, not the format,
    not the encoding): the run fails with this one-line message as its error, and no traceback
    is logged, since nothing crashed."""


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
                progress_done=done,
                progress_total=self.run.progress_total,
                heartbeat_at=timezone.now(),
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


_reaped = threading.Event()
_reap_lock = threading.Lock()


def reap_once_per_process() -> None:
    """The in-process runner's start: the first job this process runs first marks runs left
    by dead processes failed (a CLI import killed with ``kill -9``, a crashed server)."""
    with _reap_lock:
        if _reaped.is_set():
            return
        _reaped.set()
    reap_quietly("in-process runner")


def _start_thread(run_id: int) -> None:
    def target() -> None:
        try:
            reap_once_per_process()
            execute(run_id)
        finally:
            close_old_connections()

    threading.Thread(target=target, name=f"hakusan-job-{run_id}", daemon=True).start()


def execute(run_id: int) -> None:
    """Run a queued job to the end, recording its outcome. Never raises for a job's failure."""
    now = timezone.now()
    claimed = JobRun.objects.filter(pk=run_id, status=JobStatus.QUEUED).update(
        status=JobStatus.RUNNING, started_at=now, heartbeat_at=now, worker=worker_id()
    )
    if not claimed:
        log.warning("job run %s is not queued; skipped", run_id)
        return
    run = JobRun.objects.select_related("created_by").get(pk=run_id)
    ctx = JobContext(run)
    heartbeat = _Heartbeat(run_id)
    try:
        result = JOBS.get(run.name)(ctx, **run.params)
    except InputRefused as exc:  # the input's fault, said in one line: not a crash to log
        log.info("job %s (%s) refused its input: %s", run.name, run_id, exc)
        JobRun.objects.filter(pk=run_id).update(
            status=JobStatus.FAILED, finished_at=timezone.now(), error=str(exc)
        )
        return
    except Exception as exc:  # a failed job is recorded, not lost
        log.exception("job %s (%s) failed", run.name, run_id)
        JobRun.objects.filter(pk=run_id).update(
            status=JobStatus.FAILED,
            finished_at=timezone.now(),
            error=f"{type(exc).__name__}: {exc}\n\n{traceback.format_exc(limit=5)}",
        )
        return
    finally:
        heartbeat.stop()
    JobRun.objects.filter(pk=run_id).update(
        status=JobStatus.DONE,
        finished_at=timezone.now(),
        result=result or {},
        progress_done=ctx.run.progress_done,
        progress_total=ctx.run.progress_total,
    )


class _Heartbeat:
    """Touches a running job's heartbeat from a thread of its own, so that a long step
    without progress reports (training, a big query) is not taken for a dead process."""

    def __init__(self, run_id: int) -> None:
        self.run_id = run_id
        self._stopped = threading.Event()
        self._thread = threading.Thread(
            target=self._beat, name=f"hakusan-heartbeat-{run_id}", daemon=True
        )
        self._thread.start()

    def _beat(self) -> None:
        try:
            while not self._stopped.wait(settings.HAKUSAN_JOB_HEARTBEAT_SECONDS):
                try:
                    JobRun.objects.filter(pk=self.run_id, status=JobStatus.RUNNING).update(
                        heartbeat_at=timezone.now()
                    )
                except DatabaseError:  # busy database: the next beat tries again
                    log.warning("heartbeat of job run %s not recorded", self.run_id)
        finally:
            connection.close()  # this thread's own connection

    def stop(self) -> None:
        self._stopped.set()


def run_periodic(name: str, params: dict[str, Any] | None = None) -> JobRun:
    """Periodic work (beat on Celery, the scheduler thread in the embedded default)."""
    return submit(name, params, inline=True)
