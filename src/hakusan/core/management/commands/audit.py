"""``hakusan audit verify``: walk the hash chain and report any break."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.console import Console
from rich.progress import Progress

from hakusan.core.audit import ChainProblem, verify_chain
from hakusan.core.models import AuditEntry


class Command(BaseCommand):
    help = "Audit log tools. 'verify' checks the hash chain."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["verify"])

    def handle(self, *args: Any, **options: Any) -> None:
        console = Console(stderr=True)  # progress on stderr; the verdict on stdout
        total = AuditEntry.objects.count()
        problems: list[ChainProblem] = []
        checked = 0
        with Progress(console=console, transient=True) as progress:
            task = progress.add_task("verifying", total=total)
            for item in verify_chain():
                if isinstance(item, ChainProblem):
                    problems.append(item)
                else:
                    checked = item
                    progress.update(task, completed=checked)
        if problems:
            for p in problems[:50]:
                self.stderr.write(f"entry {p.entry_id}: {p.message}")
            raise CommandError(
                f"audit chain BROKEN: {len(problems)} problem(s) in {checked} entries"
            )
        self.stdout.write(f"audit chain OK: {checked} entries")
