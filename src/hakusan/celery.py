"""Celery application: workers run the same registered jobs as the embedded default.

Start a worker on any machine that reaches the database and Redis:
``HAKUSAN_REDIS_URL=redis://host:6379/0 HAKUSAN_DATABASE_URL=postgresql://... hakusan worker``
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hakusan.settings.embedded")

app = Celery("hakusan")
app.config_from_object("django.conf:settings", namespace="CELERY")


@app.task(name="hakusan.run_job", acks_late=True)
def run_job_task(run_id: int) -> None:
    from hakusan.core.jobs import execute

    execute(run_id)


@app.task(name="hakusan.run_periodic")
def run_periodic_task(name: str, params: dict | None = None) -> None:
    from hakusan.core.jobs import run_periodic

    run_periodic(name, params)
