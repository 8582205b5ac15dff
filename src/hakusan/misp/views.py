"""The MISP feed for partners: ``manifest.json``, ``<uuid>.json``, ``hashes.csv`` under
``/misp/feed/``, with partner tokens only (``Authorization: Token <key>``, a custom header a
MISP feed accepts). Filtered to the partner's max TLP; only for partners that receive
indicators or cases. Every request is audited."""

from typing import Any

from django.http import HttpResponse, JsonResponse
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.request import Request
from rest_framework.views import APIView

from hakusan.core import audit
from hakusan.partners.auth import PARTNER_AUTHENTICATION, IsPartner, PartnerFacingView, partner_of

from .services import build_feed, feed_kinds_for


class _FeedView(PartnerFacingView, APIView):
    authentication_classes = PARTNER_AUTHENTICATION
    permission_classes = [IsPartner]
    throttle_classes: list[Any] = []

    def _partner_and_kinds(self, request: Request, what: str) -> tuple[Any, tuple[str, ...]]:
        partner = partner_of(request)
        assert partner is not None  # IsPartner
        kinds = feed_kinds_for(partner)
        if not kinds:
            audit.record(
                None,
                "misp_feed_denied",
                partner,
                detail={"partner": partner.pk, "partner_name": partner.name, "file": what},
            )
            raise PermissionDenied("this partner receives neither indicators nor cases")
        return partner, kinds

    def _audit(self, partner: Any, what: str, **detail: Any) -> None:
        audit.record(
            None,
            "misp_feed",
            partner,
            detail={
                "partner": partner.pk,
                "partner_name": partner.name,
                "file": what,
                "tlp": partner.max_tlp,
                **detail,
            },
        )


class ManifestView(_FeedView):
    def get(self, request: Request) -> HttpResponse:
        partner, kinds = self._partner_and_kinds(request, "manifest.json")
        feed = build_feed(partner.max_tlp, kinds=kinds)
        self._audit(partner, "manifest.json", events=len(feed.events))
        return JsonResponse(feed.manifest, json_dumps_params={"ensure_ascii": False})


class HashesView(_FeedView):
    def get(self, request: Request) -> HttpResponse:
        partner, kinds = self._partner_and_kinds(request, "hashes.csv")
        feed = build_feed(partner.max_tlp, kinds=kinds)
        self._audit(partner, "hashes.csv", events=len(feed.events))
        return HttpResponse(feed.hashes_csv(), content_type="text/csv; charset=utf-8")


class EventView(_FeedView):
    def get(self, request: Request, event_uuid: str) -> HttpResponse:
        partner, kinds = self._partner_and_kinds(request, f"{event_uuid}.json")
        feed = build_feed(partner.max_tlp, kinds=kinds, only_uuid=str(event_uuid))
        doc = feed.events.get(str(event_uuid))
        self._audit(
            partner,
            f"{event_uuid}.json",
            found=doc is not None,
            attributes=len(doc["Event"].get("Attribute", [])) if doc else 0,
        )
        if doc is None:
            raise NotFound("no such event in this feed")
        return JsonResponse(doc, json_dumps_params={"ensure_ascii": False})
