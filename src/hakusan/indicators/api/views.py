"""The observables API: search observables and see where they were seen. Sources (reports,
cases) the caller may see are listed with their numbers; the others are only counted per kind
("counted but not revealed")."""

from typing import Any

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from hakusan.core import access
from hakusan.core.api import (
    LIST_ERRORS,
    READ_ERRORS,
    AuditedViewSet,
    api_user,
    errors,
    parse_query,
    service_errors,
)
from hakusan.indicators import selectors
from hakusan.indicators.models import Observable

from .serializers import (
    DoNotShareSerializer,
    LookupQuerySerializer,
    LookupSerializer,
    ObservableDetailSerializer,
    ObservableFilterSerializer,
    ObservableSerializer,
)


@extend_schema_view(
    list=extend_schema(
        summary="Search observables",
        description="Observables seen in reports or cases the caller may see; an exact value "
        "in q also finds an observable seen only elsewhere (counts only).",
        parameters=[ObservableFilterSerializer],
        responses={200: ObservableSerializer(many=True), **LIST_ERRORS},
    ),
    retrieve=extend_schema(
        summary="One observable and where it was seen",
        responses={200: ObservableDetailSerializer, **READ_ERRORS},
    ),
)
class ObservableViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, AuditedViewSet):
    queryset = Observable.objects.none()  # reads go through selectors.observables_visible_to
    serializer_class = ObservableDetailSerializer
    audit_type = "indicators.observable"
    read_roles = access.CAN_FILE_REPORTS
    # Vetoing sharing is the cyber division's call: analysts, supervisors, administrators.
    action_roles = {"do_not_share": access.CAN_IMPORT}

    def get_visible(self, user: Any, pk: Any) -> Observable:
        return selectors.get_observable(user, pk)

    def get_serializer_class(self) -> type:
        return ObservableSerializer if self.action == "list" else ObservableDetailSerializer

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        filters = parse_query(ObservableFilterSerializer, request)
        observables = filters.apply(selectors.observables_visible_to(api_user(request))).order_by(
            "-last_seen", "-id"
        )
        return self.audited_list(request, observables, filters=filters.used())

    def get_serializer(self, *args: Any, **kwargs: Any) -> Any:
        if self.action == "list" and args:
            ids = [o.pk for o in args[0]]
            kwargs.setdefault("context", self.get_serializer_context())
            kwargs["context"]["counts"] = selectors.sighting_counts(ids)
        return super().get_serializer(*args, **kwargs)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        from hakusan.core import audit

        obs = self.get_object()
        sources, not_shown = selectors.sources_of(api_user(request), obs)
        audit.record(
            api_user(request),
            "view",
            obs,
            request=request,
            detail={"sources_shown": len(sources), "not_shown": sum(not_shown.values())},
        )
        context = {
            **self.get_serializer_context(),
            "sources": sources,
            "not_shown": not_shown,
            "counts": selectors.sighting_counts([obs.pk]),
        }
        return Response(ObservableDetailSerializer(obs, context=context).data)

    @extend_schema(
        summary="Where else has this been seen",
        description="Any value in any written form (defanged, full-width): its canonical form, "
        "warninglist hits, decay score, sightings grouped by case, report, source and partner, "
        "derived links (host, registrable domain, ASN) with what else shares them, and "
        "enrichment facts with their attribution. Sightings in reports and cases the caller "
        "may not see are counted in sightings.not_shown, never listed.",
        parameters=[LookupQuerySerializer],
        responses={200: LookupSerializer, **LIST_ERRORS},
    )
    @action(detail=False, methods=["get"])
    def lookup(self, request: Request) -> Response:
        from hakusan.core import audit
        from hakusan.domain.observables import InvalidObservable

        query = parse_query(LookupQuerySerializer, request)
        user = api_user(request)
        try:
            result = selectors.lookup(
                user, query.validated_data["value"], type=query.validated_data.get("type")
            )
        except InvalidObservable as exc:
            raise ValidationError({"value": [str(exc)]}) from None
        sightings = result["sightings"]
        audit.record(
            user,
            "lookup",
            object_type=self.audit_type,
            object_id=result["id"] or "",
            request=request,
            detail={
                "type": result["type"],
                "value": result["value"],
                "found": result["found"],
                "not_shown": sum(sightings["not_shown"].values()),
            },
        )
        return Response(LookupSerializer(result).data)

    @extend_schema(
        summary="Veto (or allow again) sharing of an observable",
        description="do_not_share=true: the observable never leaves Hakusan (TAXII, STIX/MISP "
        "exports, blocklists), whatever its sightings' TLP; false: the sharing policy decides "
        "again. Analysts, supervisors and administrators; recorded in the audit log with the "
        "reason.",
        request=DoNotShareSerializer,
        responses={200: ObservableSerializer, **errors(400, 401, 403, 404)},
    )
    @action(detail=True, methods=["post"], url_path="do-not-share")
    def do_not_share(self, request: Request, pk: Any = None) -> Response:
        from hakusan.indicators.services import set_do_not_share

        obs = self.get_object()  # 404 before anything is said about the body
        body = DoNotShareSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        with service_errors():
            obs = set_do_not_share(
                obs,
                api_user(request),
                body.validated_data["do_not_share"],
                reason=body.validated_data["reason"],
            )
        context = {
            **self.get_serializer_context(),
            "counts": selectors.sighting_counts([obs.pk]),
        }
        return Response(ObservableSerializer(obs, context=context).data)
