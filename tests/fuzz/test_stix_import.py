"""Fuzz: the STIX import service on hostile bundles: BundleError/ValidationError for a document
it cannot take, otherwise the bundle is stored with unusable objects skipped (never an
IntegrityError, a UnicodeEncodeError in the audit hash or a TypeError)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from .registry import all_targets, check
from .strategies import SHORT_RUN, dumps, hostile_json, hostile_objects
from .targets_imports import STIX_BUNDLE, STIX_KEYS

TARGET = all_targets()["stix_import"]
pytestmark = pytest.mark.django_db

bundles = st.lists(
    st.one_of(*(hostile_objects(obj, STIX_KEYS) for obj in STIX_BUNDLE["objects"])), max_size=3
).map(lambda objects: dumps({**STIX_BUNDLE, "objects": objects}))


@SHORT_RUN
@given(st.one_of(hostile_json(TARGET.seeds, keys=STIX_KEYS), bundles))
def test_stix_import_answers_hostile_bundles_with_its_clear_error(data: bytes) -> None:
    check(TARGET, data)
