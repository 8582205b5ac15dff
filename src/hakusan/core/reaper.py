"""Stale jobs: runs left RUNNING by a process that died (``kill -9``, a crash, a reboot) are
marked FAILED, with the reason, when a worker or the server starts.

A run records its worker as ``host:pid``. On this host the process is checked directly: a
pid that no longer exists, is a zombie, or started after the run did (the pid was reused)
is dead. A run on another host cannot be checked from here: it is taken for dead when its
heartbeat (touched while it runs, see ``core.jobs``) is older than
``HAKUSAN_JOB_STALE_SECONDS``. Host names must therefore be unique among the machines (and
containers) that run jobs.
"""

import logging
import os
import socket
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from .choices import JobStatus
from .models import JobRun

log = logging.getLogger(__name__)

# A process that ran a job existed before the job was claimed; allow for clock-tick rounding.
_START_SLACK = timedelta(seconds=2)


def this_host() -> str:
    return socket.gethostname()[:100]


def worker_id() -> str:
    """What a run records as its worker: ``host:pid``."""
    return f"{this_host()}:{os.getpid()}"


def _boot_time() -> float | None:
    try:
        for line in Path("/proc/stat").read_text().splitlines():
            if line.startswith("btime "):
                return float(line.split()[1])
    except OSError:
        pass
    return None


def process_alive(pid: int, since: datetime | None = None) -> bool:
    """Whether ``pid`` on this host is a live process that could be running a job claimed at
    ``since``. Where /proc is missing only existence is checked."""
    if pid <= 0:  # 0 and negatives address process groups, never one process
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # exists, owned by another user
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    fields = stat.rsplit(")", 1)[1].split()
    if fields[0] == "Z":  # killed, not yet waited for by its parent
        return False
    boot = _boot_time()
    if since is None or boot is None:
        return True
    started = boot + int(fields[19]) / os.sysconf("SC_CLK_TCK")
    return started <= (since + _START_SLACK).timestamp()


def _reason_dead(worker: str) -> str:
    return _("The process running the job (%(worker)s) ended before the job finished.") % {
        "worker": worker
    }


def _reason_silent(worker: str, since: datetime) -> str:
    return _(
        "No heartbeat from the process running the job (%(worker)s) since %(since)s: "
        "taken for ended before the job finished."
    ) % {"worker": worker, "since": timezone.localtime(since).strftime("%Y-%m-%d %H:%M:%S")}


def reap_stale_runs(now: datetime | None = None) -> list[int]:
    """Mark runs left RUNNING by a dead process FAILED, recording why; the ids marked."""
    now = now or timezone.now()
    host = this_host()
    silent_before = now - timedelta(seconds=settings.HAKUSAN_JOB_STALE_SECONDS)
    reaped = []
    running = JobRun.objects.filter(status=JobStatus.RUNNING).only(
        "pk", "worker", "started_at", "heartbeat_at"
    )
    # Stored text, read later by anyone: in the site's language (Japanese first).
    with translation.override(settings.LANGUAGE_CODE):
        for run in running:
            run_host, _sep, pid = run.worker.rpartition(":")
            beat = run.heartbeat_at or run.started_at
            if run_host == host and pid.isdigit():
                if process_alive(int(pid), run.started_at):
                    continue
                reason = _reason_dead(run.worker)
            elif beat is not None and beat < silent_before:
                reason = _reason_silent(run.worker or "?", beat)
            else:
                continue
            # Only if it has not moved on (finished, or touched its heartbeat) meanwhile.
            if JobRun.objects.filter(
                pk=run.pk, status=JobStatus.RUNNING, heartbeat_at=run.heartbeat_at
            ).update(status=JobStatus.FAILED, finished_at=now, error=reason):
                log.warning("job run %s marked failed: %s", run.pk, reason)
                reaped.append(run.pk)
    return reaped


def reap_quietly(where: str) -> None:
    """Reap at a process's start; a failure here must not stop the server or the worker."""
    try:
        reaped = reap_stale_runs()
    except Exception:
        log.exception("could not check for stale jobs at %s start", where)
        return
    if reaped:
        log.warning("%s start: %d stale job run(s) marked failed", where, len(reaped))
