"""Production settings refuse to start half-configured; the embedded default needs nothing."""

import os
import subprocess
import sys

import pytest

GOOD = {
    "HAKUSAN_SECRET_KEY": "x" * 50,
    "HAKUSAN_DATABASE_URL": "postgresql://u@127.0.0.1/db",
    "HAKUSAN_ALLOWED_HOSTS": "hakusan.example.jp",
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
