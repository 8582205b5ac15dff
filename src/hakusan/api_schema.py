"""OpenAPI (drf-spectacular) hooks. The schema at /api/schema/ describes our REST API under
/api/; the partner-facing endpoints (/taxii2/, /feeds/, /misp/) follow their own published
standards (OASIS TAXII 2.1, MISP feed format) and are documented in docs/sharing/."""

from typing import Any


def only_api_paths(endpoints: list[tuple[str, Any, str, Any]], **kwargs: Any) -> list[Any]:
    return [endpoint for endpoint in endpoints if endpoint[0].startswith("/api/")]
