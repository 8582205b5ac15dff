"""Fuzz: The report import's JSON Lines parser: every hostile line is a reject, never an exception."""

from hypothesis import given

from .registry import all_targets, check
from .strategies import SHORT_RUN, hostile_json

TARGET = all_targets()["intake_jsonl"]


@SHORT_RUN
@given(hostile_json(TARGET.seeds))
def test_intake_jsonl_answers_hostile_input_with_its_clear_error(data: bytes) -> None:
    check(TARGET, data)
