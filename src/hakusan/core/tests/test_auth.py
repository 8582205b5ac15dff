import pytest
from django.test import override_settings
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

PASSWORD = "correct-horse-battery-9"


@pytest.mark.django_db
def test_reception_officer_logs_in_without_2fa(client, officer):
    r = client.post("/accounts/login/", {"username": officer.username, "password": PASSWORD})
    assert r.status_code == 302
    assert client.get("/").status_code == 200


@pytest.mark.django_db
def test_analyst_must_enrol_then_verify_totp(client, analyst):
    client.post("/accounts/login/", {"username": analyst.username, "password": PASSWORD})
    r = client.get("/")
    assert r.status_code == 302 and r.url.startswith("/accounts/2fa/setup/")
    page = client.get(r.url)
    assert b"<svg" in page.content
    device = TOTPDevice.objects.get(user=analyst, confirmed=False)
    bad = client.post("/accounts/2fa/setup/", {"token": "000000"})
    assert bad.status_code == 200
    device.refresh_from_db()
    assert device.throttling_failure_count == 1  # failures slow down guessing
    device.throttle_reset()
    ok = client.post(
        "/accounts/2fa/setup/?next=/", {"token": f"{TOTP(device.bin_key).token():06d}"}
    )
    assert ok.status_code == 302
    assert client.get("/").status_code == 200

    # Next login: verification, not enrolment.
    client.logout()
    client.post("/accounts/login/", {"username": analyst.username, "password": PASSWORD})
    r = client.get("/")
    assert r.url.startswith("/accounts/2fa/verify/")
    device.refresh_from_db()
    device.last_t = -1  # allow the same time step again in this fast test
    device.save()
    code = f"{TOTP(device.bin_key).token():06d}"  # keep leading zeros
    assert client.post("/accounts/2fa/verify/?next=/", {"token": code}).status_code == 302
    assert client.get("/").status_code == 200


@pytest.mark.django_db
def test_lockout_after_repeated_failures(client, officer):
    with override_settings(AXES_FAILURE_LIMIT=3):
        for _ in range(3):
            client.post("/accounts/login/", {"username": officer.username, "password": "no"})
        r = client.post("/accounts/login/", {"username": officer.username, "password": PASSWORD})
    assert r.status_code == 429
    assert not client.session.get("_auth_user_id")


def test_argon2_is_the_hasher_outside_tests():
    from hakusan.settings import base

    assert base.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")


@pytest.mark.django_db
def test_session_expires(client, officer):
    from django.conf import settings

    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE and settings.SESSION_COOKIE_AGE <= 12 * 3600
