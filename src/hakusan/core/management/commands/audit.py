"""``hakusan audit verify``: check the chain, the head checkpoint and the triggers, and report
each problem on one line. ``hakusan audit checkpoint``: write the checkpoint from an intact log
(once, after upgrading to the keyed chain)."""

from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.console import Console
from rich.progress import Progress

from hakusan.core import audit_checkpoint
from hakusan.core.audit import ChainProblem, verify_chain
from hakusan.core.models import AuditEntry

MAX_LISTED = 50


class Command(BaseCommand):
    help = (
        "Audit log tools. 'verify' checks the chain, the head checkpoint and the append-only "
        "triggers; 'checkpoint' writes the checkpoint from an intact log."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["verify", "checkpoint"])

    def _problems(self) -> tuple[list[ChainProblem], int]:
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
        return problems, checked

    def handle(self, *args: Any, **options: Any) -> None:
        problems, checked = self._problems()
        if options["action"] == "checkpoint":
            blocking = [p for p in problems if p.kind != "no_checkpoint"]
            if blocking:
                raise CommandError(
                    f"checkpoint refused: the audit log has {len(blocking)} problem(s); "
                    "see 'hakusan audit verify'"
                )
            try:
                audit_checkpoint.sync()
            except (OSError, ImproperlyConfigured) as exc:
                raise CommandError(f"checkpoint not written: {exc}") from None
            self.stdout.write(f"audit checkpoint written: {audit_checkpoint.path()}")
            return
        if problems:
            for problem in problems[:MAX_LISTED]:
                self.stderr.write(str(problem))
            if len(problems) > MAX_LISTED:
                self.stderr.write(f"… and {len(problems) - MAX_LISTED} more")
            raise CommandError(
                f"audit chain BROKEN: {len(problems)} problem(s) in {checked} entries"
            )
        self.stdout.write(f"audit chain OK: {checked} entries")
