"""The ``hakusan`` command: a thin front to Django's management commands.

``hakusan demo | serve | worker | migrate | createuser | import reports FILE | extract [FILE|-] |
audit verify`` — every command honours ``HAKUSAN_DATABASE_URL`` and defaults to a SQLite file
in the data directory (``HAKUSAN_DATA_DIR``). ``HAKUSAN_ENV=production`` selects the
production settings, which refuse to start half-configured.
"""

import os
import sys

# Names that are not valid (or not friendly) Django command names.
ALIASES = {"import": "import_data"}

USAGE = """usage: hakusan COMMAND [options]

commands:
  demo                 migrate, load fictional demo data, start the server
  serve                start the web server (--host, --port)
  worker               start a Celery worker (needs HAKUSAN_REDIS_URL)
  migrate              create or upgrade the database
  createuser           add a user (--role, --department, --token [--token-days N])
  token create USER [--days N]   a staff API token; its key alone on the last line (shown once)
  token list [USER] | revoke USER [--prefix P]
  import reports FILE  bulk import of reports (CSV or JSON lines)
  indicators import FILE --source NAME   bulk import of indicators (list, CSV, JSON lines, MISP CSV)
  indicators lookup VALUE                where else a value has been seen, as JSON
  extract [FILE|-]     print the observables in a text, one JSON object per line
  partner create NAME --max-tlp LEVEL [--can-write]   a sharing partner; its token on the last line
  partner list | rotate NAME | revoke NAME | deactivate NAME
  stix export|import|validate     STIX 2.1 bundles (docs/sharing/stix.md)
  misp export-feed|import         MISP feed and events (docs/sharing/misp.md)
  federation add|pull|push|list   TAXII pulls from / pushes to partners (docs/sharing/federation.md)
  blocklists import-jpcert PATH   JPCERT/CC phishing URL data as a phishing source
  audit verify         check the audit log's hash chain
  (any Django management command also works, e.g. hakusan check)
"""


def _one_line_argument_errors() -> None:
    """Bad arguments end in one line on stderr and exit status 2, like every other refusal
    (argparse would print the usage first; ``--help`` still shows it). Only the console
    script: ``call_command`` keeps Django's CommandError."""
    from django.core.management.base import CommandError, CommandParser

    def error(self: CommandParser, message: str) -> None:
        if not self.called_from_command_line:
            raise CommandError(f"Error: {message}")
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")

    CommandParser.error = error  # type: ignore[method-assign]


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv if argv is None else argv)
    default_settings = (
        "hakusan.settings.production"
        if os.environ.get("HAKUSAN_ENV") == "production"
        else "hakusan.settings.embedded"
    )
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", default_settings)
    if len(argv) < 2 or argv[1] in ("-h", "--help", "help"):
        print(USAGE)
        return
    argv[1] = ALIASES.get(argv[1], argv[1])
    argv[0] = "hakusan"
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    _one_line_argument_errors()
    try:
        execute_from_command_line(argv)
    except ImproperlyConfigured as exc:  # settings refused (production without its variables)
        sys.exit(f"hakusan: configuration error: {exc}")


if __name__ == "__main__":
    main()
