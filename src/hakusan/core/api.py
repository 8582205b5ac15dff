"""Plumbing every app's REST API shares: the caller, service errors as 400s, the error responses
of the schema, audited viewsets, query parsing, strict input and named enum fields."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, cast

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Model, QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema_field
from rest_framework import mixins, serializers, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.settings import api_settings

from hakusan.core import access, audit
from hakusan.core.models import User

# --- views ------------------------------------------------------------------------------------


def api_user(request: Any) -> User:
    """The caller: every API view requires authentication (RolePermission) before this runs."""
    return cast(User, request.user)


@contextmanager
def service_errors() -> Iterator[None]:
    """A service's ValidationError becomes a 400 whose keys name the fields."""
    try:
        yield
    except DjangoValidationError as exc:
        detail = as_serializer_error(exc)
        if NON_FIELD_ERRORS in detail:
            detail[api_settings.NON_FIELD_ERRORS_KEY] = detail.pop(NON_FIELD_ERRORS)
        raise ValidationError(detail) from None


ERRORS = {
    400: OpenApiResponse(description="invalid input; the keys name the fields"),
    401: OpenApiResponse(description="not authenticated"),
    403: OpenApiResponse(description="the caller's role may not do this"),
    404: OpenApiResponse(description="no such object, or the caller may not see it"),
}
READ_ERRORS = {k: v for k, v in ERRORS.items() if k in (401, 403, 404)}
LIST_ERRORS = {k: v for k, v in ERRORS.items() if k in (400, 401, 403)}


def errors(*codes: int) -> dict[int, OpenApiResponse]:
    return {code: ERRORS[code] for code in codes}


class AuditedViewSet(viewsets.GenericViewSet):
    """Object reads go through ``get_visible(user, pk)`` (a selector: 404 when invisible);
    retrieves and lists are audited."""

    permission_classes = [access.RolePermission]
    read_roles = access.CAN_FILE_REPORTS
    write_roles = access.CAN_FILE_REPORTS
    action_roles: dict[str, frozenset[str]] = {}
    lookup_value_converter = "int"  # the router uses path converters: /reports/<int:pk>/
    audit_type = ""

    def get_visible(self, user: Any, pk: Any) -> Model:  # pragma: no cover - abstract
        raise NotImplementedError

    def get_object(self) -> Any:
        obj = self.get_visible(api_user(self.request), self.kwargs[self.lookup_field])
        self.check_object_permissions(self.request, obj)
        return obj

    def audited_list(
        self, request: Request, queryset: QuerySet, *, filters: dict[str, Any] | None = None
    ) -> Response:
        page = self.paginate_queryset(queryset)
        rows = page if page is not None else list(queryset)
        total = self.paginator.count if page is not None else len(rows)  # type: ignore[union-attr]
        audit.record(
            api_user(request),
            "list",
            object_type=self.audit_type,
            request=request,
            detail={"count": total, "returned": len(rows), "filters": filters or {}},
        )
        data = self.get_serializer(rows, many=True).data
        return self.get_paginated_response(data) if page is not None else Response(data)

    def audited_retrieve(self, request: Request, obj: Model) -> Response:
        audit.record(api_user(request), "view", obj, request=request)
        return Response(self.get_serializer(obj).data)


def parse_query(serializer_class: type, request: Request) -> Any:
    serializer = serializer_class(data=request.query_params)
    serializer.is_valid(raise_exception=True)
    return serializer


class ReferenceViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Small read-only code lists for API clients: not paginated."""

    permission_classes = [access.RolePermission]
    read_roles = access.CAN_FILE_REPORTS
    pagination_class = None


# --- serializers ------------------------------------------------------------------------------


class StrictFieldsMixin:
    """Reject keys the serializer does not know ("narative") instead of ignoring them."""

    def to_internal_value(self, data: Any) -> Any:
        if hasattr(data, "keys"):
            known = set(self.fields)  # type: ignore[attr-defined]
            unknown = sorted(str(k) for k in data if k not in known)
            if unknown:
                raise serializers.ValidationError({k: ["unknown field"] for k in unknown})
        return super().to_internal_value(data)  # type: ignore[misc]


_ENUM_FIELDS: dict[str, type[serializers.ChoiceField]] = {}


def enum_field(name: str, choices: Any, **kwargs: Any) -> serializers.ChoiceField:
    """A choice field whose values are one named schema component (``ReportStatusEnum``)
    wherever it is used, so that the OpenAPI schema has no enum naming collisions."""
    cls = _ENUM_FIELDS.get(name)
    if cls is None:
        cls = type(f"{name}Field", (serializers.ChoiceField,), {"__module__": __name__})
        cls = extend_schema_field(serializers.ChoiceField(choices=choices), component_name=name)(
            cls
        )
        _ENUM_FIELDS[name] = cls
    return cls(choices=choices, **kwargs)
