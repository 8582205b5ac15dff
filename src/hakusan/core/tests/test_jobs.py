import time

import pytest

from hakusan.core import jobs
from hakusan.core.choices import JobStatus
from hakusan.core.models import JobRun


@jobs.register_job("test.add")
def _add(ctx: jobs.JobContext, a: int, b: int) -> dict:
    ctx.progress(1, 1, force=True)
    return {"sum": a + b}


@jobs.register_job("test.fail")
def _fail(ctx: jobs.JobContext) -> dict:
    raise RuntimeError("disk full")


@pytest.mark.django_db
def test_inline_job_records_result_and_progress():
    run = jobs.submit("test.add", {"a": 2, "b": 3}, inline=True)
    assert run.status == JobStatus.DONE and run.result == {"sum": 5} and run.percent == 100


@pytest.mark.django_db
def test_failed_job_is_recorded_not_raised():
    run = jobs.submit("test.fail", inline=True)
    assert run.status == JobStatus.FAILED and "disk full" in run.error


@pytest.mark.django_db
def test_unknown_job_name_fails_early():
    with pytest.raises(KeyError, match="unknown job"):
        jobs.submit("nope")
    assert not JobRun.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_background_thread_runs_the_job_after_commit():
    run = jobs.submit("test.add", {"a": 1, "b": 1})
    for _ in range(100):
        run.refresh_from_db()
        if run.finished:
            break
        time.sleep(0.05)
    assert run.status == JobStatus.DONE and run.result == {"sum": 2}


@pytest.mark.django_db
def test_a_job_runs_once():
    run = JobRun.objects.create(name="test.add", params={"a": 1, "b": 2})
    jobs.execute(run.pk)
    jobs.execute(run.pk)  # a redelivered Celery message must not run it again
    run.refresh_from_db()
    assert run.status == JobStatus.DONE
