"""Case pages: open a case from reports, read it (reports, members, tasks, ransomware record,
timeline, observables) and change it. Writes go through ``cases.services``; every action
checks ``cases.selectors.can_edit`` on the server."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from hakusan.core import access, audit
from hakusan.domain.observables import InvalidObservable, detect
from hakusan.intake.selectors import get_report, reports_visible_to
from hakusan.intake.views import apply_service_errors, current_user, display_value

from . import selectors, services
from .choices import CaseStatus, TaskStatus
from .forms import (
    CATEGORY_TO_CASE_TYPE,
    MemberForm,
    NoteForm,
    ObservableForm,
    OpenCaseForm,
    RansomwareForm,
    StatusForm,
    TaskForm,
    TaskUpdateForm,
)
from .models import Case, CaseType, Task

# --- list -------------------------------------------------------------------------------------


@login_required
def case_list(request: HttpRequest) -> HttpResponse:
    cases = (
        selectors.cases_visible_to(current_user(request))
        .select_related("case_type", "lead_department")
        .annotate(
            open_tasks=Count("tasks", filter=Q(tasks__status=TaskStatus.OPEN), distinct=True),
            n_reports=Count("reports", distinct=True),
        )
    )
    status = request.GET.get("status", "")
    case_type = request.GET.get("type", "")
    mine = request.GET.get("mine") == "1"
    if status in CaseStatus.values:
        cases = cases.filter(status=status)
    elif status == "active":
        cases = cases.exclude(status=CaseStatus.CLOSED)
    if case_type:
        cases = cases.filter(case_type__code=case_type)
    if mine:
        cases = cases.filter(members__user=current_user(request))
    q = request.GET.get("q", "").strip()
    if q:
        cases = cases.filter(
            Q(number__icontains=q) | Q(title__icontains=q) | Q(summary__icontains=q)
        )
    page = Paginator(cases.order_by("-opened_at", "-id"), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "cases/list.html",
        {
            "page": page,
            "statuses": CaseStatus.choices,
            "types": CaseType.objects.all(),
            "status": status,
            "type": case_type,
            "mine": mine,
            "q": q,
        },
    )


# --- open -------------------------------------------------------------------------------------


def _report_ids(raw: str) -> list[str]:
    return [part.strip() for part in raw.replace(" ", ",").split(",") if part.strip()][:50]


@access.require_roles(access.CAN_OPEN_CASES)
def new(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    raw = (
        request.POST.get("reports", "")
        if request.method == "POST"
        else request.GET.get("reports", "")
    )
    reports = []
    for pk in dict.fromkeys(_report_ids(raw)):
        reports.append(get_report(user, pk))  # 404 unless visible
    if request.method == "POST":
        form = OpenCaseForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                case = services.open_case(
                    user,
                    reports=reports,
                    case_type=data["case_type"],
                    title=data["title"],
                    lead_department=data["lead_department"],
                    members=data["members"],
                    summary=data["summary"],
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, _("Case %(number)s opened.") % {"number": case.number})
                return redirect("cases:detail", pk=case.pk)
        status = 400
    else:
        form = OpenCaseForm(initial=_initial(user, reports))
        status = 200
    return render(
        request,
        "cases/new.html",
        {
            "form": form,
            "reports": reports,
            "report_ids": ",".join(str(r.pk) for r in reports),
        },
        status=status,
    )


def _initial(user: Any, reports: list[Any]) -> dict[str, Any]:
    initial: dict[str, Any] = {"lead_department": user.department_id}
    if not reports:
        return initial
    first = reports[0]
    category = first.category or first.suggested_category
    code = CATEGORY_TO_CASE_TYPE.get(category.code if category else "", "other")
    case_type = CaseType.objects.filter(code=code).first()
    if case_type is not None:
        initial["case_type"] = case_type.pk
    who = first.victim_name or first.reporter_name
    parts = [str(category) if category else "", who]
    initial["title"] = " ".join(p for p in parts if p) or first.number
    initial["summary"] = first.narrative[:500]
    return initial


# --- detail -----------------------------------------------------------------------------------


def _task_rows(
    case: Case, bound: dict[int, TaskUpdateForm]
) -> list[tuple[Task, TaskUpdateForm, bool]]:
    """Each task with its update form (bound if it just failed) and whether it is overdue."""
    rows = []
    now = timezone.now()
    for task in case.tasks.select_related("assignee", "completed_by"):
        form = bound.get(task.pk) or TaskUpdateForm(
            case=case,
            prefix=f"task{task.pk}",
            initial={
                "status": task.status,
                "assignee": task.assignee_id,
                "due_at": timezone.localtime(task.due_at) if task.due_at else None,
            },
        )
        overdue = bool(task.due_at and task.status == TaskStatus.OPEN and task.due_at < now)
        rows.append((task, form, overdue))
    return rows


def detail_context(
    request: HttpRequest, case: Case, *, bound_tasks: dict | None = None, **forms: Any
) -> dict[str, Any]:
    user = current_user(request)
    editable = selectors.can_edit(user, case)
    record = getattr(case, "ransomware", None) if case.case_type.has_ransomware_record else None
    observables = [
        {"observable": o, "shown": display_value(o.type, o.value), "elsewhere": n}
        for o, n in selectors.case_observables(case)
    ]
    ctx: dict[str, Any] = {
        "case": case,
        "can_edit": editable,
        "reports": reports_visible_to(user)
        .filter(cases=case)
        .select_related("category", "assigned_department"),
        "hidden_reports": case.reports.count(),
        "members": case.members.select_related("user", "user__department"),
        "tasks": _task_rows(case, bound_tasks or {}),
        "timeline": case.timeline.select_related("author")[:200],
        "observables": observables,
        "record": record,
        "has_record": case.case_type.has_ransomware_record,
        "status_form": StatusForm(initial={"status": case.status}),
        "member_form": MemberForm(case=case),
        "task_form": TaskForm(case=case),
        "note_form": NoteForm(),
        "observable_form": ObservableForm(),
        "ransomware_form": RansomwareForm(instance=record)
        if record is not None
        else (RansomwareForm() if case.case_type.has_ransomware_record else None),
    }
    ctx["hidden_reports"] -= len(ctx["reports"])
    ctx.update(forms)
    if not editable and ctx["ransomware_form"] is not None:
        for field in ctx["ransomware_form"].fields.values():
            field.disabled = True
    return ctx


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    case = selectors.get_case(current_user(request), pk)
    audit.record(current_user(request), "view", case, request=request)
    return render(request, "cases/detail.html", detail_context(request, case))


def _editable_case(request: HttpRequest, pk: int) -> Case:
    case = selectors.get_case(current_user(request), pk)
    if not selectors.can_edit(current_user(request), case):
        raise PermissionDenied
    return case


def _done(request: HttpRequest, case: Case, message: str, anchor: str = "") -> HttpResponse:
    messages.success(request, message)
    url = redirect("cases:detail", pk=case.pk).url
    return redirect(f"{url}#{anchor}" if anchor else url)


def _failed(request: HttpRequest, case: Case, **forms: Any) -> HttpResponse:
    return render(request, "cases/detail.html", detail_context(request, case, **forms), status=400)


@require_POST
@login_required
def change_status(request: HttpRequest, pk: int) -> HttpResponse:
    case = _editable_case(request, pk)
    form = StatusForm(request.POST)
    if form.is_valid():
        try:
            services.change_status(case, current_user(request), form.cleaned_data["status"])
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            return _done(request, case, _("Status changed."))
    return _failed(request, case, status_form=form)


@require_POST
@login_required
def add_member(request: HttpRequest, pk: int) -> HttpResponse:
    case = _editable_case(request, pk)
    form = MemberForm(request.POST, case=case)
    if form.is_valid():
        try:
            services.add_member(
                case,
                current_user(request),
                form.cleaned_data["user"],
                form.cleaned_data["role"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            return _done(request, case, _("Member added."), "members")
    return _failed(request, case, member_form=form)


@require_POST
@login_required
def add_task(request: HttpRequest, pk: int) -> HttpResponse:
    case = _editable_case(request, pk)
    form = TaskForm(request.POST, case=case)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.add_task(
                case,
                current_user(request),
                data["title"],
                assignee=data.get("assignee"),
                due_at=data.get("due_at"),
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            return _done(request, case, _("Task added."), "tasks")
    return _failed(request, case, task_form=form)


@require_POST
@login_required
def update_task(request: HttpRequest, pk: int, task_pk: int) -> HttpResponse:
    case = _editable_case(request, pk)
    task = get_object_or_404(case.tasks, pk=task_pk)
    form = TaskUpdateForm(request.POST, case=case, prefix=f"task{task.pk}")
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.update_task(
                task,
                current_user(request),
                status=data["status"],
                assignee=data.get("assignee"),
                due_at=data.get("due_at"),
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            return _done(request, case, _("Task updated."), f"task-{task.pk}")
    return _failed(request, case, bound_tasks={task.pk: form})


@require_POST
@login_required
def update_ransomware(request: HttpRequest, pk: int) -> HttpResponse:
    case = _editable_case(request, pk)
    if not case.case_type.has_ransomware_record:
        raise Http404("this case type has no ransomware record")
    form = RansomwareForm(request.POST)
    if form.is_valid():
        try:
            services.update_ransomware_record(case, current_user(request), form.values())
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            return _done(request, case, _("Ransomware record saved."), "ransomware")
    return _failed(request, case, ransomware_form=form)


@require_POST
@login_required
def add_note(request: HttpRequest, pk: int) -> HttpResponse:
    case = _editable_case(request, pk)
    form = NoteForm(request.POST)
    if form.is_valid():
        try:
            services.add_note(case, current_user(request), form.cleaned_data["text"])
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            return _done(request, case, _("Note added."), "timeline")
    return _failed(request, case, note_form=form)


def _shown(value: str) -> str:
    try:
        obs = detect(value)
    except InvalidObservable:
        return value
    return display_value(str(obs.type), obs.value)


@require_POST
@login_required
def link_observable(request: HttpRequest, pk: int) -> HttpResponse:
    case = _editable_case(request, pk)
    form = ObservableForm(request.POST)
    if form.is_valid():
        try:
            value = services.link_observable(
                case,
                current_user(request),
                form.cleaned_data["value"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            return _done(
                request,
                case,
                _("Observable linked: %(value)s") % {"value": _shown(value)},
                "observables",
            )
    return _failed(request, case, observable_form=form)
