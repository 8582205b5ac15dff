from django.urls import re_path

from . import views

app_name = "blocklists"
urlpatterns = [
    # Any suffix reaches the view: an unknown feed or format is a 404 that names the known ones.
    re_path(
        r"^(?P<feed>[A-Za-z0-9_-]+)\.(?P<fmt>[A-Za-z0-9]+)$", views.FeedView.as_view(), name="feed"
    ),
]
