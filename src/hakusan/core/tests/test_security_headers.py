"""Security headers on every response: a Content-Security-Policy that allows no inline script
(and no inline style but the report's nonce'd sheet), pages whose markup needs nothing inline,
and ``Cache-Control: no-store`` on what an authenticated user or a token holder receives,
while static files and the partners' ETag feeds keep their own caching."""

import re

import pytest
from conftest import verified_client
from django.test import Client

from hakusan.core.tests.site import build_site, inline_violations


def policy_of(response) -> dict[str, list[str]]:
    policy: dict[str, list[str]] = {}
    for part in response.headers.get("Content-Security-Policy", "").split(";"):
        if part.strip():
            name, *values = part.split()
            policy[name] = values
    return policy


def directives(response) -> dict[str, list[str]]:
    policy = policy_of(response)
    assert policy, f"no Content-Security-Policy on {response.request['PATH_INFO']}"
    return policy


def nonce_of(policy: dict[str, list[str]]) -> str:
    for value in policy.get("style-src", []):
        match = re.fullmatch(r"'nonce-([^']+)'", value)
        if match:
            return match.group(1)
    return ""


@pytest.fixture
def site(make_user, make_partner):
    return build_site(make_user, make_partner)


def _client_for(site, role: str) -> Client:
    user = {
        "reception": site.officer,
        "analyst": site.analyst,
        "supervisor": site.supervisor,
        "admin": site.admin,
    }[role]
    return verified_client(Client(), user)


# --- Content-Security-Policy ------------------------------------------------------------------


def test_policy_on_anonymous_and_logged_in_pages(client, site):
    for response in (
        client.get("/accounts/login/"),
        _client_for(site, "analyst").get(f"/cases/{site.case.pk}/"),
    ):
        assert response.status_code == 200
        policy = directives(response)
        assert policy["default-src"] == ["'self'"]
        assert policy["script-src"] == ["'self'"]  # no 'unsafe-inline', no nonce, no eval
        assert policy["style-src"] == ["'self'"]  # the nonce only where a page uses one
        assert policy["img-src"] == ["'self'", "data:"]  # Bootstrap's data: SVG icons
        assert policy["object-src"] == ["'none'"]
        assert policy["base-uri"] == ["'self'"]
        assert policy["frame-ancestors"] == ["'none'"]
        assert policy["form-action"] == ["'self'"]
    assert client.get("/accounts/login/")["X-Frame-Options"] == "DENY"


def test_policy_on_api_and_error_responses(client, site):
    assert directives(client.get("/api/reports/"))["script-src"] == ["'self'"]  # 401/403
    assert directives(client.get("/no-such-page/"))["default-src"] == ["'self'"]


@pytest.mark.parametrize("role", ["reception", "analyst", "supervisor", "admin"])
def test_main_pages_need_nothing_inline(site, role):
    """Every main page a role sees: no inline script body (JSON data blocks allowed), no event
    handler or hx-on attribute, no style attribute, no javascript: URL; a <style> element only
    with the nonce of its own response (the printable report)."""
    client = _client_for(site, role)
    problems = {}
    for url in site.pages(role):
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        assert response["Content-Type"].startswith("text/html"), url
        found = inline_violations(response.content.decode(), nonce_of(policy_of(response)))
        if found:
            problems[url] = found
    assert problems == {}


def test_login_and_two_factor_pages_need_nothing_inline(client, site):
    pages = {"/accounts/login/": client.get("/accounts/login/")}
    client.force_login(site.analyst)  # no device yet: the TOTP setup page with its QR code
    pages["/accounts/2fa/setup/"] = client.get("/accounts/2fa/setup/")
    assert b"<svg" in pages["/accounts/2fa/setup/"].content
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.filter(user=site.analyst).update(confirmed=True)
    pages["/accounts/2fa/verify/"] = client.get("/accounts/2fa/verify/")
    for url, response in pages.items():
        assert response.status_code == 200, url
        assert inline_violations(response.content.decode()) == [], url


def test_the_report_style_carries_the_nonce_of_its_response(site):
    response = _client_for(site, "analyst").get(f"/analysis/campaigns/{site.campaign.pk}/report/")
    nonce = nonce_of(directives(response))
    assert nonce and f'<style nonce="{nonce}">' in response.content.decode()
    assert directives(response)["script-src"] == ["'self'"]


def test_checker_finds_what_the_policy_blocks():
    """The checker itself: each kind of inline content is reported, data blocks are not."""
    html = (
        '<script>alert(1)</script><script type="application/json" id="d">{"a": 1}</script>'
        '<script src="/static/x.js"></script><select onchange="go()"></select>'
        '<div hx-on:click="x()"></div><div style="width:5%"></div><style>p{}</style>'
        '<a href="javascript:print()">p</a><style nonce="abc">q{}</style>'
    )
    found = inline_violations(html, nonce="abc")
    assert len(found) == 6, found
    assert inline_violations('<script type="application/json">{"x": 1}</script>') == []


# --- Cache-Control: no-store ------------------------------------------------------------------


def test_logged_in_pages_are_not_stored(site):
    client = _client_for(site, "analyst")
    for url in ("/", f"/cases/{site.case.pk}/", f"/analysis/cases/{site.case.pk}/graph/"):
        response = client.get(url)
        assert response.status_code == 200
        assert "no-store" in response["Cache-Control"], url
    # a redirect to an authenticated user (here: after a form post) is not stored either
    response = _client_for(site, "reception").post("/i18n/setlang/", {"language": "en"})
    assert response.status_code == 302 and "no-store" in response["Cache-Control"]


def test_api_responses_to_authenticated_requests_are_not_stored(client, site, make_partner):
    response = _client_for(site, "analyst").get("/api/reports/")
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    _partner, key = make_partner("JC3 (試験)", max_tlp="green")
    taxii = "application/taxii+json;version=2.1"
    response = client.get("/taxii2/", HTTP_AUTHORIZATION=f"Token {key}", HTTP_ACCEPT=taxii)
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    # a wrong credential gets its refusal unstored too
    response = client.get("/taxii2/", HTTP_AUTHORIZATION="Token wrong", HTTP_ACCEPT=taxii)
    assert response.status_code == 401 and "no-store" in response["Cache-Control"]


def test_static_files_and_partner_feeds_keep_their_caching(client, site, make_partner):
    response = _client_for(site, "analyst").get("/static/hakusan/hakusan.css")
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")
    _partner, key = make_partner("配信先 (試験)", max_tlp="green", receives=["phishing"])
    feed = client.get("/feeds/phishing.csv", HTTP_AUTHORIZATION=f"Token {key}")
    assert feed.status_code == 200
    assert feed["Cache-Control"] == "private, no-cache" and feed["ETag"]
    again = client.get(
        "/feeds/phishing.csv", HTTP_AUTHORIZATION=f"Token {key}", HTTP_IF_NONE_MATCH=feed["ETag"]
    )
    assert again.status_code == 304 and again["Cache-Control"] == "private, no-cache"
