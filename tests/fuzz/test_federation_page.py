"""Fuzz: A federation pull's page (a partner server's Get Objects body): FederationError only."""

from hypothesis import given

from .registry import all_targets, check
from .strategies import SHORT_RUN, hostile_json

TARGET = all_targets()["federation_page"]


@SHORT_RUN
@given(hostile_json(TARGET.seeds))
def test_federation_page_answers_hostile_input_with_its_clear_error(data: bytes) -> None:
    check(TARGET, data)
