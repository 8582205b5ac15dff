"""A thin layer over ``taxii2client.v21``: request timeouts, the response headers TAXII puts
the ``date_added`` range in (the library returns only the parsed body), collection lookup by
id, alias or title, and errors turned into one exception with a readable message."""

import functools
from dataclasses import dataclass, field
from typing import Any

import requests
from taxii2client.common import _HTTPConnection
from taxii2client.exceptions import TAXIIServiceException
from taxii2client.v21 import ApiRoot, Collection

from hakusan.domain import safejson

USER_AGENT = "hakusan-federation (taxii2-client)"
# Largest response body parsed (a page of 1,000 STIX objects is a few MB).
MAX_RESPONSE_BYTES = 64 * 1024 * 1024
# taxii2client's own parsing fails with these on bodies of the wrong shape.
_CLIENT_ERRORS = (
    requests.RequestException,
    TAXIIServiceException,
    ValueError,
    KeyError,
    TypeError,
    AttributeError,
)


class FederationError(Exception):
    """A remote TAXII server could not be used; the message says why."""


class CursorRejected(FederationError):
    """The server no longer accepts a saved ``next`` cursor (expired, or restarted)."""


class _Connection(_HTTPConnection):
    def __init__(self, user: str, password: str, *, verify: bool, timeout: float) -> None:
        super().__init__(
            user or None,
            password or None,
            verify=verify,
            user_agent=USER_AGENT,
            version="2.1",
        )
        self.last_headers: dict[str, str] = {}
        self.session.request = functools.partial(self.session.request, timeout=timeout)
        self.session.hooks["response"].append(self._keep_headers)

    def _keep_headers(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        self.last_headers = dict(response.headers)
        # taxii2client parses with response.json(): a partner's body goes through safejson
        # instead (depth, numbers, NaN/Infinity, lone surrogates), its refusal a ValueError.
        response.json = functools.partial(parse_body, response.content)  # type: ignore[method-assign]


def parse_body(content: bytes, **_kwargs: Any) -> Any:
    """A remote server's JSON body, within safejson's limits (JSONInputError otherwise)."""
    return safejson.loads(content, max_bytes=MAX_RESPONSE_BYTES)


@dataclass
class Page:
    objects: list[dict[str, Any]]
    more: bool
    next: str
    date_added_first: str
    date_added_last: str
    headers: dict[str, str] = field(default_factory=dict)


def describe(exc: BaseException) -> str:
    """A one-line reason for an operator: HTTP status and the server's own description."""
    cause = exc.__cause__
    if isinstance(cause, safejson.JSONInputError):
        return f"{exc} ({cause})"
    if isinstance(exc, requests.HTTPError) and exc.response is not None:
        response = exc.response
        detail = ""
        try:
            body = response.json()
            if isinstance(body, dict):
                detail = str(body.get("description") or body.get("title") or "")
        except ValueError:
            detail = response.text[:200]
        reason = f"HTTP {response.status_code} {response.reason or ''}".strip()
        if response.status_code in (401, 403):
            reason += " (credentials refused)"
        return f"{reason} from {response.url}" + (f": {detail}" if detail else "")
    if isinstance(exc, requests.Timeout):
        return f"timed out: {exc}"
    if isinstance(exc, requests.ConnectionError):
        return f"cannot connect: {exc}"
    return f"{type(exc).__name__}: {exc}"


class Remote:
    """One remote collection, opened with credentials and a timeout."""

    def __init__(
        self,
        api_root_url: str,
        *,
        user: str = "",
        password: str = "",
        verify: bool = True,
        timeout: float = 60,
    ) -> None:
        self.api_root_url = api_root_url if api_root_url.endswith("/") else api_root_url + "/"
        self.conn = _Connection(user, password, verify=verify, timeout=timeout)
        self._collection: Collection | None = None

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> "Remote":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def resolve(self, wanted: str) -> str:
        """The id of the collection named ``wanted`` (its id, alias or title)."""
        try:
            root = ApiRoot(self.api_root_url, conn=self.conn)
            collections = root.collections
        except _CLIENT_ERRORS as exc:
            raise FederationError(describe(exc)) from exc
        for match in (
            lambda c: c.id == wanted,
            lambda c: c.alias == wanted,
            lambda c: c.title == wanted,
        ):
            found = [c for c in collections if match(c)]
            if found:
                return str(found[0].id)
        names = ", ".join(f"{c.id} ({c.title})" for c in collections) or "none"
        raise FederationError(
            f"no collection {wanted!r} at {self.api_root_url} (collections: {names})"
        )

    def collection(self, collection_id: str) -> Collection:
        if self._collection is None:
            url = f"{self.api_root_url}collections/{collection_id}/"
            try:
                self._collection = Collection(url, conn=self.conn)
            except _CLIENT_ERRORS as exc:
                raise FederationError(describe(exc)) from exc
        return self._collection

    def get_page(
        self, collection_id: str, *, limit: int, added_after: str = "", next: str = ""
    ) -> Page:
        """One page of Get Objects. A rejected ``next`` raises ``CursorRejected``."""
        collection = self.collection(collection_id)
        # STIX 2.1 only (what the importer reads); also spares servers that otherwise compare
        # every object's spec version with every other's (medallion's memory backend).
        kwargs: dict[str, Any] = {"limit": limit, "spec_version": "2.1"}
        if added_after:
            kwargs["added_after"] = added_after
        if next:
            kwargs["next"] = next
        try:
            envelope = collection.get_objects(**kwargs)
        except requests.HTTPError as exc:
            status = exc.response.status_code if exc.response is not None else None
            if next and status in (400, 404, 410):
                raise CursorRejected(describe(exc)) from exc
            raise FederationError(describe(exc)) from exc
        except _CLIENT_ERRORS as exc:
            raise FederationError(describe(exc)) from exc
        return page_of(envelope, self.conn.last_headers)

    def add_objects(
        self, collection_id: str, objects: list[dict[str, Any]], *, timeout: float = 60
    ) -> dict[str, Any]:
        """Post an envelope and poll its status until final (or ``timeout``)."""
        collection = self.collection(collection_id)
        try:
            status = collection.add_objects(
                {"objects": objects}, wait_for_completion=True, poll_interval=1, timeout=timeout
            )
        except _CLIENT_ERRORS as exc:
            raise FederationError(describe(exc)) from exc
        return {
            "id": status.id,
            "status": status.status,
            "total_count": status.total_count,
            "success_count": status.success_count,
            "failure_count": status.failure_count,
            "pending_count": status.pending_count,
            "failures": list(status.failures or [])[:20],
        }


def page_of(envelope: Any, headers: dict[str, str]) -> Page:
    """A Get Objects answer as a :class:`Page`, each member type-checked (FederationError)."""
    if not isinstance(envelope, dict):
        raise FederationError(f"the server sent a {type(envelope).__name__}, not an envelope")
    objects = envelope.get("objects") or []
    if not isinstance(objects, list) or not all(isinstance(o, dict) for o in objects):
        raise FederationError("the envelope's 'objects' is not a list of objects")
    more, cursor = envelope.get("more", False), envelope.get("next") or ""
    if not isinstance(more, bool):
        raise FederationError(f"the envelope's 'more' is not true or false: {more!r:.60}")
    if not isinstance(cursor, str | int) or isinstance(cursor, bool):
        raise FederationError(f"the envelope's 'next' is not a string: {cursor!r:.60}")
    lowered = {k.lower(): v for k, v in headers.items()}
    return Page(
        objects=objects,
        more=more,
        next=str(cursor),
        date_added_first=lowered.get("x-taxii-date-added-first", ""),
        date_added_last=lowered.get("x-taxii-date-added-last", ""),
        headers=lowered,
    )


def page_from_body(content: bytes, headers: dict[str, str] | None = None) -> Page:
    """A page straight from a response body: what :meth:`Remote.get_page` does after the
    HTTP exchange (the fuzz tests' entry point)."""
    try:
        envelope = parse_body(content)
    except safejson.JSONInputError as exc:
        raise FederationError(f"invalid JSON from the server: {exc}") from None
    return page_of(envelope, headers or {})
