"""The libraries the observables need are declared in pyproject.toml and pinned in the lock.

The Makefile installs ``requirements/lock.txt`` and then the project with ``--no-deps``, so
a library missing from the lock is missing on a fresh machine, and one missing from
pyproject.toml is missing for anyone who installs the package.
"""

import importlib.util
import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
PIN = re.compile(r"^([A-Za-z0-9._-]+)(?:\[[^\]]*\])?==(\S+)$")

# What src/hakusan/domain/observables imports from outside the standard library.
RUNTIME = ("publicsuffixlist", "phonenumbers", "base58", "bech32m", "pycryptodome")
# iocextract (a peer in tests/ and bench/) imports requests at module level.
DEV = ("requests", "urllib3", "idna", "certifi", "charset-normalizer")


def _key(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _pins(lines: list[str]) -> dict[str, str]:
    pins = {}
    for line in lines:
        match = PIN.match(line.split("#", 1)[0].strip())
        if match:
            pins[_key(match[1])] = match[2]
    return pins


PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
DECLARED = _pins(PROJECT["dependencies"])
DECLARED_DEV = _pins(PROJECT["optional-dependencies"]["dev"])
LOCKED = _pins((ROOT / "requirements" / "lock.txt").read_text(encoding="utf-8").splitlines())


@pytest.mark.parametrize("name", RUNTIME)
def test_runtime_library_is_declared_and_locked_at_the_same_version(name: str) -> None:
    assert _key(name) in DECLARED, f"{name} is not a pinned runtime dependency"
    assert LOCKED.get(_key(name)) == DECLARED[_key(name)]


@pytest.mark.parametrize("name", DEV)
def test_requests_and_its_dependencies_are_locked(name: str) -> None:
    assert _key(name) in LOCKED


def test_requests_is_a_dev_dependency() -> None:
    assert "requests" in DECLARED_DEV
    assert DECLARED_DEV["requests"] == LOCKED.get("requests")


def test_every_pin_in_pyproject_is_in_the_lock() -> None:
    for name, version in {**DECLARED, **DECLARED_DEV}.items():
        assert LOCKED.get(name) == version, f"{name}=={version} is not in the lock"


def test_no_hand_written_keccak() -> None:
    assert importlib.util.find_spec("hakusan.domain.observables._keccak") is None
