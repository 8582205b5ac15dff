"""``hakusan federation …`` against a real TAXII peer (medallion)."""

import json

import pytest
from django.core.management import CommandError, call_command

from hakusan.core.models import AuditEntry
from hakusan.federation.models import PullSource

from .conftest import PASSWORD, USER, indicator

pytestmark = pytest.mark.django_db


def test_add_pull_list(peer, make_partner, capsys, monkeypatch):
    make_partner("Toyama Pref. Police", max_tlp="green")
    peer.add([indicator(n) for n in range(30)])
    monkeypatch.setenv("TOYAMA_TAXII_TOKEN", PASSWORD)
    call_command(
        "federation", "add", "toyama",
        "--url", peer.api_root_url,
        "--collection", "phishing",
        "--partner", "Toyama Pref. Police",
        "--user", USER,
        "--password-env", "TOYAMA_TAXII_TOKEN",
        "--trusted", "--page-size", "10", "--interval", "600",
    )  # fmt: skip
    source = PullSource.objects.get(name="toyama")
    assert source.password == "" and source.password_env == "TOYAMA_TAXII_TOKEN"
    assert source.interval_seconds == 600 and source.trusted
    assert AuditEntry.objects.filter(action="federation.source.create").exists()

    call_command("federation", "pull", "toyama")
    out = capsys.readouterr().out
    assert "toyama: fetched 30 object(s) in 3 page(s); imported 30, merged 0" in out

    call_command("federation", "list", "--json")
    listed = json.loads(capsys.readouterr().out)
    assert listed[0]["name"] == "toyama" and listed[0]["objects"] == 30
    assert listed[0]["failures"] == 0 and PASSWORD not in json.dumps(listed)


def test_failed_pull_exits_non_zero_and_is_listed(peer, make_partner, capsys):
    make_partner("Fukui", max_tlp="green")
    call_command(
        "federation", "add", "fukui", "--url", peer.api_root_url, "--collection", "phishing",
        "--partner", "Fukui", "--user", USER, "--password", "wrong",
    )  # fmt: skip
    with pytest.raises(CommandError, match="pull failed: fukui"):
        call_command("federation", "pull", "--all")
    assert "HTTP 401" in capsys.readouterr().out
    call_command("federation", "list")
    assert "1 failure(s)" in capsys.readouterr().out


def test_cli_errors_name_the_problem(make_partner):
    with pytest.raises(CommandError, match="no pull source 'nope'"):
        call_command("federation", "pull", "nope")
    with pytest.raises(CommandError, match="partner: no partner named 'Ghost'"):
        call_command(
            "federation", "add", "x", "--url", "http://127.0.0.1:1/taxii2/hakusan/",
            "--collection", "c", "--partner", "Ghost",
        )  # fmt: skip
    with pytest.raises(CommandError, match="name a pull source, or give --all"):
        call_command("federation", "pull")
