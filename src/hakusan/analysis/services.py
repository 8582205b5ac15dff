"""Analysis writes: campaigns and their cases, threat actors, attribution hypotheses, galaxy
tags on cases and campaigns, suggestion snapshots, and the audit of report exports. One
transaction each, audited.

Callers pass objects they have read through the selectors (visible to the user); the services
check the role (``analysis.access.CAN_ANALYSE`` for campaigns, actors and hypotheses) and, for
cases, visibility again: a campaign never gets a case its creator may not see."""

from collections.abc import Iterable, Sequence
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hakusan.cases.models import Case
from hakusan.cases.selectors import can_edit, cases_visible_to
from hakusan.core import audit
from hakusan.core.access import user_can
from hakusan.core.choices import TLP
from hakusan.core.models import User
from hakusan.domain.attribution import GalaxyCluster, GalaxyKind, packaged_index

from . import suggestions as suggestion_engine
from .access import CAN_ANALYSE
from .choices import ActorSource, CampaignStatus, Confidence
from .models import (
    ActorHypothesis,
    Campaign,
    CampaignCase,
    CampaignTag,
    CaseTag,
    SuggestionSnapshot,
    ThreatActor,
)

_TLP_ORDER = ["clear", "green", "amber", "amber+strict", "red"]


def _require_analyst(user: User) -> None:
    if not user_can(user, CAN_ANALYSE):
        raise PermissionDenied(_("only analysts, supervisors and administrators may do this"))


def _strictest(levels: Iterable[str]) -> str:
    known = [level for level in levels if level in _TLP_ORDER]
    return max(known, key=_TLP_ORDER.index) if known else TLP.AMBER


def _check_visible(user: User, cases: Sequence[Case]) -> None:
    ids = {c.pk for c in cases}
    visible = set(cases_visible_to(user).filter(pk__in=ids).values_list("pk", flat=True))
    if ids - visible:
        raise ValidationError({"cases": _("a case you may not see cannot be added")})


def _cluster(cluster_uuid: Any) -> GalaxyCluster:
    cluster = packaged_index().get(str(cluster_uuid))
    if cluster is None:
        raise ValidationError({"cluster": _("unknown galaxy cluster")})
    return cluster


# --- threat actors ----------------------------------------------------------------------------


def create_actor(
    user: User,
    *,
    name: str,
    aliases: Iterable[str] = (),
    description: str = "",
    country: str = "",
) -> ThreatActor:
    """An actor entered by hand (not in any galaxy)."""
    _require_analyst(user)
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("an actor needs a name")})
    if ThreatActor.objects.filter(name__iexact=name).exists():
        raise ValidationError({"name": _("an actor with this name exists")})
    with transaction.atomic():
        actor = ThreatActor.objects.create(
            name=name,
            aliases=[a.strip() for a in aliases if a.strip()],
            description=description.strip(),
            country=country.strip()[:10],
            source=ActorSource.MANUAL,
            created_by=user,
        )
        audit.record(user, "create", actor, detail={"name": name, "source": "manual"})
    return actor


def actor_from_galaxy(user: User, cluster_uuid: Any) -> ThreatActor:
    """The actor for a galaxy cluster of actors (intrusion set, threat actor), created on first
    use with its aliases."""
    _require_analyst(user)
    cluster = _cluster(cluster_uuid)
    if cluster.kind != GalaxyKind.ACTOR:
        raise ValidationError({"cluster": _("this galaxy cluster is not a threat actor")})
    existing = ThreatActor.objects.filter(galaxy_uuid=cluster.uuid).first()
    if existing is not None:
        return existing
    name = cluster.name
    if ThreatActor.objects.filter(name__iexact=name).exists():
        name = f"{cluster.name} ({cluster.external_id or cluster.galaxy})"
    with transaction.atomic():
        actor = ThreatActor.objects.create(
            name=name,
            aliases=list(cluster.aliases),
            description=cluster.description[:4000],
            galaxy_uuid=cluster.uuid,
            galaxy=cluster.galaxy,
            external_id=cluster.external_id,
            country=cluster.country[:10],
            source=ActorSource.GALAXY,
            created_by=user,
        )
        audit.record(
            user, "create", actor, detail={"name": name, "source": "galaxy", "uuid": cluster.uuid}
        )
    return actor


# --- campaigns --------------------------------------------------------------------------------


def _evidence_for(case: Case, ties: Sequence[dict[str, Any]], extra: dict[str, Any]) -> dict:
    mine = [t for t in ties if case.pk in t.get("case_ids", ())]
    return {**extra, "ties": mine}


