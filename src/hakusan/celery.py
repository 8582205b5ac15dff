"""Celery application: workers run the same registered jobs as the embedded default.

Start a worker on any machine that reaches the database and Redis:
``HAKUSAN_REDIS_URL=redis://host:6379/0 HAKUSAN_DATABASE_URL=postgresql://... hakusan worker``
"""

import os
from typing import Any

from celery import Celery
from celery.signals import worker_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hakusan.settings.embedded")

app = Celery("hakusan")
app.config_from_object("django.conf:settings", namespace="CELERY")


@worker_ready.connect
def reap_stale_jobs(**_kwargs: Any) -> None:
    """A worker starting: runs left RUNNING by a dead worker process are marked failed."""
    from hakusan.core.reaper import reap_quietly

    reap_quietly("Celery worker")


@app.task(name="hakusan.run_job", acks_late=True)
def run_job_task(run_id: int) -> None:
    from hakusan.core.jobs import execute

    execute(run_id)


@app.task(name="hakusan.run_periodic")
def run_periodic_task(name: str, params: dict | None = None) -> None:
    from hakusan.core.jobs import run_periodic

    run_periodic(name, params)
