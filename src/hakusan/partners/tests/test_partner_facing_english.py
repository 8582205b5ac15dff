"""Partner-facing endpoints answer in English whatever the server's language: their clients are
programs at other organisations, and our catalogue would otherwise turn errors Japanese."""

import pytest
from django.test import override_settings
from django.utils import translation

PARTNER_URLS = [
    ("/taxii2/", "application/taxii+json;version=2.1"),
    ("/feeds/phishing.txt", "*/*"),
    ("/misp/feed/manifest.json", "*/*"),
]


@pytest.mark.django_db
@override_settings(LANGUAGE_CODE="ja")
@pytest.mark.parametrize(("url", "accept"), PARTNER_URLS)
def test_errors_are_in_english(client, url, accept):
    with translation.override("ja"):  # the message exists in Japanese, so this test can fail
        assert translation.gettext("invalid partner token") != "invalid partner token"
    response = client.get(
        url,
        HTTP_AUTHORIZATION="Token not-a-real-token",
        HTTP_ACCEPT_LANGUAGE="ja",
        HTTP_ACCEPT=accept,
    )
    assert response.status_code == 401
    assert response["Content-Language"] == "en"
    assert "invalid partner token" in response.content.decode()
