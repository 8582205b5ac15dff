from django.conf.urls.i18n import i18n_patterns  # noqa: F401  (kept: language is per session)
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView  # noqa: F401

from . import views

urlpatterns = [
    path("", views.dashboard, name="home"),
    path("search/", views.search, name="search"),
    path("accounts/", include("hakusan.core.urls")),
    path("reports/", include("hakusan.intake.urls")),
    path("cases/", include("hakusan.cases.urls")),
    path("analysis/", include("hakusan.analysis.urls")),
    path("sharing/", include("hakusan.sharing.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    # Partner-facing (partner tokens only): TAXII 2.1 and blocklist feeds.
    path("taxii2/", include("hakusan.taxii.urls")),
    path("feeds/", include("hakusan.blocklists.urls")),
    path("misp/", include("hakusan.misp.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/", include("hakusan.api_urls")),
]
