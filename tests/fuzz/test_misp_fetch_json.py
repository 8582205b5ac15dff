"""Fuzz: A MISP feed document read by ``misp.fetch``: FetchError or InvalidMispDocument only."""

from hypothesis import given

from .registry import all_targets, check
from .strategies import SHORT_RUN, hostile_json

TARGET = all_targets()["misp_fetch_json"]


@SHORT_RUN
@given(hostile_json(TARGET.seeds))
def test_misp_fetch_json_answers_hostile_input_with_its_clear_error(data: bytes) -> None:
    check(TARGET, data)
