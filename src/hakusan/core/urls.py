from django.urls import path

from . import views

app_name = "core"
urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("2fa/setup/", views.otp_setup, name="otp_setup"),
    path("2fa/verify/", views.otp_verify, name="otp_verify"),
    path("dashboard/", views.dashboard_redirect, name="dashboard"),
    path("jobs/<int:pk>/", views.job_status, name="job_status"),
]
