"""TAXII 2.1 (mounted at /taxii2/): discovery, API roots, status, collections, objects."""

from django.urls import path

from . import views

app_name = "taxii"
_C = "<slug:root>/collections/<str:collection_id>"
urlpatterns = [
    path("", views.DiscoveryView.as_view(), name="discovery"),
    path("<slug:root>/", views.ApiRootView.as_view(), name="api-root"),
    path("<slug:root>/status/<str:status_id>/", views.StatusView.as_view(), name="status"),
    path("<slug:root>/collections/", views.CollectionsView.as_view(), name="collections"),
    path(f"{_C}/", views.CollectionView.as_view(), name="collection"),
    path(f"{_C}/objects/", views.ObjectsView.as_view(), name="objects"),
    path(f"{_C}/objects/<str:object_id>/", views.ObjectView.as_view(), name="object"),
    path(f"{_C}/objects/<str:object_id>/versions/", views.VersionsView.as_view(), name="versions"),
    path(f"{_C}/manifest/", views.ManifestView.as_view(), name="manifest"),
]
