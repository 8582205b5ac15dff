"""Partner credentials: Token, Bearer and Basic (any user name, the token as password) on a
partner endpoint; every refusal a 401 that says why; partner tokens never open internal
endpoints and a PartnerPrincipal passes no internal role check."""

import base64
from typing import Any

import pytest
from django.utils import translation
from rest_framework.response import Response
from rest_framework.test import APIClient, APIRequestFactory
from rest_framework.views import APIView

from hakusan.core import access
from hakusan.partners import services
from hakusan.partners.auth import (
    PARTNER_AUTHENTICATION,
    IsPartner,
    PartnerCanWrite,
    PartnerPrincipal,
    partner_of,
)
from hakusan.partners.models import PartnerToken

pytestmark = pytest.mark.django_db


class PartnerEcho(APIView):
    """A partner endpoint as TAXII and the feeds declare theirs."""

    authentication_classes = PARTNER_AUTHENTICATION
    permission_classes = [IsPartner]

    def get(self, request: Any) -> Response:
        partner = partner_of(request)
        assert partner is not None
        return Response({"partner": partner.name, "token": request.auth.prefix})

    def post(self, request: Any) -> Response:
        return Response({"written": True})

    def get_permissions(self) -> Any:
        if self.request.method == "POST":
            return [IsPartner(), PartnerCanWrite()]
        return super().get_permissions()


def call(method: str = "get", **headers: str) -> Any:
    factory = APIRequestFactory()
    request = getattr(factory, method)("/partner-echo/", **headers)
    with translation.override("en"):  # the messages are translated; codes are stable
        response = PartnerEcho.as_view()(request)
        response.render()
    return response


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


@pytest.fixture
def partner_key(make_partner) -> tuple[Any, str]:
    return make_partner("石川県警察", max_tlp="amber")


@pytest.mark.parametrize("scheme", ["Token", "Bearer", "token", "BEARER"])
def test_token_and_bearer(partner_key, scheme: str) -> None:
    partner, key = partner_key
    response = call(HTTP_AUTHORIZATION=f"{scheme} {key}")
    assert response.status_code == 200, response.data
    assert response.data == {"partner": partner.name, "token": key[:8]}


@pytest.mark.parametrize("username", ["taxii", "", "石川", "user:with:colons"])
def test_basic_with_any_user_name(partner_key, username: str) -> None:
    partner, key = partner_key
    response = call(HTTP_AUTHORIZATION=basic(username, key))
    assert response.status_code == 200, response.data
    assert response.data["partner"] == partner.name


def test_last_used_is_recorded_but_not_on_every_request(partner_key) -> None:
    partner, key = partner_key
    token = partner.tokens.get()
    assert token.last_used_at is None
    assert call(HTTP_AUTHORIZATION=f"Token {key}").status_code == 200
    token.refresh_from_db()
    first = token.last_used_at
    assert first is not None
    assert call(HTTP_AUTHORIZATION=f"Token {key}").status_code == 200
    token.refresh_from_db()
    assert token.last_used_at == first  # within a minute: not written again


def refused(response: Any, code: str, message: str = "") -> None:
    assert response.status_code == 401, (response.status_code, response.data)
    assert response.data["detail"].code == code, response.data
    assert message in str(response.data["detail"]), response.data
    assert response["WWW-Authenticate"]


def test_no_credentials_is_401(partner_key) -> None:
    refused(call(), "not_authenticated")


def test_unknown_token(partner_key) -> None:
    refused(call(HTTP_AUTHORIZATION="Token " + "x" * 43), "invalid_token", "invalid partner token")
    refused(
        call(HTTP_AUTHORIZATION=basic("taxii", "y" * 43)), "invalid_token", "invalid partner token"
    )


def test_revoked_token(partner_key) -> None:
    partner, key = partner_key
    services.revoke_tokens(partner)
    refused(call(HTTP_AUTHORIZATION=f"Token {key}"), "token_revoked", "revoked")
    refused(call(HTTP_AUTHORIZATION=basic("taxii", key)), "token_revoked", "revoked")


def test_rotated_token_replaces_the_old_one(partner_key) -> None:
    partner, old = partner_key
    _token, new = services.rotate_token(partner)
    refused(call(HTTP_AUTHORIZATION=f"Token {old}"), "token_revoked", "revoked")
    assert call(HTTP_AUTHORIZATION=f"Token {new}").status_code == 200


def test_inactive_partner(partner_key) -> None:
    partner, key = partner_key
    services.deactivate_partner(partner)
    refused(call(HTTP_AUTHORIZATION=f"Token {key}"), "partner_inactive", "partner is not active")
    refused(
        call(HTTP_AUTHORIZATION=basic("taxii", key)), "partner_inactive", "partner is not active"
    )


