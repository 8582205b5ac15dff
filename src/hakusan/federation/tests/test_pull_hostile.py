"""A partner's TAXII server sending hostile JSON (issue 9 §4): the pull records one clear
error on the source and returns; it never raises, and nothing of the bad page is imported."""

import json

import pytest
from flask import Response, request

from hakusan.federation import services
from hakusan.federation.client import FederationError, page_from_body
from hakusan.indicators.models import Sighting

from .conftest import PASSWORD, USER, indicator

pytestmark = pytest.mark.django_db

TAXII = "application/taxii+json;version=2.1"
HOSTILE = [
    (b"[" * 100_000, "nested deeper than"),
    (json.dumps({"objects": [{**indicator(1), "name": "\ud800"}]}).encode(), "lone surrogate"),
    (json.dumps({"objects": [{**indicator(1), "confidence": float("inf")}]}).encode(), "Infinity"),
    (b'{"objects": [{"confidence": ' + b"9" * 5000 + b"}]}", "too long"),
    (b'{"objects": 5}', "not a list of objects"),
    (b'{"objects": [1]}', "not a list of objects"),
    (b'{"objects": [], "more": "yes"}', "'more'"),
    (b'{"objects": [], "more": true, "next": {"a": 1}}', "'next'"),
    (b"[]", "not an envelope"),
]


@pytest.mark.parametrize(("body", "problem"), HOSTILE)
def test_hostile_page_is_one_clear_error(body: bytes, problem: str) -> None:
    with pytest.raises(FederationError, match=problem):
        page_from_body(body)


@pytest.mark.parametrize(("body", "problem"), HOSTILE[:4])
def test_pull_of_a_hostile_page_records_the_error(peer, make_partner, body, problem) -> None:
    peer.add([indicator(n) for n in range(3)])

    @peer.app.before_request
    def hostile() -> Response | None:
        if request.path.endswith("/objects/") and request.method == "GET":
            return Response(body, status=200, mimetype=TAXII)
        return None

    partner, _key = make_partner("Toyama Pref. Police", max_tlp="amber")
    source = services.create_pull_source(
        "toyama",
        api_root_url=peer.api_root_url,
        collection="phishing",
        partner=partner,
        username=USER,
        password=PASSWORD,
        trusted=True,
    )
    result = services.pull(source)
    assert not result.ok and problem in result.error, result.error
    source.refresh_from_db()
    assert source.failures == 1 and problem in source.last_error
    assert not Sighting.objects.filter(source_kind="partner").exists()
