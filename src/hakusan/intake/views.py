"""Intake pages: file a report, read it (observables, triage, routing), triage, route and
accept it, download its attachments, list reports and import them in bulk.

Views parse input and call ``intake.services``; reads go through ``intake.selectors``."""

import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.forms.forms import BaseForm
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from hakusan.core import access, audit, jobs
from hakusan.core.models import JobRun, User
from hakusan.domain.observables import defang
from hakusan.indicators.choices import SourceKind
from hakusan.indicators.selectors import seen_elsewhere

from . import selectors, services
from .forms import ImportForm, ReportFilterForm, ReportForm, RouteForm, TriageForm
from .models import Category, Report

REASON_KIND_LABELS = {
    "keyword": gettext_lazy("Keyword"),
    "observable": gettext_lazy("Observable type"),
    "damage": gettext_lazy("Damage"),
    "victim": gettext_lazy("Victim"),
    "category": gettext_lazy("Category"),
    "model": gettext_lazy("Model n-gram"),
}
SOURCE_LABELS = {
    "rules": gettext_lazy("rules"),
    "model": gettext_lazy("learned model"),
    "rules+model": gettext_lazy("rules and learned model"),
}


def display_value(obs_type: str, value: str) -> str:
    """An observable as it may be shown: URLs, hosts and addresses defanged, never clickable."""
    try:
        return defang(value, obs_type)
    except ValueError:  # a type the domain does not know: show as stored
        return value


def current_user(request: HttpRequest) -> User:
    """The logged-in user (every view here is behind ``login_required``)."""
    return cast(User, request.user)


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def apply_service_errors(form: BaseForm, exc: ValidationError) -> None:
    """A service's ValidationError becomes errors on the form's fields (or the form)."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            target = field if field in form.fields else None
            for error in errors:
                form.add_error(target, error)
    else:
        for message in exc.messages:
            form.add_error(None, message)


# --- report detail -------------------------------------------------------------------------


@dataclass
class ObservableRow:
    type: str
    type_label: str
    value: str
    shown: str
    original: str
    elsewhere: int
    elsewhere_by_kind: dict[str, int]


def report_observables(report: Report) -> list[ObservableRow]:
    """The report's observables with "as written" and how many other sources saw them."""
    return [
        ObservableRow(
            type=row.observable.type,
            type_label=str(row.observable.get_type_display()),
            value=row.observable.value,
            shown=display_value(row.observable.type, row.observable.value),
            original=row.original,
            elsewhere=row.elsewhere,
            elsewhere_by_kind=dict(row.elsewhere_by_kind),
        )
        for row in seen_elsewhere(SourceKind.REPORT, report.pk)
    ]


def suggestion_view(report: Report) -> dict[str, Any]:
    """The stored triage suggestion, ready for the template."""
    data = report.suggestion or {}
    categories = {c.code: c for c in Category.objects.all()}
    code = data.get("category")
    scores = data.get("scores") or {}
    reasons = [
        {
            **r,
            "kind_label": REASON_KIND_LABELS.get(r.get("kind", ""), r.get("kind", "")),
            "category_name": str(categories[r["category"]])
            if r.get("category") in categories
            else (r.get("category") or ""),
        }
        for r in data.get("reasons") or []
    ]
    # Reasons for the suggested category (and general ones) first; the rest folded away.
    main = [r for r in reasons if not r.get("category") or r.get("category") == code]
    others = [r for r in reasons if r.get("category") and r.get("category") != code]
    return {
        "present": bool(data),
        "category": categories.get(code or ""),
        "code": code,
        "needs_cyber": bool(data.get("needs_cyber")),
        "score": scores.get(code) if code else None,
        "others": [(categories.get(c, c), s) for c, s in scores.items() if c != code][:4],
        "reasons": main,
        "other_reasons": others,
        "source": SOURCE_LABELS.get(data.get("source", ""), data.get("source", "")),
    }


