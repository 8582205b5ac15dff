"""Re-running a bulk import after a crash: rows filed by the interrupted run are skipped (by
external_ref, else by file digest, line and content), counted and shown; nothing is filed
twice."""

import csv
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import IntegrityError, connection
from django.test import Client
from django.urls import reverse

from hakusan.core import jobs
from hakusan.core.choices import JobStatus
from hakusan.core.models import JobRun
from hakusan.intake import services
from hakusan.intake.models import Report

HEADER = ["channel", "kind", "narrative", "received_at", "external_ref"]


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


def rows(n: int, *, ref: bool = False, start: int = 0) -> list[list[str]]:
    return [
        [
            "web",
            "consultation",
            f"不審なSMSのURL hxxps://parcel-{i}[.]example[.]jp/ を開いた（{i}件目）",
            "2026-04-01 09:00",
            f"IHC-2026-{i:05d}" if ref else "",
        ]
        for i in range(start, start + n)
    ]


def run_import(user, path: Path) -> JobRun:
    run = jobs.submit("intake.import_reports", {"path": str(path)}, user=user, inline=True)
    assert run.status == JobStatus.DONE, run.error
    return run


@pytest.mark.django_db
def test_a_rerun_after_a_crash_skips_the_rows_already_filed(officer, tmp_path, monkeypatch):
    source = write_csv(tmp_path / "reports.csv", rows(1_100))
    real = services.import_report_rows
    calls = {"n": 0}

    def crash_on_third_batch(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise SystemExit("killed")  # not an Exception: the job cannot catch it
        return real(*args, **kwargs)

    monkeypatch.setattr(services, "import_report_rows", crash_on_third_batch)
    with pytest.raises(SystemExit):
        jobs.submit("intake.import_reports", {"path": str(source)}, user=officer, inline=True)
    assert Report.objects.count() == 1_000  # two whole batches of 500
    monkeypatch.setattr(services, "import_report_rows", real)

    run = run_import(officer, source)
    assert Report.objects.count() == 1_100
    assert run.result["imported"] == 100 and run.result["skipped"] == 1_000
    assert run.result["skipped_by"] == {"external_ref": 0, "row_digest": 1_000}
    assert run.result["skipped_lines"] == [[2, 1_001]]
    example = run.result["skipped_examples"][0]
    assert example["line"] == 2 and example["by"] == "row_digest"
    assert Report.objects.filter(number=example["report"]).exists()
    narratives = Report.objects.values_list("narrative", flat=True)
    assert len(set(narratives)) == 1_100  # each row once

    again = run_import(officer, source)
    assert again.result["imported"] == 0 and again.result["skipped"] == 1_100
    assert Report.objects.count() == 1_100


@pytest.mark.django_db
def test_external_ref_rows_are_skipped_whatever_file_they_come_in(officer, tmp_path):
    first = run_import(officer, write_csv(tmp_path / "part.csv", rows(30, ref=True)))
    assert first.result["imported"] == 30 and first.result["skipped"] == 0
    # The full export, re-exported (another file), with 20 new rows.
    run = run_import(officer, write_csv(tmp_path / "full.csv", rows(50, ref=True)))
    assert run.result["imported"] == 20 and run.result["skipped"] == 30
    assert run.result["skipped_by"] == {"external_ref": 30, "row_digest": 0}
    assert Report.objects.count() == 50
    assert Report.objects.filter(external_ref="IHC-2026-00000").count() == 1
    # The same reference from another kind of source is another report.
    other = rows(1, ref=True)
    other[0][0] = "partner"
    run = run_import(officer, write_csv(tmp_path / "partner.csv", other))
    assert run.result["imported"] == 1 and Report.objects.count() == 51


@pytest.mark.django_db
def test_a_reference_repeated_in_one_file_is_filed_once(officer, tmp_path):
    data = rows(3, ref=True) + rows(1, ref=True)  # line 5 repeats line 2's reference
    run = run_import(officer, write_csv(tmp_path / "dup.csv", data))
    assert run.result["imported"] == 3 and run.result["skipped"] == 1
    assert run.result["skipped_lines"] == [[5, 5]]
    filed = Report.objects.get(external_ref="IHC-2026-00000")
    assert run.result["skipped_examples"] == [
        {"line": 5, "by": "external_ref", "report": filed.number}
    ]


@pytest.mark.django_db
def test_identical_rows_of_one_file_are_each_filed_once(officer, tmp_path):
    same = rows(1)[0]
    source = write_csv(tmp_path / "twice.csv", [same, same, *rows(2, start=1)])
    run = run_import(officer, source)
    assert run.result["imported"] == 4 and run.result["skipped"] == 0
    assert Report.objects.filter(narrative=same[2]).count() == 2

    again = run_import(officer, source)
    assert again.result["imported"] == 0 and again.result["skipped"] == 4
    assert again.result["skipped_lines"] == [[2, 5]]
    assert Report.objects.filter(narrative=same[2]).count() == 2
    # The same rows in another file are another import.
    copy = write_csv(tmp_path / "other.csv", [same, *rows(2, start=1), same])
    assert run_import(officer, copy).result["imported"] == 4


@pytest.mark.django_db
def test_a_concurrent_import_of_the_same_rows_is_caught_by_the_key(officer, draft, monkeypatch):
    drafts = [draft(narrative=f"相談 {i}") for i in range(3)]
    keys = [f"row:{i}" for i in range(3)]
    real = services.create_reports_bulk
    raced = {"done": False}

    def other_import_commits_first(user, ds, **kwargs):
        if not raced["done"]:  # the other import files row 1 after our lookup
            raced["done"] = True
            real(user, [drafts[1]], import_keys=[keys[1]])
        return real(user, ds, **kwargs)

    monkeypatch.setattr(services, "create_reports_bulk", other_import_commits_first)
    outcome = services.import_report_rows(officer, drafts, keys)
    assert len(outcome.reports) == 2 and list(outcome.skipped) == [1]
    assert Report.objects.count() == 3
    with pytest.raises(IntegrityError):
        real(officer, [drafts[0]], import_keys=[keys[0]])


@pytest.mark.django_db
def test_the_import_page_shows_what_was_skipped(officer, analyst, login, tmp_path, settings):
    source = write_csv(tmp_path / "r.csv", rows(3))
    jobs.submit("intake.import_reports", {"path": str(source)}, user=analyst, inline=True)
    run = jobs.submit("intake.import_reports", {"path": str(source)}, user=analyst, inline=True)
    client: Client = login(analyst)
    page = client.get(reverse("intake:import_status", args=[run.pk])).content.decode()
    assert "3 行は取り込み済みのためスキップしました（外部参照番号: 0、行ダイジェスト: 3）" in page
    assert "行: 2–4" in page


def _database_url() -> str:
    """The test database, for a subprocess (SQLite file or PostgreSQL)."""
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    return f"postgresql://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def _hakusan(env: dict[str, str], *args: str, **kwargs) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "hakusan", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,
    )


