"""Production settings refuse to start half-configured; the embedded default needs nothing."""

import json
import os
import subprocess
import sys

import pytest

GOOD = {
    "HAKUSAN_SECRET_KEY": "x" * 50,
    "HAKUSAN_DATABASE_URL": "postgresql://u@127.0.0.1/db",
    "HAKUSAN_ALLOWED_HOSTS": "hakusan.example.jp",
    "HAKUSAN_AUDIT_KEY_FILE": "/secure/hakusan/audit.key",
}


def _load(settings_module: str, extra: dict[str, str], tmp_path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HAKUSAN_", "DJANGO_"))}
    env.update(extra, HAKUSAN_DATA_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE=settings_module)
    code = "import django; django.setup(); from django.conf import settings; print(settings.DEBUG)"
    return subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False
    )


@pytest.mark.parametrize("missing", sorted(GOOD))
def test_production_refuses_missing_setting(missing, tmp_path):
    env = {k: v for k, v in GOOD.items() if k != missing}
    result = _load("hakusan.settings.production", env, tmp_path)
    assert result.returncode != 0
    assert missing in result.stderr


def test_production_refuses_debug(tmp_path):
    result = _load("hakusan.settings.production", {**GOOD, "HAKUSAN_DEBUG": "1"}, tmp_path)
    assert result.returncode != 0 and "HAKUSAN_DEBUG" in result.stderr


def test_production_starts_when_configured(tmp_path):
    result = _load("hakusan.settings.production", GOOD, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_embedded_default_needs_no_configuration(tmp_path):
    result = _load("hakusan.settings.embedded", {}, tmp_path)
    assert result.returncode == 0, result.stderr
    key = tmp_path / "secret_key"
    assert key.exists() and oct(key.stat().st_mode & 0o777) == "0o600"


# --- HTTPS, HSTS, proxy, check --deploy ---------------------------------------------------------

# What the README's deployment section exports (a random key: check --deploy rejects weak ones).
DEPLOY = {
    "HAKUSAN_SECRET_KEY": "kV3q9-Zr7xP_2mWc8LdTn4YbHs6GfJ1uQeRa0oXiNtMzUvBwCyDgEhKjSlPp5",
    "HAKUSAN_DATABASE_URL": "postgresql://hakusan@db.example.jp:5432/hakusan",
    "HAKUSAN_ALLOWED_HOSTS": "hakusan.example.jp",
    "HAKUSAN_AUDIT_KEY_FILE": "/secure/hakusan/audit.key",
    "HAKUSAN_BEHIND_PROXY": "1",
}
SECURITY = [
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SECURE_SSL_REDIRECT",
    "SECURE_PROXY_SSL_HEADER",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "X_FRAME_OPTIONS",
    "SECURE_CONTENT_TYPE_NOSNIFF",
]


def _values(settings_module: str, extra: dict[str, str], tmp_path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HAKUSAN_", "DJANGO_"))}
    env.update(extra, HAKUSAN_DATA_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE=settings_module)
    code = (
        "import django, json; django.setup(); from django.conf import settings as s; "
        f"print(json.dumps({{n: getattr(s, n, None) for n in {SECURITY!r}}}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_production_is_https_only_with_a_year_of_hsts(tmp_path):
    values = _values("hakusan.settings.production", GOOD, tmp_path)
    assert values == {
        "SECURE_HSTS_SECONDS": 365 * 24 * 3600,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SECURE_HSTS_PRELOAD": True,
        "SECURE_SSL_REDIRECT": True,
        "SECURE_PROXY_SSL_HEADER": None,  # X-Forwarded-Proto is trusted only when told
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "X_FRAME_OPTIONS": "DENY",
        "SECURE_CONTENT_TYPE_NOSNIFF": True,
    }


def test_production_behind_a_proxy_and_the_switches(tmp_path):
    env = {
        **GOOD,
        "HAKUSAN_BEHIND_PROXY": "1",
        "HAKUSAN_SSL_REDIRECT": "0",
        "HAKUSAN_HSTS_INCLUDE_SUBDOMAINS": "0",
        "HAKUSAN_HSTS_PRELOAD": "0",
        "HAKUSAN_HSTS_SECONDS": "600",
    }
    values = _values("hakusan.settings.production", env, tmp_path)
    assert values["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert values["SECURE_SSL_REDIRECT"] is False
    assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is False
    assert values["SECURE_HSTS_PRELOAD"] is False
    assert values["SECURE_HSTS_SECONDS"] == 600


@pytest.mark.parametrize(
    ("name", "value"), [("HAKUSAN_BEHIND_PROXY", "yes"), ("HAKUSAN_HSTS_SECONDS", "a year")]
)
def test_production_refuses_a_malformed_switch(name, value, tmp_path):
    result = _load("hakusan.settings.production", {**GOOD, name: value}, tmp_path)
    assert result.returncode != 0 and name in result.stderr


def test_embedded_default_sends_the_content_security_policy(tmp_path):
    """The embedded default serves stations on a closed network: the same policy applies."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HAKUSAN_", "DJANGO_"))}
    env.update(HAKUSAN_DATA_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="hakusan.settings.embedded")
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "from django.test import Client; r = Client(HTTP_HOST='localhost').get('/accounts/login/'); "
        "print(r.status_code); print(r.headers.get('Content-Security-Policy', ''))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    status, policy = result.stdout.strip().splitlines()[-2:]
    assert status == "200", result.stdout
    assert "script-src 'self';" in policy and "'unsafe-inline'" not in policy, policy
    assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy


def test_check_deploy_is_clean(tmp_path):
    """`hakusan check --deploy` with the README's production environment: no warning."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HAKUSAN_", "DJANGO_"))}
    env.update(
        DEPLOY, HAKUSAN_DATA_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="hakusan.settings.production"
    )
    code = (
        "import django; django.setup(); from django.core.management import call_command; "
        "call_command('check', deploy=True, fail_level='WARNING')"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues" in output, output
