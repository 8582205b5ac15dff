"""Fuzz: The report import's CSV parser: hostile bytes are rejects or one whole-file ValueError."""

from hypothesis import given

from .registry import all_targets, check
from .strategies import SHORT_RUN, hostile_json

TARGET = all_targets()["intake_csv"]


@SHORT_RUN
@given(hostile_json(TARGET.seeds))
def test_intake_csv_answers_hostile_input_with_its_clear_error(data: bytes) -> None:
    check(TARGET, data)
