"""Fixtures for the analysis tests: cases opened through the services from reports whose
narratives carry the observables, and a way to warninglist an observable.

The values are fictional but look real (public ranges, .top/.xyz names): the documentation
ranges (192.0.2.0/24 …) and example.* names are themselves on MISP warninglists and would be
flagged once the store applies them."""

from collections.abc import Callable
from typing import Any

import pytest

C2_IP = "45.137.21.9"
RANSOM_MAIL = "restore@lockdata-support.top"
PHISH_URL = "https://kuro-neko-track.top/login"
PHISH_IP = "194.26.29.113"
PUBLIC_DNS = "8.8.8.8"
HOSTING_IP = "91.243.44.130"
LONE_IP = "5.188.206.14"


@pytest.fixture(autouse=True)
def data_dir(settings, tmp_path):
    """Each test keeps its similar-case index in its own data directory."""
    from hakusan.analysis import similarity

    settings.DATA_DIR = tmp_path
    similarity._memo.clear()
    return tmp_path


@pytest.fixture
def file_case(make_user, draft) -> Callable[..., Any]:
    """A case opened by ``opener`` from one report (filed by ``filer``, a station officer by
    default) whose narrative is ``narrative``."""
    from hakusan.cases.models import CaseType
    from hakusan.cases.services import open_case
    from hakusan.intake.services import create_report

    station_officer = make_user("reception", "station")
    counter = {"n": 0}

    def make(
        narrative: str,
        *,
        opener: Any,
        filer: Any = None,
        title: str = "",
        case_type: str = "ransomware",
        lead_department: Any = None,
        summary: str = "",
    ) -> Any:
        counter["n"] += 1
        report = create_report(
            filer or station_officer, draft(narrative=narrative, items=())
        ).report
        return open_case(
            opener,
            reports=[report],
            case_type=CaseType.objects.get(code=case_type),
            title=title or f"試験事件{counter['n']}",
            lead_department=lead_department,
            summary=summary,
        )

    return make


@pytest.fixture
def warninglist(monkeypatch) -> Callable[[str], Any]:
    """Warninglist an observable by value: on ``Observable.warninglist_hits`` when the store
    has it, else through the loader the analysis code reads it with."""
    from hakusan.analysis import loaders
    from hakusan.indicators.models import Observable

    extra: dict[int, list[Any]] = {}
    hit = {"slug": "public-dns-v4", "name": "List of known IPv4 public DNS resolvers"}
    if not loaders.has_warninglists():
        real = loaders.warninglist_hits

        def patched(ids: Any) -> dict[int, list[Any]]:
            ids = list(ids)
            out = real(ids)
            out.update({i: extra[i] for i in ids if i in extra})
            return out

        monkeypatch.setattr(loaders, "warninglist_hits", patched)

    def mark(value: str) -> Any:
        obs = Observable.objects.get(value=value)
        if loaders.has_warninglists():
            Observable.objects.filter(pk=obs.pk).update(warninglist_hits=[hit])
        else:
            extra[obs.pk] = [hit]
        return obs

    return mark


@pytest.fixture
def investigator(make_user):
    return make_user("investigator", "station")
