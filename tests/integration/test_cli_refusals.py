"""Every ``hakusan`` command that reads a file ends a refused input (missing, a directory,
empty, binary garbage, the wrong encoding, bad or hostile JSON, bad arguments) with ONE line on
stderr and a non-zero exit: no traceback, and no log record with a traceback printed first
(issue 9 §4: "39 refused files print a traceback before their error").

The commands run as an operator runs them, in subprocesses sharing one migrated SQLite data
directory; they run concurrently in a module fixture (each costs a Python start-up), and each
case is then its own test."""

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

FILES: dict[str, bytes] = {
    "empty.json": b"",
    "garbage.json": bytes(range(256)) * 4,
    "utf16.json": '{"type": "bundle"}\n'.encode("utf-16"),
    "utf16.csv": "value\n192.0.2.1\n".encode("utf-16"),
    "sjis.csv": "value,comment\n192.0.2.1,テスト\n".encode("shift_jis"),
    "bad.json": b'{"type": "bundle", "objects": [,]}',
    "deep.json": b"[" * 100_000,
    "list.json": b"[]",
    "array.jsonl": b"[1, 2]\n",
    "inf.json": b'{"type": "bundle", "id": "bundle--1", "objects": [{"n": Infinity}]}',
    "bigint.json": b'{"type": "bundle", "objects": [{"n": ' + b"9" * 5000 + b"}]}",
    "surrogate.json": b'{"Event": {"info": "\\ud800"}}',
}

CASES: list[tuple[str, ...]] = [
    # stix import / validate / export
    ("stix", "import", "missing.json", "--source", "feed"),
    ("stix", "import", "dir", "--source", "feed"),
    ("stix", "import", "empty.json", "--source", "feed"),
    ("stix", "import", "garbage.json", "--source", "feed"),
    ("stix", "import", "utf16.json", "--source", "feed"),
    ("stix", "import", "deep.json", "--source", "feed"),
    ("stix", "import", "list.json", "--source", "feed"),
    ("stix", "import", "inf.json", "--source", "feed"),
    ("stix", "import", "bigint.json", "--source", "feed"),
    ("stix", "import", "bad.json", "--partner", "nobody"),
    ("stix", "validate", "deep.json"),
    ("stix", "validate", "list.json"),
    ("stix", "export", "--tlp", "green", "--out", "dir"),
    ("stix", "export", "--tlp", "green", "--out", "no/such/dir/out.json"),
    # misp import / export-feed
    ("misp", "import", "missing.json"),
    ("misp", "import", "dir"),
    ("misp", "import", "empty.json"),
    ("misp", "import", "inf.json"),
    ("misp", "import", "surrogate.json"),
    ("misp", "import", "list.json"),
    ("misp", "export-feed", "garbage.json", "--tlp", "green"),
    # indicators import / lookup
    ("indicators", "import", "missing.json", "--source", "feed"),
    ("indicators", "import", "empty.json", "--source", "feed"),
    ("indicators", "import", "array.jsonl", "--source", "feed"),
    ("indicators", "import", "utf16.csv", "--source", "feed"),
    ("indicators", "import", "list.json", "--source", "feed", "--format", "nope"),
    ("indicators", "lookup", "192.0.2.1", "--no-such-option"),
    # report imports, extract, blocklists
    ("import", "reports", "empty.json", "--user", "clerk"),
    ("import", "reports", "array.jsonl", "--user", "clerk"),
    ("import", "reports", "utf16.csv", "--user", "clerk"),
    ("import", "reports", "sjis.csv", "--user", "clerk"),
    ("extract", "garbage.json"),
    ("extract", "dir"),
    ("blocklists", "import-jpcert", "dir"),
    # federation, partners, audit: bad arguments
    ("federation", "add", "s", "--url", "notaurl", "--collection", "c", "--partner", "nobody"),
    ("partner", "create", "p", "--max-tlp", "purple"),
    ("audit", "verify", "extra"),
]


def _env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "HAKUSAN_"))}
    env["HAKUSAN_DATA_DIR"] = str(data_dir)
    return env


def _run(env: dict[str, str], cwd: Path, *args: str, stdin: bytes | None = None) -> Any:
    return subprocess.run(
        [sys.executable, "-m", "hakusan", *args],
        env=env,
        cwd=cwd,
        input=stdin,
        capture_output=True,
        timeout=600,
        check=False,
    )


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, ...], Any]:
    root = tmp_path_factory.mktemp("refusals")
    env = _env(root / "data")
    files = root / "files"
    (files / "dir").mkdir(parents=True)
    for name, content in FILES.items():
        (files / name).write_bytes(content)
    migrated = _run(env, files, "migrate", "-v", "0")
    assert migrated.returncode == 0, migrated.stderr.decode()
    made = _run(
        env,
        files,
        "createuser",
        "clerk",
        "--role",
        "reception",
        "--department",
        "cyber",
        "--password-stdin",
        stdin=b"a-long-enough-passw0rd\n",
    )
    assert made.returncode == 0, made.stderr.decode()
    with ThreadPoolExecutor(max_workers=4) as pool:
        runs = {case: pool.submit(_run, env, files, *case) for case in CASES}
        return {case: run.result() for case, run in runs.items()}


@pytest.mark.parametrize("case", CASES, ids=[" ".join(c) for c in CASES])
def test_a_refused_input_is_one_line_on_stderr(results, case) -> None:
    run = results[case]
    stderr = run.stderr.decode("utf-8", "replace")
    assert run.returncode != 0, f"exit 0; stdout: {run.stdout.decode()[:300]}"
    assert "Traceback" not in stderr, stderr
    lines = stderr.strip("\n").splitlines()
    assert len(lines) == 1 and lines[0].strip(), stderr
