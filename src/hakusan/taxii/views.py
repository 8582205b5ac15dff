"""TAXII 2.1 endpoints (OASIS TAXII 2.1, sections 4 and 5) for partners.

Partner credentials only (``PARTNER_AUTHENTICATION``: Basic with the token as password, as
TAXII clients send, or ``Token``/``Bearer``). Responses are in English whatever the server's
locale (``TaxiiView.dispatch``). Every partner request is audited once, after the
response is built (endpoint, collection, objects served, HTTP status). Object bodies are served
as the stored JSON text, joined into the envelope without parsing."""

import json
import uuid
from typing import Any

from django.conf import settings
from django.db.models import Q, QuerySet
from django.http import Http404, HttpResponse
from django.urls import reverse
from rest_framework import exceptions
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.renderers import JSONRenderer
from rest_framework.views import APIView

from hakusan.core import audit
from hakusan.domain import safejson
from hakusan.partners.auth import (
    PARTNER_AUTHENTICATION,
    PartnerBasicAuthentication,
    PartnerFacingView,
    partner_of,
)
from hakusan.partners.models import Partner

from . import protocol, services
from .models import Collection, SharedObject, Status
from .protocol import ProtocolError

DEFAULT_PAGE = 1000
MAX_PAGE = 10000


def max_content_length() -> int:
    return int(getattr(settings, "HAKUSAN_TAXII_MAX_CONTENT_LENGTH", 10 * 1024 * 1024))


class _Renderer(JSONRenderer):
    media_type = protocol.TAXII_MEDIA_21


class _FixedNegotiation(BaseContentNegotiation):
    """The views check ``Accept`` and ``Content-Type`` themselves (TAXII's rules: 406/415)."""

    def select_parser(self, request: Any, parsers: Any) -> None:
        return None

    def select_renderer(self, request: Any, renderers: Any, format_suffix: Any = None) -> Any:
        return renderers[0], renderers[0].media_type


def taxii_response(
    body: str | dict[str, Any], status: int = 200, headers: dict[str, str] | None = None
) -> HttpResponse:
    text = body if isinstance(body, str) else json.dumps(body, ensure_ascii=False)
    response = HttpResponse(text, status=status, content_type=protocol.TAXII_MEDIA_21)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def error_response(status: int, title: str, description: str = "") -> HttpResponse:
    body: dict[str, Any] = {"title": title, "http_status": str(status)}
    if description:
        body["description"] = description
    return taxii_response(body, status)


