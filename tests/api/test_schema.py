"""The OpenAPI schema: served to authenticated callers only, describes every endpoint with its
request and response bodies, and drf-spectacular generates it without a single warning."""

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.core.management import call_command

from tests.api import anonymous_client, token_client

pytestmark = pytest.mark.django_db

PATHS: dict[str, set[str]] = {
    "/api/reports/": {"get", "post"},
    "/api/reports/{id}/": {"get"},
    "/api/reports/{id}/triage/": {"post"},
    "/api/reports/{id}/route/": {"post"},
    "/api/reports/{id}/accept/": {"post"},
    "/api/reports/{id}/route-proposal/": {"get"},
    "/api/cases/": {"get", "post"},
    "/api/cases/{id}/": {"get"},
    "/api/cases/{id}/notes/": {"post"},
    "/api/cases/{id}/tasks/": {"post"},
    "/api/cases/{id}/members/": {"post"},
    "/api/cases/{id}/tasks/{task_id}/": {"patch"},
    "/api/cases/{id}/status/": {"post"},
    "/api/cases/{id}/observables/": {"post"},
    "/api/cases/{id}/ransomware/": {"patch"},
    "/api/observables/": {"get"},
    "/api/observables/{id}/": {"get"},
    "/api/observables/{id}/do-not-share/": {"post"},
    "/api/categories/": {"get"},
    "/api/departments/": {"get"},
    "/api/case-types/": {"get"},
}


@pytest.fixture
def schema(analyst) -> dict[str, Any]:
    response = token_client(analyst).get("/api/schema/")
    assert response.status_code == 200
    return yaml.safe_load(response.content)


def test_schema_needs_authentication() -> None:
    assert anonymous_client().get("/api/schema/").status_code == 401


def test_every_endpoint_is_described(schema) -> None:
    assert schema["openapi"].startswith("3.")
    methods = {
        path: {m for m in ops if m in ("get", "post", "put", "patch", "delete")}
        for path, ops in schema["paths"].items()
    }
    for path, expected in PATHS.items():
        assert path in methods, path
        assert methods[path] == expected, path
    assert not any("token" in path for path in methods)


def _resolve(schema: dict[str, Any], ref_or_schema: dict[str, Any]) -> dict[str, Any]:
    ref = ref_or_schema.get("$ref")
    if ref is None:
        return ref_or_schema
    return schema["components"]["schemas"][ref.rsplit("/", 1)[1]]


def test_bodies_are_described(schema) -> None:
    create = schema["paths"]["/api/reports/"]["post"]
    request = _resolve(schema, create["requestBody"]["content"]["application/json"]["schema"])
    assert set(request["required"]) == {"channel", "kind", "narrative"}
    assert "items" in request["properties"]
    created = _resolve(schema, create["responses"]["201"]["content"]["application/json"]["schema"])
    assert {"number", "extracted", "observables", "suggestion"} <= set(created["properties"])
    assert {"400", "401", "403"} <= set(create["responses"])
    detail = schema["paths"]["/api/reports/{id}/"]["get"]
    assert "404" in detail["responses"]
    assert detail["parameters"][0]["schema"]["type"] == "integer"
    listing = schema["paths"]["/api/reports/"]["get"]
    names = {p["name"] for p in listing["parameters"]}
    assert {
        "status",
        "category",
        "channel",
        "assigned_department",
        "overdue",
        "q",
        "limit",
        "offset",
    } <= names
    task = schema["paths"]["/api/cases/{id}/tasks/{task_id}/"]["patch"]
    assert {p["name"] for p in task["parameters"]} == {"id", "task_id"}
    assert "requestBody" not in schema["paths"]["/api/reports/{id}/accept/"]["post"]
    security = {
        name for entry in schema.get("security", []) + detail.get("security", []) for name in entry
    }
    assert "tokenAuth" in security


def test_spectacular_validates_without_warnings(tmp_path: Path) -> None:
    out = tmp_path / "schema.json"
    call_command(
        "spectacular",
        "--validate",
        "--fail-on-warn",
        "--format",
        "openapi-json",
        "--file",
        str(out),
    )
    data = json.loads(out.read_text())
    assert set(PATHS) <= set(data["paths"])


def test_api_root_lists_the_endpoints(analyst) -> None:
    response = token_client(analyst).get("/api/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    assert set(response.json()) == {
        "reports",
        "cases",
        "observables",
        "categories",
        "departments",
        "case-types",
    }
