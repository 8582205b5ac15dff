from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone


@pytest.fixture
def collections(db) -> dict[str, Any]:
    """The seeded collections by alias (re-created after transactional tests flushed them)."""
    from hakusan.taxii.services import ensure_default_collections

    return {c.alias: c for c in ensure_default_collections()}


@pytest.fixture
def feed(db):
    """``feed(values, tlp="green", name="feed", when=None)``: record feed sightings through
    the indicators service; values are ``(type, value)`` pairs."""
    from hakusan.indicators.ingest import SightingInput
    from hakusan.indicators.models import IndicatorSource
    from hakusan.indicators.services import record_sightings

    def add(values: list[tuple[str, str]], tlp: str = "green", name: str = "feed", when=None):
        source, _ = IndicatorSource.objects.get_or_create(name=name)
        seen = when or timezone.now() - timedelta(days=1)
        record_sightings([SightingInput("feed", source.pk, t, v, "", seen, tlp) for t, v in values])
        return source

    return add