class TaxiiView(PartnerFacingView, APIView):
    authentication_classes = PARTNER_AUTHENTICATION
    permission_classes: list = []
    renderer_classes = [_Renderer]
    parser_classes: list = []
    content_negotiation_class = _FixedNegotiation
    endpoint = ""

    def initial(self, request: Any, *args: Any, **kwargs: Any) -> None:
        self.audit_detail: dict[str, Any] = {}
        super().initial(request, *args, **kwargs)
        if partner_of(request) is None:
            raise exceptions.NotAuthenticated(
                "a partner token is required (Basic: any user name, the token as password)"
            )
        if not protocol.accepts_taxii(request.META.get("HTTP_ACCEPT", "")):
            raise ProtocolError(
                406,
                "Not Acceptable",
                f"Accept must include {protocol.TAXII_MEDIA_21} (got "
                f"{request.META.get('HTTP_ACCEPT', '') or 'nothing'})",
            )

    @property
    def partner(self) -> Partner:
        partner = partner_of(self.request)
        assert partner is not None
        return partner

    def get_authenticate_header(self, request: Any) -> str:
        return PartnerBasicAuthentication().authenticate_header(request)

    def handle_exception(self, exc: Exception) -> HttpResponse:
        if isinstance(exc, ProtocolError):
            return error_response(exc.status, exc.title, exc.description)
        if isinstance(exc, Http404):
            return error_response(404, "Not Found", str(exc) or "no such resource")
        if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
            response = error_response(401, "Unauthorized", str(exc.detail))
            response["WWW-Authenticate"] = self.get_authenticate_header(self.request)
            return response
        if isinstance(exc, exceptions.APIException):
            detail = exc.detail if isinstance(exc.detail, str) else json.dumps(exc.detail)
            response = error_response(exc.status_code, type(exc).__name__, str(detail))
            if isinstance(exc, exceptions.MethodNotAllowed):
                response["Allow"] = ", ".join(self.allowed_methods)
            return response
        raise exc

    def finalize_response(self, request: Any, response: Any, *args: Any, **kwargs: Any) -> Any:
        response = super().finalize_response(request, response, *args, **kwargs)
        partner = partner_of(request)
        if partner is not None:
            detail = {
                "partner": partner.pk,
                "partner_name": partner.name,
                "endpoint": self.endpoint,
                "method": request.method,
                "status": response.status_code,
                **getattr(self, "audit_detail", {}),
            }
            audit.record(None, "taxii.request", object_type="taxii", detail=detail)
        return response

    # --- lookups shared by the collection endpoints -----------------------------------

    def api_root(self, root: str) -> str:
        if not Collection.objects.filter(api_root=root).exists():
            raise Http404(f"no API root {root!r}")
        return root

    def collection(self, root: str, ident: str) -> Collection:
        self.api_root(root)
        try:
            key: dict[str, Any] = {"pk": uuid.UUID(ident)}
        except ValueError:
            key = {"alias": ident}
        collection = Collection.objects.filter(api_root=root, **key).first()
        if collection is None:
            raise Http404(f"no collection {ident!r}")
        self.audit_detail["collection"] = collection.alias
        listed = set(collection.partners.values_list("pk", flat=True))
        self.readable = collection.can_read(self.partner, listed)
        self.writable = collection.can_write(self.partner, listed)
        if not (self.readable or self.writable):
            raise Http404(f"no collection {ident!r}")  # not disclosed to this partner
        return collection

    def readable_collection(self, root: str, ident: str) -> Collection:
        collection = self.collection(root, ident)
        if not self.readable:
            raise ProtocolError(403, "Forbidden", f"collection {ident!r} is not readable for you")
        services.publish_if_dirty(collection)
        return collection

    def visible(self, collection: Collection) -> QuerySet[SharedObject]:
        objects = SharedObject.objects.filter(collection=collection)
        if not collection.outbound:
            objects = objects.filter(posted_by=self.partner)
        return objects


def collection_resource(collection: Collection, partner: Partner) -> dict[str, Any]:
    listed = set(collection.partners.values_list("pk", flat=True))
    resource: dict[str, Any] = {
        "id": str(collection.pk),
        "title": collection.title,
        "alias": collection.alias,
        "can_read": collection.can_read(partner, listed),
        "can_write": collection.can_write(partner, listed),
        "media_types": [protocol.STIX_MEDIA_21],
    }
    if collection.description:
        resource["description"] = collection.description
    return resource


def status_resource(status: Status) -> dict[str, Any]:
    return {
        "id": str(status.pk),
        "status": status.status,
        "request_timestamp": protocol.taxii_timestamp(status.request_timestamp),
        "total_count": status.total_count,
        "success_count": status.success_count,
        "successes": status.successes,
        "failure_count": status.failure_count,
        "failures": status.failures,
        "pending_count": status.pending_count,
        "pendings": status.pendings,
    }


class DiscoveryView(TaxiiView):
    endpoint = "discovery"

    def get(self, request: Any) -> HttpResponse:
        roots = sorted(set(Collection.objects.values_list("api_root", flat=True)))
        urls = [
            request.build_absolute_uri(reverse("taxii:api-root", args=[root])) for root in roots
        ]
        body: dict[str, Any] = {
            "title": "Hakusan TAXII 2.1",
            "description": "Indicators shared under TLP 2.0 by Hakusan.",
            "api_roots": urls,
        }
        contact = getattr(settings, "HAKUSAN_TAXII_CONTACT", "")
        if contact:
            body["contact"] = contact
        default = services.DEFAULT_API_ROOT
        if default in roots:
            body["default"] = urls[roots.index(default)]
        return taxii_response(body)


class ApiRootView(TaxiiView):
    endpoint = "api-root"

    def get(self, request: Any, root: str) -> HttpResponse:
        self.api_root(root)
        return taxii_response(
            {
                "title": f"Hakusan ({root})",
                "description": "Collections of shareable indicators and the inbound collection.",
                "versions": [protocol.TAXII_MEDIA_21],
                "max_content_length": max_content_length(),
            }
        )


