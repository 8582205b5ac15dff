"""STIX import and TLP: an object's TLP marking decides, the importer's ``tlp_default`` covers
unmarked objects, and an operator's level (``--tlp``, ``tlp_floor``) is a floor: the most
restrictive of marking and floor wins."""

import pytest

from hakusan.domain.sharing.tlp import STIX_MARKING_IDS
from hakusan.indicators.models import Sighting
from hakusan.sharing import services

from .test_import import indicator

pytestmark = pytest.mark.django_db


def bundle() -> dict:
    return {
        "type": "bundle",
        "id": "bundle--00000000-0000-4000-8000-000000000077",
        "objects": [
            indicator(
                1,
                "[domain-name:value = 'clear.phish.example.jp']",
                object_marking_refs=[STIX_MARKING_IDS["clear"]],
            ),
            indicator(
                2,
                "[domain-name:value = 'red.phish.example.jp']",
                object_marking_refs=[STIX_MARKING_IDS["red"]],
            ),
            indicator(3, "[domain-name:value = 'unmarked.phish.example.jp']"),
        ],
    }


def levels() -> dict[str, str]:
    return dict(Sighting.objects.values_list("observable__value", "tlp"))


def test_markings_decide_without_an_operator_level() -> None:
    services.import_bundle(bundle(), source_name="stix file", tlp_default="green")
    assert levels() == {
        "clear.phish.example.jp": "clear",
        "red.phish.example.jp": "red",
        "unmarked.phish.example.jp": "green",
    }


def test_operator_level_is_a_floor() -> None:
    services.import_bundle(
        bundle(), source_name="stix file", tlp_default="amber", tlp_floor="amber"
    )
    assert levels() == {
        "clear.phish.example.jp": "amber",
        "red.phish.example.jp": "red",
        "unmarked.phish.example.jp": "amber",
    }


def test_a_floor_is_refused_for_a_bundle_held_for_review() -> None:
    """A pending bundle keeps no floor: accepted later, its CLEAR object would be CLEAR."""
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as refused:
        services.import_bundle(bundle(), source_name="feed", tlp_floor="red", pending=True)
    assert list(refused.value.message_dict) == ["tlp"]
    assert not Sighting.objects.exists()
    report = services.import_bundle(bundle(), source_name="feed", pending=True)
    assert report.bundle.state == "pending"
