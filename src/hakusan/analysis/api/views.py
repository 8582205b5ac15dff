"""The analysis API under /api/analysis/: campaigns (list, detail, create), campaign
suggestions, threat actors and the galaxy knowledge base (search by alias), the graph and the
similar cases of a case. Reads through ``analysis.selectors`` (an invisible case is 404 and
never named elsewhere, only counted); writes through ``analysis.services``."""

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from hakusan.analysis import selectors, services
from hakusan.analysis.access import CAN_ANALYSE
from hakusan.analysis.forms import parse_case_numbers, resolve_actor
from hakusan.analysis.models import Campaign, ThreatActor
from hakusan.cases.models import Case
from hakusan.cases.selectors import get_case
from hakusan.core import access, audit
from hakusan.core.api import (
    LIST_ERRORS,
    READ_ERRORS,
    AuditedViewSet,
    api_user,
    errors,
    parse_query,
    service_errors,
)

from .serializers import (
    ActorFilterSerializer,
    CampaignCreateSerializer,
    CampaignDetailSerializer,
    CampaignSuggestionSerializer,
    CampaignSummarySerializer,
    CaseGraphSerializer,
    GalaxyClusterSerializer,
    KnowledgeFilterSerializer,
    SimilarCaseSerializer,
    ThreatActorSerializer,
)


@extend_schema_view(
    list=extend_schema(
        summary="Campaigns the caller may see",
        responses={200: CampaignSummarySerializer(many=True), **LIST_ERRORS},
    ),
    retrieve=extend_schema(
        summary="One campaign: its visible cases, shared infrastructure, tags, hypotheses",
        responses={200: CampaignDetailSerializer, **READ_ERRORS},
    ),
    create=extend_schema(
        summary="Create a campaign from cases",
        description="Analysts, supervisors and administrators. Every case must be visible to "
        "the caller; each keeps the observables it shares with the others as evidence.",
        request=CampaignCreateSerializer,
        responses={201: CampaignDetailSerializer, **errors(400, 401, 403)},
    ),
)
class CampaignViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, AuditedViewSet
):
    queryset = Campaign.objects.none()  # reads go through selectors.campaigns_visible_to
    serializer_class = CampaignDetailSerializer
    audit_type = "analysis.campaign"
    read_roles = access.CAN_FILE_REPORTS
    write_roles = CAN_ANALYSE
    action_roles = {"create": CAN_ANALYSE}

    def get_visible(self, user: Any, pk: Any) -> Campaign:
        return selectors.get_campaign(user, pk)

    def get_serializer_class(self) -> type:
        return CampaignSummarySerializer if self.action == "list" else CampaignDetailSerializer

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        campaigns = selectors.campaign_list(api_user(request))
        return self.audited_list(request, campaigns)

    def _detail(self, campaign: Campaign) -> dict[str, Any]:
        user = api_user(self.request)
        infrastructure = selectors.shared_infrastructure(user, campaign)
        context = {
            **self.get_serializer_context(),
            "members": selectors.campaign_cases(user, campaign),
            "infrastructure": infrastructure,
            "hypotheses": [
                (h, selectors.hypothesis_evidence(user, h, infrastructure))
                for h in selectors.hypotheses(campaign)
            ],
        }
        return dict(CampaignDetailSerializer(campaign, context=context).data)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        campaign = self.get_object()
        audit.record(api_user(request), "view", campaign, request=request)
        return Response(self._detail(campaign))

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        user = api_user(request)
        serializer = CampaignCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        with service_errors():
            try:
                cases: list[Case] = parse_case_numbers(user, " ".join(data["cases"]))
            except DjangoValidationError as exc:
                raise DjangoValidationError({"cases": exc.messages}) from None
            actor = None
            if data.get("actor"):
                actor = resolve_actor(user, data["actor"])
                if actor is None:
                    raise DjangoValidationError({"actor": ["unknown threat actor"]})
            campaign = services.create_campaign(
                user,
                name=data["name"],
                description=data.get("description", ""),
                cases=cases,
                actor=actor,
                tlp=data.get("tlp"),
                source="api",
            )
        fresh = selectors.get_campaign(user, campaign.pk)
        return Response(self._detail(fresh), status=status.HTTP_201_CREATED)


@extend_schema_view(
    list=extend_schema(
        summary="Campaign suggestions among the cases the caller may see",
        description="Groups of cases that share rare infrastructure, with the shared "
        "observables (defanged) and their weights. Computed by a job and cached.",
        responses={200: CampaignSuggestionSerializer(many=True), **errors(401, 403)},
    )
)
class SuggestionViewSet(viewsets.GenericViewSet):
    permission_classes = [access.RolePermission]
    read_roles = access.CAN_FILE_REPORTS
    serializer_class = CampaignSuggestionSerializer
    pagination_class = None

    def list(self, request: Request) -> Response:
        user = api_user(request)
        result = selectors.suggestions_for(user)
        audit.record(
            user,
            "list",
            object_type="analysis.suggestion",
            request=request,
            detail={"count": len(result.items), "scope": result.scope},
        )
        return Response([CampaignSuggestionSerializer.row(item) for item in result.items])


