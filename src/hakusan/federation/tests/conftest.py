"""A real TAXII 2.1 peer for the federation tests: the OASIS reference server ``medallion``
(memory backend), its Flask app served on a free loopback port from a thread.

``Peer.fail`` makes the server misbehave on the next Get Objects requests (after letting
``fail_after`` of them through): ``"http"`` answers 503, ``"json"`` sends a broken body."""

import functools
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask, Response, request
from werkzeug.serving import make_server

from hakusan.domain.sharing.tlp import STIX_MARKING_IDS

API_ROOT = "trustgroup1"
COLLECTION_ID = "91a7b528-80eb-42ed-a74d-c6fbd5a26116"
USER, PASSWORD = "hakusan-puller", "peer-secret-0123"
TAXII = "application/taxii+json;version=2.1"
STIX = "application/stix+json;version=2.1"
EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


def _stamp(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def indicator(n: int, *, tlp: str | None = "green", kind: str = "domain") -> dict[str, Any]:
    """A STIX 2.1 indicator for a fictional value (n-th of its kind)."""
    if kind == "domain":
        pattern = f"[domain-name:value = 'host{n:05d}.phish.example.jp']"
    else:
        pattern = f"[ipv4-addr:value = '198.51.100.{n % 250 + 1}']"
    created = _stamp(EPOCH + timedelta(seconds=n))
    obj: dict[str, Any] = {
        "type": "indicator",
        "spec_version": "2.1",
        "id": f"indicator--{uuid.uuid5(uuid.NAMESPACE_URL, f'fed-test-{kind}-{n}')}",
        "created": created,
        "modified": created,
        "name": f"phishing host {n}",
        "pattern": pattern,
        "pattern_type": "stix",
        "valid_from": created,
        "indicator_types": ["malicious-activity"],
    }
    if tlp:
        obj["object_marking_refs"] = [STIX_MARKING_IDS[tlp]]
    return obj


@dataclass
class Peer:
    url: str
    app: Flask
    collection: dict[str, Any]
    fail: str = ""
    fail_after: int = 0
    object_requests: int = 0
    requests: list[dict[str, str]] = field(default_factory=list)
    _clock: datetime = field(default_factory=lambda: datetime(2026, 3, 1, tzinfo=UTC))

    @property
    def api_root_url(self) -> str:
        return f"{self.url}/{API_ROOT}/"

    def add(self, objects: list[dict[str, Any]]) -> None:
        """Add objects as if posted now: each gets a later date_added."""
        for obj in objects:
            self._clock += timedelta(milliseconds=1)
            self.collection["objects"].append(obj)
            self.collection["manifest"].append(
                {
                    "id": obj["id"],
                    "date_added": _stamp(self._clock),
                    "version": obj["modified"],
                    "media_type": STIX,
                }
            )

    def forget_cursors(self) -> None:
        """As after a restart: the memory backend's ``next`` sessions are gone."""
        self.app.medallion_backend.next.clear()  # type: ignore[attr-defined]


def _backend_data(collection: dict[str, Any]) -> dict[str, Any]:
    return {
        "/discovery": {
            "title": "Test peer",
            "default": f"/{API_ROOT}/",
            "api_roots": [f"/{API_ROOT}/"],
        },
        API_ROOT: {
            "information": {
                "title": "Trust group 1",
                "versions": [TAXII],
                "max_content_length": 10_000_000,
            },
            "status": [],
            "collections": [collection],
        },
    }


@pytest.fixture
def peer(monkeypatch: pytest.MonkeyPatch) -> Iterator[Peer]:
    import medallion
    import medallion.common
    import medallion.filters.basic_filter
    from medallion.backends.memory_backend import MemoryBackend
    from medallion.exceptions import BackendError, ProcessingError

    # medallion's memory backend matches objects to manifest entries pairwise, parsing both
    # timestamps at every comparison: O(n*m) strptime calls for the first page of n objects.
    # Parsing each distinct string once (same results, datetimes are immutable) keeps the
    # 1,000-object tests in seconds.
    parse = functools.lru_cache(maxsize=None)(medallion.common.string_to_datetime)
    monkeypatch.setattr(medallion.common, "string_to_datetime", parse)
    monkeypatch.setattr(medallion.filters.basic_filter, "string_to_datetime", parse)

    collection: dict[str, Any] = {
        "id": COLLECTION_ID,
        "title": "Phishing indicators",
        "alias": "phishing",
        "description": "fictional test data",
        "can_read": True,
        "can_write": True,
        "media_types": [STIX],
        "objects": [],
        "manifest": [],
    }
    app = Flask(f"medallion-test-{uuid.uuid4().hex[:8]}")
    medallion.set_config(app, "users", {"users": {USER: PASSWORD}})
    medallion.set_config(app, "taxii", {"taxii": {"max_page_size": 1000}})
    backend = MemoryBackend(session_timeout=600, check_interval=600)
    backend.data = _backend_data(collection)
    app.medallion_backend = backend  # type: ignore[attr-defined]
    medallion.register_blueprints(app)
    app.register_error_handler(500, medallion.handle_error)
    app.register_error_handler(ProcessingError, medallion.handle_processing_error)
    app.register_error_handler(BackendError, medallion.handle_backend_error)

    server = make_server("127.0.0.1", 0, app, threaded=True)
    state = Peer(url=f"http://127.0.0.1:{server.server_port}", app=app, collection=collection)

    @app.before_request
    def misbehave() -> Response | None:
        if not request.path.endswith("/objects/") or request.method != "GET":
            return None
        state.requests.append(dict(request.args))
        state.object_requests += 1
        if state.fail and state.object_requests > state.fail_after:
            if state.fail == "json":
                return Response("{not json", status=200, mimetype=TAXII)
            return Response('{"title": "down for maintenance"}', status=503, mimetype=TAXII)
        return None

    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        thread.join(5)
