"""The ``hakusan`` command end to end, in a subprocess with its own SQLite data directory."""

import json
import os
import subprocess
import sys

import pytest


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
        timeout=300,
        check=False,
    )


def test_extract_prints_json_lines(env):
    text = (
        "詳細はhxxps://login-check[.]example[.]jp/a?b=1 まで。連絡先は０３－１２３４－５６７８です"
    )
    r = run(env, "extract", "-", stdin=text.encode())
    assert r.returncode == 0, r.stderr
    rows = [json.loads(line) for line in r.stdout.decode().splitlines()]
    by_type = {row["type"]: row for row in rows}
    assert by_type["url"]["value"] == "https://login-check.example.jp/a?b=1"
    assert by_type["phone"]["value"] == "+81312345678"
    for row in rows:
        assert text[row["start"] : row["end"]] == row["original"]


def test_extract_names_the_byte_of_invalid_utf8(env, tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_bytes("一行目\n二行目 ".encode() + b"\xff" + b" 192.0.2.1\n")
    r = run(env, "extract", str(bad))
    assert r.returncode != 0
    assert b"invalid UTF-8 at byte 20 (line 2)" in r.stderr
    lenient = run(env, "extract", "--lenient", str(bad))
    assert b"192.0.2.1" in lenient.stdout


@pytest.mark.parametrize(
    ("bom", "codec"),
    [(b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"), (b"\xef\xbb\xbf", "utf-8")],
)
@pytest.mark.parametrize("lenient", [[], ["--lenient"]])
def test_extract_reads_a_file_with_a_byte_order_mark(env, tmp_path, bom, codec, lenient):
    text = "不審なURL hxxps://login-check[.]example[.]jp/a と 192.0.2.1\r\n"
    path = tmp_path / "report.txt"
    path.write_bytes(bom + text.encode(codec))
    r = run(env, "extract", *lenient, str(path))
    assert r.returncode == 0, r.stderr
    rows = [json.loads(line) for line in r.stdout.decode().splitlines()]
    assert [(row["type"], row["value"]) for row in rows] == [
        ("url", "https://login-check.example.jp/a"),
        ("ipv4", "192.0.2.1"),
    ]
    for row in rows:
        assert text[row["start"] : row["end"]] == row["original"]


@pytest.mark.parametrize("lenient", [[], ["--lenient"]])
def test_extract_says_why_it_cannot_read_utf16_without_a_bom(env, tmp_path, lenient):
    path = tmp_path / "report.txt"
    path.write_bytes("see 192.0.2.1\n".encode("utf-16-le"))
    r = run(env, "extract", *lenient, str(path))
    assert r.returncode != 0
    assert r.stdout == b""
    [line] = r.stderr.decode().splitlines()
    assert "looks like UTF-16LE without a byte-order mark" in line
    assert "Traceback" not in line


def test_extract_lenient_reports_what_it_replaced(env, tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"a \xff b \xfe 192.0.2.1\n")
    r = run(env, "extract", "--lenient", str(bad))
    assert r.returncode == 0
    assert b"192.0.2.1" in r.stdout
    assert b"replaced 2 invalid UTF-8 sequence(s), the first at byte 2" in r.stderr


def test_migrate_createuser_import_audit(env, tmp_path):
    assert run(env, "migrate", "-v", "0").returncode == 0
    assert (tmp_path / "data" / "hakusan.sqlite3").exists()
    made = run(
        env,
        "createuser",
        "clerk",
        "--role",
        "reception",
        "--department",
        "cyber",
        "--password-stdin",
        "--token",
        stdin=b"a-long-enough-passw0rd\n",
    )
    assert made.returncode == 0, made.stderr
    key = made.stdout.decode().strip().splitlines()[-1]  # the token, alone, shown once
    assert len(key) == 43 and " " not in key
    listed = run(env, "token", "list", "clerk")
    assert listed.returncode == 0, listed.stderr
    assert key[:8].encode() in listed.stdout and key.encode() not in listed.stdout
    db = (tmp_path / "data" / "hakusan.sqlite3").read_bytes()
    assert key.encode() not in db  # only its digest is stored
    weak = run(env, "createuser", "weak", "--password-stdin", stdin=b"123\n")
    assert weak.returncode != 0 and b"password" in weak.stderr

    source = tmp_path / "in.jsonl"
    source.write_text(
        '{"channel": "web", "kind": "consultation", "narrative": "hxxp://a[.]example[.]jp"}\n'
        '{"channel": "web", "kind": "consultation"}\n'
        "not json\n",
        encoding="utf-8",
    )
    r = run(env, "import", "reports", str(source), "--user", "clerk")
    out = r.stdout.decode()
    assert r.returncode == 0, r.stderr
    assert "imported 1 report(s)" in out and "rejected 2 row(s)" in out
    rejects = (tmp_path / "in.rejects.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(x)["line"] for x in rejects] == [2, 3]
    audit = run(env, "audit", "verify")
    assert audit.returncode == 0 and b"audit chain OK" in audit.stdout


def test_help_lists_commands(env):
    r = run(env, "--help")
    assert b"import reports FILE" in r.stdout


def test_production_without_its_settings_is_one_line(env):
    env = {**env, "HAKUSAN_ENV": "production"}
    r = run(env, "check")
    assert r.returncode != 0
    lines = r.stderr.decode().strip().splitlines()
    assert lines == ["hakusan: configuration error: HAKUSAN_SECRET_KEY must be set in production"]
