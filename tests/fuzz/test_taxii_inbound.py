"""Fuzz: a partner's post to the TAXII inbound collection: hostile envelopes are a 4xx TAXII
error, never a 5xx (the test client re-raises a view's exception)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from .registry import all_targets, check
from .strategies import SHORT_RUN, dumps, hostile_json, hostile_objects
from .targets_web import INDICATOR

TARGET = all_targets()["taxii_inbound"]


@pytest.fixture
def web(db) -> None:
    assert TARGET.setup is not None
    TARGET.setup()


envelopes = hostile_objects(INDICATOR).map(lambda obj: dumps({"objects": [obj]}))


@SHORT_RUN
@given(st.one_of(hostile_json(TARGET.seeds, keys=["objects", "more", "next"]), envelopes))
def test_taxii_inbound_answers_hostile_posts_with_a_4xx(web, data: bytes) -> None:
    check(TARGET, data)
