"""The REST API at /api/: reports, cases, observables and the code lists clients need.

Authentication: ``Authorization: Token <key>`` or ``Bearer <key>`` (expiring tokens issued per
account by administrators in the admin site or with ``hakusan token create``, stored as digests;
there is no password-for-token endpoint: ``hakusan.api_auth``), or a browser session that has
passed two-factor. The OpenAPI schema is at /api/schema/ (hakusan/urls.py)."""

from typing import Any

from django.urls import include, path
from drf_spectacular.authentication import SessionScheme
from rest_framework.routers import DefaultRouter

from hakusan.cases.api.views import CaseTypeViewSet, CaseViewSet
from hakusan.indicators.api.views import ObservableViewSet
from hakusan.intake.api.views import CategoryViewSet, DepartmentViewSet, ReportViewSet


class VerifiedSessionScheme(SessionScheme):
    """OpenAPI description of ``hakusan.api_auth.VerifiedSessionAuthentication``."""

    target_class = "hakusan.api_auth.VerifiedSessionAuthentication"
    name = "cookieAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        definition = dict(super().get_security_definition(auto_schema))
        definition["description"] = (
            "browser session; accounts that need two-factor must have passed it"
        )
        return definition


app_name = "api"

router = DefaultRouter(use_regex_path=False)
router.include_format_suffixes = False
router.register("reports", ReportViewSet, basename="report")
router.register("cases", CaseViewSet, basename="case")
router.register("observables", ObservableViewSet, basename="observable")
router.register("categories", CategoryViewSet, basename="category")
router.register("departments", DepartmentViewSet, basename="department")
router.register("case-types", CaseTypeViewSet, basename="case-type")

# /api/analysis/…: campaigns, suggestions, actors, knowledge, case graph, similar cases.
urlpatterns = [*router.urls, path("analysis/", include("hakusan.analysis.api.urls"))]
