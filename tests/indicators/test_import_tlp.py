"""Indicator imports keep the TLP a file gives each row: the most restrictive of the row's
``tlp:`` tags (attribute and event tags in MISP CSV), the ``tlp`` column and the operator's
``--tlp`` wins, and a partner below that level never receives the row."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.exceptions import ValidationError

from hakusan.core import jobs
from hakusan.core.choices import JobStatus
from hakusan.indicators.management.commands.indicators import Command
from hakusan.indicators.models import IndicatorSource, Sighting
from hakusan.partners.policy import shareable_observables

pytestmark = pytest.mark.django_db

MISP_HEADER = (
    "uuid,event_id,category,type,value,comment,to_ids,date,object_relation,attribute_tag,"
    "object_uuid,object_name,object_meta_category,event_info,event_date,event_tag\n"
)


def misp_file(tmp_path: Path, rows: list[tuple[str, str, str]]) -> Path:
    path = tmp_path / "attributes.csv"
    body = "".join(
        f'u{i},7,Network activity,url,{value},,1,20261120,,"{attr}",,,,Event,2026-11-20,"{event}"\n'
        for i, (value, attr, event) in enumerate(rows)
    )
    path.write_text(MISP_HEADER + body, encoding="utf-8")
    return path


def run_import(path: Path, **params: object) -> dict:
    run = jobs.submit(
        "indicators.import",
        {"path": str(path), "source": "misp export", **params},
        inline=True,
    )
    assert run.status == JobStatus.DONE, run.error
    return run.result


def levels() -> dict[str, str]:
    return {
        s.observable.value: s.tlp
        for s in Sighting.objects.filter(source_kind="feed").select_related("observable")
    }


def test_misp_csv_tlp_tags_are_kept_and_not_shared_below_them(tmp_path: Path) -> None:
    path = misp_file(
        tmp_path,
        [
            ("https://red.phish.example.jp/a", "tlp:red", ""),
            ("https://event-red.phish.example.jp/a", "phishing", "tlp:red"),
            ("https://amber.phish.example.jp/a", "tlp:clear", "tlp:amber"),
            ("https://clear.phish.example.jp/a", "tlp:clear", ""),
            ("https://plain.phish.example.jp/a", "", ""),
        ],
    )
    result = run_import(path, tlp=None, source_tlp="green", fmt="misp-csv")
    assert result["rejected"] == 0
    assert levels() == {
        "https://red.phish.example.jp/a": "red",
        "https://event-red.phish.example.jp/a": "red",
        "https://amber.phish.example.jp/a": "amber",
        "https://clear.phish.example.jp/a": "clear",
        "https://plain.phish.example.jp/a": "green",  # the new source's default
    }
    assert IndicatorSource.objects.get(name="misp export").default_tlp == "green"
    green = set(shareable_observables("green").values_list("value", flat=True))
    assert green == {"https://clear.phish.example.jp/a", "https://plain.phish.example.jp/a"}
    tags = Sighting.objects.get(observable__value="https://event-red.phish.example.jp/a").tags
    assert "phishing" in tags and not any(t.startswith("tlp:") for t in tags)


def test_operator_tlp_is_a_floor_and_tlp_tags_of_tag_option_count(tmp_path: Path) -> None:
    path = misp_file(
        tmp_path,
        [
            ("https://red.phish.example.jp/a", "tlp:red", ""),
            ("https://clear.phish.example.jp/a", "tlp:clear", ""),
        ],
    )
    run_import(path, tlp="amber", fmt="misp")
    assert levels() == {
        "https://red.phish.example.jp/a": "red",
        "https://clear.phish.example.jp/a": "amber",
    }
    plain = tmp_path / "list.txt"
    plain.write_text("https://list.phish.example.jp/a\n", encoding="utf-8")
    run_import(plain, tlp="green", tags=["phishing", "TLP:AMBER+STRICT"])
    sighting = Sighting.objects.get(observable__value="https://list.phish.example.jp/a")
    assert sighting.tlp == "amber+strict" and sighting.tags == ["phishing"]


def test_unknown_tlp_rows_are_rejected_and_unknown_tag_option_refused(tmp_path: Path) -> None:
    path = misp_file(
        tmp_path,
        [
            ("https://chr.phish.example.jp/a", "tlp:ex:chr", ""),
            ("https://ok.phish.example.jp/a", "tlp:green", ""),
        ],
    )
    result = run_import(path, tlp=None, source_tlp="green", fmt="misp")
    assert result["rejected"] == 1
    (error,) = result["errors"]
    assert error["line"] == 2 and error["field"] == "attribute_tag"
    assert "tlp:ex:chr" in error["message"]
    assert levels() == {"https://ok.phish.example.jp/a": "green"}
    from hakusan.indicators import services

    source = IndicatorSource.objects.get(name="misp export")
    with pytest.raises(ValidationError, match="tlp:purple"):
        services.import_indicators(None, source, [], tags=["tlp:purple"])


@pytest.mark.parametrize("name", ["misp-csv", "misp", "csv", "jsonl", "plain"])
def test_cli_accepts_the_readme_format_names(name: str) -> None:
    parser = Command().create_parser("hakusan", "indicators")
    options = parser.parse_args(["import", "f.csv", "--source", "s", "--format", name])
    assert options.format == name


def test_a_value_given_twice_in_one_file_keeps_the_stricter_level(tmp_path: Path) -> None:
    path = misp_file(
        tmp_path,
        [
            ("https://twice.phish.example.jp/a", "tlp:red", ""),
            ("https://twice.phish.example.jp/a", "", "tlp:clear"),
        ],
    )
    run_import(path, tlp=None, source_tlp="green", fmt="misp")
    assert levels() == {"https://twice.phish.example.jp/a": "red"}


def test_the_readme_and_the_cli_agree_on_formats() -> None:
    import re

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    (spelled,) = re.findall(r"indicators import FILE[^|]*--format ([a-z\\|-]+)\]", readme)
    names = spelled.replace("\\", "").split("|")
    assert "misp-csv" in names
    parser = Command().create_parser("hakusan", "indicators")
    for name in names:
        options = parser.parse_args(["import", "f.csv", "--source", "s", "--format", name])
        assert options.format == name


@pytest.mark.parametrize("staged", [False, True])  # PostgreSQL: both write paths
def test_the_stricter_tlp_stays_when_a_value_recurs_in_a_later_batch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, staged: bool
) -> None:
    from hakusan.indicators import ingest

    if staged:
        monkeypatch.setattr(ingest, "_write_postgresql", ingest._write_postgresql_staged)
    real_chunks = ingest.chunks
    monkeypatch.setattr(ingest, "chunks", lambda items, size: real_chunks(items, 2))
    red, amber = "https://red.phish.example.jp/a", "https://amber.phish.example.jp/a"
    path = misp_file(
        tmp_path,
        [
            (red, "tlp:red", ""),  # batch 1
            (amber, "tlp:amber", ""),
            ("https://other.phish.example.jp/a", "tlp:green", ""),  # batch 2
            (red, "tlp:clear", ""),  # the same value, less restrictive, later in the file
            (amber, "tlp:clear", ""),  # batch 3
            (red, "tlp:green", ""),
        ],
    )
    assert run_import(path, tlp=None, source_tlp="green", fmt="misp-csv")["rejected"] == 0
    assert levels()[red] == "red" and levels()[amber] == "amber"
    assert Sighting.objects.get(observable__value=red).count == 3
    # Another import (later, on purpose) replaces the stored level.
    again = misp_file(tmp_path, [(red, "tlp:amber", ""), (amber, "tlp:clear", "")])
    run_import(again, tlp=None, source_tlp="green", fmt="misp-csv")
    assert levels()[red] == "amber" and levels()[amber] == "clear"
