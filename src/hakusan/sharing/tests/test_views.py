"""The analyst's inbound-bundle pages: list, report, accept/reject; others get 403."""

import pytest

from hakusan.indicators.models import Sighting
from hakusan.sharing import services

from .test_import import sample_bundle

pytestmark = [pytest.mark.django_db, pytest.mark.urls("hakusan.sharing.tests.urls")]


@pytest.fixture
def pending(make_partner):
    partner, _ = make_partner("CSIRT Example")
    return services.import_bundle(sample_bundle(), partner=partner, pending=True).bundle


def test_list_and_detail(login, analyst, pending):
    client = login(analyst)
    page = client.get("/sharing/bundles/?state=pending")
    assert page.status_code == 200 and "CSIRT Example" in page.content.decode()
    detail = client.get(f"/sharing/bundles/{pending.pk}/").content.decode()
    assert "kept as pattern" in detail and 'id="review-form"' in detail


def test_accept_from_the_page(login, analyst, pending):
    client = login(analyst)
    response = client.post(f"/sharing/bundles/{pending.pk}/review/", {"decision": "accept"})
    assert response.status_code == 302
    pending.refresh_from_db()
    assert pending.state == "accepted" and pending.reviewed_by == analyst
    assert Sighting.objects.filter(source_kind="partner", source_id=pending.pk).count() == 5
    again = client.post(
        f"/sharing/bundles/{pending.pk}/review/",
        {"decision": "reject"},
        follow=True,
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert "not pending" in again.content.decode()
    pending.refresh_from_db()
    assert pending.state == "accepted"


def test_reject_from_the_page(login, analyst, pending):
    client = login(analyst)
    client.post(f"/sharing/bundles/{pending.pk}/review/", {"decision": "reject", "reason": "spam"})
    pending.refresh_from_db()
    assert pending.state == "rejected" and not Sighting.objects.exists()


def test_officers_may_not(login, officer, pending):
    client = login(officer)
    assert client.get("/sharing/bundles/").status_code == 403
    assert (
        client.post(f"/sharing/bundles/{pending.pk}/review/", {"decision": "accept"}).status_code
        == 403
    )
    pending.refresh_from_db()
    assert pending.state == "pending"
