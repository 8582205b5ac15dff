"""Ordinary Japanese numbers are not warninglisted (issue 9: the upstream ``phone_numbers``
pattern flagged every number holding 08, 09, 10 or 11): an imported smishing number reaches
the smishing feed, and observables flagged by the broken pattern are re-flagged by the
``0008_reflag_after_warninglist_overrides`` migration."""

import importlib
from pathlib import Path

import pytest
from django.apps import apps

from hakusan.core import jobs
from hakusan.core.choices import JobStatus
from hakusan.indicators.models import Observable

pytestmark = pytest.mark.django_db

NUMBER = "+819010112233"  # 090-1011-2233: holds 10 and 11
BROKEN = {
    "slug": "phone_numbers",
    "name": "Unattributed phone number.",
    "category": "false-positive",
    "matched": "/((?:\\+|00)61)?1(3|8)00975707|08|09|10|11/g",
}


def test_an_imported_smishing_number_is_not_flagged_and_is_in_the_feed(
    tmp_path: Path, client, make_partner, django_capture_on_commit_callbacks
) -> None:
    path = tmp_path / "smishing.txt"
    path.write_text("090-1011-2233\n0120-110-222\n", encoding="utf-8")
    with django_capture_on_commit_callbacks(execute=True):
        run = jobs.submit(
            "indicators.import",
            {"path": str(path), "source": "smishing reports", "tlp": "green", "tags": ["smishing"]},
            inline=True,
        )
    assert run.status == JobStatus.DONE, run.error
    assert run.result["stats"]["warninglisted"] == 0
    phones = Observable.objects.filter(type="phone")
    assert sorted(phones.values_list("value", flat=True)) == ["+81120110222", NUMBER]
    assert all(o.warninglist_hits == [] for o in phones)
    _partner, key = make_partner("Carrier", max_tlp="green", kind="carrier")
    response = client.get("/feeds/smishing.txt", HTTP_AUTHORIZATION=f"Token {key}")
    assert response.status_code == 200
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert NUMBER in body.decode() and "+81120110222" in body.decode()


def test_the_migration_reflags_numbers_flagged_by_the_broken_pattern(
    tmp_path: Path, django_capture_on_commit_callbacks
) -> None:
    path = tmp_path / "numbers.txt"
    path.write_text("090-1011-2233\n", encoding="utf-8")
    with django_capture_on_commit_callbacks(execute=True):
        jobs.submit(
            "indicators.import", {"path": str(path), "source": "s", "tlp": "green"}, inline=True
        )
    # As stored before the override: flagged, with the lists' old version.
    Observable.objects.filter(value=NUMBER).update(
        warninglist_hits=[BROKEN], warninglist_version="before-overrides"
    )
    migration = importlib.import_module(
        "hakusan.indicators.migrations.0008_reflag_after_warninglist_overrides"
    )
    migration.reflag(apps, None)
    number = Observable.objects.get(value=NUMBER)
    assert number.warninglist_hits == []
    assert number.warninglist_version not in ("", "before-overrides")


def test_the_migration_does_nothing_on_an_empty_database(monkeypatch) -> None:
    from hakusan.indicators import ingest

    monkeypatch.setattr(ingest, "annotator", lambda: pytest.fail("built the index"))
    migration = importlib.import_module(
        "hakusan.indicators.migrations.0008_reflag_after_warninglist_overrides"
    )
    migration.reflag(apps, None)
