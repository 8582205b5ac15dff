"""Serving TAXII on loopback for interop tests and ``bench/taxii.py``: any WSGI app in a thread
(werkzeug), and medallion (the OASIS reference TAXII 2.1 server) with its memory backend loaded
with given objects."""

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

MEDALLION_USER = ("medallion", "medallion-pass")
_configured = threading.Lock()
_medallion_ready = False


@dataclass
class Served:
    server: BaseWSGIServer
    thread: threading.Thread
    url: str  # http://127.0.0.1:<port>

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass


def serve_wsgi(app: Callable[..., Any]) -> Served:
    """Serve ``app`` on 127.0.0.1 at a free port, in a daemon thread (threaded server)."""
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name="taxii-peer", daemon=True)
    thread.start()
    return Served(server, thread, f"http://127.0.0.1:{server.server_port}")


def medallion_collection(
    collection_id: str,
    title: str,
    objects: Iterable[dict[str, Any]],
    *,
    can_read: bool,
    can_write: bool,
    start: datetime | None = None,
) -> dict[str, Any]:
    """A collection of medallion's memory backend holding ``objects`` (in order), each with a
    manifest record; date_added one microsecond apart from ``start``."""
    media = "application/stix+json;version=2.1"
    added = start or datetime.now(UTC) - timedelta(hours=1)
    stored, manifest = [], []
    for obj in objects:
        stamp = added.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        added += timedelta(microseconds=1)
        obj = dict(obj)
        if "modified" not in obj and "created" not in obj:
            obj["_date_added"] = stamp
        version = obj.get("modified") or obj.get("created") or stamp
        stored.append(obj)
        manifest.append(
            {"id": obj["id"], "date_added": stamp, "version": version, "media_type": media}
        )
    return {
        "id": collection_id,
        "title": title,
        "can_read": can_read,
        "can_write": can_write,
        "media_types": [media],
        "objects": stored,
        "manifest": manifest,
    }


def serve_medallion(
    collections: list[dict[str, Any]],
    *,
    api_root: str = "hakusan",
    max_content_length: int = 10 * 1024 * 1024,
    max_page_size: int = 1000,
) -> Served:
    """Start medallion (its Flask app is a module global: configured once per process, its
    backend replaced per call) with one API root holding ``collections``."""
    global _medallion_ready
    import medallion
    from medallion.backends.memory_backend import MemoryBackend

    app = medallion.application_instance
    with _configured:
        if not _medallion_ready:
            medallion.set_config(app, "users", {"users": dict([MEDALLION_USER])})
            medallion.register_blueprints(app)
            _medallion_ready = True
        medallion.set_config(app, "taxii", {"taxii": {"max_page_size": max_page_size}})
    served = serve_wsgi(app)
    root_url = f"{served.url}/{api_root}/"
    backend = MemoryBackend()
    backend.data = {
        "/discovery": {
            "title": "medallion (peer)",
            "description": "OASIS reference TAXII 2.1 server, memory backend",
            "default": root_url,
            "api_roots": [root_url],
        },
        api_root: {
            "information": {
                "title": "medallion API root",
                "versions": ["application/taxii+json;version=2.1"],
                "max_content_length": max_content_length,
            },
            "status": [],
            "collections": collections,
        },
    }
    app.medallion_backend = backend
    return served
