"""``hakusan demo``: migrate, load the fictional demo data once, print the logins, serve."""

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from rich.console import Console
from rich.table import Table


class Command(BaseCommand):
    help = "Set up a SQLite demo with fictional data and start the server."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--reports", type=int, default=400)
        parser.add_argument("--no-serve", action="store_true")

    def handle(self, *args: Any, **o: Any) -> None:
        from hakusan import demo

        console = Console()
        call_command("migrate", verbosity=0)
        with console.status("loading demo data") as status:
            demo.load_demo(
                o["reports"],
                progress=lambda msg: status.update(f"demo: {msg}"),
                base_url=f"http://{o['host']}:{o['port']}",
            )
        table = Table(title="Hakusan demo logins (fictional)")
        for column in ("user", "password", "role", "department"):
            table.add_column(column)
        for u in demo.DEMO_USERS:
            table.add_row(u.username, demo.DEMO_PASSWORD, u.role, u.department)
        console.print(table)
        console.print(
            "Analysts, supervisors and administrators enrol an authenticator app "
            "(TOTP) at their first log-in."
        )
        if not o["no_serve"]:
            call_command("serve", host=o["host"], port=o["port"])
