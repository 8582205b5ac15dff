from django.urls import path

from . import views

app_name = "intake"
urlpatterns = [
    path("", views.report_list, name="list"),
    path("new/", views.new, name="new"),
    path("import/", views.import_reports, name="import"),
    path("import/<int:pk>/", views.import_status, name="import_status"),
    path("import/<int:pk>/rejects/", views.import_rejects, name="import_rejects"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/triage/", views.triage, name="triage"),
    path("<int:pk>/route/", views.route, name="route"),
    path("<int:pk>/accept/", views.accept, name="accept"),
    path("<int:pk>/attachments/<int:attachment_pk>/", views.attachment, name="attachment"),
]
