from django.urls import path

from . import views

app_name = "sharing"
urlpatterns = [
    path("bundles/", views.bundle_list, name="bundles"),
    path("bundles/<int:pk>/", views.bundle_detail, name="bundle"),
    path("bundles/<int:pk>/review/", views.bundle_review, name="bundle_review"),
]
