"""``hakusan indicators import`` and ``lookup`` end to end, in a subprocess with its own SQLite
data directory (as an operator runs them)."""

import json
import os
import subprocess
import sys

import pytest

EMPTY_MD5 = "d41d8cd98f00b204e9800998ecf8427e"


@pytest.fixture
def env(tmp_path):
    e = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "HAKUSAN_"))}
    e.update(HAKUSAN_DATA_DIR=str(tmp_path / "data"))
    return e


def run(env, *args, stdin=None):
    return subprocess.run(
        [sys.executable, "-m", "hakusan", *args],
        env=env,
        input=stdin,
        capture_output=True,
        timeout=600,
        check=False,
    )


def test_import_reimport_and_lookup(env, tmp_path):
    assert run(env, "migrate", "-v", "0").returncode == 0
    feed = tmp_path / "feed.txt"
    feed.write_text(
        "# abuse feed, 2026-11-26\n"
        "hxxps://a[.]evil[.]example/x  # kit\n"
        "b.evil.example\n"
        "8.8.8.8\n"
        "not an indicator\n"
        f"md5:{EMPTY_MD5}\n",
        encoding="utf-8",
    )
    r = run(env, "indicators", "import", str(feed), "--source", "abuse feed", "--tag", "phish")
    out = r.stdout.decode()
    assert r.returncode == 0, r.stderr.decode()
    assert "imported 4 row(s) into 'abuse feed'" in out
    assert "4 sighting(s) (4 new, 0 seen again)" in out
    assert "2 warninglisted" in out  # 8.8.8.8 and the empty-file MD5
    assert "rejected 1 row(s)" in out and "line 5" in out
    rejects = (tmp_path / "feed.rejects.csv").read_text(encoding="utf-8-sig").splitlines()
    assert rejects[0] == "line,byte_offset,field,message,raw"
    assert rejects[1].startswith("5,")

    again = run(env, "indicators", "import", str(feed), "--source", "abuse feed")
    assert again.returncode == 0, again.stderr.decode()
    assert "4 sighting(s) (0 new, 4 seen again), 0 new observable(s)" in again.stdout.decode()

    look = run(env, "indicators", "lookup", "ｂ．evil[.]example")
    assert look.returncode == 0, look.stderr.decode()
    data = json.loads(look.stdout)
    assert set(data) >= {
        "query",
        "type",
        "value",
        "found",
        "warninglisted",
        "warninglist_hits",
        "decay",
        "sightings",
        "links",
        "enrichment",
        "too_common",
        "expires_at",
    }
    assert (data["type"], data["value"]) == ("domain", "b.evil.example")
    assert data["decay"]["sightings"] == 2 and 0 < data["decay"]["score"] <= 0.5
    (source,) = data["sightings"]["sources"]
    assert (source["name"], source["count"], source["tags"]) == ("abuse feed", 2, ["phish"])
    (link,) = [x for x in data["links"] if x["direction"] == "out"]
    assert link["value"] == "evil.example" and link["shared_by"] >= 1

    dns = json.loads(run(env, "indicators", "lookup", "8.8.8.8", "--indent", "0").stdout)
    assert dns["warninglisted"] and "public-dns-v4" in {h["slug"] for h in dns["warninglist_hits"]}

    bad = run(env, "indicators", "lookup", "not a thing")
    assert bad.returncode != 0 and b"not recognised" in bad.stderr
    audit = run(env, "audit", "verify")
    assert audit.returncode == 0 and b"audit chain OK" in audit.stdout