def create_campaign(
    user: User,
    *,
    name: str,
    description: str = "",
    cases: Sequence[Case] = (),
    actor: ThreatActor | None = None,
    tlp: str | None = None,
    source: str = "manual",
    score: float | None = None,
) -> Campaign:
    """A named campaign of cases (from an accepted suggestion or by hand). Each case keeps the
    evidence that ties it to the others: the observables it shares with them."""
    _require_analyst(user)
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("a campaign needs a name")})
    if Campaign.objects.filter(name__iexact=name).exists():
        raise ValidationError({"name": _("a campaign with this name exists")})
    if tlp is not None and tlp not in TLP.values:
        raise ValidationError({"tlp": _("unknown TLP")})
    cases = list(dict.fromkeys(cases))
    _check_visible(user, cases)
    ties = [s.as_evidence() for s in suggestion_engine.shared_observables([c.pk for c in cases])]
    extra: dict[str, Any] = {"source": source}
    if score is not None:
        extra["score"] = round(float(score), 4)
    try:
        with transaction.atomic():
            campaign = Campaign.objects.create(
                name=name,
                description=description.strip(),
                tlp=tlp or _strictest(c.tlp for c in cases),
                actor=actor,
                created_by=user,
            )
            CampaignCase.objects.bulk_create(
                [
                    CampaignCase(
                        campaign=campaign,
                        case=case,
                        added_by=user,
                        evidence=_evidence_for(case, ties, extra),
                    )
                    for case in cases
                ]
            )
            audit.record(
                user,
                "create",
                campaign,
                detail={
                    "name": name,
                    "cases": [c.number for c in cases],
                    "actor": actor.name if actor else None,
                    "source": source,
                    "ties": len(ties),
                },
            )
    except IntegrityError:
        raise ValidationError({"name": _("a campaign with this name exists")}) from None
    return campaign


def add_cases(campaign: Campaign, user: User, cases: Sequence[Case]) -> list[CampaignCase]:
    _require_analyst(user)
    cases = [c for c in dict.fromkeys(cases) if not campaign.memberships.filter(case=c).exists()]
    if not cases:
        return []
    _check_visible(user, cases)
    all_ids = list(campaign.memberships.values_list("case_id", flat=True)) + [c.pk for c in cases]
    ties = [s.as_evidence() for s in suggestion_engine.shared_observables(all_ids)]
    with transaction.atomic():
        rows = [
            CampaignCase.objects.create(
                campaign=campaign,
                case=case,
                added_by=user,
                evidence=_evidence_for(case, ties, {"source": "manual"}),
            )
            for case in cases
        ]
        campaign.save(update_fields=["updated_at"])
        audit.record(user, "add_cases", campaign, detail={"cases": [c.number for c in cases]})
    return rows


def remove_case(campaign: Campaign, user: User, case: Case) -> None:
    _require_analyst(user)
    _check_visible(user, [case])
    with transaction.atomic():
        deleted, _rows = CampaignCase.objects.filter(campaign=campaign, case=case).delete()
        if deleted:
            campaign.save(update_fields=["updated_at"])
            audit.record(user, "remove_case", campaign, detail={"case": case.number})


_UNCHANGED: Any = object()


def update_campaign(
    campaign: Campaign,
    user: User,
    *,
    name: str | None = None,
    description: str | None = None,
    status: str | None = None,
    tlp: str | None = None,
    actor: Any = _UNCHANGED,
) -> Campaign:
    """Change what is given (``actor=None`` unties the actor)."""
    _require_analyst(user)
    changes: dict[str, Any] = {}
    if name is not None and name.strip() != campaign.name:
        name = name.strip()
        if not name:
            raise ValidationError({"name": _("a campaign needs a name")})
        if Campaign.objects.filter(name__iexact=name).exclude(pk=campaign.pk).exists():
            raise ValidationError({"name": _("a campaign with this name exists")})
        campaign.name = changes["name"] = name
    if description is not None and description.strip() != campaign.description:
        campaign.description = description.strip()
        changes["description"] = True
    if status is not None and status != campaign.status:
        if status not in CampaignStatus.values:
            raise ValidationError({"status": _("unknown campaign status")})
        campaign.status = changes["status"] = status
    if tlp is not None and tlp != campaign.tlp:
        if tlp not in TLP.values:
            raise ValidationError({"tlp": _("unknown TLP")})
        campaign.tlp = changes["tlp"] = tlp
    if actor is not _UNCHANGED and actor != campaign.actor:
        campaign.actor = actor
        changes["actor"] = actor.name if actor else None
    if not changes:
        return campaign
    with transaction.atomic():
        campaign.save()
        audit.record(user, "update", campaign, detail=changes)
    return campaign


