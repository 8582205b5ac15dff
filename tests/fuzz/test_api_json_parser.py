"""Fuzz: The REST API's JSON parser: every refusal is a ParseError (a 400)."""

from hypothesis import given

from .registry import all_targets, check
from .strategies import SHORT_RUN, hostile_json

TARGET = all_targets()["api_json_parser"]


@SHORT_RUN
@given(hostile_json(TARGET.seeds))
def test_api_json_parser_answers_hostile_input_with_its_clear_error(data: bytes) -> None:
    check(TARGET, data)
