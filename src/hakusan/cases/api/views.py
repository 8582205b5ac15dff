"""The cases API. Reads go through ``cases.selectors`` (need-to-know: an invisible case is 404);
changes need ``selectors.can_edit`` (members, the lead department's supervisors, administrators)
and go through ``cases.services``."""

from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request
from rest_framework.response import Response

from hakusan.cases import selectors, services
from hakusan.cases.models import Case, CaseType
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

from .serializers import (
    CaseCreateSerializer,
    CaseDetailSerializer,
    CaseFilterSerializer,
    CaseObservableSerializer,
    CaseStatusSerializer,
    CaseSummarySerializer,
    CaseTypeSerializer,
    LinkObservableSerializer,
    MemberAddSerializer,
    MemberSerializer,
    NoteSerializer,
    RansomwareRecordSerializer,
    TaskCreateSerializer,
    TaskSerializer,
    TaskUpdateSerializer,
    TimelineEntrySerializer,
)

WRITE_ERRORS = errors(400, 401, 403, 404)
TASK_ID = OpenApiParameter(
    "task_id", OpenApiTypes.INT, OpenApiParameter.PATH, description="a task of this case"
)


class CanEditCase(BasePermission):
    """Changing a visible case needs ``cases.selectors.can_edit`` (else 403)."""

    message = (
        "only the case's members, its lead department's supervisors and administrators "
        "may change it"
    )

    def has_object_permission(self, request: Request, view: Any, obj: Any) -> bool:
        if request.method in SAFE_METHODS:
            return True
        return selectors.can_edit(api_user(request), obj)


