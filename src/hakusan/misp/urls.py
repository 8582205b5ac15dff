from django.urls import path

from . import views

app_name = "misp"
urlpatterns = [
    path("feed/manifest.json", views.ManifestView.as_view(), name="manifest"),
    path("feed/hashes.csv", views.HashesView.as_view(), name="hashes"),
    path("feed/<uuid:event_uuid>.json", views.EventView.as_view(), name="event"),
]
