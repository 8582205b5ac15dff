"""The reports API and the reference code lists (categories, departments).

Views parse input with serializers and call ``intake.services``; reads go through
``intake.selectors`` (a report the caller may not see is 404, never 403). Every retrieve and every
list is written to the audit log."""

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings

from hakusan.core import access
from hakusan.core.api import (
    LIST_ERRORS,
    READ_ERRORS,
    AuditedViewSet,
    ReferenceViewSet,
    api_user,
    errors,
    parse_query,
    service_errors,
)
from hakusan.core.models import Department
from hakusan.domain.intake import ReportDraft
from hakusan.intake import selectors, services
from hakusan.intake.models import Category, Report

from .serializers import (
    CategorySerializer,
    DepartmentSerializer,
    ReportCreatedSerializer,
    ReportCreateSerializer,
    ReportDetailSerializer,
    ReportFilterSerializer,
    ReportSummarySerializer,
    RouteProposalSerializer,
    RouteSerializer,
    TriageSerializer,
)

# --- reports ----------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary="Reports the caller may see",
        parameters=[ReportFilterSerializer],
        responses={200: ReportSummarySerializer(many=True), **LIST_ERRORS},
    ),
    retrieve=extend_schema(
        summary="One report", responses={200: ReportDetailSerializer, **READ_ERRORS}
    ),
    create=extend_schema(
        summary="File a report",
        request=ReportCreateSerializer,
        description="Stores the report, extracts its observables and suggests its triage "
        "(category and whether the cyber division must take it, with reasons).",
        responses={201: ReportCreatedSerializer, **errors(400, 401, 403)},
    ),
)
class ReportViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, AuditedViewSet):
    """通報・相談: file, read, triage, route and accept reports."""

    queryset = Report.objects.none()  # reads go through selectors.reports_visible_to
    serializer_class = ReportDetailSerializer
    audit_type = "intake.report"
    read_roles = access.CAN_FILE_REPORTS
    write_roles = access.CAN_FILE_REPORTS
    action_roles = {
        "create": access.CAN_FILE_REPORTS,
        "triage": access.CAN_TRIAGE_AND_ROUTE,
        "route": access.CAN_TRIAGE_AND_ROUTE,
        "route_proposal": access.CAN_TRIAGE_AND_ROUTE,
        "accept": access.CAN_FILE_REPORTS,  # the service checks the caller's department
    }

    def get_queryset(self) -> QuerySet[Report]:
        return selectors.reports_visible_to(api_user(self.request)).select_related(
            "category", "suggested_category", "receiving_department", "assigned_department"
        )

    def get_visible(self, user: Any, pk: Any) -> Report:
        return selectors.get_report(user, pk)

    def get_serializer_class(self) -> type:
        if self.action == "list":
            return ReportSummarySerializer
        return ReportDetailSerializer

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        filters = parse_query(ReportFilterSerializer, request)
        reports = filters.apply(self.get_queryset()).order_by("-received_at", "-id")
        return self.audited_list(request, reports, filters=filters.used())

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.audited_retrieve(request, self.get_object())

    def create(self, request: Request) -> Response:
        serializer = ReportCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        values = serializer.draft_values()
        user = api_user(request)
        if values["category_code"] and not access.user_can(user, access.CAN_TRIAGE_AND_ROUTE):
            raise PermissionDenied("your role may not confirm a report's category")
        if values["station_code"] and not access.user_can(user, access.CAN_IMPORT):
            raise PermissionDenied("your role may not file reports for another department")
        try:
            draft = ReportDraft(**values)
        except ValueError as exc:  # the draft's own invariants, should the serializer miss one
            raise ValidationError({api_settings.NON_FIELD_ERRORS_KEY: [str(exc)]}) from None
        with service_errors():
            filed = services.create_report(user, draft, tlp=serializer.validated_data["tlp"])
        report = selectors.get_report(user, filed.report.pk)
        data = ReportCreatedSerializer(
            report, context={**self.get_serializer_context(), "extracted": filed.observables}
        ).data
        return Response(data, status=status.HTTP_201_CREATED)

    def _detail(self, report: Report) -> Response:
        fresh = selectors.get_report(api_user(self.request), report.pk)
        return Response(ReportDetailSerializer(fresh, context=self.get_serializer_context()).data)

    @extend_schema(
        summary="Confirm or correct the triage",
        request=TriageSerializer,
        responses={200: ReportDetailSerializer, **errors(400, 401, 403, 404)},
    )
    @action(detail=True, methods=["post"])
    def triage(self, request: Request, pk: str) -> Response:
        report = self.get_object()
        serializer = TriageSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with service_errors():
            services.confirm_triage(
                report,
                api_user(request),
                serializer.validated_data["category"].code,
                serializer.validated_data["needs_cyber"],
            )
        return self._detail(report)

    @extend_schema(
        summary="What the routing rules propose for the report",
        responses={200: RouteProposalSerializer, **READ_ERRORS},
    )
    @action(detail=True, methods=["get"], url_path="route-proposal")
    def route_proposal(self, request: Request, pk: str) -> Response:
        report = self.get_object()
        return Response(RouteProposalSerializer(services.propose_route(report)).data)

    @extend_schema(
        summary="Route the report to a department with a deadline",
        description="Without a department the routing rules decide; another "
        "department than the proposed one needs a reason.",
        request=RouteSerializer,
        responses={200: ReportDetailSerializer, **errors(400, 401, 403, 404)},
    )
    @action(detail=True, methods=["post"])
    def route(self, request: Request, pk: str) -> Response:
        report = self.get_object()
        serializer = RouteSerializer(
            data=request.data, context={"proposal": services.propose_route(report)}
        )
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        with service_errors():
            services.route_report(
                report,
                api_user(request),
                department=data.get("department"),
                sla_hours=data.get("sla_hours"),
                reason=data.get("reason") or "",
            )
        return self._detail(report)

    @extend_schema(
        summary="Accept the report for the caller's (assigned) department",
        request=None,
        responses={200: ReportDetailSerializer, **errors(400, 401, 403, 404)},
    )
    @action(detail=True, methods=["post"])
    def accept(self, request: Request, pk: str) -> Response:
        report = self.get_object()
        with service_errors():
            services.accept_report(report, api_user(request))
        return self._detail(report)


# --- reference data ---------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary="Consultation categories (codes)",
        responses={200: CategorySerializer(many=True), **errors(401, 403)},
    )
)
class CategoryViewSet(ReferenceViewSet):
    queryset = Category.objects.all()
    serializer_class = CategorySerializer


@extend_schema_view(
    list=extend_schema(
        summary="Departments: HQ divisions and stations (codes)",
        responses={200: DepartmentSerializer(many=True), **errors(401, 403)},
    )
)
class DepartmentViewSet(ReferenceViewSet):
    queryset = Department.objects.all()
    serializer_class = DepartmentSerializer
