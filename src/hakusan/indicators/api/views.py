"""The observables API: search observables and see where they were seen. Sources (reports,
cases) the caller may see are listed with their numbers; the others are only counted per kind
("counted but not revealed")."""

from collections import Counter
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.http import Http404
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins
from rest_framework.request import Request
from rest_framework.response import Response

from hakusan.cases.selectors import cases_visible_to
from hakusan.core import access
from hakusan.indicators.choices import SourceKind
from hakusan.indicators.models import Observable, Sighting
from hakusan.intake.api.views import (
    LIST_ERRORS,
    READ_ERRORS,
    AuditedViewSet,
    api_user,
    parse_query,
)
from hakusan.intake.selectors import reports_visible_to

from .serializers import (
    ObservableDetailSerializer,
    ObservableFilterSerializer,
    ObservableSerializer,
)

MAX_SOURCES = 200


# Permission-aware reads of sightings. They compose the intake and cases selectors, so they
# would belong in indicators/selectors.py (importing those inside the functions).
def sightings_visible_to(user: Any) -> QuerySet[Sighting]:
    """Sightings in reports and cases the user may see."""
    return Sighting.objects.filter(
        Q(source_kind=SourceKind.REPORT, source_id__in=reports_visible_to(user).values("pk"))
        | Q(source_kind=SourceKind.CASE, source_id__in=cases_visible_to(user).values("pk"))
    )


def observables_visible_to(user: Any) -> QuerySet[Observable]:
    """Observables seen in at least one report or case the user may see."""
    return Observable.objects.filter(pk__in=sightings_visible_to(user).values("observable_id"))


def get_observable(user: Any, pk: Any) -> Observable:
    try:
        return observables_visible_to(user).get(pk=pk)
    except (Observable.DoesNotExist, ValueError):
        raise Http404("observable not found") from None


def counts_by_kind(observable_ids: list[int]) -> dict[int, Counter[str]]:
    counts: dict[int, Counter[str]] = {}
    rows = (
        Sighting.objects.filter(observable_id__in=observable_ids)
        .values_list("observable_id", "source_kind")
        .annotate(n=Count("id"))
    )
    for oid, kind, n in rows:
        counts.setdefault(oid, Counter())[kind] = n
    return counts


def sources_of(user: Any, obs: Observable) -> tuple[list[dict[str, Any]], Counter[str]]:
    """The visible sources of an observable (newest first, at most ``MAX_SOURCES``) and the
    count per kind of the sightings not shown."""
    visible = sightings_visible_to(user).filter(observable=obs)
    shown_counts = Counter(dict(visible.values_list("source_kind").annotate(n=Count("id"))))
    rows = list(visible.order_by("-seen_at", "-id")[:MAX_SOURCES])
    report_ids = [s.source_id for s in rows if s.source_kind == SourceKind.REPORT]
    case_ids = [s.source_id for s in rows if s.source_kind == SourceKind.CASE]
    numbers: dict[str, dict[int, str]] = {
        SourceKind.REPORT: dict(
            reports_visible_to(user).filter(pk__in=report_ids).values_list("pk", "number")
        ),
        SourceKind.CASE: dict(
            cases_visible_to(user).filter(pk__in=case_ids).values_list("pk", "number")
        ),
    }
    sources = [
        {
            "kind": s.source_kind,
            "id": s.source_id,
            "number": numbers[s.source_kind][s.source_id],
            "seen_at": s.seen_at,
            "original": s.original,
            "tlp": s.tlp,
        }
        for s in rows
        if s.source_id in numbers[s.source_kind]
    ]
    total = counts_by_kind([obs.pk]).get(obs.pk, Counter())
    not_shown = Counter({k: n - shown_counts.get(k, 0) for k, n in total.items()})
    return sources, +not_shown


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
    queryset = Observable.objects.none()  # reads go through observables_visible_to
    serializer_class = ObservableDetailSerializer
    audit_type = "indicators.observable"
    read_roles = access.CAN_FILE_REPORTS

    def get_visible(self, user: Any, pk: Any) -> Observable:
        return get_observable(user, pk)

    def get_serializer_class(self) -> type:
        return ObservableSerializer if self.action == "list" else ObservableDetailSerializer

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        filters = parse_query(ObservableFilterSerializer, request)
        observables = filters.apply(observables_visible_to(api_user(request))).order_by(
            "-last_seen", "-id"
        )
        return self.audited_list(request, observables, filters=filters.used())

    def get_serializer(self, *args: Any, **kwargs: Any) -> Any:
        if self.action == "list" and args:
            ids = [o.pk for o in args[0]]
            kwargs.setdefault("context", self.get_serializer_context())
            kwargs["context"]["counts"] = counts_by_kind(ids)
        return super().get_serializer(*args, **kwargs)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        from hakusan.core import audit

        obs = self.get_object()
        sources, not_shown = sources_of(api_user(request), obs)
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
            "counts": counts_by_kind([obs.pk]),
        }
        return Response(ObservableDetailSerializer(obs, context=context).data)
