"""MISP event import and TLP: the most restrictive of the attribute's ``tlp:`` tag, the
event's and the operator's ``--tlp`` wins; an unknown ``tlp:`` value is not imported."""

import pytest

from hakusan.indicators.models import Sighting
from hakusan.misp.services import import_events

from .test_import import attr, event

pytestmark = pytest.mark.django_db


def levels() -> dict[str, str]:
    return dict(Sighting.objects.values_list("observable__value", "tlp"))


def test_event_tag_is_not_lowered_by_an_attribute_tag() -> None:
    doc = event(
        [
            attr("c1", "domain", "clear-attr.phish.example.jp", tags=["tlp:clear"]),
            attr("c2", "domain", "untagged.phish.example.jp"),
            attr("c3", "domain", "strict.phish.example.jp", tags=["tlp:amber+strict"]),
        ],
        tags=("tlp:red",),
    )
    import_events(None, [doc])
    assert set(levels().values()) == {"red"}


def test_operator_level_is_a_floor_for_tagged_events() -> None:
    doc = event(
        [
            attr("d1", "domain", "white.phish.example.jp", tags=["tlp:white"]),
            attr("d2", "domain", "red.phish.example.jp", tags=["tlp:red"]),
        ],
        tags=("tlp:clear",),
    )
    import_events(None, [doc], default_tlp="amber", source_name="partner feed")
    assert levels() == {"white.phish.example.jp": "amber", "red.phish.example.jp": "red"}


def test_unknown_tlp_tags_skip_the_attribute_or_the_event() -> None:
    report = import_events(
        None,
        [
            event(
                [
                    attr("e1", "domain", "chr.phish.example.jp", tags=["tlp:ex:chr"]),
                    attr("e2", "domain", "ok.phish.example.jp", tags=["tlp:green"]),
                ],
                tags=(),
            )
        ],
    )
    assert levels() == {"ok.phish.example.jp": "green"}
    (skipped,) = report.skipped
    assert skipped.attribute == "e1" and "unknown TLP tag 'tlp:ex:chr'" in skipped.reason
    report = import_events(
        None,
        [event([attr("e3", "domain", "ev.phish.example.jp")], tags=("tlp:purple",))],
    )
    assert "ev.phish.example.jp" not in levels()
    assert "on the event" in report.skipped[0].reason
