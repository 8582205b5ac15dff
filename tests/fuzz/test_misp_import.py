"""Fuzz: the MISP import service on hostile events: malformed events and attributes are
reported as skipped, the rest imported (never a TypeError or a database error)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from .registry import all_targets, check
from .strategies import SHORT_RUN, dumps, hostile_json, hostile_objects
from .targets_imports import MISP_ATTRIBUTE, MISP_EVENT, MISP_KEYS

TARGET = all_targets()["misp_import"]
pytestmark = pytest.mark.django_db

attributes = st.lists(hostile_objects(MISP_ATTRIBUTE, MISP_KEYS), max_size=3).map(
    lambda attrs: dumps({"Event": {**MISP_EVENT["Event"], "Attribute": attrs}})
)


@SHORT_RUN
@given(st.one_of(hostile_json(TARGET.seeds, keys=MISP_KEYS), attributes))
def test_misp_import_answers_hostile_events_with_skips(data: bytes) -> None:
    check(TARGET, data)