class StatusView(TaxiiView):
    endpoint = "status"

    def get(self, request: Any, root: str, status_id: str) -> HttpResponse:
        self.api_root(root)
        try:
            key = uuid.UUID(status_id)
        except ValueError:
            raise Http404(f"no status {status_id!r}") from None
        status = Status.objects.filter(pk=key, api_root=root, partner=self.partner).first()
        if status is None:
            raise Http404(f"no status {status_id!r}")
        return taxii_response(status_resource(status))


class CollectionsView(TaxiiView):
    endpoint = "collections"

    def get(self, request: Any, root: str) -> HttpResponse:
        self.api_root(root)
        resources = [
            collection_resource(c, self.partner)
            for c in Collection.objects.filter(api_root=root).prefetch_related("partners")
        ]
        visible = [r for r in resources if r["can_read"] or r["can_write"]]
        return taxii_response({"collections": visible} if visible else {})


class CollectionView(TaxiiView):
    endpoint = "collection"

    def get(self, request: Any, root: str, collection_id: str) -> HttpResponse:
        collection = self.collection(root, collection_id)
        return taxii_response(collection_resource(collection, self.partner))


class _Page:
    """One page of a date_added-ordered listing, and its envelope fields and headers."""

    def __init__(self, query: QuerySet[SharedObject], params: Any, fields: tuple[str, ...]):
        limit = protocol.parse_limit(params.get("limit"), DEFAULT_PAGE, MAX_PAGE)
        after = params.get("added_after")
        if after:
            query = query.filter(date_added__gt=protocol.parse_timestamp(after, "added_after"))
        token = params.get("next")
        if token:
            query = query.filter(date_added__gt=protocol.decode_next(token))
        rows = list(query.order_by("date_added").values_list("date_added", *fields)[: limit + 1])
        self.more = len(rows) > limit
        self.rows = rows[:limit]

    def envelope(self, key: str, items: list[str]) -> str:
        parts = [f'"more":{"true" if self.more else "false"}']
        if self.more:
            parts.append(f'"next":"{protocol.encode_next(self.rows[-1][0])}"')
        if items:
            parts.append(f'"{key}":[{",".join(items)}]')
        return "{" + ",".join(parts) + "}"

    def headers(self) -> dict[str, str]:
        if not self.rows:
            return {}
        return {
            "X-TAXII-Date-Added-First": protocol.taxii_timestamp(self.rows[0][0]),
            "X-TAXII-Date-Added-Last": protocol.taxii_timestamp(self.rows[-1][0]),
        }


def _match(query: QuerySet[SharedObject], params: Any, *, ids: bool = True) -> QuerySet:
    if ids:
        wanted = protocol.split_list(params.get("match[id]"))
        if wanted:
            query = query.filter(stix_id__in=wanted)
        types = protocol.split_list(params.get("match[type]"))
        if types:
            query = query.filter(type__in=types)
    specs = protocol.split_list(params.get("match[spec_version]"))
    if specs:
        query = query.filter(spec_version__in=specs)
    return query


def _versions(query: QuerySet[SharedObject], value: str | None, default: str) -> QuerySet:
    wanted = protocol.parse_version_filter(value, default)
    if wanted.all:
        return query
    condition = Q(pk__in=[])
    if wanted.last:
        condition |= Q(latest=True)
    if wanted.first:
        condition |= Q(first=True)
    if wanted.timestamps:
        condition |= Q(version__in=wanted.timestamps)
    return query.filter(condition)


