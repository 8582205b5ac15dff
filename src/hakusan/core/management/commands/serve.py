"""``hakusan serve``: the WSGI server (gunicorn) plus, in the embedded default, the scheduler
thread that runs periodic jobs (SLA escalation) which Celery beat runs in a deployment.

The scheduler runs in exactly one *worker*, never in the gunicorn master: a master that holds
a database transaction (SQLite's lock state lives in process memory) when it forks a worker
leaves that worker unable to ever write ("database is locked"). Workers compete for a file
lock; the holder runs the scheduler, and if it dies another worker takes over."""

import fcntl
import logging
import threading
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from hakusan.core import jobs
from hakusan.core.reaper import reap_quietly

PERIODIC = (
    ("intake.escalate_overdue", 300),
    ("intake.retrain_triage", 86400),
    ("analysis.refresh", 900),
    ("indicators.reflag_warninglists", 86400),
    ("indicators.enrich", 3600),
    ("federation.pull_due", 60),
    ("federation.push_due", 60),
    ("taxii.publish", 600),
)


log = logging.getLogger(__name__)
LOCK_RETRY_SECONDS = 30


def start_scheduler_when_leader(lock_path: Path) -> None:
    """Start a thread that takes ``lock_path`` (flock, held for the process's life) and then
    runs the periodic jobs; while another worker holds it, retry every 30 s."""

    def contend() -> None:
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        handle = lock_path.open("a")  # kept open: closing it would release the lock
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                time.sleep(LOCK_RETRY_SECONDS)
                continue
            log.info("this worker runs the periodic jobs")
            run_periodic_forever()

    threading.Thread(target=contend, name="hakusan-scheduler", daemon=True).start()


def run_periodic_forever() -> None:
    last: dict[str, float] = {}
    while True:
        now = time.monotonic()
        for name, every in PERIODIC:
            if now - last.get(name, -every) >= every:
                last[name] = now
                try:
                    jobs.run_periodic(name)
                except Exception:  # the scheduler outlives a failing job
                    log.exception("periodic job %s failed", name)
        time.sleep(5)


class Command(BaseCommand):
    help = "Start the Hakusan web server."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=2)
        parser.add_argument("--threads", type=int, default=4)
        parser.add_argument(
            "--no-warm",
            action="store_true",
            help="do not build the warninglist and IP indexes before serving",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from gunicorn.app.base import BaseApplication

        from hakusan.wsgi import application

        bind = f"{options['host']}:{options['port']}"
        # Jobs the previous server was running when it died will never finish: say so.
        reap_quietly("server")
        if not options["no_warm"]:
            self.warm()
        use_scheduler = not jobs.use_celery()
        lock_path = Path(settings.DATA_DIR) / "scheduler.lock"
        # Nothing the master opened may be shared with forked workers.
        from django.db import connections

        connections.close_all()

        def worker_started() -> None:
            # A worker the master replaced (killed on timeout) left its job threads' runs.
            reap_quietly("web worker")
            if use_scheduler:
                start_scheduler_when_leader(lock_path)

        class Server(BaseApplication):
            def load_config(self) -> None:
                self.cfg.set("bind", bind)
                self.cfg.set("workers", options["workers"])
                self.cfg.set("threads", options["threads"])
                self.cfg.set("worker_class", "gthread")
                self.cfg.set("timeout", 120)
                self.cfg.set("accesslog", "-")
                self.cfg.set("post_worker_init", lambda worker: worker_started())

            def load(self) -> Any:
                return application

        self.stdout.write(
            f"Hakusan on http://{bind}/  (database: "
            f"{settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}, "
            f"jobs: {'celery' if jobs.use_celery() else 'in-process'})"
        )
        Server().run()

    def warm(self) -> None:
        """Build the warninglist and offline enrichment indexes in the master process before
        the workers fork: the first ingest would otherwise wait 8-16 s for them, and forked
        workers share the built pages (copy-on-write) instead of building their own."""
        from hakusan.indicators.ingest import annotator

        start = time.monotonic()
        self.stdout.write("building warninglist and IP indexes…")
        notes = annotator()
        notes.index  # noqa: B018  (the property builds and caches the index)
        notes.enrichers()
        self.stdout.write(f"indexes ready in {time.monotonic() - start:.1f} s")
