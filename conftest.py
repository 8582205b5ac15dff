"""Shared fixtures: departments, users per role (2FA-verified where the role needs it) and
logged-in clients. Domain tests (tests/domain) need none of these and no database."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

SHARED = Path(__file__).resolve().parent.parent / "shared"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if item.get_closest_marker("shared") and not (SHARED / "data").is_dir():
            item.add_marker(pytest.mark.skip(reason=f"{SHARED}/data is absent (a user's clone)"))


@pytest.fixture(autouse=True)
def _no_audit_checkpoint_left_over() -> None:
    """Each test starts without an audit head checkpoint: the database is rolled back or
    flushed between tests, a checkpoint file in the data directory would not be."""
    from django.conf import settings

    Path(settings.HAKUSAN_AUDIT_CHECKPOINT_FILE).unlink(missing_ok=True)


@pytest.fixture
def departments(db):
    from hakusan.core.models import Department

    cyber = Department.objects.get(is_cyber_division=True)
    station = Department.objects.create(code="kanazawa-chuo", name="金沢中警察署", kind="station")
    other = Department.objects.create(code="hakusan-st", name="白山警察署", kind="station")
    return {"cyber": cyber, "station": station, "other": other}


@pytest.fixture
def make_user(db, departments) -> Callable:
    from hakusan.core.services import create_user

    counter = {"n": 0}

    def make(role: str = "reception", dept: str = "station", **kwargs):
        counter["n"] += 1
        return create_user(
            f"{role}{counter['n']}",
            "correct-horse-battery-9",
            role=role,
            department=departments[dept] if dept else None,
            validate=False,
            last_name=kwargs.pop("last_name", "試験"),
            first_name=kwargs.pop("first_name", f"{role}{counter['n']}"),
            **kwargs,
        )

    return make


def verified_client(client, user):
    """A test client logged in as ``user`` with a confirmed TOTP device verified in session."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    client.force_login(user)
    if user.requires_two_factor:
        device, _ = TOTPDevice.objects.get_or_create(
            user=user, name="test", defaults={"confirmed": True}
        )
        session = client.session
        session["otp_device_id"] = device.persistent_id
        session.save()
    return client


@pytest.fixture
def login(client) -> Callable:
    def do(user):
        return verified_client(client, user)

    return do


@pytest.fixture
def officer(make_user):
    return make_user("reception", "station")


@pytest.fixture
def analyst(make_user):
    return make_user("analyst", "cyber")


@pytest.fixture
def supervisor(make_user):
    return make_user("supervisor", "station")


@pytest.fixture
def draft():
    """A fictional report draft with observables a station officer would paste."""
    from hakusan.domain.intake import ReportDraft

    def make(**overrides):
        values: dict[str, Any] = dict(
            channel="visit",
            kind="consultation",
            narrative=(
                "令和8年11月20日午後3時頃、宅配業者を名乗るSMSが届き、記載のURL"
                "hxxps://delivery-check[.]example[.]jp/track にアクセスしてIDとパスワードを"
                "入力した。その後クレジットカードが不正利用された。"
            ),
            reporter_name="山田太郎",
            reporter_contact="090-0000-1234",
            victim_name="山田太郎",
            damage_amount=150000,
            items=("SMS送信元 +81 90-1234-5678",),
        )
        values.update(overrides)
        return ReportDraft(**values)

    return make


@pytest.fixture
def make_partner(db) -> Callable:
    """``make_partner(name, max_tlp="green", can_write=False, **kw) -> (Partner, token key)``."""
    from hakusan.partners.services import create_partner

    def make(name: str = "Partner", max_tlp: str = "green", **kwargs: Any) -> tuple[Any, str]:
        return create_partner(name, max_tlp=max_tlp, **kwargs)

    return make
