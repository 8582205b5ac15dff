"""Permission-aware reads for analysis: campaigns, their cases, shared infrastructure and
timeline; campaign suggestions and similar cases for a reader; the case graph; galaxy search.

Need-to-know follows ``cases.selectors.cases_visible_to``: a case the reader may not see is
never named (no number, no title), only counted. Campaigns themselves are visible to analysts,
supervisors and administrators, and to anyone who may see one of their cases."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from hakusan.cases.choices import TimelineKind
from hakusan.cases.models import Case, TimelineEntry
from hakusan.cases.selectors import cases_visible_to
from hakusan.core.access import user_can
from hakusan.core.models import User
from hakusan.domain.attribution import GalaxyKind, Match, alias_key, packaged_index
from hakusan.indicators.models import Observable
from hakusan.intake.models import Report
from hakusan.intake.views import display_value

from . import loaders, services
from .access import CAN_ANALYSE
from .choices import TagKind
from .graph import Limits, case_graph, graph_rows
from .models import (
    ActorHypothesis,
    Campaign,
    CampaignCase,
    CampaignTag,
    CaseTag,
    SuggestionSnapshot,
    ThreatActor,
)
from .suggestions import SharedObservable, shared_observables

__all__ = ["Limits", "case_graph", "graph_rows"]

SIMILAR_MIN_SCORE = 0.1
SIMILAR_LIMIT = 8
# Suggestions are recomputed at most this often when data keeps changing.
SUGGESTIONS_MIN_AGE = timedelta(minutes=10)
SUGGESTIONS_INLINE_LIMIT = 500


# --- campaigns --------------------------------------------------------------------------------


def campaigns_visible_to(user: User) -> QuerySet[Campaign]:
    if not getattr(user, "is_authenticated", False):
        return Campaign.objects.none()
    if user_can(user, CAN_ANALYSE):
        return Campaign.objects.all()
    with_visible = CampaignCase.objects.filter(case__in=cases_visible_to(user)).values(
        "campaign_id"
    )
    return Campaign.objects.filter(pk__in=with_visible)


def get_campaign(user: User, pk: Any) -> Campaign:
    try:
        return campaigns_visible_to(user).select_related("actor", "created_by").get(pk=pk)
    except (Campaign.DoesNotExist, ValueError):
        raise Http404("campaign not found") from None


def campaign_list(user: User) -> QuerySet[Campaign]:
    visible = cases_visible_to(user).values("pk")
    return (
        campaigns_visible_to(user)
        .select_related("actor")
        .annotate(
            n_cases=Count("memberships", distinct=True),
            n_visible=Count("memberships", filter=Q(memberships__case__in=visible), distinct=True),
        )
        .order_by("-created_at", "-id")
    )


def may_change_campaigns(user: User) -> bool:
    return user_can(user, CAN_ANALYSE)


@dataclass
class CampaignCases:
    visible: list[CampaignCase]
    hidden: int

    @property
    def case_ids(self) -> list[int]:
        return [m.case_id for m in self.visible]


def campaign_cases(user: User, campaign: Campaign) -> CampaignCases:
    members = list(
        campaign.memberships.select_related("case", "case__case_type", "added_by").order_by(
            "case__opened_at", "case_id"
        )
    )
    visible_ids = set(
        cases_visible_to(user)
        .filter(pk__in=[m.case_id for m in members])
        .values_list("pk", flat=True)
    )
    shown = [m for m in members if m.case_id in visible_ids]
    return CampaignCases(shown, len(members) - len(shown))


@dataclass
class InfrastructureRow:
    shared: SharedObservable
    shown: str
    cases: list[Case]
    hidden_cases: int


def shared_infrastructure(user: User, campaign: Campaign) -> list[InfrastructureRow]:
    """Observables the campaign's cases share. Counted over all its cases; the cases named are
    the ones the reader may see."""
    all_ids = list(campaign.memberships.values_list("case_id", flat=True))
    rows = shared_observables(all_ids)
    visible = {
        c.pk: c for c in cases_visible_to(user).filter(pk__in=all_ids).only("pk", "number", "title")
    }
    out = []
    for row in rows:
        named = [visible[cid] for cid in row.case_ids if cid in visible]
        out.append(
            InfrastructureRow(
                shared=row,
                shown=display_value(row.observable.type, row.observable.value),
                cases=named,
                hidden_cases=len(row.case_ids) - len(named),
            )
        )
    return out


@dataclass
class TimelineItem:
    at: datetime
    kind: str
    text: str
    case: Case | None = None
    report: Report | None = None


def campaign_timeline(user: User, campaign: Campaign, limit: int = 500) -> list[TimelineItem]:
    """What happened, oldest first: reports received (and when the damage occurred), cases
    opened, events on the cases' timelines, the campaign's own history, first sightings of
    the shared infrastructure. Only the cases the reader may see."""
    members = campaign_cases(user, campaign)
    case_ids = members.case_ids
    items: list[TimelineItem] = []
    cases = {m.case.pk: m.case for m in members.visible}
    for case in cases.values():
        items.append(TimelineItem(case.opened_at, "case", _("Case opened"), case=case))
        if case.closed_at:
            items.append(TimelineItem(case.closed_at, "case", _("Case closed"), case=case))
    reports = Report.objects.filter(cases__in=case_ids).distinct()
    for report in reports:
        linked = cases.get(
            report.cases.filter(pk__in=case_ids).values_list("pk", flat=True).first() or 0
        )
        if report.occurred_at:
            items.append(
                TimelineItem(
                    report.occurred_at, "occurred", _("Damage occurred"), case=linked, report=report
                )
            )
        items.append(
            TimelineItem(
                report.received_at, "report", _("Report received"), case=linked, report=report
            )
        )
    for entry in TimelineEntry.objects.filter(case_id__in=case_ids, kind=TimelineKind.EVENT):
        items.append(TimelineItem(entry.at, "event", entry.text, case=cases.get(entry.case_id)))
    for row in shared_infrastructure(user, campaign)[:50]:
        if row.shared.counted:
            items.append(
                TimelineItem(
                    row.shared.observable.first_seen,
                    "observable",
                    _("First seen: %(value)s") % {"value": row.shown},
                )
            )
    items.append(TimelineItem(campaign.created_at, "campaign", _("Campaign created")))
    for hypothesis in campaign.hypotheses.select_related("actor"):
        items.append(
            TimelineItem(
                hypothesis.created_at,
                "campaign",
                _("Hypothesis: %(actor)s (%(confidence)s)")
                % {
                    "actor": hypothesis.actor.name,
                    "confidence": hypothesis.get_confidence_display(),
                },
            )
        )
    items.sort(key=lambda i: i.at)
    return items[:limit]


@dataclass
class TechniqueRow:
    uuid: str
    label: str
    external_id: str
    kind: str
    machine_tag: str
    on_campaign: bool
    cases: list[Case] = field(default_factory=list)
    tag: CampaignTag | None = None

    @property
    def kind_label(self) -> str:
        try:
            return str(TagKind(self.kind).label)
        except ValueError:
            return self.kind


def campaign_techniques(user: User, campaign: Campaign) -> list[TechniqueRow]:
    """Galaxy tags of the campaign and of its visible cases, merged by cluster."""
    rows: dict[str, TechniqueRow] = {}
    for tag in campaign.tags.all():
        rows[str(tag.cluster_uuid)] = TechniqueRow(
            str(tag.cluster_uuid),
            tag.label,
            tag.external_id,
            tag.kind,
            tag.machine_tag,
            True,
            tag=tag,
        )
    members = campaign_cases(user, campaign)
    for case_tag in CaseTag.objects.filter(case_id__in=members.case_ids).select_related("case"):
        row = rows.setdefault(
            str(case_tag.cluster_uuid),
            TechniqueRow(
                str(case_tag.cluster_uuid),
                case_tag.label,
                case_tag.external_id,
                case_tag.kind,
                case_tag.machine_tag,
                False,
            ),
        )
        if case_tag.case not in row.cases:
            row.cases.append(case_tag.case)
    order = {k: i for i, k in enumerate(GalaxyKind)}
    return sorted(rows.values(), key=lambda r: (order.get(GalaxyKind(r.kind), 9), r.label))


def hypotheses(campaign: Campaign) -> list[ActorHypothesis]:
    rank = {"high": 0, "moderate": 1, "low": 2}
    rows = list(campaign.hypotheses.select_related("actor", "created_by"))
    return sorted(rows, key=lambda h: (rank.get(h.confidence, 3), h.actor.name))


def hypothesis_evidence(
    user: User, hypothesis: ActorHypothesis, infrastructure: list[InfrastructureRow]
) -> dict[str, Any]:
    """The evidence of a hypothesis resolved for display: observables (defanged), techniques
    (from the tags) and free-text references."""
    ev = hypothesis.evidence or {}
    by_id = {row.shared.observable.pk: row for row in infrastructure}
    wanted = [int(i) for i in ev.get("observables", []) if str(i).isdigit()]
    extra = Observable.objects.in_bulk([i for i in wanted if i not in by_id])
    observables = [
        by_id[i].shown if i in by_id else display_value(extra[i].type, extra[i].value)
        for i in wanted
        if i in by_id or i in extra
    ]
    index = packaged_index()
    techniques = []
    for uuid in ev.get("techniques", []):
        cluster = index.get(str(uuid))
        if cluster is not None:
            techniques.append(cluster.label)
    return {"observables": observables, "techniques": techniques, "refs": ev.get("refs", [])}


# --- case panels ------------------------------------------------------------------------------


def case_tags(case: Case) -> list[CaseTag]:
    return list(CaseTag.objects.filter(case=case))


def campaigns_of_case(user: User, case: Case) -> list[Campaign]:
    return list(
        campaigns_visible_to(user).filter(memberships__case=case).select_related("actor").distinct()
    )


# --- suggestions ------------------------------------------------------------------------------


@dataclass
class SuggestionTie:
    observable: Observable
    shown: str
    weight: float
    cases: list[Case]
    hidden_cases: int


@dataclass
class SuggestionView:
    key: str  # the case ids, "12-15-31": what the accept form sends back
    cases: list[Case]
    score: float
    ties: list[SuggestionTie]
    campaigns: list[Campaign]  # campaigns that already hold all these cases


@dataclass
class Suggestions:
    items: list[SuggestionView]
    computed_at: datetime | None
    stale: bool
    queued: bool
    stats: dict[str, Any]
    scope: str


def _sees_all(user: User) -> bool:
    visible = cases_visible_to(user)
    return visible.count() == Case.objects.count()


def suggestions_for(user: User, *, refresh: bool = False) -> Suggestions:
    """The campaign suggestions among the cases the user may see.

    Readers who see every case share one snapshot (scope ``all``); others get their own
    (``user:<id>``). A snapshot older than the data is recomputed: inline when the scope has
    fewer than ``SUGGESTIONS_INLINE_LIMIT`` cases, otherwise by the
    ``analysis.suggest_campaigns`` job (at most every ``SUGGESTIONS_MIN_AGE``) while the old
    one is shown, marked stale."""
    from .jobs import queue_once

    sees_all = _sees_all(user)
    scope = "all" if sees_all else f"user:{user.pk}"
    fingerprint = loaders.fingerprint()
    snapshot = SuggestionSnapshot.objects.filter(scope=scope).first()
    stale = snapshot is None or snapshot.fingerprint != fingerprint
    queued = False
    if stale or refresh:
        visible_ids = (
            None if sees_all else list(cases_visible_to(user).values_list("pk", flat=True))
        )
        n = Case.objects.count() if visible_ids is None else len(visible_ids)
        if n < SUGGESTIONS_INLINE_LIMIT:
            snapshot = services.refresh_suggestions(scope, visible_ids, fingerprint, user=user)
            stale = False
        else:
            young = snapshot is not None and timezone.now() - snapshot.computed_at < (
                SUGGESTIONS_MIN_AGE
            )
            if refresh or not young:
                params: dict[str, Any] = {"scope": scope}
                if not sees_all:
                    params["user_id"] = user.pk
                queued = queue_once("analysis.suggest_campaigns", params, user=user)
    if snapshot is None:
        return Suggestions([], None, True, queued, {}, scope)
    return Suggestions(
        _resolve(user, snapshot.suggestions),
        snapshot.computed_at,
        stale,
        queued,
        snapshot.stats,
        scope,
    )


def _resolve(user: User, raw: list[dict[str, Any]]) -> list[SuggestionView]:
    """Snapshot ids to objects, keeping only what the reader may see (a snapshot of another
    scope is never used, so this only drops cases deleted since)."""
    case_ids = {cid for s in raw for cid in s["case_ids"]}
    obs_ids = {t["observable_id"] for s in raw for t in s["ties"]}
    cases = {c.pk: c for c in cases_visible_to(user).filter(pk__in=case_ids)}
    observables = Observable.objects.in_bulk(list(obs_ids))
    membership: dict[int, set[int]] = {}
    for campaign_id, case_id in CampaignCase.objects.filter(case_id__in=case_ids).values_list(
        "campaign_id", "case_id"
    ):
        membership.setdefault(campaign_id, set()).add(case_id)
    campaigns = Campaign.objects.in_bulk(list(membership))
    out = []
    for s in raw:
        shown = [cases[cid] for cid in s["case_ids"] if cid in cases]
        if len(shown) < 2:
            continue
        ties = []
        for t in s["ties"]:
            obs = observables.get(t["observable_id"])
            if obs is None:
                continue
            named = [cases[cid] for cid in t["case_ids"] if cid in cases]
            ties.append(
                SuggestionTie(
                    obs,
                    display_value(obs.type, obs.value),
                    float(t["weight"]),
                    named,
                    len(t["case_ids"]) - len(named),
                )
            )
        ids = {c.pk for c in shown}
        holding = [campaigns[k] for k, members in membership.items() if ids <= members]
        out.append(
            SuggestionView(
                key="-".join(str(c.pk) for c in shown),
                cases=shown,
                score=float(s["score"]),
                ties=ties,
                campaigns=holding,
            )
        )
    return out


def find_suggestion(user: User, key: str) -> SuggestionView | None:
    snapshot_scope = "all" if _sees_all(user) else f"user:{user.pk}"
    snapshot = SuggestionSnapshot.objects.filter(scope=snapshot_scope).first()
    if snapshot is None:
        return None
    for item in _resolve(user, snapshot.suggestions):
        if item.key == key:
            return item
    return None


# --- similar cases ----------------------------------------------------------------------------


@dataclass
class SimilarRow:
    case: Case
    score: float
    text_score: float
    shared_terms: list[str]
    shared_observables: list[str]  # defanged "type: value"


@dataclass
class SimilarCases:
    rows: list[SimilarRow]
    available: bool  # False while the index is being built for the first time
    stale: bool
    built_at: datetime | None


def similar_cases(
    user: User,
    case: Case,
    *,
    limit: int = SIMILAR_LIMIT,
    min_score: float = SIMILAR_MIN_SCORE,
) -> SimilarCases:
    """Cases like this one (narratives and observables), best first, above ``min_score``, with
    the reasons; only cases the user may see."""
    from . import similarity

    current = similarity.current()
    if current.stored is None:
        return SimilarCases([], False, True, None)
    index = current.stored.index
    query = similarity.case_texts([case.pk])
    if not query:
        return SimilarCases([], True, current.stale, current.stored.built_at)
    q = query[0]
    found = index.similar(q.text, q.observables, k=max(limit * 5, 50), exclude=case.pk)
    found = [f for f in found if f.score >= min_score]
    visible = {
        c.pk: c
        for c in cases_visible_to(user)
        .filter(pk__in=[f.case_id for f in found])
        .select_related("case_type")
    }
    rows = []
    for f in found:
        other = visible.get(f.case_id)
        if other is None:
            continue
        rows.append(
            SimilarRow(
                case=other,
                score=f.score,
                text_score=f.text_score,
                shared_terms=list(f.shared_terms),
                shared_observables=[_shown_pair(o) for o in f.shared_observables],
            )
        )
        if len(rows) == limit:
            break
    return SimilarCases(rows, True, current.stale, current.stored.built_at)


def _shown_pair(pair: str) -> str:
    kind, _sep, value = pair.partition(":")
    return f"{kind}: {display_value(kind, value)}"


# --- knowledge (galaxies) ---------------------------------------------------------------------


def search_knowledge(query: str, kinds: list[str] | None = None, limit: int = 25) -> list[Match]:
    return packaged_index().search(query, kinds=kinds or None, limit=limit)


def actors_matching(query: str, limit: int = 50) -> list[ThreatActor]:
    """Actors whose name or an alias contains the query, compared as alias keys ("apt 10"
    finds "APT10"); exact names and aliases first."""
    actors = list(ThreatActor.objects.order_by("name"))
    key = alias_key(query)
    if not key:
        return actors[:limit]
    ranked = []
    for actor in actors:
        keys = [alias_key(actor.name), *(alias_key(str(a)) for a in actor.aliases or [])]
        if key in keys:
            ranked.append((0, actor.name.casefold(), actor))
        elif any(key in k for k in keys):
            ranked.append((1, actor.name.casefold(), actor))
    ranked.sort(key=lambda r: (r[0], r[1]))
    return [actor for _r, _n, actor in ranked[:limit]]