@extend_schema_view(
    list=extend_schema(
        summary="Cases the caller may see",
        parameters=[CaseFilterSerializer],
        responses={200: CaseSummarySerializer(many=True), **LIST_ERRORS},
    ),
    retrieve=extend_schema(
        summary="One case", responses={200: CaseDetailSerializer, **READ_ERRORS}
    ),
    create=extend_schema(
        summary="Open a case from reports",
        request=CaseCreateSerializer,
        description="Copies the case type's playbook into tasks, links the reports' "
        "observables and puts the caller (lead) and the members on the case.",
        responses={201: CaseDetailSerializer, **errors(400, 401, 403)},
    ),
)
class CaseViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, AuditedViewSet):
    """事件: open cases and work on them. There is no PATCH of the case itself (title,
    summary): no service changes them yet."""

    queryset = Case.objects.none()  # reads go through selectors.cases_visible_to
    serializer_class = CaseDetailSerializer
    permission_classes = [access.RolePermission, CanEditCase]
    audit_type = "cases.case"
    read_roles = access.CAN_FILE_REPORTS
    write_roles = access.CAN_FILE_REPORTS  # and CanEditCase on the object
    action_roles = {"create": access.CAN_OPEN_CASES}

    def get_queryset(self) -> QuerySet[Case]:
        return selectors.cases_visible_to(api_user(self.request)).select_related(
            "case_type", "lead_department"
        )

    def get_visible(self, user: Any, pk: Any) -> Case:
        return selectors.get_case(user, pk)

    def get_serializer_class(self) -> type:
        return CaseSummarySerializer if self.action == "list" else CaseDetailSerializer

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        filters = parse_query(CaseFilterSerializer, request)
        cases = filters.apply(self.get_queryset()).order_by("-opened_at", "-id")
        return self.audited_list(request, cases, filters=filters.used())

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.audited_retrieve(request, self.get_object())

    def _detail(self, case: Case, code: int = status.HTTP_200_OK) -> Response:
        fresh = selectors.get_case(api_user(self.request), case.pk)
        return Response(
            CaseDetailSerializer(fresh, context=self.get_serializer_context()).data, status=code
        )

    def create(self, request: Request) -> Response:
        serializer = CaseCreateSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        with service_errors():
            case = services.open_case(
                api_user(request),
                reports=data["reports"],
                case_type=data["case_type"],
                title=data["title"],
                lead_department=data.get("lead_department"),
                members=data["members"],
                summary=data.get("summary", ""),
            )
        return self._detail(case, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Add a note or event to the timeline",
        request=NoteSerializer,
        responses={201: TimelineEntrySerializer, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def notes(self, request: Request, pk: str) -> Response:
        case = self.get_object()
        serializer = NoteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        with service_errors():
            entry = services.add_note(
                case,
                api_user(request),
                data["text"],
                data["kind"],
                data.get("at"),
            )
        return Response(TimelineEntrySerializer(entry).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Add a member to the case",
        request=MemberAddSerializer,
        responses={201: MemberSerializer, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def members(self, request: Request, pk: str) -> Response:
        case = self.get_object()
        serializer = MemberAddSerializer(data=request.data, context={"case": case})
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        with service_errors():
            member = services.add_member(case, api_user(request), data["username"], data["role"])
        return Response(MemberSerializer(member).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Add a task",
        request=TaskCreateSerializer,
        responses={201: TaskSerializer, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def tasks(self, request: Request, pk: str) -> Response:
        case = self.get_object()
        serializer = TaskCreateSerializer(data=request.data, context={"case": case})
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        with service_errors():
            task = services.add_task(
                case,
                api_user(request),
                data["title"],
                assignee=data.get("assignee"),
                due_at=data.get("due_at"),
                guidance=data.get("guidance", ""),
            )
        return Response(TaskSerializer(task).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Change a task's status, assignee or deadline",
        parameters=[TASK_ID],
        request=TaskUpdateSerializer,
        responses={200: TaskSerializer, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["patch"], url_path="tasks/<int:task_id>")
    def update_task(self, request: Request, pk: str, task_id: int) -> Response:
        case = self.get_object()
        task = case.tasks.filter(pk=task_id).first()
        if task is None:
            raise Http404("task not found")
        serializer = TaskUpdateSerializer(data=request.data, partial=True, context={"case": case})
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        with service_errors():
            task = services.update_task(
                task,
                api_user(request),
                status=data.get("status"),
                assignee=data.get("assignee", False),
                due_at=data.get("due_at", False),
            )
        return Response(TaskSerializer(task).data)

    @extend_schema(
        summary="Change the case's status",
        request=CaseStatusSerializer,
        responses={200: CaseDetailSerializer, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["post"], url_path="status")
    def change_status(self, request: Request, pk: str) -> Response:
        case = self.get_object()
        serializer = CaseStatusSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with service_errors():
            services.change_status(case, api_user(request), serializer.validated_data["status"])
        return self._detail(case)

    @extend_schema(
        summary="Link an observable to the case",
        request=LinkObservableSerializer,
        responses={201: CaseObservableSerializer, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def observables(self, request: Request, pk: str) -> Response:
        case = self.get_object()
        serializer = LinkObservableSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with service_errors():
            value = services.link_observable(
                case,
                api_user(request),
                serializer.validated_data["value"],
            )
        row = next(
            {"id": o.pk, "type": o.type, "value": o.value, "seen_elsewhere": n}
            for o, n in selectors.case_observables(case)
            if o.value == value
        )
        return Response(CaseObservableSerializer(row).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Update the ransomware record (only the fields sent)",
        request=RansomwareRecordSerializer,
        responses={200: RansomwareRecordSerializer, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["patch"])
    def ransomware(self, request: Request, pk: str) -> Response:
        case = self.get_object()
        if not case.case_type.has_ransomware_record:
            raise Http404("this case type has no ransomware record")
        serializer = RansomwareRecordSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        with service_errors():
            record = services.update_ransomware_record(
                case,
                api_user(request),
                dict(serializer.validated_data),
            )
        return Response(RansomwareRecordSerializer(record).data)


@extend_schema_view(
    list=extend_schema(
        summary="Case types (codes)",
        responses={200: CaseTypeSerializer(many=True), **errors(401, 403)},
    )
)
class CaseTypeViewSet(ReferenceViewSet):
    queryset = CaseType.objects.all()
    serializer_class = CaseTypeSerializer