class ObjectsView(TaxiiView):
    endpoint = "objects"

    def get(self, request: Any, root: str, collection_id: str) -> HttpResponse:
        collection = self.readable_collection(root, collection_id)
        query = _versions(
            _match(self.visible(collection), request.GET), request.GET.get("match[version]"), "last"
        )
        page = _Page(query, request.GET, ("body",))
        self.audit_detail["objects"] = len(page.rows)
        return taxii_response(
            page.envelope("objects", [body for _at, body in page.rows]), headers=page.headers()
        )

    def post(self, request: Any, root: str, collection_id: str) -> HttpResponse:
        content_type = request.META.get("CONTENT_TYPE", "")
        if not protocol.is_taxii_content_type(content_type):
            raise ProtocolError(
                415,
                "Unsupported Media Type",
                f"Content-Type must be {protocol.TAXII_MEDIA_21} (got {content_type or 'nothing'})",
            )
        collection = self.collection(root, collection_id)
        if not self.writable:
            raise ProtocolError(
                403, "Forbidden", f"collection {collection_id!r} is not writable for you"
            )
        limit = max_content_length()
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            raise ProtocolError(400, "Bad Request", "Content-Length is not a number") from None
        if declared > limit:
            raise ProtocolError(
                413, "Payload Too Large", f"{declared} bytes; max_content_length is {limit}"
            )
        raw = request._request.read(limit + 1)
        if len(raw) > limit:
            raise ProtocolError(413, "Payload Too Large", f"max_content_length is {limit}")
        try:
            envelope = safejson.loads(raw, max_bytes=limit)
        except safejson.JSONInputError as exc:
            raise ProtocolError(
                400, "Bad Request", f"the body is not acceptable JSON: {exc}"
            ) from None
        try:
            objects = services.check_envelope(envelope)
        except services.EnvelopeError as exc:
            raise ProtocolError(422, "Unprocessable Entity", str(exc)) from None
        status = services.add_objects(collection, self.partner, objects)
        self.audit_detail.update(objects=len(objects), status_id=str(status.pk))
        return taxii_response(status_resource(status), 202)


class ObjectView(TaxiiView):
    endpoint = "object"

    def _rows(self, collection: Collection, object_id: str) -> QuerySet[SharedObject]:
        rows = self.visible(collection).filter(stix_id=object_id)
        if not rows.exists():
            raise Http404(f"no object {object_id!r} in this collection")
        self.audit_detail["object"] = object_id
        return rows

    def get(self, request: Any, root: str, collection_id: str, object_id: str) -> HttpResponse:
        collection = self.readable_collection(root, collection_id)
        rows = self._rows(collection, object_id)
        query = _versions(
            _match(rows, request.GET, ids=False), request.GET.get("match[version]"), "last"
        )
        page = _Page(query, request.GET, ("body",))
        self.audit_detail["objects"] = len(page.rows)
        return taxii_response(
            page.envelope("objects", [body for _at, body in page.rows]), headers=page.headers()
        )

    def delete(self, request: Any, root: str, collection_id: str, object_id: str) -> HttpResponse:
        collection = self.collection(root, collection_id)
        if not (self.readable and self.writable):
            raise ProtocolError(403, "Forbidden", f"you may not delete from {collection_id!r}")
        rows = self._rows(collection, object_id)
        chosen = list(
            _versions(
                _match(rows, request.GET, ids=False), request.GET.get("match[version]"), "all"
            )
        )
        if not chosen:
            raise Http404(f"no version of {object_id!r} matches")
        deleted = services.delete_versions(collection, object_id, chosen, partner=self.partner)
        self.audit_detail["objects"] = deleted
        return taxii_response("", 200)


class VersionsView(TaxiiView):
    endpoint = "versions"

    def get(self, request: Any, root: str, collection_id: str, object_id: str) -> HttpResponse:
        collection = self.readable_collection(root, collection_id)
        rows = self.visible(collection).filter(stix_id=object_id)
        if not rows.exists():
            raise Http404(f"no object {object_id!r} in this collection")
        page = _Page(_match(rows, request.GET, ids=False), request.GET, ("version",))
        self.audit_detail.update(object=object_id, objects=len(page.rows))
        items = [json.dumps(protocol.stix_timestamp(version)) for _at, version in page.rows]
        return taxii_response(page.envelope("versions", items), headers=page.headers())


class ManifestView(TaxiiView):
    endpoint = "manifest"

    def get(self, request: Any, root: str, collection_id: str) -> HttpResponse:
        collection = self.readable_collection(root, collection_id)
        query = _versions(
            _match(self.visible(collection), request.GET), request.GET.get("match[version]"), "last"
        )
        page = _Page(query, request.GET, ("stix_id", "version", "spec_version"))
        self.audit_detail["objects"] = len(page.rows)
        items = [
            json.dumps(
                {
                    "id": stix_id,
                    "date_added": protocol.taxii_timestamp(added),
                    "version": protocol.stix_timestamp(version),
                    "media_type": f"application/stix+json;version={spec}",
                }
            )
            for added, stix_id, version, spec in page.rows
        ]
        return taxii_response(page.envelope("objects", items), headers=page.headers())
