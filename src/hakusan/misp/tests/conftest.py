"""Fixtures for the MISP tests: cases and campaigns built directly (the export reads them, it
does not care how they were opened), observables recorded through the indicators services.

The documentation ranges and example.* names used here are themselves on MISP warninglists, so
``clean`` clears the flags of the values a test wants exported; the warninglist test keeps
them."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

SDIST = Path(__file__).resolve().parents[4] / ".cache" / "pymisp-sdist" / "tests"


@pytest.fixture
def make_case(departments, analyst) -> Callable[..., Any]:
    from hakusan.cases.models import Case, CaseType

    counter = {"n": 0}

    def make(tlp: str = "green", case_type: str = "ransomware", **kw: Any) -> Any:
        counter["n"] += 1
        return Case.objects.create(
            number=f"C2026-{counter['n']:05d}",
            title=f"被害者 山田太郎 様の事件 {counter['n']}",
            summary="被害者の氏名・住所を含む概要",
            case_type=CaseType.objects.get(code=case_type),
            lead_department=departments["cyber"],
            tlp=tlp,
            opened_by=analyst,
            opened_at=timezone.now(),
            **kw,
        )

    return make


@pytest.fixture
def sight(db) -> Callable[..., None]:
    """``sight(kind, source_id, [(type, value), ...], tlp=…)`` through ``record_sightings``."""
    from hakusan.indicators.services import SightingInput, record_sightings

    def make(kind: str, source_id: int, values: list[tuple[str, str]], *, tlp: str, **kw: Any):
        now = timezone.now()
        record_sightings(
            [SightingInput(kind, source_id, t, v, "", now, tlp, **kw) for t, v in values]
        )

    return make


@pytest.fixture
def clean(db) -> Callable[[], None]:
    def run() -> None:
        from hakusan.indicators.models import Observable

        Observable.objects.update(warninglist_hits=[])

    return run


@pytest.fixture
def feed_source(db) -> Any:
    from hakusan.indicators.models import IndicatorSource

    return IndicatorSource.objects.create(name="vendor-feed", default_tlp="green")