def workflow_context(
    request: HttpRequest,
    report: Report,
    *,
    triage_form: TriageForm | None = None,
    route_form: RouteForm | None = None,
) -> dict[str, Any]:
    """The triage, routing and acceptance panel (also returned alone to htmx)."""
    user = current_user(request)
    can_route = access.user_can(user, access.CAN_TRIAGE_AND_ROUTE)
    open_report = report.status not in ("closed", "case_opened")
    proposal = services.propose_route(report) if can_route and open_report else None
    return {
        "report": report,
        "suggestion": suggestion_view(report),
        "can_triage": can_route and open_report,
        "can_route": can_route and open_report,
        "can_accept": bool(
            report.assigned_department_id
            and report.accepted_at is None
            and (user.is_superuser or user.department_id == report.assigned_department_id)
        ),
        "triage_form": triage_form or TriageForm.for_report(report),
        "route_form": route_form or RouteForm(proposal=proposal),
        "proposal": proposal,
        "steps": report.routing_steps.select_related(
            "by", "from_department", "to_department", "rule"
        ),
    }


def detail_context(request: HttpRequest, report: Report, **forms: Any) -> dict[str, Any]:
    from hakusan.cases.selectors import related_cases

    observables = report_observables(report)
    return {
        **workflow_context(request, report, **forms),
        "observables": observables,
        "items": report.items.all(),
        "attachments": report.attachments.select_related("uploaded_by"),
        "related": [
            {
                "report": r.report,
                "same_person": r.same_person,
                "shared": [display_value(o.type, o.value) for o in r.shared],
            }
            for r in selectors.related_reports(current_user(request), report)
        ],
        "related_cases": related_cases(current_user(request), report),
        "can_open_case": access.user_can(current_user(request), access.CAN_OPEN_CASES)
        and report.status != "closed",
    }


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    report = selectors.get_report(current_user(request), pk)
    audit.record(current_user(request), "view", report, request=request)
    return render(request, "intake/detail.html", detail_context(request, report))


def _after_action(request: HttpRequest, pk: int, message: str, **forms: Any) -> HttpResponse:
    """htmx: the refreshed panel (and header, out of band); plain POST: back to the page."""
    report = selectors.get_report(current_user(request), pk)
    if forms:  # re-render with errors
        if is_htmx(request):
            return render(
                request,
                "intake/_workflow.html",
                {**workflow_context(request, report, **forms), "oob": True},
            )
        return render(
            request, "intake/detail.html", detail_context(request, report, **forms), status=400
        )
    if is_htmx(request):
        return render(
            request,
            "intake/_workflow.html",
            {**workflow_context(request, report), "oob": True, "flash": message},
        )
    messages.success(request, message)
    return redirect("intake:detail", pk=pk)


