import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from hakusan.core import audit
from hakusan.core.models import AuditEntry


@pytest.mark.django_db
def test_chain_links_each_entry_to_the_previous(officer):
    first = audit.record(officer, "view", officer)
    second = audit.record(officer, "export", object_type="x", object_id=1, detail={"n": 2})
    assert second.prev_hash == first.entry_hash
    problems = [p for p in audit.verify_chain() if not isinstance(p, int)]
    assert problems == []


@pytest.mark.django_db
def test_entries_are_append_only(officer):
    entry = audit.record(officer, "view", officer)
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()


@pytest.mark.django_db
def test_tampering_is_detected_by_verify(officer, capsys):
    audit.record(officer, "view", officer)
    target = audit.record(officer, "view", officer, detail={"page": 1})
    audit.record(officer, "view", officer)
    call_command("audit", "verify")
    assert "audit chain OK" in capsys.readouterr().out
    # Edit behind the service's back, as an attacker with database access would.
    AuditEntry.objects.filter(pk=target.pk).update(detail={"page": 2})
    with pytest.raises(CommandError, match="BROKEN"):
        call_command("audit", "verify")
    problems = [p for p in audit.verify_chain() if not isinstance(p, int)]
    assert [p.entry_id for p in problems] == [target.pk]


@pytest.mark.django_db
def test_deleting_an_entry_breaks_the_chain(officer):
    audit.record(officer, "a", officer)
    middle = audit.record(officer, "b", officer)
    last = audit.record(officer, "c", officer)
    AuditEntry.objects.filter(pk=middle.pk)._raw_delete(AuditEntry.objects.db)
    problems = [p for p in audit.verify_chain() if not isinstance(p, int)]
    assert [p.entry_id for p in problems] == [last.pk]


@pytest.mark.django_db
def test_login_and_failed_login_are_audited(client, officer):
    client.post("/accounts/login/", {"username": officer.username, "password": "wrong"})
    client.post(
        "/accounts/login/", {"username": officer.username, "password": "correct-horse-battery-9"}
    )
    actions = list(AuditEntry.objects.values_list("action", flat=True))
    assert "login_failed" in actions and "login" in actions
