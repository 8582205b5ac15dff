"""Analysis pages: campaigns (list, detail, attribution report in HTML and PDF), campaign
suggestions, the threat knowledge search (ATT&CK, actors, malware), and the case page's panels
(graph, similar cases, galaxy tags). Reads through ``analysis.selectors``; writes through
``analysis.services``."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from hakusan.cases.selectors import get_case
from hakusan.core import audit
from hakusan.domain.attribution import GalaxyKind
from hakusan.intake.views import apply_service_errors, current_user, is_htmx

from . import selectors, services
from .choices import TagKind
from .forms import (
    AcceptSuggestionForm,
    ActorForm,
    AddCasesForm,
    CampaignForm,
    CampaignUpdateForm,
    HypothesisForm,
    TagForm,
)
from .models import Campaign, CaseTag

KIND_CHOICES = TagKind.choices


def _require_analyst(request: HttpRequest) -> None:
    if not selectors.may_change_campaigns(current_user(request)):
        raise PermissionDenied


# --- campaigns --------------------------------------------------------------------------------


@login_required
def index(request: HttpRequest) -> HttpResponse:
    return redirect("analysis:campaigns")


@login_required
def campaign_list(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    form = None
    status = 200
    if request.method == "POST":
        _require_analyst(request)
        form = CampaignForm(request.POST, user=user)
        if form.is_valid():
            data = form.cleaned_data
            try:
                campaign = services.create_campaign(
                    user,
                    name=data["name"],
                    description=data["description"],
                    cases=data["cases"],
                    actor=data["actor"],
                    tlp=data["tlp"],
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, _("Campaign “%(name)s” created.") % {"name": campaign})
                return redirect("analysis:campaign", pk=campaign.pk)
        status = 400
    elif selectors.may_change_campaigns(user):
        form = CampaignForm(user=user)
    return render(
        request,
        "analysis/campaign_list.html",
        {"campaigns": selectors.campaign_list(user), "form": form},
        status=status,
    )


def _campaign_context(request: HttpRequest, campaign: Campaign, **forms: Any) -> dict[str, Any]:
    user = current_user(request)
    members = selectors.campaign_cases(user, campaign)
    infrastructure = selectors.shared_infrastructure(user, campaign)
    techniques = selectors.campaign_techniques(user, campaign)
    may_change = selectors.may_change_campaigns(user)
    hypotheses = [
        (h, selectors.hypothesis_evidence(user, h, infrastructure))
        for h in selectors.hypotheses(campaign)
    ]
    ctx: dict[str, Any] = {
        "campaign": campaign,
        "members": members,
        "infrastructure": infrastructure,
        "timeline": selectors.campaign_timeline(user, campaign),
        "techniques": techniques,
        "hypotheses": hypotheses,
        "may_change": may_change,
        "now": timezone.now(),
    }
    if may_change:
        ctx["update_form"] = CampaignUpdateForm(
            user=user,
            initial={
                "name": campaign.name,
                "description": campaign.description,
                "status": campaign.status,
                "tlp": campaign.tlp,
                "actor": campaign.actor.name if campaign.actor else "",
            },
        )
        ctx["cases_form"] = AddCasesForm(user=user)
        ctx["hypothesis_form"] = _hypothesis_form(
            user, infrastructure, techniques, initial={"actor": campaign.actor or ""}
        )
    ctx.update(forms)
    return ctx


def _hypothesis_form(
    user: Any, infrastructure: list, techniques: list, data: Any = None, **kwargs: Any
) -> HypothesisForm:
    observables = [
        (str(row.shared.observable.pk), f"{row.shared.observable.type}: {row.shown}")
        for row in infrastructure
        if row.shared.counted
    ][:50]
    return HypothesisForm(
        data,
        user=user,
        observables=observables,
        techniques=[(row.uuid, row.label) for row in techniques],
        **kwargs,
    )


@login_required
def campaign_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    campaign = selectors.get_campaign(user, pk)
    audit.record(user, "view", campaign, request=request)
    return render(request, "analysis/campaign_detail.html", _campaign_context(request, campaign))


def _changeable(request: HttpRequest, pk: int) -> Campaign:
    _require_analyst(request)
    return selectors.get_campaign(current_user(request), pk)


def _failed(request: HttpRequest, campaign: Campaign, **forms: Any) -> HttpResponse:
    return render(
        request,
        "analysis/campaign_detail.html",
        _campaign_context(request, campaign, **forms),
        status=400,
    )


@require_POST
@login_required
def campaign_update(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = _changeable(request, pk)
    user = current_user(request)
    form = CampaignUpdateForm(request.POST, user=user)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.update_campaign(
                campaign,
                user,
                name=data["name"],
                description=data["description"],
                status=data["status"],
                tlp=data["tlp"],
                actor=data["actor"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Campaign updated."))
            return redirect("analysis:campaign", pk=campaign.pk)
    return _failed(request, campaign, update_form=form)


@require_POST
@login_required
def campaign_add_cases(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = _changeable(request, pk)
    user = current_user(request)
    form = AddCasesForm(request.POST, user=user)
    if form.is_valid():
        try:
            added = services.add_cases(campaign, user, form.cleaned_data["cases"])
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("%(n)d case(s) added to the campaign.") % {"n": len(added)})
            return redirect("analysis:campaign", pk=campaign.pk)
    return _failed(request, campaign, cases_form=form)


@require_POST
@login_required
def campaign_remove_case(request: HttpRequest, pk: int, case_pk: int) -> HttpResponse:
    campaign = _changeable(request, pk)
    user = current_user(request)
    case = get_case(user, case_pk)
    services.remove_case(campaign, user, case)
    messages.success(
        request, _("Case %(number)s removed from the campaign.") % {"number": case.number}
    )
    return redirect("analysis:campaign", pk=campaign.pk)


@require_POST
@login_required
def campaign_tag(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = _changeable(request, pk)
    form = TagForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a technique, actor or malware from the list."))
    else:
        try:
            tag = services.tag_campaign(
                campaign, current_user(request), form.cleaned_data["cluster"]
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Tagged: %(tag)s") % {"tag": tag.label})
    return redirect(f"{redirect('analysis:campaign', pk=campaign.pk).url}#techniques")


@require_POST
@login_required
def campaign_untag(request: HttpRequest, pk: int, tag_pk: int) -> HttpResponse:
    campaign = _changeable(request, pk)
    tag = get_object_or_404(campaign.tags, pk=tag_pk)
    services.untag_campaign(campaign, current_user(request), tag)
    return redirect(f"{redirect('analysis:campaign', pk=campaign.pk).url}#techniques")


@require_POST
@login_required
def add_hypothesis(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = _changeable(request, pk)
    user = current_user(request)
    infrastructure = selectors.shared_infrastructure(user, campaign)
    techniques = selectors.campaign_techniques(user, campaign)
    form = _hypothesis_form(user, infrastructure, techniques, request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.add_hypothesis(
                campaign,
                user,
                actor=data["actor"],
                confidence=data["confidence"],
                rationale=data["rationale"],
                evidence=form.evidence(),
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Hypothesis recorded."))
            return redirect(f"{redirect('analysis:campaign', pk=campaign.pk).url}#hypotheses")
    return _failed(request, campaign, hypothesis_form=form)


@require_POST
@login_required
def remove_hypothesis(request: HttpRequest, pk: int, hypothesis_pk: int) -> HttpResponse:
    campaign = _changeable(request, pk)
    hypothesis = get_object_or_404(campaign.hypotheses, pk=hypothesis_pk)
    services.remove_hypothesis(campaign, current_user(request), hypothesis)
    return redirect(f"{redirect('analysis:campaign', pk=campaign.pk).url}#hypotheses")


# --- attribution report -----------------------------------------------------------------------


def _report_context(request: HttpRequest, campaign: Campaign, fmt: str) -> dict[str, Any]:
    ctx = _campaign_context(request, campaign)
    ctx.update(
        {
            "format": fmt,
            "generated_at": timezone.now(),
            "generated_by": current_user(request),
        }
    )
    return ctx


@login_required
def report(request: HttpRequest, pk: int) -> HttpResponse:
    """The attribution report, printable (A4), in Japanese by default."""
    user = current_user(request)
    campaign = selectors.get_campaign(user, pk)
    services.record_export(user, campaign, "html", request=request)
    return render(request, "analysis/report.html", _report_context(request, campaign, "html"))


@login_required
def report_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    campaign = selectors.get_campaign(user, pk)
    html = render_to_string(
        "analysis/report.html", _report_context(request, campaign, "pdf"), request=request
    )
    try:
        from weasyprint import HTML
    except (ImportError, OSError) as exc:  # pango missing on this machine
        return HttpResponse(
            _("PDF export is not available on this server: %(error)s") % {"error": exc},
            status=503,
            content_type="text/plain; charset=utf-8",
        )
    pdf = HTML(string=html, base_url=request.build_absolute_uri("/")).write_pdf()
    services.record_export(user, campaign, "pdf", request=request)
    response = HttpResponse(pdf, content_type="application/pdf")
    stamp = timezone.localtime().strftime("%Y%m%d")
    response["Content-Disposition"] = (
        f'attachment; filename="attribution-{campaign.pk}-{stamp}.pdf"'
    )
    return response


# --- suggestions ------------------------------------------------------------------------------


@login_required
def suggestions(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    refresh = request.GET.get("refresh") == "1" and selectors.may_change_campaigns(user)
    result = selectors.suggestions_for(user, refresh=refresh)
    may_accept = selectors.may_change_campaigns(user)
    forms = {}
    if may_accept:
        today = timezone.localdate().strftime("%Y%m%d")
        for i, item in enumerate(result.items, 1):
            forms[item.key] = AcceptSuggestionForm(
                user=user,
                prefix=f"s{i}",
                initial={
                    "key": item.key,
                    "name": _("Campaign %(date)s-%(n)d") % {"date": today, "n": i},
                },
            )
    return render(
        request,
        "analysis/suggestions.html",
        {
            "result": result,
            "rows": [(item, forms.get(item.key)) for item in result.items],
            "may_accept": may_accept,
        },
    )


@require_POST
@login_required
def accept_suggestion(request: HttpRequest) -> HttpResponse:
    _require_analyst(request)
    user = current_user(request)
    prefix = request.POST.get("prefix", "")
    form = AcceptSuggestionForm(request.POST, user=user, prefix=prefix or None)
    if form.is_valid():
        data = form.cleaned_data
        item = selectors.find_suggestion(user, data["key"])
        if item is None:
            messages.error(
                request, _("This suggestion is no longer current; the list was recomputed.")
            )
            return redirect("analysis:suggestions")
        try:
            campaign = services.create_campaign(
                user,
                name=data["name"],
                description=data["description"],
                cases=item.cases,
                actor=data["actor"],
                source="suggestion",
                score=item.score,
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Campaign “%(name)s” created.") % {"name": campaign})
            return redirect("analysis:campaign", pk=campaign.pk)
    errors = "; ".join(f"{e}" for errs in form.errors.values() for e in errs)
    messages.error(request, _("The campaign was not created: %(errors)s") % {"errors": errors})
    return redirect("analysis:suggestions")


# --- threat knowledge -------------------------------------------------------------------------


def _kinds(request: HttpRequest) -> list[str]:
    kind = request.GET.get("kind", "")
    return [kind] if kind in GalaxyKind._value2member_map_ else []


@login_required
def knowledge(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    kinds = _kinds(request)
    matches = selectors.search_knowledge(query, kinds, limit=50) if query else []
    return render(
        request,
        "analysis/knowledge.html",
        {
            "q": query,
            "kind": kinds[0] if kinds else "",
            "kinds": KIND_CHOICES,
            "matches": matches,
            "actors": selectors.actors_matching(query) if query else [],
            "may_change": selectors.may_change_campaigns(current_user(request)),
        },
    )


@login_required
def autocomplete(request: HttpRequest) -> HttpResponse:
    """htmx: galaxy clusters for a typed name or alias. ``target`` says what picking one does:
    ``case:<id>`` / ``campaign:<id>`` tag it (a form per match), ``actor`` fills the actor
    field."""
    query = str(request.GET.get("q", ""))
    if not query:  # an actor field sends its own name ("actor", "s1-actor")
        query = next((str(v) for k, v in request.GET.items() if k.endswith("actor")), "")
    query = query.strip()
    target = request.GET.get("target", "")
    kinds = _kinds(request)
    if target == "actor":
        kinds = [GalaxyKind.ACTOR]
    matches = selectors.search_knowledge(query, kinds, limit=12) if len(query) >= 2 else []
    action = ""
    if target.startswith("case:") and target[5:].isdigit():
        action = f"/analysis/cases/{int(target[5:])}/tags/"
    elif target.startswith("campaign:") and target[9:].isdigit():
        action = f"/analysis/campaigns/{int(target[9:])}/tags/"
    return render(
        request,
        "analysis/_autocomplete.html",
        {"matches": matches, "q": query, "target": target, "action": action},
    )


@login_required
def actors(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    query = request.GET.get("q", "").strip()
    form = ActorForm() if selectors.may_change_campaigns(user) else None
    status = 200
    if request.method == "POST":
        _require_analyst(request)
        if request.POST.get("cluster"):
            tag = TagForm(request.POST)
            if tag.is_valid():
                try:
                    actor = services.actor_from_galaxy(user, tag.cleaned_data["cluster"])
                except ValidationError as exc:
                    messages.error(request, " ".join(exc.messages))
                else:
                    messages.success(request, _("Actor “%(name)s” recorded.") % {"name": actor})
            return redirect("analysis:actors")
        form = ActorForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                actor = services.create_actor(
                    user,
                    name=data["name"],
                    aliases=form.alias_list(),
                    description=data["description"],
                    country=data["country"],
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, _("Actor “%(name)s” recorded.") % {"name": actor})
                return redirect("analysis:actors")
        status = 400
    return render(
        request,
        "analysis/actors.html",
        {"actors": selectors.actors_matching(query, limit=500), "q": query, "form": form},
        status=status,
    )


# --- case panels ------------------------------------------------------------------------------


@login_required
def case_graph(request: HttpRequest, pk: int) -> HttpResponse:
    """The case's neighbourhood: a Cytoscape canvas and the same data as a table (an htmx
    fragment on the case page; a page of its own otherwise)."""
    user = current_user(request)
    case = get_case(user, pk)
    graph = selectors.case_graph(user, case)
    ctx = {
        "case": case,
        "graph": graph,
        "rows": selectors.graph_rows(graph),
        "graph_json_id": f"case-graph-data-{case.pk}",
    }
    template = "analysis/_case_graph.html" if is_htmx(request) else "analysis/case_graph.html"
    return render(request, template, ctx)


@login_required
def case_graph_json(request: HttpRequest, pk: int) -> JsonResponse:
    user = current_user(request)
    case = get_case(user, pk)
    return JsonResponse(selectors.case_graph(user, case), json_dumps_params={"ensure_ascii": False})


@login_required
def case_similar(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    case = get_case(user, pk)
    return render(
        request,
        "analysis/_similar.html",
        {"case": case, "similar": selectors.similar_cases(user, case)},
    )


@require_POST
@login_required
def case_tag(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    case = get_case(user, pk)
    if not services.may_tag_case(user, case):
        raise PermissionDenied
    form = TagForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a technique, actor or malware from the list."))
    else:
        try:
            tag = services.tag_case(case, user, form.cleaned_data["cluster"])
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Tagged: %(tag)s") % {"tag": tag.label})
    return redirect(f"{redirect('cases:detail', pk=case.pk).url}#attack-tags")


@require_POST
@login_required
def case_untag(request: HttpRequest, pk: int, tag_pk: int) -> HttpResponse:
    user = current_user(request)
    case = get_case(user, pk)
    tag = get_object_or_404(CaseTag, case=case, pk=tag_pk)
    services.untag_case(case, user, tag)
    return redirect(f"{redirect('cases:detail', pk=case.pk).url}#attack-tags")
