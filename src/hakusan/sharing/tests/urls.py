"""The project's URLs with the sharing pages mounted as the lead will mount them (/sharing/)."""

from django.urls import include, path

from hakusan.urls import urlpatterns as project

urlpatterns = [*project, path("sharing/", include("hakusan.sharing.urls"))]
