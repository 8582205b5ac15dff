"""Fuzz: MISP event JSON read and mapped: JSONInputError/InvalidMispDocument for a document or
event we cannot read, a per-attribute reject for a malformed attribute, nothing else."""

from hypothesis import given
from hypothesis import strategies as st

from .registry import all_targets, check
from .strategies import SHORT_RUN, dumps, hostile_json, hostile_objects
from .targets_imports import MISP_ATTRIBUTE, MISP_EVENT, MISP_KEYS

TARGET = all_targets()["misp_events"]

events = hostile_objects(MISP_EVENT["Event"], MISP_KEYS).map(lambda e: dumps({"Event": e}))
attributes = st.lists(hostile_objects(MISP_ATTRIBUTE, MISP_KEYS), max_size=3).map(
    lambda attrs: dumps({"Event": {**MISP_EVENT["Event"], "Attribute": attrs}})
)


@SHORT_RUN
@given(st.one_of(hostile_json(TARGET.seeds, keys=MISP_KEYS), events, attributes))
def test_misp_events_answer_hostile_input_with_their_clear_error(data: bytes) -> None:
    check(TARGET, data)
