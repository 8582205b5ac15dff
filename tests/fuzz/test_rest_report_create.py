"""Fuzz: ``POST /api/reports/`` through DRF's test client: hostile bodies are a 4xx, never a
5xx (the test client re-raises a view's exception, so a crash fails the test too)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from .registry import all_targets, check
from .strategies import SHORT_RUN, dumps, hostile_json, hostile_objects
from .targets_web import REPORT

TARGET = all_targets()["rest_report_create"]


@pytest.fixture
def web(db) -> None:
    assert TARGET.setup is not None
    TARGET.setup()


@SHORT_RUN
@given(st.one_of(hostile_json(TARGET.seeds, keys=list(REPORT)), hostile_objects(REPORT).map(dumps)))
def test_report_create_answers_hostile_bodies_with_a_4xx(web, data: bytes) -> None:
    check(TARGET, data)
