"""``hakusan misp …``: MISP feeds out and MISP events in.

    hakusan misp export-feed OUTDIR (--partner NAME | --tlp LEVEL) [--content cases|indicators]
    hakusan misp import PATH_OR_URL [--source NAME] [--tlp DEFAULT] [--user NAME]
                                    [--header 'Authorization: Token …'] [--timeout S] [--json]

``export-feed`` writes ``manifest.json``, one ``<uuid>.json`` per event and ``hashes.csv`` (a
directory a MISP instance can read as a local feed, or a web server can serve); it is audited.
``import`` reads one event, a list of events, or a feed (directory or URL with
``manifest.json``) and prints what was imported, merged and skipped (with reasons).
"""

import json
import sys
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from hakusan.core.choices import TLP
from hakusan.core.models import User
from hakusan.domain.sharing import tlp as tlp_rules


class Command(BaseCommand):
    help = "MISP: 'export-feed OUTDIR' writes a MISP feed; 'import PATH_OR_URL' imports events."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        exp = sub.add_parser("export-feed", help="write a MISP feed into a directory")
        exp.add_argument("outdir")
        who = exp.add_mutually_exclusive_group(required=True)
        who.add_argument("--partner", help="build the feed this partner would receive")
        who.add_argument("--tlp", choices=list(TLP.values), help="highest TLP in the feed")
        exp.add_argument(
            "--content",
            action="append",
            choices=["cases", "indicators"],
            default=None,
            help="with --tlp: what to include (default both; repeatable)",
        )
        imp = sub.add_parser("import", help="import MISP events (file, directory, URL)")
        imp.add_argument("location")
        imp.add_argument("--source", default=None, help="indicator source (default misp:<org>)")
        imp.add_argument(
            "--tlp",
            choices=list(TLP.values),
            default=None,
            help="lowest TLP of the imported attributes: the most restrictive of the "
            "attribute's tlp: tag, the event's and this wins (amber when none is given)",
        )
        imp.add_argument("--user", default=None, help="user the import is recorded under")
        imp.add_argument(
            "--header",
            action="append",
            default=[],
            help="HTTP header for URLs, e.g. 'Authorization: Token …' (repeatable)",
        )
        imp.add_argument("--timeout", type=float, default=30.0, help="per request, seconds")
        imp.add_argument("--json", action="store_true", help="print the full report as JSON")

    def handle(self, *args: Any, **o: Any) -> None:
        if o["action"] == "export-feed":
            self._export(o)
        else:
            self._import(o)

    def _export(self, o: dict[str, Any]) -> None:
        from hakusan.misp.services import FEED_KINDS, export_feed, feed_kinds_for
        from hakusan.partners.models import Partner

        partner = None
        if o["partner"]:
            partner = Partner.objects.filter(name=o["partner"]).first()
            if partner is None:
                raise CommandError(f"--partner: no partner named {o['partner']!r}")
            if not partner.active:
                raise CommandError(f"--partner: {partner.name!r} is not active")
            kinds = feed_kinds_for(partner)
            if not kinds:
                raise CommandError(
                    f"--partner: {partner.name!r} receives neither indicators nor cases"
                )
            max_tlp = partner.max_tlp
        else:
            max_tlp = tlp_rules.normalise(o["tlp"])
            kinds = tuple(dict.fromkeys(o["content"])) if o["content"] else FEED_KINDS
        console = Console(soft_wrap=True, stderr=True)
        outdir = Path(o["outdir"]).resolve()
        if outdir.exists() and not outdir.is_dir():
            raise CommandError(f"{o['outdir']}: exists and is not a directory")
        with Progress(
            TextColumn("[bold]MISP feed"),
            BarColumn(),
            MofNCompleteColumn(),
            console=console,
            transient=True,
        ) as progress:
            task = progress.add_task("events", total=None)

            def step(done: int, total: int) -> None:
                progress.update(task, completed=done, total=total)

            try:
                feed = export_feed(
                    outdir, max_tlp=max_tlp, kinds=kinds, partner=partner, progress=step
                )
            except OSError as exc:
                raise CommandError(f"{o['outdir']}: {exc.strerror or exc}") from None
        self.stdout.write(
            f"{len(feed.events)} event(s), {feed.attribute_count} attribute(s) at TLP up to "
            f"{max_tlp.upper()} ({', '.join(kinds)}) written to {outdir}"
        )

    def _import(self, o: dict[str, Any]) -> None:
        from hakusan.misp.fetch import FetchError, load
        from hakusan.misp.services import import_events

        user = None
        if o["user"]:
            user = User.objects.filter(username=o["user"]).first()
            if user is None:
                raise CommandError(f"--user: no user {o['user']!r}")
        console = Console(soft_wrap=True, stderr=True)
        try:
            with console.status(f"reading {o['location']}"):
                events = [
                    e for _, e in load(o["location"], headers=o["header"], timeout=o["timeout"])
                ]
        except FetchError as exc:
            raise CommandError(str(exc)) from None
        if not events and Path(o["location"]).is_file():  # a feed may have none today
            raise CommandError(f"{o['location']}: no MISP events in the file")
        try:
            report = import_events(
                user,
                events,
                source_name=o["source"],
                default_tlp=o["tlp"],
                origin=o["location"],
            )
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from None
        if o["json"]:
            sys.stdout.write(json.dumps(report.as_dict(), ensure_ascii=False, indent=2) + "\n")
            return
        self.stdout.write(
            f"{report.events} event(s), {report.attributes} attribute(s): "
            f"{report.imported} imported, {report.merged} merged, "
            f"{len(report.skipped)} skipped; source(s): {', '.join(report.sources) or '-'}"
        )
        for reason, count in report.reasons().items():
            self.stdout.write(f"  {count:6d}  {reason}")
        for s in report.skipped[:20]:
            if s.reason.startswith("invalid"):
                self.stdout.write(f"  attribute {s.attribute} ({s.type}): {s.reason}")
        for line in report.actors:
            self.stdout.write(f"  actor: {line}")
        for line in report.actors_not_created:
            self.stdout.write(f"  actor not created: {line}")
        if report.techniques:
            self.stdout.write(f"  techniques (kept as tags): {', '.join(report.techniques[:10])}")
