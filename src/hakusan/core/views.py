"""Login, two-factor set-up and verification, logout, job progress."""

import base64
from io import BytesIO
from typing import cast

import qrcode
import qrcode.image.svg
from django import forms
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp import match_token
from django_otp.plugins.otp_totp.models import TOTPDevice

from . import audit
from .models import JobRun, User


class LoginView(auth_views.LoginView):
    template_name = "core/login.html"
    redirect_authenticated_user = True


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("core:login")


class TokenForm(forms.Form):
    token = forms.CharField(
        label=_("One-time code"),
        max_length=8,
        min_length=6,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


def _user(request: HttpRequest) -> User:
    """The logged-in user (these views are behind login_required)."""
    return cast(User, request.user)


def _next_url(request: HttpRequest) -> str:
    target = request.GET.get("next") or request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}):
        return "/"
    return target


@login_required
def otp_setup(request: HttpRequest) -> HttpResponse:
    """Enrol a TOTP device: show its QR code and secret, confirm with a first code."""
    user = _user(request)
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        return redirect(f"/accounts/2fa/verify/?next={_next_url(request)}")
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="default", confirmed=False)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["token"]):
            device.confirmed = True
            device.save()
            otp_login(request, device)
            audit.record(user, "2fa_enrolled", user, request=request)
            return redirect(_next_url(request))
        form.add_error("token", _("The code is not valid. Check the time on your device."))
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage)
    buffer = BytesIO()
    image.save(buffer)
    secret = base64.b32encode(device.bin_key).decode()
    return render(
        request,
        "core/otp_setup.html",
        {
            "form": form,
            "qr_svg": buffer.getvalue().decode(),
            "secret": secret,
            "next": _next_url(request),
        },
    )


@login_required
def otp_verify(request: HttpRequest) -> HttpResponse:
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = match_token(request.user, form.cleaned_data["token"])
        if device is not None:
            otp_login(request, device)
            audit.record(_user(request), "2fa_verified", _user(request), request=request)
            return redirect(_next_url(request))
        audit.record(
            _user(request),
            "2fa_failed",
            _user(request),
            request=request,
        )
        form.add_error("token", _("The code is not valid."))
    return render(request, "core/otp_verify.html", {"form": form, "next": _next_url(request)})


def dashboard_redirect(request: HttpRequest) -> HttpResponse:
    return redirect("home")


@login_required
def job_status(request: HttpRequest, pk: int) -> HttpResponse:
    """Progress of a job the user started (polled by htmx until it finishes)."""
    run = get_object_or_404(JobRun, pk=pk)
    if run.created_by_id != request.user.pk and not request.user.is_superuser:
        return HttpResponseForbidden()
    return render(request, "core/_job_status.html", {"run": run})