@pytest.mark.django_db(transaction=True)
def test_kill_9_during_an_import_then_a_rerun_files_each_row_once(officer, tmp_path):
    """The issue's reproduction: ``kill -9`` the CLI mid-import, run the same file again."""
    total = 1_500
    source = write_csv(tmp_path / "big.csv", rows(total))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "HAKUSAN_"))}
    env.update(
        HAKUSAN_DATA_DIR=str(tmp_path / "data"),
        HAKUSAN_DATABASE_URL=_database_url(),
        HAKUSAN_SECRET_KEY="test-only-not-secret",
    )
    args = ("import", "reports", str(source), "--user", officer.username)
    first = _hakusan(env, *args)
    deadline = time.monotonic() + 60
    while Report.objects.count() < 500:  # the first whole batch is committed
        assert first.poll() is None, first.communicate()
        assert time.monotonic() < deadline, "no batch was committed"
        time.sleep(0.05)
    first.send_signal(signal.SIGKILL)
    first.communicate()
    kept = Report.objects.count()
    assert 500 <= kept < total and kept % 500 == 0  # whole batches only
    killed = JobRun.objects.get()
    assert killed.status == JobStatus.RUNNING  # what the issue saw: "running" forever

    second = _hakusan(env, *args)
    out, err = second.communicate(timeout=120)
    assert second.returncode == 0, err
    assert Report.objects.count() == total
    assert f"imported {total - kept} report(s)" in out
    assert (
        f"skipped {kept} row(s) already imported (by external_ref: 0, by row digest: {kept}; "
        f"lines 2-{kept + 1})" in out
    )
    killed.refresh_from_db()
    assert killed.status == JobStatus.FAILED
    assert f"（{killed.worker}）" in killed.error and "終了しました" in killed.error


def write_station_csv(path: Path, station: str, refs: list[str]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow([*HEADER, "station_code"])
        for ref in refs:
            narrative = f"提携先からの通報 {station} {ref}"
            writer.writerow(
                ["partner", "consultation", narrative, "2026-04-01 09:00", ref, station]
            )
    return path


@pytest.mark.django_db
def test_the_same_reference_from_two_stations_is_two_reports(officer, make_user, tmp_path):
    # Two stations number their partner references from "1": neither may hide the other.
    chuo = write_station_csv(tmp_path / "chuo.csv", "", ["1", "2"])  # officer's department
    hakusan = write_station_csv(tmp_path / "hakusan.csv", "hakusan-st", ["1", "2"])
    assert run_import(officer, chuo).result["imported"] == 2
    run = run_import(officer, hakusan)
    assert run.result["imported"] == 2 and run.result["skipped"] == 0
    filed = Report.objects.filter(external_ref="1")
    assert sorted(r.receiving_department.code for r in filed) == ["hakusan-st", "kanazawa-chuo"]
    for source in (chuo, hakusan):  # a re-run of each still skips its rows
        again = run_import(officer, source)
        assert again.result["imported"] == 0 and again.result["skipped"] == 2
        assert again.result["skipped_by"] == {"external_ref": 2, "row_digest": 0}
    # Without station_code the row is the importing user's department: the same report.
    colleague = make_user(dept="other")
    rerun = run_import(colleague, write_station_csv(tmp_path / "again.csv", "", ["1"]))
    assert rerun.result["imported"] == 0 and rerun.result["skipped"] == 1
    assert Report.objects.count() == 4


@pytest.mark.django_db
def test_the_migration_keys_old_reports_by_channel_department_and_reference(officer, tmp_path):
    from importlib import import_module

    from django.apps import apps

    migration = import_module("hakusan.intake.migrations.0002_report_import_key")
    run_import(officer, write_station_csv(tmp_path / "a.csv", "", ["1"]))
    run_import(officer, write_station_csv(tmp_path / "b.csv", "hakusan-st", ["1"]))
    Report.objects.update(import_key=None)  # as before import keys existed
    run_import(officer, write_station_csv(tmp_path / "a2.csv", "", ["1"]))  # filed twice then
    Report.objects.update(import_key=None)
    assert Report.objects.count() == 3
    migration.keys_from_external_refs(apps, None)
    keys = Report.objects.order_by("id").values_list("import_key", flat=True)
    assert list(keys) == ["ref:partner:kanazawa-chuo:1", "ref:partner:hakusan-st:1", None]
    rerun = run_import(officer, write_station_csv(tmp_path / "c.csv", "hakusan-st", ["1"]))
    assert rerun.result["skipped"] == 1 and Report.objects.count() == 3
