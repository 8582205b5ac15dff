"""Analyst pages: inbound STIX bundles, their import reports, accept/reject of pending ones."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from hakusan.core.access import CAN_IMPORT, require_roles

from . import selectors, services
from .choices import BundleState
from .models import InboundBundle


@require_roles(CAN_IMPORT)
def bundle_list(request: HttpRequest) -> HttpResponse:
    state = request.GET.get("state", "")
    if state not in BundleState.values:
        state = ""
    page = Paginator(selectors.inbound_bundles(state or None), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "sharing/bundles.html",
        {"page": page, "state": state, "states": BundleState.choices},
    )


@require_roles(CAN_IMPORT)
def bundle_detail(request: HttpRequest, pk: int) -> HttpResponse:
    bundle = get_object_or_404(selectors.inbound_bundles(), pk=pk)
    report = bundle.report or {}
    return render(
        request,
        "sharing/bundle_detail.html",
        {
            "bundle": bundle,
            "report": report,
            "lines": report.get("objects", []),
            "pending": bundle.state == BundleState.PENDING,
        },
    )


@require_POST
@require_roles(CAN_IMPORT)
def bundle_review(request: HttpRequest, pk: int) -> HttpResponse:
    bundle = get_object_or_404(InboundBundle, pk=pk)
    decision = request.POST.get("decision")
    try:
        if decision == "accept":
            report = services.accept_bundle(bundle, request.user)  # type: ignore[arg-type]
            messages.success(
                request,
                _(
                    "Accepted: %(imported)d imported, %(merged)d merged, %(kept)d kept, "
                    "%(skipped)d skipped."
                )
                % report.counts(),
            )
        elif decision == "reject":
            services.reject_bundle(
                bundle,
                request.user,
                reason=request.POST.get("reason", ""),  # type: ignore[arg-type]
            )
            messages.success(request, _("Rejected: nothing of this bundle was imported."))
        else:
            messages.error(request, _("Choose accept or reject."))
    except ValidationError as exc:
        messages.error(request, "; ".join(exc.messages))
    return redirect("sharing:bundle", pk=bundle.pk)
