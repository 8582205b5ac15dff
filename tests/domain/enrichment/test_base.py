"""The enricher registry: registration, duplicates, and online enrichers off by default."""

from collections.abc import Sequence
from typing import ClassVar

import pytest

from hakusan.domain.enrichment import (
    ENRICHERS,
    Enricher,
    EnrichmentFact,
    OfflineAsnEnricher,
    enabled_enrichers,
)
from hakusan.domain.registry import DuplicateRegistration, Registry, UnknownPlugin


class FakeRdap:
    """What an online enricher looks like (never registered in ENRICHERS here)."""

    NAME: ClassVar[str] = "rdap"
    ONLINE: ClassVar[bool] = True
    TYPES: ClassVar[frozenset[str]] = frozenset({"ipv4", "ipv6", "domain"})

    def enrich(self, type: str, value: str) -> list[EnrichmentFact]:
        return [EnrichmentFact(self.NAME, "registrant", "Example", "RDAP (test)")]

    def enrich_many(self, items: Sequence[tuple[str, str]]) -> list[list[EnrichmentFact]]:
        return [self.enrich(t, v) for t, v in items]


def test_offline_asn_is_registered():
    assert "offline-asn" in ENRICHERS
    assert ENRICHERS.get("offline-asn") is OfflineAsnEnricher
    assert OfflineAsnEnricher.NAME == "offline-asn"
    assert OfflineAsnEnricher.ONLINE is False
    assert frozenset({"ipv4", "ipv6"}) == OfflineAsnEnricher.TYPES


def test_duplicate_registration_is_an_error():
    with pytest.raises(DuplicateRegistration, match="enricher 'offline-asn' is already"):
        ENRICHERS.register("offline-asn")(FakeRdap)
    with pytest.raises(DuplicateRegistration):
        ENRICHERS.register()(OfflineAsnEnricher)
    assert ENRICHERS.get("offline-asn") is OfflineAsnEnricher  # the first one stays


def test_online_enrichers_run_only_when_named():
    registry: Registry[type[Enricher]] = Registry("enricher")
    registry.register()(OfflineAsnEnricher)
    registry.register()(FakeRdap)
    assert enabled_enrichers(registry=registry) == [OfflineAsnEnricher]
    assert enabled_enrichers(["rdap"], registry=registry) == [OfflineAsnEnricher, FakeRdap]
    assert enabled_enrichers(["offline-asn"], registry=registry) == [OfflineAsnEnricher]
    with pytest.raises(UnknownPlugin, match="unknown enricher 'rdpa'"):
        enabled_enrichers(["rdpa"], registry=registry)  # a typo in the setting is loud


def test_default_registry_has_no_online_enricher_enabled():
    assert all(not cls.ONLINE for cls in enabled_enrichers())
    assert OfflineAsnEnricher in enabled_enrichers()


def test_fact_is_immutable():
    fact = EnrichmentFact("offline-asn", "asn", "AS64496", "test")
    with pytest.raises(AttributeError):
        fact.value = "AS64497"  # type: ignore[misc]
    assert fact == EnrichmentFact("offline-asn", "asn", "AS64496", "test")
