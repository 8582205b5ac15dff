"""Fuzz: ``stix validate`` (the OASIS validator, strict): every input gets a result, an invalid
one with its reasons; the validator's own failures on odd structures never escape."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from .registry import all_targets, check
from .strategies import SHORT_RUN, dumps, hostile_json, hostile_objects
from .targets_imports import STIX_BUNDLE, STIX_KEYS

TARGET = all_targets().get("stix_validate")
pytestmark = pytest.mark.skipif(TARGET is None, reason="STIX 2.1 schemas absent")

objects = st.one_of(*(hostile_objects(obj, STIX_KEYS) for obj in STIX_BUNDLE["objects"]))
documents = st.one_of(
    objects.map(dumps),
    st.lists(objects, max_size=3).map(lambda objs: dumps({**STIX_BUNDLE, "objects": objs})),
)


@SHORT_RUN
@given(st.one_of(hostile_json(TARGET.seeds if TARGET else (), keys=STIX_KEYS), documents))
def test_stix_validate_answers_every_input_with_a_result(data: bytes) -> None:
    assert TARGET is not None
    check(TARGET, data)
