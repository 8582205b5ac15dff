"""``hakusan federation …``: TAXII 2.1 pulls from, and pushes to, other servers.

    hakusan federation add NAME --url API_ROOT --collection ID_OR_ALIAS --partner PARTNER
        [--user U] (--password-env VAR | --password P) [--trusted] [--tlp-default amber]
        [--interval 3600] [--page-size 500] [--insecure]
    hakusan federation add-push NAME --url API_ROOT --collection inbound --partner PARTNER ...
    hakusan federation pull [NAME ... | --all] [--max-pages N]
    hakusan federation push NAME
    hakusan federation list [--json]
    hakusan federation reset NAME          (forget the watermark: fetch everything again)
    hakusan federation enable|disable NAME

Every change and every run is written to the audit log (with no actor: the CLI is the
operator's). ``pull`` and ``push`` exit non-zero when a run failed; the error is also kept
on the source (``list`` shows it).
"""

import json
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from hakusan.core.choices import TLP
from hakusan.federation import services
from hakusan.federation.models import PullSource, PushTarget


def _errors(exc: ValidationError) -> str:
    if hasattr(exc, "message_dict"):
        return "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
    return " ".join(exc.messages)


class Command(BaseCommand):
    help = "TAXII 2.1 federation: pull sources and push targets (add, pull, push, list)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)

        def remote_args(p: CommandParser, collection_help: str) -> None:
            p.add_argument("name")
            p.add_argument("--url", required=True, help="API root, e.g. https://x/taxii2/hakusan/")
            p.add_argument("--collection", required=True, help=collection_help)
            p.add_argument("--partner", required=True, help="the partner this server belongs to")
            p.add_argument("--user", default="", help="HTTP Basic user name")
            secret = p.add_mutually_exclusive_group()
            secret.add_argument(
                "--password-env", default="", help="environment variable holding the password"
            )
            secret.add_argument(
                "--password", default="", help="password or token (stored in the database)"
            )
            p.add_argument("--interval", type=int, default=3600, help="seconds between runs")
            p.add_argument("--timeout", type=int, default=60, help="request timeout in seconds")
            p.add_argument(
                "--insecure", action="store_true", help="do not verify the TLS certificate"
            )

        add = sub.add_parser("add", help="add a pull source")
        remote_args(add, "remote collection id, alias or title")
        add.add_argument(
            "--trusted", action="store_true", help="accept pulled bundles without review"
        )
        add.add_argument("--tlp-default", choices=list(TLP.values), default=TLP.AMBER)
        add.add_argument("--page-size", type=int, default=500)

        add_push = sub.add_parser(
            "add-push", help="add a push target (a remote inbound collection)"
        )
        remote_args(add_push, "remote inbound collection id, alias or title")

        pull = sub.add_parser("pull", help="pull new objects now")
        pull.add_argument("names", nargs="*")
        pull.add_argument("--all", action="store_true", help="every enabled source")
        pull.add_argument("--max-pages", type=int, default=None)

        push = sub.add_parser("push", help="push new or changed indicators now")
        push.add_argument("name")

        lst = sub.add_parser("list", help="pull sources and push targets with their state")
        lst.add_argument("--json", action="store_true")

        for action, helptext in (
            ("reset", "forget a source's watermark (the next pull fetches everything again)"),
            ("enable", "enable a source or target"),
            ("disable", "disable a source or target"),
        ):
            sub.add_parser(action, help=helptext).add_argument("name")

    def handle(self, *args: Any, **o: Any) -> None:
        self.console = Console(soft_wrap=True)
        handler = getattr(self, "_" + o["action"].replace("-", "_"))
        try:
            handler(o)
        except ValidationError as exc:
            raise CommandError(_errors(exc)) from None

    # --- configuration --------------------------------------------------------------------

    def _add(self, o: dict[str, Any]) -> None:
        source = services.create_pull_source(
            o["name"],
            api_root_url=o["url"],
            collection=o["collection"],
            partner=o["partner"],
            username=o["user"],
            password=o["password"],
            password_env=o["password_env"],
            trusted=o["trusted"],
            tlp_default=o["tlp_default"],
            interval_seconds=o["interval"],
            page_size=o["page_size"],
            verify_tls=not o["insecure"],
            timeout_seconds=o["timeout"],
        )
        review = "accepted at once (trusted)" if source.trusted else "held for analyst review"
        self.stdout.write(
            f"pull source {source.name!r} added: {source.api_root_url} collection "
            f"{source.collection!r} for partner {source.partner.name!r}; bundles {review}"
        )

    def _add_push(self, o: dict[str, Any]) -> None:
        target = services.create_push_target(
            o["name"],
            api_root_url=o["url"],
            collection=o["collection"],
            partner=o["partner"],
            username=o["user"],
            password=o["password"],
            password_env=o["password_env"],
            interval_seconds=o["interval"],
            verify_tls=not o["insecure"],
            timeout_seconds=o["timeout"],
        )
        self.stdout.write(
            f"push target {target.name!r} added: {target.api_root_url} collection "
            f"{target.collection!r}, filtered for partner {target.partner.name!r}"
        )

    def _source(self, name: str) -> PullSource:
        try:
            return PullSource.objects.select_related("partner").get(name=name)
        except PullSource.DoesNotExist:
            known = ", ".join(PullSource.objects.values_list("name", flat=True)) or "none"
            raise CommandError(f"no pull source {name!r} (known: {known})") from None

    def _target(self, name: str) -> PushTarget:
        try:
            return PushTarget.objects.select_related("partner").get(name=name)
        except PushTarget.DoesNotExist:
            known = ", ".join(PushTarget.objects.values_list("name", flat=True)) or "none"
            raise CommandError(f"no push target {name!r} (known: {known})") from None

    def _either(self, name: str) -> PullSource | PushTarget:
        found = PullSource.objects.filter(name=name).first() or (
            PushTarget.objects.filter(name=name).first()
        )
        if found is None:
            raise CommandError(f"no pull source or push target {name!r}")
        return found

    def _reset(self, o: dict[str, Any]) -> None:
        source = services.reset_pull_state(self._source(o["name"]))
        self.stdout.write(f"{source.name}: watermark forgotten; the next pull fetches everything")

    def _enable(self, o: dict[str, Any]) -> None:
        services.set_enabled(self._either(o["name"]), True)
        self.stdout.write(f"{o['name']}: enabled")

    def _disable(self, o: dict[str, Any]) -> None:
        services.set_enabled(self._either(o["name"]), False)
        self.stdout.write(f"{o['name']}: disabled")

    # --- runs -------------------------------------------------------------------------------

    def _pull(self, o: dict[str, Any]) -> None:
        if o["all"] and o["names"]:
            raise CommandError("name sources or give --all, not both")
        if o["all"]:
            sources = list(PullSource.objects.filter(enabled=True).select_related("partner"))
            if not sources:
                raise CommandError("no enabled pull source")
        elif o["names"]:
            sources = [self._source(n) for n in o["names"]]
        else:
            raise CommandError("name a pull source, or give --all")
        failed = []
        for source in sources:
            with Progress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                TimeElapsedColumn(),
                console=self.console,
                transient=True,
            ) as bar:
                task = bar.add_task(f"{source.name}: connecting", total=None)

                def show(r: services.PullResult, task: Any = task, name: str = source.name) -> None:
                    bar.update(
                        task,
                        description=f"{name}: page {r.pages}, {r.fetched} object(s) fetched",
                    )

                try:
                    result = services.pull(source, progress=show, max_pages=o["max_pages"])
                except services.FederationBusy as exc:
                    failed.append(source.name)
                    self.console.print(f"{source.name}: {exc}", markup=False)
                    continue
            self._print_pull(result)
            if not result.ok:
                failed.append(source.name)
        if failed:
            raise CommandError(f"pull failed: {', '.join(failed)}")

    def _print_pull(self, r: services.PullResult) -> None:
        where = "pending analyst review" if r.pending else "accepted"
        self.console.print(
            f"{r.source}: fetched {r.fetched} object(s) in {r.pages} page(s); imported "
            f"{r.imported}, merged {r.merged}, skipped {r.skipped} ({where}); "
            f"watermark {r.added_after or '-'}",
            markup=False,
        )
        for w in r.warnings:
            self.console.print(f"  note: {w}", markup=False)
        if r.error:
            self.console.print(f"  error: {r.error}", markup=False)

    def _push(self, o: dict[str, Any]) -> None:
        target = self._target(o["name"])
        try:
            result = services.push(target)
        except services.FederationBusy as exc:
            raise CommandError(str(exc)) from None
        self.console.print(
            f"{result.target}: {result.considered} shareable, {result.unchanged} unchanged, "
            f"{result.sent} sent ({result.objects} STIX object(s); accepted {result.accepted}, "
            f"refused {result.failed})",
            markup=False,
        )
        if result.error:
            raise CommandError(f"push failed: {result.error}")

    # --- list -------------------------------------------------------------------------------

    def _list(self, o: dict[str, Any]) -> None:
        rows: list[dict[str, Any]] = []
        for s in PullSource.objects.select_related("partner"):
            rows.append(
                {
                    "direction": "pull",
                    "name": s.name,
                    "partner": s.partner.name,
                    "url": s.api_root_url,
                    "collection": s.collection,
                    "collection_id": s.collection_id,
                    "trusted": s.trusted,
                    "enabled": s.enabled,
                    "added_after": s.added_after,
                    "resuming": bool(s.next_cursor),
                    "objects": s.objects_pulled,
                    "last_success_at": s.last_success_at,
                    "next_run_at": s.next_run_at,
                    "failures": s.failures,
                    "last_error": s.last_error,
                }
            )
        for t in PushTarget.objects.select_related("partner"):
            rows.append(
                {
                    "direction": "push",
                    "name": t.name,
                    "partner": t.partner.name,
                    "url": t.api_root_url,
                    "collection": t.collection,
                    "collection_id": t.collection_id,
                    "enabled": t.enabled,
                    "objects": t.objects_pushed,
                    "last_success_at": t.last_success_at,
                    "next_run_at": t.next_run_at,
                    "failures": t.failures,
                    "last_error": t.last_error,
                }
            )
        if o["json"]:
            self.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2, default=str))
            return
        if not rows:
            self.stdout.write("no pull source or push target")
            return
        for r in rows:
            state = "enabled" if r["enabled"] else "disabled"
            if r["failures"]:
                state += f", {r['failures']} failure(s): {r['last_error'][:200]}"
            last = r["last_success_at"]
            self.console.print(
                f"{r['direction']:4} {r['name']}  partner {r['partner']}  {r['url']} "
                f"collection {r['collection']}  {r['objects']} object(s)  last success "
                f"{last.strftime('%Y-%m-%d %H:%M') if last else '-'}  {state}",
                markup=False,
            )
