"""Fixtures of the STIX tests: sample values of every observable type, strict validation."""

from datetime import UTC, datetime
from typing import Any

import pytest
import stix2validator

from hakusan.domain.stix import validation

# One fictional value of every observable type (as written; canonicalised by the tests).
SAMPLES: dict[str, str] = {
    "ipv4": "192.0.2.10",
    "ipv6": "2001:db8::1",
    "domain": "phish.example.jp",
    "url": "https://phish.example.jp/it's/login",
    "email": "alice@example.jp",
    "md5": "d41d8cd98f00b204e9800998ecf8427e",
    "sha1": "da39a3ee5e6b4b0d3255bfef95601890afd80709",
    "sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "phone": "03-1234-5678",
    "btc": "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2",
    "eth": "0x52908400098527886E0F7030069857D2E4169EE7",
    "cve": "CVE-2021-44228",
    "cidr": "198.51.100.0/24",
    "asn": "AS64500",
    "mutex": "Global\\Evil'Mutex",
    "filename": "invoice.pdf.exe",
    "user_agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Hakusan-Test",
    "ja3": "771,4865-4866-4867,0-23-65281,29-23-24,0",
    "ssdeep": "3:AXGBicFlgVNhBGcL6wCrFQEv:AXGHsNhxLsr2C",
    "tlsh": "T1" + "A0" * 35,
    "bank_account": "0001-001-1-1234567",
    "sns_account": "x:example_jp",
    "tel_sms_sender": "EXAMPLEBK",
}
FIRST = datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)
LAST = datetime(2026, 2, 3, 4, 5, 6, tzinfo=UTC)


def strictly_valid(obj: dict[str, Any] | list[dict[str, Any]]) -> None:
    """Assert a STIX object or bundle is valid in strict mode with no warning: through our
    wrapper and through the validator called with its own default options plus ``strict``
    (what ``stix2_validator --strict`` runs: no check disabled)."""
    if isinstance(obj, list):
        for item in obj:
            strictly_valid(item)
        return
    result = validation.validate_object(obj)  # also points the validator at the schemas
    assert result.valid and not result.warnings, (obj.get("id"), result.errors, result.warnings)
    plain = stix2validator.validate_instance(obj, stix2validator.ValidationOptions(strict=True))
    assert plain.is_valid and not plain.warnings, (
        obj.get("id"),
        [str(e) for e in plain.errors],
        plain.warnings,
    )


@pytest.fixture
def stix_schemas() -> None:
    if validation.schemas_root() is None:
        pytest.skip(
            "STIX 2.1 JSON schemas absent (stix2-validator 3.3.1 wheels lack them): "
            "run `make stix-schemas` or set HAKUSAN_STIX_SCHEMAS"
        )
