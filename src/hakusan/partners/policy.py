"""The one gate data passes to leave Hakusan (TAXII, STIX/MISP exports to partners, blocklists).

An observable may go to a partner when all of these hold:
- it is not flagged ``do_not_share``, not on a warninglist, not expired;
- it has at least one *eligible* sighting: not a false positive, from a source whose content we
  vouch for (``SHAREABLE_SOURCES``: feeds we imported, cases, sensors, manual entries), with a
  TLP at or below the partner's ``max_tlp``.
Report sightings are never eligible: reports are raw victim/reporter input and may hold their
personal data (an analyst shares a value from a report by linking it to a case). Partner
sightings are never relayed: what a partner sent is theirs to share.

The observable leaves marked with the *least restrictive* TLP among its eligible sightings
(that source allowed this much). Callers must not put more than the observable itself into
machine-readable output: no narratives, no reporter or victim fields."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import (
    Case,
    Exists,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.utils import timezone

from hakusan.domain.sharing import tlp as tlp_rules
from hakusan.indicators.models import Observable, Sighting

from .models import Partner

SHAREABLE_SOURCES = ("feed", "case", "sensor", "manual")

_TLP_RANK = Case(
    *(When(tlp=level, then=Value(rank)) for rank, level in enumerate(tlp_rules.LEVELS)),
    default=Value(len(tlp_rules.LEVELS)),
    output_field=IntegerField(),
)


def eligible_sightings(max_tlp: str) -> QuerySet[Sighting]:
    return Sighting.objects.filter(
        tlp__in=tlp_rules.levels_up_to(max_tlp),
        false_positive=False,
        source_kind__in=SHAREABLE_SOURCES,
    )


def shareable_observables(
    max_tlp: str,
    *,
    types: list[str] | None = None,
    now: datetime | None = None,
) -> QuerySet[Observable]:
    """Observables that may go to a recipient cleared up to ``max_tlp``, annotated with
    ``share_tlp_rank`` (index into ``tlp.LEVELS``: the level to mark them with) and
    ``share_confidence`` (highest confidence among the eligible sightings)."""
    now = now or timezone.now()
    eligible = eligible_sightings(max_tlp)
    observables = Observable.objects.filter(do_not_share=False, warninglist_hits=[]).filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=now)
    )
    if types is not None:
        observables = observables.filter(type__in=types)
    ranks = (
        eligible.filter(observable=OuterRef("pk"))
        .order_by()
        .values("observable")
        .annotate(best=Min(_TLP_RANK), confidence=Max("confidence"))
    )
    return observables.filter(Exists(eligible.filter(observable=OuterRef("pk")))).annotate(
        share_tlp_rank=Subquery(ranks.values("best")[:1]),
        share_confidence=Subquery(ranks.values("confidence")[:1]),
    )


def shareable_for(partner: Partner, **kwargs: Any) -> QuerySet[Observable]:
    if not partner.active:
        return Observable.objects.none()
    return shareable_observables(partner.max_tlp, **kwargs)


def share_tlp(observable: Observable) -> str:
    """The TLP level an observable from ``shareable_observables`` leaves with."""
    return tlp_rules.LEVELS[observable.share_tlp_rank]  # type: ignore[attr-defined]


@dataclass
class Decision:
    allowed: bool
    tlp: str | None = None
    reasons: list[str] = field(default_factory=list)


def explain(observable: Observable, partner: Partner, now: datetime | None = None) -> Decision:
    """Why an observable may or may not go to a partner (for the UI and for tests). Must agree
    with ``shareable_for``."""
    now = now or timezone.now()
    reasons = []
    if not partner.active:
        reasons.append("partner is not active")
    if observable.do_not_share:
        reasons.append("flagged do-not-share")
    if observable.warninglist_hits:
        names = ", ".join(
            hit.get("name", hit.get("slug", "")) for hit in observable.warninglist_hits
        )
        reasons.append(f"on warninglist: {names}")
    if observable.expired(now):
        reasons.append("expired")
    levels = list(
        eligible_sightings(partner.max_tlp)
        .filter(observable=observable)
        .values_list("tlp", flat=True)
    )
    if not levels:
        reasons.append(
            f"no sighting from a shareable source at or below TLP:{partner.max_tlp.upper()}"
        )
    if reasons:
        return Decision(False, None, reasons)
    return Decision(True, tlp_rules.least_restrictive(levels), [])
