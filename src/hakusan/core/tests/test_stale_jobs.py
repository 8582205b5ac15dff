"""Jobs left RUNNING by a dead process are marked failed, with the reason, when a worker or
the server starts; a job whose process lives is left alone."""

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from hakusan.core import jobs, reaper
from hakusan.core.choices import JobStatus
from hakusan.core.models import JobRun


@jobs.register_job("test.sleep")
def _sleep(ctx: jobs.JobContext, seconds: float) -> dict:
    time.sleep(seconds)
    return {}


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def running(worker: str, *, started: timedelta = timedelta(0), beat: timedelta | None = None):
    now = timezone.now()
    return JobRun.objects.create(
        name="test.sleep",
        status=JobStatus.RUNNING,
        worker=worker,
        started_at=now - started,
        heartbeat_at=None if beat is None else now - beat,
    )


HOST = reaper.this_host()


@pytest.mark.django_db
def test_a_job_of_a_dead_process_on_this_host_is_marked_failed_with_the_reason():
    worker = f"{HOST}:{dead_pid()}"
    run = running(worker, beat=timedelta(0))
    assert reaper.reap_stale_runs() == [run.pk]
    run.refresh_from_db()
    assert run.status == JobStatus.FAILED and run.finished_at is not None
    assert run.error == (
        f"ジョブを実行していたプロセス（{worker}）が、ジョブの完了前に終了しました。"
    )


@pytest.mark.django_db
def test_a_job_of_a_live_process_is_left_alone():
    mine = running(f"{HOST}:{os.getpid()}", beat=timedelta(hours=5))
    elsewhere = running("other-host.example.jp:4242", beat=timedelta(seconds=30))
    assert reaper.reap_stale_runs() == []
    assert set(JobRun.objects.values_list("status", flat=True)) == {JobStatus.RUNNING}
    assert mine.pk and elsewhere.pk


@pytest.mark.django_db
def test_a_killed_process_not_yet_waited_for_is_dead():
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        run = running(f"{HOST}:{child.pid}")
        assert reaper.reap_stale_runs() == []
        child.send_signal(signal.SIGKILL)
        for _ in range(100):  # a zombie until waited for
            if reaper.reap_stale_runs() == [run.pk]:
                break
            time.sleep(0.02)
        run.refresh_from_db()
        assert run.status == JobStatus.FAILED
    finally:
        child.kill()
        child.wait()


@pytest.mark.django_db
def test_a_pid_reused_by_a_later_process_is_not_the_job():
    # This test process started long after this job: the pid was reused (after a reboot).
    run = running(f"{HOST}:{os.getpid()}", started=timedelta(days=2), beat=timedelta(0))
    assert reaper.reap_stale_runs() == [run.pk]


@pytest.mark.django_db
def test_a_job_on_another_host_is_reaped_when_its_heartbeat_is_old(settings):
    settings.HAKUSAN_JOB_STALE_SECONDS = 600
    old = running("other-host.example.jp:4242", beat=timedelta(minutes=11))
    fresh = running("other-host.example.jp:4343", beat=timedelta(minutes=9))
    never = running("third-host.example.jp:77", started=timedelta(hours=1))
    assert sorted(reaper.reap_stale_runs()) == sorted([old.pk, never.pk])
    old.refresh_from_db()
    fresh.refresh_from_db()
    assert fresh.status == JobStatus.RUNNING
    assert old.status == JobStatus.FAILED
    since = timezone.localtime(old.heartbeat_at).strftime("%Y-%m-%d %H:%M:%S")
    assert old.error == (
        "ジョブを実行していたプロセス（other-host.example.jp:4242）から"
        f"{since} 以降応答がないため、ジョブの完了前に終了したものとみなしました。"
    )


@pytest.mark.django_db
def test_a_job_that_moved_on_meanwhile_is_not_marked(monkeypatch):
    run = running("other-host.example.jp:1", beat=timedelta(hours=1))
    real = JobRun.objects.filter

    def touch_first(*args, **kwargs):  # the job beats between the reaper's read and write
        if kwargs.get("pk") == run.pk:
            JobRun.objects.update(heartbeat_at=timezone.now())
        return real(*args, **kwargs)

    monkeypatch.setattr(JobRun.objects, "filter", touch_first)
    assert reaper.reap_stale_runs() == []


@pytest.mark.django_db(transaction=True)  # the heartbeat thread has its own connection
def test_progress_and_the_heartbeat_thread_keep_a_job_alive(settings):
    settings.HAKUSAN_JOB_HEARTBEAT_SECONDS = 0.05
    run = jobs.submit("test.sleep", {"seconds": 0.4}, inline=True)
    assert run.status == JobStatus.DONE and run.heartbeat_at and run.started_at
    assert run.heartbeat_at - run.started_at >= timedelta(seconds=0.2)

    ctx = jobs.JobContext(running("h:1", beat=timedelta(hours=1)))
    ctx.progress(1, 2, force=True)
    ctx.run.refresh_from_db()
    assert ctx.run.heartbeat_at and timezone.now() - ctx.run.heartbeat_at < timedelta(seconds=5)


@pytest.mark.django_db(transaction=True)
def test_the_in_process_runner_reaps_when_it_starts(monkeypatch):
    monkeypatch.setattr(jobs, "_reaped", threading.Event())
    stale = running(f"{HOST}:{dead_pid()}")
    run = jobs.submit("test.sleep", {"seconds": 0})
    for _ in range(200):
        run.refresh_from_db()
        if run.finished:
            break
        time.sleep(0.02)
    stale.refresh_from_db()
    assert run.status == JobStatus.DONE and stale.status == JobStatus.FAILED


@pytest.mark.django_db
def test_a_celery_worker_reaps_when_it_is_ready():
    from celery.signals import worker_ready

    import hakusan.celery  # noqa: F401  (connects the signal)

    stale = running(f"{HOST}:{dead_pid()}")
    worker_ready.send(sender=None)
    stale.refresh_from_db()
    assert stale.status == JobStatus.FAILED


@pytest.mark.django_db(transaction=True)  # serve closes the connections before forking
def test_the_server_reaps_when_it_starts(monkeypatch):
    from gunicorn.app.base import BaseApplication

    from hakusan.core.management.commands import serve

    started: dict = {}
    monkeypatch.setattr(BaseApplication, "run", lambda self: started.update(cfg=self.cfg))
    monkeypatch.setattr(serve, "start_scheduler_when_leader", lambda path: None)
    stale = running(f"{HOST}:{dead_pid()}")
    call_command("serve", "--no-warm", stdout=StringIO())
    stale.refresh_from_db()
    assert stale.status == JobStatus.FAILED
    # Each web worker checks again when the master starts it (a replaced worker's jobs).
    again = running(f"{HOST}:{dead_pid()}")
    started["cfg"].post_worker_init(None)
    again.refresh_from_db()
    assert again.status == JobStatus.FAILED
