"""Fuzz: a STIX file loaded and mapped (``stix import`` before the database): BundleError for
a document we cannot read, per-object skips for the rest, nothing else."""

from hypothesis import given
from hypothesis import strategies as st

from .registry import all_targets, check
from .strategies import SHORT_RUN, dumps, hostile_json, hostile_objects
from .targets_imports import STIX_BUNDLE, STIX_KEYS

TARGET = all_targets()["stix_load"]

bundles = st.lists(
    st.one_of(*(hostile_objects(obj, STIX_KEYS) for obj in STIX_BUNDLE["objects"])), max_size=4
).map(lambda objects: dumps({**STIX_BUNDLE, "objects": objects}))


@SHORT_RUN
@given(st.one_of(hostile_json(TARGET.seeds, keys=STIX_KEYS), bundles))
def test_stix_load_answers_hostile_input_with_its_clear_error(data: bytes) -> None:
    check(TARGET, data)