@require_POST
@access.require_roles(access.CAN_TRIAGE_AND_ROUTE)
def triage(request: HttpRequest, pk: int) -> HttpResponse:
    report = selectors.get_report(current_user(request), pk)
    form = TriageForm(request.POST)
    if form.is_valid():
        try:
            services.confirm_triage(
                report,
                current_user(request),
                form.cleaned_data["category"].code,
                form.cleaned_data["needs_cyber"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            return _after_action(request, pk, _("Triage saved."))
    return _after_action(request, pk, "", triage_form=form)


@require_POST
@access.require_roles(access.CAN_TRIAGE_AND_ROUTE)
def route(request: HttpRequest, pk: int) -> HttpResponse:
    report = selectors.get_report(current_user(request), pk)
    proposal = services.propose_route(report)
    form = RouteForm(request.POST, proposal=proposal)
    if form.is_valid():
        data = form.cleaned_data
        try:
            step = services.route_report(
                report,
                current_user(request),
                department=data.get("department"),
                sla_hours=data.get("sla_hours"),
                reason=data.get("reason") or "",
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            return _after_action(
                request, pk, _("Routed to %(dept)s.") % {"dept": step.to_department}
            )
    return _after_action(request, pk, "", route_form=form)


@require_POST
@login_required
def accept(request: HttpRequest, pk: int) -> HttpResponse:
    report = selectors.get_report(current_user(request), pk)
    try:
        services.accept_report(report, current_user(request))
    except ValidationError as exc:
        if is_htmx(request):
            ctx = workflow_context(request, report)
            return render(
                request,
                "intake/_workflow.html",
                {**ctx, "oob": True, "flash_error": " ".join(exc.messages)},
            )
        messages.error(request, " ".join(exc.messages))
        return redirect("intake:detail", pk=pk)
    return _after_action(request, pk, _("Accepted: the report is now your department's."))


@login_required
def attachment(request: HttpRequest, pk: int, attachment_pk: int) -> FileResponse:
    """Evidence files are always downloaded as opaque bytes, never shown in the browser."""
    report = selectors.get_report(current_user(request), pk)
    item = get_object_or_404(report.attachments, pk=attachment_pk)
    try:
        handle = item.file.open("rb")
    except FileNotFoundError:
        raise Http404("attachment file missing") from None
    audit.record(
        current_user(request),
        "download",
        item,
        request=request,
        detail={"report": report.number, "file": item.filename, "sha256": item.sha256},
    )
    response = FileResponse(
        handle, as_attachment=True, filename=item.filename, content_type="application/octet-stream"
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response["Cache-Control"] = "private, no-store"
    return response


# --- filing -----------------------------------------------------------------------------------


@access.require_roles(access.CAN_FILE_REPORTS)
def new(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = ReportForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                draft = form.to_draft()
                filed = services.create_report(
                    current_user(request),
                    draft,
                    attachments=form.cleaned_data["attachments"],
                    tlp=form.cleaned_data["tlp"],
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            except ValueError as exc:  # the draft's own invariants
                form.add_error(None, str(exc))
            else:
                messages.success(
                    request, _("Report %(number)s filed.") % {"number": filed.report.number}
                )
                return redirect("intake:detail", pk=filed.report.pk)
        return render(request, "intake/new.html", {"form": form}, status=400)
    return render(request, "intake/new.html", {"form": ReportForm()})


# --- list -------------------------------------------------------------------------------------


@login_required
def report_list(request: HttpRequest) -> HttpResponse:
    form = ReportFilterForm(request.GET or None)
    reports = selectors.reports_visible_to(current_user(request)).select_related(
        "category", "suggested_category", "receiving_department", "assigned_department"
    )
    if form.is_valid():
        data = form.cleaned_data
        reports = selectors.filter_reports(
            reports,
            q=data.get("q") or "",
            status=data.get("status") or "",
            category=data.get("category"),
            channel=data.get("channel") or "",
            department=data.get("department"),
            overdue=bool(data.get("overdue")),
        )
    page = Paginator(reports.order_by("-received_at", "-id"), 50).get_page(request.GET.get("page"))
    return render(request, "intake/list.html", {"form": form, "page": page, "now": timezone.now()})


# --- bulk import ------------------------------------------------------------------------------


@access.require_roles(access.CAN_IMPORT)
def import_reports(request: HttpRequest) -> HttpResponse:
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        fmt = form.resolved_format()
        directory = Path(settings.DATA_DIR) / "imports"
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / (
            f"{timezone.now():%Y%m%dT%H%M%S}-{secrets.token_hex(6)}"
            f".{'jsonl' if fmt == 'jsonl' else 'csv'}"
        )
        with path.open("wb") as out:
            for chunk in form.cleaned_data["file"].chunks():
                out.write(chunk)
        path.chmod(0o600)
        department = form.cleaned_data.get("department")
        run = jobs.submit(
            "intake.import_reports",
            {"path": str(path), "fmt": fmt, "department": department.code if department else None},
            user=current_user(request),
        )
        return redirect("intake:import_status", pk=run.pk)
    recent = JobRun.objects.filter(name="intake.import_reports", created_by=current_user(request))[
        :10
    ]
    return render(
        request,
        "intake/import.html",
        {"form": form, "recent": recent},
        status=400 if form.errors else 200,
    )


@access.require_roles(access.CAN_IMPORT)
def import_status(request: HttpRequest, pk: int) -> HttpResponse:
    run = get_object_or_404(
        JobRun, pk=pk, name="intake.import_reports", created_by=current_user(request)
    )
    return render(request, "intake/import_status.html", {"run": run})


@access.require_roles(access.CAN_IMPORT)
def import_rejects(request: HttpRequest, pk: int) -> FileResponse:
    """The rejected rows of an import, for the user who started it (never shown inline)."""
    run = get_object_or_404(
        JobRun, pk=pk, name="intake.import_reports", created_by=current_user(request)
    )
    name = (run.result or {}).get("rejects_file") or ""
    imports = (Path(settings.DATA_DIR) / "imports").resolve()
    path = Path(name).resolve() if name else None
    if path is None or path.parent != imports or not path.is_file():
        raise Http404("no rejects file")
    audit.record(
        current_user(request), "download", run, request=request, detail={"rejects": path.name}
    )
    response = FileResponse(
        path.open("rb"),
        as_attachment=True,
        filename=path.name,
        content_type="application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
