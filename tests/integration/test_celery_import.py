"""A bulk import through a real Celery worker on Redis: the same job code as in-process.

Runs the CLI and the worker as separate processes against one database file, as two machines
would share PostgreSQL. Skips (saying why) when no Redis answers."""

import csv
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest

REDIS_URL = os.environ.get("HAKUSAN_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def _redis_up() -> bool:
    u = urlparse(REDIS_URL)
    try:
        with socket.create_connection((u.hostname or "127.0.0.1", u.port or 6379), timeout=1):
            return True
    except OSError:
        return False


pytestmark = [
    pytest.mark.celery,
    pytest.mark.skipif(not _redis_up(), reason=f"no Redis at {REDIS_URL}"),
]


def _run(env: dict, *args: str, stdin: str | None = None, timeout: float = 120):
    return subprocess.run(
        [sys.executable, "-m", "hakusan", *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_import_runs_on_a_celery_worker(tmp_path: Path):
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "HAKUSAN_"))}
    env.update(
        HAKUSAN_DATA_DIR=str(tmp_path / "data"),
        HAKUSAN_DATABASE_URL=f"sqlite:///{tmp_path / 'hakusan.sqlite3'}",
        HAKUSAN_REDIS_URL=REDIS_URL,
    )
    assert _run(env, "migrate", "-v", "0").returncode == 0
    made = _run(
        env,
        "createuser",
        "importer",
        "--role",
        "analyst",
        "--department",
        "cyber",
        "--password-stdin",
        stdin="a-long-enough-passw0rd\n",
    )
    assert made.returncode == 0, made.stderr

    source = tmp_path / "reports.csv"
    with source.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["channel", "kind", "narrative", "damage_amount"])
        for i in range(40):
            w.writerow(
                [
                    "web",
                    "consultation",
                    f"不審なSMSのURL hxxps://parcel-{i}[.]example[.]jp/ を開いた",
                    "1000",
                ]
            )
        w.writerow(["fax", "consultation", "不明な受理経路", ""])  # bad channel
        w.writerow(["web", "consultation", "", ""])  # missing narrative

    worker = subprocess.Popen(
        [sys.executable, "-m", "hakusan", "worker", "--concurrency", "1"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        result = _run(
            env,
            "import",
            "reports",
            str(source),
            "--user",
            "importer",
            "--timeout",
            "90",
            timeout=120,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        assert "a Celery worker" in result.stdout
        assert "imported 40 report(s)" in result.stdout
        assert "rejected 2 row(s)" in result.stdout
        rejects = (tmp_path / "reports.rejects.csv").read_text(encoding="utf-8")
        assert "channel" in rejects and "narrative" in rejects

        # The job ran in the worker process, not in the CLI.
        probe = _run(
            env,
            "shell",
            "-c",
            "from hakusan.core.models import JobRun; print(JobRun.objects.get().worker)",
        )
        assert probe.stdout.strip().endswith(f":{worker.pid}") or _child_of(
            worker.pid, probe.stdout.strip()
        ), probe.stdout
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()


def _child_of(parent: int, worker_field: str) -> bool:
    """Celery's prefork pool runs tasks in a child of the worker's main process."""
    pid = int(worker_field.rsplit(":", 1)[-1])
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        time.sleep(0)
        return False
    return int(stat.rsplit(")", 1)[1].split()[1]) == parent
