"""``hakusan extract [FILE|-]``: the observables in a text, one JSON object per line.

The text is UTF-8, or UTF-16/UTF-32 with a byte-order mark (``domain.observables.decoding``);
anything else stops with one line saying why, ``--lenient`` included."""

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from hakusan.domain.observables import extract
from hakusan.domain.observables.decoding import UndecodableText, decode_text


class Command(BaseCommand):
    help = "Print the observables found in FILE (or standard input) as JSON lines."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", nargs="?", default="-")
        parser.add_argument(
            "--lenient",
            action="store_true",
            help="replace invalid sequences (U+FFFD) instead of stopping at the first one",
        )

    def handle(self, *args: Any, **o: Any) -> None:
        name = o["file"]
        data = sys.stdin.buffer.read() if name == "-" else self._read(name)
        try:
            decoded = decode_text(data, lenient=o["lenient"])
        except UndecodableText as exc:
            hint = "; use --lenient to replace it" if exc.replaceable else ""
            raise CommandError(f"{name}: {exc}{hint}") from None
        if decoded.replaced:
            # Lenient output is incomplete: say so (stderr keeps stdout JSON lines only).
            self.stderr.write(
                f"{name}: replaced {decoded.replaced} invalid {decoded.encoding} "
                f"sequence(s), the first at byte {decoded.first_replaced}"
            )
        text = decoded.text
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
