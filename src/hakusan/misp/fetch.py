"""Reading MISP event JSON from a file, a directory or a URL (a single event, a list, or a feed
with ``manifest.json``). URLs are fetched with ``urllib`` and a timeout; a feed's events are
fetched one by one from ``<base>/<uuid>.json``, as MISP itself does."""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from hakusan.domain import safejson
from hakusan.domain.misp import InvalidMispDocument, events_in, is_manifest

MAX_BYTES = 200 * 1024 * 1024


class FetchError(ValueError):
    """The source cannot be read: the message names the file or URL and why."""


def _is_url(location: str) -> bool:
    return location.startswith(("http://", "https://"))


def _get(url: str, headers: Sequence[str], timeout: float) -> bytes:
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    for header in headers:
        name, sep, value = header.partition(":")
        if not sep or not name.strip():
            raise FetchError(f"header {header!r}: expected 'Name: value'")
        request.add_header(name.strip(), value.strip())
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            data: bytes = response.read(MAX_BYTES + 1)
    except urllib.error.HTTPError as exc:
        raise FetchError(f"{url}: HTTP {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise FetchError(f"{url}: {reason}") from None
    if len(data) > MAX_BYTES:
        raise FetchError(f"{url}: larger than {MAX_BYTES} bytes")
    return data


def _json(data: bytes, where: str) -> Any:
    # Limits (depth, numbers, NaN/Infinity, lone surrogates): a feed is foreign input.
    try:
        return safejson.loads(data, max_bytes=MAX_BYTES)
    except safejson.JSONInputError as exc:
        raise FetchError(f"{where}: not acceptable JSON: {exc}") from None


def _events(doc: Any, where: str) -> list[dict[str, Any]]:
    try:
        return list(events_in(doc))
    except InvalidMispDocument as exc:
        raise FetchError(f"{where}: {exc}") from None


def load(
    location: str, *, headers: Sequence[str] = (), timeout: float = 30.0
) -> Iterator[tuple[str, dict[str, Any]]]:
    """(where, event dict) for every event at ``location``."""
    if _is_url(location):
        base = location.rsplit("/", 1)[0] if location.endswith(".json") else location.rstrip("/")
        url = location if location.endswith(".json") else f"{base}/manifest.json"
        doc = _json(_get(url, headers, timeout), url)
        if is_manifest(doc):
            for uuid in doc:
                event_url = f"{base}/{uuid}.json"
                for event in _events(
                    _json(_get(event_url, headers, timeout), event_url), event_url
                ):
                    yield event_url, event
            return
        for event in _events(doc, url):
            yield url, event
        return
    path = Path(location)
    if path.is_dir():
        manifest = path / "manifest.json"
        if manifest.is_file():
            doc = _json(manifest.read_bytes(), str(manifest))
            if not is_manifest(doc):
                raise FetchError(f"{manifest}: not a MISP feed manifest")
            files = [path / f"{uuid}.json" for uuid in doc]
            missing = [f.name for f in files if not f.is_file()]
            if missing:
                raise FetchError(f"{path}: manifest names missing event files: {missing[:5]}")
        else:
            files = sorted(p for p in path.glob("*.json"))
            if not files:
                raise FetchError(f"{path}: no manifest.json and no *.json files")
        for file in files:
            for event in _events(_json(file.read_bytes(), str(file)), str(file)):
                yield str(file), event
        return
    if not path.is_file():
        raise FetchError(f"{location}: no such file, directory or http(s) URL")
    doc = _json(path.read_bytes(), str(path))
    if is_manifest(doc):
        yield from load(str(path.parent), headers=headers, timeout=timeout)
        return
    for event in _events(doc, str(path)):
        yield str(path), event
