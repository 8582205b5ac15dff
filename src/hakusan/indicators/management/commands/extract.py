"""``hakusan extract [FILE|-]``: the observables in a text, one JSON object per line."""

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from hakusan.domain.observables import extract


class Command(BaseCommand):
    help = "Print the observables found in FILE (or standard input) as JSON lines."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", nargs="?", default="-")
        parser.add_argument(
            "--lenient", action="store_true", help="replace invalid UTF-8 instead of stopping at it"
        )

    def handle(self, *args: Any, **o: Any) -> None:
        name = o["file"]
        data = sys.stdin.buffer.read() if name == "-" else self._read(name)
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            if not o["lenient"]:
                line = data.count(b"\n", 0, exc.start) + 1
                raise CommandError(
                    f"{name}: invalid UTF-8 at byte {exc.start} (line {line}); "
                    "use --lenient to replace it"
                ) from None
            text = data.decode("utf-8-sig", errors="replace")
        out = self.stdout
        for e in extract(text):
            out.write(
                json.dumps(
                    {
                        "type": str(e.type),
                        "value": e.value,
                        "original": e.original,
                        "start": e.start,
                        "end": e.end,
                    },
                    ensure_ascii=False,
                )
            )

    @staticmethod
    def _read(name: str) -> bytes:
        try:
            return Path(name).read_bytes()
        except OSError as exc:
            raise CommandError(f"{name}: {exc.strerror}") from None
