"""Indicator lifecycle: a score that fades with age, per observable type.

Nothing is deleted and nothing expires here: the score only ranks and filters. Expiry (hiding an
indicator from exports) is a date on the indicator, applied by the sharing layer; analysis keeps
seeing every value with its history.

The score, in [0, 1]::

    score = confidence/100 × age_factor × fp_factor

    age_factor = max(floor, 0.5 ** (age_days / half_life_days))   (1.0 when half_life is None)
    fp_factor  = false_positive_penalty ** (false_positives / max(1, count - false_positives))

- ``age_days`` counts from the last sighting (a last sighting in the future, clock skew, counts
  as age 0). At one half-life the score halves, at two it quarters: exponential decay as in
  MISP's decaying models, with one readable parameter per type.
- ``count`` is the number of sightings *including* those marked false positive, so
  ``count - false_positives`` are the sightings that stood. The exponent is the false-positive
  *odds*: with the default penalty 0.5, one false positive against one true sighting halves the
  score, one against ten barely moves it (×0.93), and a value only ever sighted as a false
  positive sinks fast (3 false positives and nothing else: ×0.125). A plain share
  (``false_positives / count``, at most 1) could never take a value below ×0.5, however many
  officers marked it harmless.
- ``floor`` keeps an old indicator from fading out entirely (0 by default: it may). It bounds
  the age factor only; confidence and false positives still scale it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType

SECONDS_PER_DAY = 86_400.0

# Half-lives in days, per observable type (the strings of ObservableType, plus types still to
# come: fuzzy hashes, ASNs, CIDR blocks). None: never decays.
DEFAULT_HALF_LIVES: Mapping[str, float | None] = MappingProxyType(
    {
        # Addresses are re-assigned: VPS and cloud IPs change tenants within weeks, residential
        # proxies and bot-net nodes churn daily, C2 servers move when reported. After three weeks
        # an IP sighting is half as likely to still mean the same actor.
        "ipv4": 21.0,
        "ipv6": 21.0,
        # A phishing URL lives hours to days (takedown, kit rotation); the URL as a sign of the
        # campaign lasts a little longer than the address it sat on.
        "url": 30.0,
        # Domains are registered for a year and are reused across waves (and re-parked after);
        # a quarter is the usual useful life of a phishing or C2 domain.
        "domain": 90.0,
        # Fraud e-mail accounts and phone numbers (特殊詐欺, support scams) run for months before
        # the provider or carrier suspends them.
        "email": 180.0,
        "phone": 180.0,
        # Wallets are reused for long and the ledger is permanent: a wallet tied to a crime stays
        # relevant for tracing payments a year on.
        "btc": 365.0,
        "eth": 365.0,
        # Network blocks and ASNs change hands slowly; bullet-proof hosters persist for years.
        "asn": 180.0,
        "cidr": 180.0,
        # A vulnerability and a file are the same thing forever: a hash of a sample seen five
        # years ago still identifies that sample.
        "cve": None,
        "md5": None,
        "sha1": None,
        "sha256": None,
        "tlsh": None,
        "ssdeep": None,
        # Malware artefacts are properties of the sample, as lasting as its hash.
        "mutex": None,
        "filename": None,
        # A JA3 fingerprint follows the client's TLS library; kits are rebuilt a few times a
        # year. User agents are easily changed and widely shared, so they fade faster.
        "ja3": 180.0,
        "user_agent": 90.0,
        # Mule bank accounts are used until frozen, yet stay evidence for tracing for a year.
        "bank_account": 365.0,
        # SNS accounts and SMS sender IDs of fraud rings live for months before suspension.
        "sns_account": 180.0,
        "tel_sms_sender": 180.0,
    }
)


@dataclass(frozen=True)
class DecayPolicy:
    """Half-lives per observable type; ``default_half_life_days`` covers types not listed."""

    half_life_days: Mapping[str, float | None] = field(default_factory=lambda: DEFAULT_HALF_LIVES)
    false_positive_penalty: float = 0.5
    floor: float = 0.0
    default_half_life_days: float | None = 90.0

    def __post_init__(self) -> None:
        for type_, days in [
            *self.half_life_days.items(),
            ("(default)", self.default_half_life_days),
        ]:
            if days is not None and not days > 0:
                raise ValueError(f"half-life for {type_} must be positive or None, not {days}")
        if not 0.0 < self.false_positive_penalty <= 1.0:
            raise ValueError(
                f"false_positive_penalty must be in (0, 1], not {self.false_positive_penalty}"
            )
        if not 0.0 <= self.floor <= 1.0:
            raise ValueError(f"floor must be in [0, 1], not {self.floor}")
        # A read-only copy: a policy is a value, shared between threads and requests.
        object.__setattr__(self, "half_life_days", MappingProxyType(dict(self.half_life_days)))

    def half_life(self, type: str) -> float | None:
        """The half-life in days for ``type`` (an ObservableType or its string)."""
        return self.half_life_days.get(str(type), self.default_half_life_days)


DEFAULT_DECAY = DecayPolicy()


@dataclass(frozen=True)
class SightingFacts:
    """What decay needs to know about one indicator's sightings.

    ``count`` includes the sightings marked false positive; ``confidence`` is 0–100.
    """

    last_seen: datetime
    count: int
    false_positives: int
    confidence: int = 50


def _require_aware(name: str, value: datetime) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware (got naive {value.isoformat()})")


def decay_score(
    type: str, facts: SightingFacts, *, now: datetime, policy: DecayPolicy = DEFAULT_DECAY
) -> float:
    """The indicator's current score in [0, 1] (formula in the module docstring).

    Raises ValueError for naive datetimes, a confidence outside 0–100, negative counts, or more
    false positives than sightings.
    """
    _require_aware("now", now)
    _require_aware("last_seen", facts.last_seen)
    if not 0 <= facts.confidence <= 100:
        raise ValueError(f"confidence must be 0–100, not {facts.confidence}")
    if facts.count < 0 or facts.false_positives < 0:
        raise ValueError(
            f"sighting counts must not be negative ({facts.count}, {facts.false_positives})"
        )
    if facts.false_positives > facts.count:
        raise ValueError(
            f"{facts.false_positives} false positives but only {facts.count} sightings "
            "(count includes the false positives)"
        )

    half_life = policy.half_life(type)
    if half_life is None:
        age_factor = 1.0
    else:
        age_days = max(0.0, (now - facts.last_seen).total_seconds() / SECONDS_PER_DAY)
        age_factor = max(policy.floor, 0.5 ** (age_days / half_life))

    stood = max(1, facts.count - facts.false_positives)
    fp_factor = policy.false_positive_penalty ** (facts.false_positives / stood)

    return min(1.0, max(0.0, facts.confidence / 100.0 * age_factor * fp_factor))