def add_hypothesis(
    campaign: Campaign,
    user: User,
    *,
    actor: ThreatActor,
    confidence: str,
    rationale: str,
    evidence: dict[str, Any] | None = None,
) -> ActorHypothesis:
    """ "The campaign is the work of this actor", with confidence and evidence (replaces an
    earlier hypothesis on the same actor)."""
    _require_analyst(user)
    if confidence not in Confidence.values:
        raise ValidationError({"confidence": _("choose low, moderate or high confidence")})
    rationale = rationale.strip()
    if not rationale:
        raise ValidationError({"rationale": _("explain the hypothesis")})
    evidence = evidence or {}
    with transaction.atomic():
        hypothesis, created = ActorHypothesis.objects.update_or_create(
            campaign=campaign,
            actor=actor,
            defaults={
                "confidence": confidence,
                "rationale": rationale,
                "evidence": evidence,
                "created_by": user,
            },
        )
        campaign.save(update_fields=["updated_at"])
        audit.record(
            user,
            "hypothesis",
            campaign,
            detail={
                "actor": actor.name,
                "confidence": confidence,
                "created": created,
                "evidence": {k: len(v) for k, v in evidence.items() if isinstance(v, list)},
            },
        )
    return hypothesis


def remove_hypothesis(campaign: Campaign, user: User, hypothesis: ActorHypothesis) -> None:
    _require_analyst(user)
    with transaction.atomic():
        actor = hypothesis.actor.name
        hypothesis.delete()
        audit.record(user, "remove_hypothesis", campaign, detail={"actor": actor})


# --- galaxy tags ------------------------------------------------------------------------------


def may_tag_case(user: User, case: Case) -> bool:
    """Members, the lead department's supervisors, administrators, and analysts."""
    return user_can(user, CAN_ANALYSE) or can_edit(user, case)


def _tag_fields(cluster: GalaxyCluster) -> dict[str, Any]:
    return {
        "galaxy": cluster.galaxy,
        "kind": str(cluster.kind),
        "value": cluster.value[:300],
        "name": cluster.name[:300],
        "external_id": cluster.external_id[:20],
    }


def tag_case(case: Case, user: User, cluster_uuid: Any) -> CaseTag:
    if not may_tag_case(user, case):
        raise PermissionDenied
    cluster = _cluster(cluster_uuid)
    with transaction.atomic():
        tag, created = CaseTag.objects.get_or_create(
            case=case,
            cluster_uuid=cluster.uuid,
            defaults={**_tag_fields(cluster), "added_by": user},
        )
        if created:
            audit.record(user, "tag", case, detail={"tag": cluster.tag})
    return tag


def untag_case(case: Case, user: User, tag: CaseTag) -> None:
    if not may_tag_case(user, case) or tag.case_id != case.pk:
        raise PermissionDenied
    with transaction.atomic():
        label = tag.machine_tag
        tag.delete()
        audit.record(user, "untag", case, detail={"tag": label})


def tag_campaign(campaign: Campaign, user: User, cluster_uuid: Any) -> CampaignTag:
    _require_analyst(user)
    cluster = _cluster(cluster_uuid)
    with transaction.atomic():
        tag, created = CampaignTag.objects.get_or_create(
            campaign=campaign,
            cluster_uuid=cluster.uuid,
            defaults={**_tag_fields(cluster), "added_by": user},
        )
        if created:
            audit.record(user, "tag", campaign, detail={"tag": cluster.tag})
    return tag


def untag_campaign(campaign: Campaign, user: User, tag: CampaignTag) -> None:
    _require_analyst(user)
    if tag.campaign_id != campaign.pk:
        raise PermissionDenied
    with transaction.atomic():
        label = tag.machine_tag
        tag.delete()
        audit.record(user, "untag", campaign, detail={"tag": label})


# --- exports and computed snapshots -----------------------------------------------------------


def record_export(user: User, campaign: Campaign, fmt: str, request: Any = None) -> None:
    """Every attribution report export (HTML or PDF) is audited."""
    audit.record(user, "export", campaign, detail={"format": fmt}, request=request)


def refresh_suggestions(
    scope: str,
    case_ids: Iterable[int] | None,
    fingerprint: str,
    *,
    user: User | None = None,
    audited: bool = True,
) -> SuggestionSnapshot:
    """Recompute the campaign suggestions of a scope and store them (one row per scope)."""
    computed = suggestion_engine.compute(case_ids)
    with transaction.atomic():
        snapshot, _created = SuggestionSnapshot.objects.update_or_create(
            scope=scope,
            defaults={
                "fingerprint": fingerprint,
                "computed_at": timezone.now(),
                "case_count": computed.case_count,
                "suggestions": computed.suggestions,
                "stats": computed.stats,
                "params": computed.params,
            },
        )
        if audited:
            audit.record(
                user,
                "compute_suggestions",
                object_type="analysis.suggestionsnapshot",
                object_id=snapshot.pk,
                detail={"scope": scope, **computed.stats},
            )
    return snapshot