@pytest.mark.parametrize(
    ("header", "code", "message"),
    [
        ("Token", "malformed_header", "(no key)"),
        ("Bearer", "malformed_header", "(no key)"),
        ("Token abc def", "malformed_header", "(spaces in the key)"),
        ("Token " + "a" * 500, "malformed_token", "too long"),
        ("Token caf\xe9", "malformed_token", "non-ASCII"),
        ("Basic", "malformed_header", "expected 'Basic <base64(user:token)>'"),
        ("Basic a b", "malformed_header", "expected 'Basic <base64(user:token)>'"),
        ("Basic not-base64!!", "malformed_header", "not base64"),
        ("Basic " + base64.b64encode(b"no-colon").decode(), "malformed_header", "'user:token'"),
        ("Basic " + base64.b64encode(b"taxii:").decode(), "malformed_header", "is the token"),
        ("Basic " + base64.b64encode(b"\xff\xfe:\xff").decode(), "malformed_header", "UTF-8"),
    ],
)
def test_malformed_headers(partner_key, header: str, code: str, message: str) -> None:
    refused(call(HTTP_AUTHORIZATION=header), code, message)


def test_other_schemes_are_not_credentials(partner_key) -> None:
    refused(call(HTTP_AUTHORIZATION="Digest username=x"), "not_authenticated")


def test_write_needs_can_write(make_partner) -> None:
    _reader, read_key = make_partner("Reader", max_tlp="green")
    _writer, write_key = make_partner("Writer", max_tlp="green", can_write=True)
    denied = call("post", HTTP_AUTHORIZATION=f"Token {read_key}")
    assert denied.status_code == 403
    assert "may not send data" in str(denied.data["detail"])
    assert call("post", HTTP_AUTHORIZATION=f"Token {write_key}").status_code == 200


def test_staff_session_does_not_open_partner_endpoints(partner_key, analyst) -> None:
    factory = APIRequestFactory()
    request = factory.get("/partner-echo/")
    request.user = analyst  # a Django session user: partner endpoints ignore it
    response = PartnerEcho.as_view()(request)
    assert response.status_code == 401


# --- internal endpoints never accept partner credentials -------------------------------------


@pytest.mark.parametrize(
    "url", ["/api/observables/", "/api/reports/", "/api/cases/", "/api/schema/", "/api/"]
)
@pytest.mark.parametrize("scheme", ["Token", "Bearer", "Basic"])
def test_internal_api_refuses_partner_tokens(partner_key, url: str, scheme: str) -> None:
    _partner, key = partner_key
    client = APIClient()
    header = basic("taxii", key) if scheme == "Basic" else f"{scheme} {key}"
    client.credentials(HTTP_AUTHORIZATION=header)
    response = client.get(url)
    assert response.status_code in (401, 403), (url, response.status_code)


def test_internal_write_refuses_partner_tokens(partner_key) -> None:
    _partner, key = partner_key
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    response = client.post(
        "/api/reports/", {"channel": "web", "kind": "report", "narrative": "x"}, format="json"
    )
    assert response.status_code == 401


def test_principal_passes_no_internal_role_check(partner_key) -> None:
    partner, _key = partner_key
    principal = PartnerPrincipal(partner, PartnerToken.objects.get(partner=partner))
    for allowed in (
        access.CAN_FILE_REPORTS,
        access.CAN_TRIAGE_AND_ROUTE,
        access.CAN_OPEN_CASES,
        access.CAN_IMPORT,
        access.CAN_CONFIGURE,
        access.SEES_ALL_REPORTS,
        frozenset({"partner"}) - {"partner"},
    ):
        assert access.user_can(principal, allowed) is False
    assert principal.pk is None and principal.id is None
    assert not principal.has_perm("partners.view_partner")
    assert not principal.has_module_perms("partners")
    assert principal.is_verified() is False
    assert str(principal) == "partner:石川県警察"
    assert principal.audit_detail() == {
        "partner": partner.pk,
        "partner_name": "石川県警察",
        "token_prefix": principal.token.prefix,
    }


def test_role_permission_refuses_principal(partner_key) -> None:
    partner, _key = partner_key
    principal = PartnerPrincipal(partner, PartnerToken.objects.get(partner=partner))

    class View:
        action = "list"
        read_roles = access.CAN_FILE_REPORTS

    class Request:
        method = "GET"
        user = principal

    assert access.RolePermission().has_permission(Request(), View()) is False
