"""``/feeds/<feed>.<format>``: blocklists partners fetch with their token (thin: the selectors
decide what is in a feed, ``domain.blocklists.render`` writes it, the services audit it)."""

from collections.abc import Iterable, Iterator
from typing import Any

from django.http import HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.utils.cache import get_conditional_response
from django.utils.http import http_date
from django.utils.translation import gettext as _
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.request import Request
from rest_framework.views import APIView

from hakusan.domain.blocklists import (
    FEEDS,
    FORMATS,
    FeedItem,
    FeedMeta,
    FeedSpec,
    content_type,
    render,
)
from hakusan.partners.auth import PARTNER_AUTHENTICATION, IsPartner, PartnerFacingView, partner_of
from hakusan.partners.models import Partner

from . import selectors, services


class _AnyAccept(BaseContentNegotiation):
    """Feeds choose their format by the URL suffix, not by ``Accept``; errors are JSON."""

    def select_parser(self, request: Any, parsers: list[Any]) -> Any:
        return parsers[0] if parsers else None

    def select_renderer(
        self, request: Any, renderers: list[Any], format_suffix: str | None = None
    ) -> tuple[Any, str]:
        return renderers[0], renderers[0].media_type


class _Counted:
    """Counts the items as the renderer takes them."""

    def __init__(self, items: Iterable[FeedItem]) -> None:
        self.items = items
        self.count = 0

    def __iter__(self) -> Iterator[FeedItem]:
        for item in self.items:
            self.count += 1
            yield item


def _audited(
    chunks: Iterator[str], counted: _Counted, partner: Partner, spec: FeedSpec, fmt: str, etag: str
) -> Iterator[bytes]:
    """The response body; the fetch is audited once the body has been sent (or abandoned:
    ``complete`` false), with the number of items actually served."""
    complete = False
    try:
        buffer: list[str] = []
        size = 0
        for chunk in chunks:
            buffer.append(chunk)
            size += len(chunk)
            if size >= 64 * 1024:
                yield "".join(buffer).encode()
                buffer, size = [], 0
        if buffer:
            yield "".join(buffer).encode()
        complete = True
    finally:
        services.record_fetch(
            partner,
            feed=spec.name,
            fmt=fmt,
            status=200,
            count=counted.count,
            etag=etag,
            complete=complete,
        )


class FeedView(PartnerFacingView, APIView):
    authentication_classes = PARTNER_AUTHENTICATION
    permission_classes = [IsPartner]
    content_negotiation_class = _AnyAccept

    @property
    def default_response_headers(self) -> dict[str, str]:
        # DRF's default "Vary: Accept" would replace ours: the format is in the URL.
        return {"Allow": ", ".join(self.allowed_methods), "Vary": "Authorization"}

    def get(self, request: Request, feed: str, fmt: str) -> HttpResponseBase:
        spec = FEEDS.get(feed)
        if spec is None:
            raise NotFound(
                _("unknown feed %(feed)s (known: %(known)s)")
                % {"feed": feed, "known": ", ".join(sorted(FEEDS))}
            )
        if fmt not in FORMATS:
            raise NotFound(
                _("unknown format %(fmt)s (known: %(known)s)")
                % {"fmt": fmt, "known": ", ".join(FORMATS)}
            )
        partner = partner_of(request)
        assert partner is not None  # IsPartner
        if not partner.receives_kind(spec.kind):
            services.record_fetch(
                partner, feed=spec.name, fmt=fmt, status=403, method=request.method or "GET"
            )
            raise PermissionDenied(
                _("this partner does not receive %(kind)s data") % {"kind": spec.kind}
            )
        threshold = selectors.min_confidence()
        version = selectors.feed_version(partner, spec, fmt, threshold)
        headers = {
            "ETag": version.etag,
            "Last-Modified": http_date(version.last_modified.timestamp()),
            # Authenticated content: caches must not share it, and must revalidate each time.
            "Cache-Control": "private, no-cache",
            "Vary": "Authorization",
        }
        not_modified = get_conditional_response(
            request._request,
            etag=version.etag,
            last_modified=int(version.last_modified.timestamp()),
        )
        if not_modified is not None:
            for name, value in headers.items():
                not_modified.headers[name] = value
            services.record_fetch(
                partner,
                feed=spec.name,
                fmt=fmt,
                status=not_modified.status_code,
                etag=version.etag,
                method=request.method or "GET",
            )
            return not_modified
        headers["Content-Disposition"] = f'inline; filename="hakusan-{spec.name}.{fmt}"'
        if request.method == "HEAD":
            response = HttpResponse(content_type=content_type(fmt), headers=headers)
            services.record_fetch(
                partner, feed=spec.name, fmt=fmt, status=200, etag=version.etag, method="HEAD"
            )
            return response
        meta = FeedMeta(
            spec=spec,
            generated_at=version.last_modified,
            max_tlp=partner.max_tlp,
            attribution=selectors.feed_attribution(partner, spec, threshold),
        )
        counted = _Counted(selectors.feed_items(partner, spec, threshold))
        body = _audited(render(fmt, meta, counted), counted, partner, spec, fmt, version.etag)
        return StreamingHttpResponse(body, content_type=content_type(fmt), headers=headers)
