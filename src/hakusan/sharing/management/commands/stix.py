"""``hakusan stix …``: STIX 2.1 bundles from the command line.

    hakusan stix export (--partner NAME | --tlp LEVEL) [--case C2026-00001 ...]
                        [--campaign ID ...] [--actor ID ...] [--no-sightings] --out FILE
    hakusan stix import FILE (--source NAME | --partner NAME) [--tlp LEVEL] [--pending]
    hakusan stix validate FILE

``export`` writes what ``partners.policy`` lets through at that TLP (audited: who, to whom,
how much). ``import`` prints the import report: objects imported, merged, kept and skipped,
with the reason of each one not imported. ``validate`` runs the OASIS validator in strict mode
(exit status 1 when the file is not valid)."""

import json
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from hakusan.core.choices import TLP
from hakusan.core.models import User
from hakusan.domain.stix import validation
from hakusan.domain.stix.loading import BundleError, loads
from hakusan.partners import policy
from hakusan.partners.models import Partner
from hakusan.sharing import services
from hakusan.sharing.stix_export import ExportStats, export_bundle


class Command(BaseCommand):
    help = "STIX 2.1: 'export' a bundle, 'import' a bundle file, 'validate' a file (strict)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        exp = sub.add_parser("export", help="write a STIX 2.1 bundle of shareable data")
        who = exp.add_mutually_exclusive_group(required=True)
        who.add_argument("--partner", help="export what this partner may receive")
        who.add_argument("--tlp", choices=list(TLP.values), help="highest TLP to export")
        exp.add_argument("--case", action="append", default=[], dest="cases", metavar="NUMBER")
        exp.add_argument(
            "--campaign", action="append", default=[], dest="campaigns", type=int, metavar="ID"
        )
        exp.add_argument(
            "--actor", action="append", default=[], dest="actors", type=int, metavar="ID"
        )
        exp.add_argument("--no-sightings", action="store_true")
        exp.add_argument("--out", required=True, help="output file ('-' for standard output)")
        exp.add_argument("--user", default=None, help="user name the export is recorded under")

        imp = sub.add_parser("import", help="import a STIX 2.x bundle file")
        imp.add_argument("file")
        src = imp.add_mutually_exclusive_group(required=True)
        src.add_argument("--source", help="indicator source name (created if new)")
        src.add_argument("--partner", help="the partner the bundle came from")
        imp.add_argument(
            "--tlp",
            choices=list(TLP.values),
            default=None,
            help="lowest TLP of the imported objects: also the TLP of objects without a "
            "marking (default: the object's marking, amber for unmarked objects)",
        )
        imp.add_argument(
            "--pending", action="store_true", help="store for review instead of importing"
        )
        imp.add_argument("--user", default=None, help="user name the import is recorded under")
        imp.add_argument("--json", action="store_true", help="print the report as JSON")

        val = sub.add_parser("validate", help="validate a STIX 2.1 file (strict)")
        val.add_argument("file")

    def handle(self, *args: Any, **o: Any) -> None:
        getattr(self, f"_{o['action']}")(o)

    # --- helpers ---------------------------------------------------------------------------

    @staticmethod
    def _user(name: str | None) -> User | None:
        if name is None:
            return None
        try:
            return User.objects.get(username=name)
        except User.DoesNotExist:
            raise CommandError(f"--user: no user {name!r}") from None

    @staticmethod
    def _partner(name: str) -> Partner:
        try:
            return Partner.objects.get(name=name)
        except Partner.DoesNotExist:
            raise CommandError(f"--partner: no partner {name!r}") from None

    @staticmethod
    def _read(name: str) -> str:
        try:
            return Path(name).read_bytes().decode("utf-8-sig")
        except OSError as exc:
            raise CommandError(f"{name}: {exc.strerror}") from None
        except UnicodeDecodeError as exc:
            raise CommandError(f"{name}: not UTF-8 (byte {exc.start})") from None

    # --- export ----------------------------------------------------------------------------

    def _export(self, o: dict[str, Any]) -> None:
        from hakusan.analysis.models import Campaign, ThreatActor
        from hakusan.cases.models import Case

        user = self._user(o["user"])
        partner = self._partner(o["partner"]) if o["partner"] else None
        if partner is not None and not partner.active:
            raise CommandError(f"partner {partner.name} is not active")
        max_tlp = partner.max_tlp if partner is not None else o["tlp"]
        cases = list(Case.objects.filter(number__in=o["cases"]).select_related("case_type"))
        missing = set(o["cases"]) - {c.number for c in cases}
        if missing:
            raise CommandError(f"--case: no case {', '.join(sorted(missing))}")
        campaigns = list(Campaign.objects.filter(pk__in=o["campaigns"]).select_related("actor"))
        if len(campaigns) != len(set(o["campaigns"])):
            found = {c.pk for c in campaigns}
            absent = [str(pk) for pk in o["campaigns"] if pk not in found]
            raise CommandError(f"--campaign: no campaign {', '.join(absent)}")
        actors = list(ThreatActor.objects.filter(pk__in=o["actors"]))
        if len(actors) != len(set(o["actors"])):
            raise CommandError("--actor: unknown threat actor id")
        console = Console(stderr=True)
        total = (
            None if o["cases"] or o["campaigns"] else policy.shareable_observables(max_tlp).count()
        )
        stats = ExportStats()
        with Progress(
            TextColumn("[bold]observables"),
            BarColumn(),
            MofNCompleteColumn(),
            console=console,
            transient=True,
        ) as bar:
            task = bar.add_task("export", total=total)
            bundle = export_bundle(
                max_tlp=None if partner else max_tlp,
                partner=partner,
                cases=cases,
                campaigns=campaigns,
                actors=actors,
                include_sightings=not o["no_sightings"],
                progress=lambda done: bar.update(task, completed=done),
                stats=stats,
            )
        text = json.dumps(bundle, ensure_ascii=False, indent=1)
        if o["out"] == "-":
            self.stdout.write(text)
        else:
            try:
                Path(o["out"]).write_text(text + "\n", encoding="utf-8")
            except OSError as exc:
                raise CommandError(f"--out {o['out']}: {exc.strerror or exc}") from None
        services.record_export(
            user,
            destination=o["out"],
            partner=partner,
            max_tlp=max_tlp,
            counts=stats.counts(),
            scope={"cases": o["cases"], "campaigns": o["campaigns"], "actors": o["actors"]},
        )
        summary = ", ".join(f"{k} {v}" for k, v in stats.counts().items())
        console.print(f"exported at TLP:{max_tlp.upper()} → {o['out']}: {summary}")
        for line in stats.omitted:
            console.print(f"  left out: {line}")

    # --- import ----------------------------------------------------------------------------

    def _import(self, o: dict[str, Any]) -> None:
        user = self._user(o["user"])
        partner = self._partner(o["partner"]) if o["partner"] else None
        try:
            data = loads(self._read(o["file"]))
        except BundleError as exc:
            raise CommandError(f"{o['file']}: {exc}") from None
        if data == [] or (isinstance(data, dict) and data.get("objects") == []):
            raise CommandError(f"{o['file']}: no STIX objects to import")
        try:
            report = services.import_bundle(
                data,
                partner=partner,
                source_name=o["source"] or "",
                tlp_default=o["tlp"] or "amber",
                tlp_floor=o["tlp"],
                pending=o["pending"],
                user=user,
                provenance=f"file {Path(o['file']).name}",
            )
        except ValidationError as exc:
            raise CommandError(f"{o['file']}: {'; '.join(exc.messages)}") from None
        if o["json"]:
            self.stdout.write(json.dumps(report.as_dict(), ensure_ascii=False, indent=1))
            return
        state = "pending review" if o["pending"] else "imported"
        self.stdout.write(
            f"bundle #{report.bundle.pk} ({state}): {report.total} objects — "
            f"imported {report.imported}, merged {report.merged}, kept {report.kept}, "
            f"skipped {report.skipped}; new observables {report.new_observables}, "
            f"sightings {report.sightings}"
        )
        for item in report.objects:
            if item.outcome in ("imported", "merged") and not item.problems:
                continue
            label = item.stix_id or f"({item.stix_type or 'object'} without id)"
            self.stdout.write(f"  {item.outcome:8} {label}: {item.reason}")
            for problem in item.problems[:10]:
                self.stdout.write(f"           - {problem}")

    # --- validate --------------------------------------------------------------------------

    def _validate(self, o: dict[str, Any]) -> None:
        try:
            data = loads(self._read(o["file"]))
        except BundleError as exc:
            raise CommandError(f"{o['file']}: {exc}") from None
        try:
            result = validation.validate_data(data)
        except validation.SchemasMissing as exc:
            raise CommandError(str(exc)) from None
        for error in result.errors:
            self.stdout.write(f"error: {error}")
        for warning in result.warnings:
            self.stdout.write(f"warning: {warning}")
        if not result.valid:
            raise CommandError(f"{o['file']}: not valid STIX 2.1 ({len(result.errors)} errors)")
        self.stdout.write(f"{o['file']}: valid STIX 2.1 (strict)")
