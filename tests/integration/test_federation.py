"""Two Hakusan instances exchange indicators over TAXII 2.1, both ways.

Prefecture A and prefecture B each run their own server process on a loopback port with
their own SQLite database (separate HAKUSAN_DATA_DIR), and know each other as partners
(``hakusan partner create``; the token printed on its last line is what the other side
authenticates with). Everything happens through the command line, as operators would do it:

1. A has a case at TLP:GREEN with phishing domains; B pulls A's ``indicators-green``
   collection (``hakusan federation add/pull``) and has them, from partner A.
2. B sees one of the values in its own feed (``hakusan indicators import --tlp green``).
3. A pulls B's ``indicators-green``: A's lookup of that value shows a sighting from partner
   B. The values B only had *from A* do not come back: partner data is never relayed.
"""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

# Its own SQLite databases: it runs in the SQLite pass of the suite, not again in the
# PostgreSQL pass (which sets HAKUSAN_TEST_DATABASE_URL).
pytestmark = pytest.mark.skipif(
    bool(os.environ.get("HAKUSAN_TEST_DATABASE_URL")),
    reason="two SQLite instances; run in the SQLite pass",
)

SHARED_VALUE = "login-verify.phish-a.example.jp"
A_ONLY = ["parcel-redelivery.phish-a.example.jp", "bank-secure.phish-a.example.jp"]
OPEN_GREEN_CASE = """
from hakusan.cases import services as cs
from hakusan.cases.models import Case, CaseType
from hakusan.core.models import Department
from hakusan.core.services import create_user

cs.seed_case_types()
dept = Department.objects.get(is_cyber_division=True)
user = create_user("analyst-a", "a-long-enough-passw0rd", role="analyst", department=dept,
                   validate=False)
case = cs.open_case(user, reports=[], case_type=CaseType.objects.order_by("pk").first(),
                    title="SMS phishing wave")
# No service sets a case's TLP yet (it comes from the reports); this fictional case is GREEN.
Case.objects.filter(pk=case.pk).update(tlp="green")
case.refresh_from_db()
for value in VALUES:
    cs.link_observable(case, user, value)
print(case.number)
"""
# What ``hakusan indicators lookup VALUE`` prints (the same selector), for several values in
# one process, with the partner each inbound bundle (a partner sighting's source) came from.
LOOKUP = """
import json
from hakusan.indicators.selectors import lookup
from hakusan.sharing.models import InboundBundle
print(json.dumps({
    "lookup": {value: lookup(None, value) for value in VALUES},
    "bundles": {str(b.pk): b.partner.name for b in InboundBundle.objects.select_related("partner")},
}, default=str))
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Instance:
    def __init__(self, name: str, root: Path) -> None:
        self.name = name
        self.root = root
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "HAKUSAN_"))
        }
        self.env.update(
            HAKUSAN_DATA_DIR=str(root / "data"),
            HAKUSAN_DATABASE_URL=f"sqlite:///{root / 'hakusan.sqlite3'}",
            HAKUSAN_SECRET_KEY=f"integration-test-{name}",
        )
        self.server: subprocess.Popen | None = None

    def command(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "hakusan", *args]

    def spawn(self, *args: str) -> subprocess.Popen:
        return subprocess.Popen(
            self.command(*args),
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def run(self, *args: str, timeout: float = 180) -> str:
        return _wait(self, self.spawn(*args), args, timeout)

    def start(self) -> None:
        self.log = (self.root / "server.log").open("w")
        self.server = subprocess.Popen(
            self.command("runserver", "--noreload", "--skip-checks", f"127.0.0.1:{self.port}"),
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    def wait_until_up(self) -> None:
        assert self.server is not None
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            assert self.server.poll() is None, (self.root / "server.log").read_text()
            try:
                urllib.request.urlopen(f"{self.url}/taxii2/", timeout=2)
            except urllib.error.HTTPError:
                return  # up (discovery answers 401/406 without credentials)
            except OSError:
                time.sleep(0.3)
                continue
            return
        raise AssertionError(
            f"{self.name} did not start:\n{(self.root / 'server.log').read_text()}"
        )

    def stop(self) -> None:
        if self.server is not None and self.server.poll() is None:
            self.server.terminate()
            try:
                self.server.wait(10)
            except subprocess.TimeoutExpired:
                self.server.kill()
        if self.server is not None:
            self.log.close()

    def lookup(self, values: list[str]) -> tuple[dict[str, dict], dict[str, str]]:
        """Lookups of ``values`` and the partner of each inbound bundle."""
        out = self.run("shell", "-c", f"VALUES = {values!r}\n{LOOKUP}")
        found = json.loads(out.strip().splitlines()[-1])
        return found["lookup"], found["bundles"]


def _wait(inst: Instance, proc: subprocess.Popen, args: tuple[str, ...], timeout: float) -> str:
    out, err = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, f"{inst.name}: hakusan {' '.join(args)}\n{err}"
    return out


def _both(a: Instance, a_args: tuple[str, ...], b: Instance, b_args: tuple[str, ...]):
    """Run a command in each instance at once (separate databases)."""
    pa, pb = a.spawn(*a_args), b.spawn(*b_args)
    return _wait(a, pa, a_args, 300), _wait(b, pb, b_args, 300)


def _token(output: str) -> str:
    return output.strip().splitlines()[-1].strip()


def _partner_sightings(found: dict) -> list[dict]:
    return list(found["sightings"]["partners"])


@pytest.fixture
def instances(tmp_path: Path):
    a = Instance("A", tmp_path / "a")
    b = Instance("B", tmp_path / "b")
    for inst in (a, b):
        (inst.root / "data").mkdir(parents=True)
    migrate = ("migrate", "-v", "0", "--skip-checks")
    _both(a, migrate, b, migrate)
    try:
        yield a, b
    finally:
        a.stop()
        b.stop()


def test_two_prefectures_exchange_indicators_both_ways(instances, tmp_path: Path):
    a, b = instances
    # Each side registers the other as a partner; the token (last line) goes to the other side.
    out_a, out_b = _both(
        a, ("partner", "create", "Prefecture B", "--max-tlp", "green"),
        b, ("partner", "create", "Prefecture A", "--max-tlp", "green"),
    )  # fmt: skip
    token_for_b, token_for_a = _token(out_a), _token(out_b)

    # A: a GREEN case with phishing values. Both servers start meanwhile.
    b.start()
    a.run("shell", "-c", f"VALUES = {[SHARED_VALUE, *A_ONLY]!r}\n{OPEN_GREEN_CASE}")
    a.start()
    b.wait_until_up()
    a.wait_until_up()

    # B pulls A's green collection.
    b.run(
        "federation", "add", "pref-a",
        "--url", f"{a.url}/taxii2/hakusan/",
        "--collection", "indicators-green",
        "--partner", "Prefecture A",
        "--user", "prefecture-b",
        f"--password={token_for_b}",
        "--trusted",
    )  # fmt: skip
    pulled = b.run("federation", "pull", "pref-a")
    assert "pref-a: fetched" in pulled and "accepted" in pulled, pulled

    # B sees one of them in its own feed.
    feed = tmp_path / "b-feed.txt"
    feed.write_text(f"{SHARED_VALUE}\n", encoding="utf-8")
    b.run("indicators", "import", str(feed), "--source", "B SOC feed", "--tlp", "green")
    found, bundles = b.lookup([SHARED_VALUE, *A_ONLY])
    for value in (SHARED_VALUE, *A_ONLY):
        seen = _partner_sightings(found[value])
        assert len(seen) == 1, (value, found[value]["sightings"])
        assert seen[0]["tlp"] == "green"
        assert bundles[str(seen[0]["id"])] == "Prefecture A"  # provenance: seen in A
        assert seen[0].get("name", "Prefecture A") == "Prefecture A"
    assert len(found[SHARED_VALUE]["sightings"]["sources"]) == 1  # and in B's own feed

    # A pulls B's green collection: only B's own sighting comes back, never A's data relayed.
    a.run(
        "federation", "add", "pref-b",
        "--url", f"{b.url}/taxii2/hakusan/",
        "--collection", "indicators-green",
        "--partner", "Prefecture B",
        "--user", "prefecture-a",
        f"--password={token_for_a}",
        "--trusted",
    )  # fmt: skip
    pulled = a.run("federation", "pull", "pref-b")
    assert "pref-b: fetched" in pulled, pulled

    found, bundles = a.lookup([SHARED_VALUE, *A_ONLY])
    assert len(found[SHARED_VALUE]["sightings"]["cases"]) == 1  # A's own case
    from_b = _partner_sightings(found[SHARED_VALUE])
    assert len(from_b) == 1, found[SHARED_VALUE]["sightings"]
    assert bundles[str(from_b[0]["id"])] == "Prefecture B"  # "seen in B"
    assert from_b[0].get("name", "Prefecture B") == "Prefecture B"
    for value in A_ONLY:
        assert _partner_sightings(found[value]) == [], value  # not relayed back

    # A second pull is incremental: nothing new.
    again = a.run("federation", "pull", "pref-b")
    assert "fetched 0 object(s)" in again, again
