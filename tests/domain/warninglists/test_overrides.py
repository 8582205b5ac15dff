"""Reviewed overrides of upstream warninglists: the broken ``phone_numbers`` pattern no longer
flags ordinary Japanese numbers, its real entries still flag, every override still applies to
the installed lists, and the overrides are part of the cached index's key."""

from pathlib import Path

import pytest

from hakusan.domain.warninglists import WarninglistIndex, load_packaged_lists
from hakusan.domain.warninglists import index as index_module
from hakusan.domain.warninglists import overrides as overrides_module
from hakusan.domain.warninglists.overrides import (
    OVERRIDES,
    Override,
    apply_overrides,
    unapplied,
)
from hakusan.domain.warninglists.types import Warninglist

# E.164, as the store keeps them: 090-1011-2233, 080-0000-0811, 0120-110-222, 03-1109-0810,
# 050-1008-0911 (each holds 08, 09, 10 or 11).
JAPANESE = ["+819010112233", "+818000000811", "+81120110222", "+81311090810", "+815010080911"]
# Entries of the list that are right: ACMA 1300/1800 975 707-711 (the replaced pattern),
# 1800 160 401, US 555-01xx.
LISTED = ["+611300975709", "+611800975711", "+611800160401", "+12025550123"]


@pytest.fixture(scope="module")
def phone_index() -> WarninglistIndex:
    lists = [(m, e) for m, e in load_packaged_lists() if m.slug == "phone_numbers"]
    assert lists, "pymispwarninglists has no phone_numbers list"
    return WarninglistIndex.build(lists)


@pytest.mark.parametrize("number", JAPANESE)
def test_ordinary_japanese_numbers_are_not_flagged(phone_index, number: str) -> None:
    assert phone_index.match("phone", number) == []


@pytest.mark.parametrize("number", LISTED)
def test_the_lists_real_entries_still_flag(phone_index, number: str) -> None:
    assert [h.slug for h in phone_index.match("phone", number)] == ["phone_numbers"]


def test_without_the_override_the_upstream_list_flags_japanese_numbers() -> None:
    raw = [(m, e) for m, e in load_packaged_lists(overrides=False) if m.slug == "phone_numbers"]
    index = WarninglistIndex.build(raw)
    assert all(index.match("phone", n) for n in JAPANESE)  # what the override is for


def test_every_override_applies_to_the_installed_lists() -> None:
    # Fails after an upgrade that fixed (or moved) an entry: review the override then.
    assert unapplied(load_packaged_lists(overrides=False)) == []
    for override in OVERRIDES:
        assert override.problem and override.reviewed and override.entries


def test_actions() -> None:
    meta = Warninglist("x", "X", "", 1, "string", "false-positive", ())
    other = Warninglist("y", "Y", "", 1, "string", "false-positive", ())
    lists = [(meta, ["a", "b", "c"]), (other, ["a"])]
    rules = (
        Override("x", "b is wrong", "drop-entries", "today", {"b": ""}),
        Override("x", "c is written wrong", "replace-entries", "today", {"c": "C"}),
        Override("y", "all wrong", "drop-list", "today"),
    )
    assert apply_overrides(lists, rules) == [(meta, ["a", "C"])]
    assert unapplied(lists, (Override("x", "?", "drop-entries", "today", {"z": ""}),)) == [
        "x: no entry 'z'"
    ]


def test_overrides_change_the_cache_key_and_the_version(tmp_path: Path, monkeypatch) -> None:
    before = index_module._cache_file(tmp_path)
    changed = (*OVERRIDES, Override("phone_numbers", "test", "drop-list", "today"))
    monkeypatch.setattr(overrides_module, "OVERRIDES", changed)
    assert index_module._cache_file(tmp_path) != before
    lists = [m_e for m_e in load_packaged_lists(overrides=False) if m_e[0].slug == "phone_numbers"]
    fixed = WarninglistIndex.build(apply_overrides(lists))
    assert WarninglistIndex.build(lists).version != fixed.version
