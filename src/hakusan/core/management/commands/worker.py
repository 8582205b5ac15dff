"""``hakusan worker``: a Celery worker running the same registered jobs as the embedded
default. Run it on as many machines as you like; each needs the database and Redis URLs."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from hakusan.core import jobs


class Command(BaseCommand):
    help = "Start a Celery worker (needs HAKUSAN_REDIS_URL)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--concurrency", type=int, default=2)
        parser.add_argument(
            "--beat",
            action="store_true",
            help="also run the periodic scheduler (run it on one worker only)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not jobs.use_celery():
            raise CommandError(
                "HAKUSAN_REDIS_URL is not set: jobs run in-process; a worker has nothing to do"
            )
        from hakusan.celery import app

        argv = ["worker", "--loglevel=INFO", f"--concurrency={options['concurrency']}"]
        if options["beat"]:
            argv.append("--beat")
        app.worker_main(argv)