@extend_schema_view(
    list=extend_schema(
        summary="Recorded threat actors, by name or alias",
        parameters=[ActorFilterSerializer],
        responses={200: ThreatActorSerializer(many=True), **LIST_ERRORS},
    )
)
class ThreatActorViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    permission_classes = [access.RolePermission]
    read_roles = access.CAN_FILE_REPORTS
    serializer_class = ThreatActorSerializer
    queryset = ThreatActor.objects.none()
    pagination_class = None

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        query = parse_query(ActorFilterSerializer, request).validated_data.get("q", "")
        actors = selectors.actors_matching(query, limit=200)
        return Response(ThreatActorSerializer(actors, many=True).data)


@extend_schema_view(
    list=extend_schema(
        summary="Search ATT&CK techniques, actors, malware and ransomware families",
        description="The MISP galaxies shipped with the software, by name, alias or id: "
        "'APT10' finds menuPass (G0045) and the threat actor APT10 (Stone Panda).",
        parameters=[KnowledgeFilterSerializer],
        responses={200: GalaxyClusterSerializer(many=True), **LIST_ERRORS},
    )
)
class KnowledgeViewSet(viewsets.GenericViewSet):
    permission_classes = [access.RolePermission]
    read_roles = access.CAN_FILE_REPORTS
    serializer_class = GalaxyClusterSerializer
    pagination_class = None

    def list(self, request: Request) -> Response:
        query = parse_query(KnowledgeFilterSerializer, request).validated_data
        kinds = [query["kind"]] if query.get("kind") else None
        matches = selectors.search_knowledge(query["q"], kinds, limit=50)
        return Response(
            [
                {
                    "uuid": m.cluster.uuid,
                    "galaxy": m.cluster.galaxy,
                    "kind": str(m.cluster.kind),
                    "value": m.cluster.value,
                    "name": m.cluster.name,
                    "external_id": m.cluster.external_id,
                    "aliases": list(m.cluster.aliases),
                    "matched": m.matched,
                    "rank": m.rank,
                    "tag": m.cluster.tag,
                }
                for m in matches
            ]
        )


@extend_schema_view(
    retrieve=extend_schema(
        summary="The neighbourhood graph of a case",
        description="Nodes and edges (Cytoscape.js data) of the case, its reports and "
        "observables, derived links, and the other cases and reports sharing the "
        "observables. Cases and reports the caller may not see are counted in placeholder "
        "nodes, never named; warninglisted and too-common observables are not expanded.",
        responses={200: CaseGraphSerializer, **READ_ERRORS},
    )
)
class CaseGraphViewSet(viewsets.GenericViewSet):
    permission_classes = [access.RolePermission]
    read_roles = access.CAN_FILE_REPORTS
    serializer_class = CaseGraphSerializer
    lookup_value_converter = "int"

    def retrieve(self, request: Request, pk: int) -> Response:
        user = api_user(request)
        case = get_case(user, pk)
        graph = selectors.case_graph(user, case)
        audit.record(
            user, "view_graph", case, request=request, detail={"nodes": len(graph["nodes"])}
        )
        return Response(graph)


@extend_schema_view(
    retrieve=extend_schema(
        summary="Cases similar to a case, with the reasons",
        description="Narratives (character n-gram TF-IDF) and observables (IDF-weighted "
        "Jaccard, warninglisted values left out); only cases the caller may see, score at "
        "least 0.1.",
        responses={200: SimilarCaseSerializer(many=True), **READ_ERRORS},
    )
)
class SimilarCasesViewSet(viewsets.GenericViewSet):
    permission_classes = [access.RolePermission]
    read_roles = access.CAN_FILE_REPORTS
    serializer_class = SimilarCaseSerializer
    lookup_value_converter = "int"
    pagination_class = None

    def retrieve(self, request: Request, pk: int) -> Response:
        user = api_user(request)
        case = get_case(user, pk)
        result = selectors.similar_cases(user, case)
        audit.record(
            user, "similar_cases", case, request=request, detail={"returned": len(result.rows)}
        )
        return Response(
            [
                {
                    "case": row.case.number,
                    "case_id": row.case.pk,
                    "title": row.case.title,
                    "score": round(row.score, 4),
                    "text_score": round(row.text_score, 4),
                    "shared_terms": row.shared_terms,
                    "shared_observables": row.shared_observables,
                }
                for row in result.rows
            ]
        )
