import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from hakusan.core import audit
from hakusan.core.models import AuditEntry

from .audit_helpers import as_db_attacker, problems


@pytest.mark.django_db
def test_chain_links_each_entry_to_the_previous(officer, committed):
    first = committed(officer, "view", officer)
    second = committed(officer, "export", object_type="x", object_id=1, detail={"n": 2})
    assert second.prev_hash == first.entry_hash
    assert (second.seq, second.hash_version) == (first.seq + 1, AuditEntry.KEYED_HMAC)
    assert problems() == []


@pytest.mark.django_db
def test_entries_are_append_only(officer):
    entry = audit.record(officer, "view", officer)
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()


@pytest.mark.django_db
def test_bulk_writes_on_audit_entries_are_refused_before_sql(officer, django_assert_num_queries):
    entry = audit.record(officer, "view", officer)
    with django_assert_num_queries(0):
        with pytest.raises(PermissionError, match="append-only"):
            AuditEntry.objects.update(action="x")
        with pytest.raises(PermissionError, match="append-only"):
            AuditEntry.objects.filter(pk=entry.pk).update(action="x")
        with pytest.raises(PermissionError, match="append-only"):
            AuditEntry.objects.all().delete()
        with pytest.raises(PermissionError, match="append-only"):
            AuditEntry.objects.bulk_update([entry], ["action"])
        with pytest.raises(PermissionError, match="append-only"):
            AuditEntry.objects.bulk_create([AuditEntry(action="forged")])
    assert AuditEntry.objects.get(pk=entry.pk).action == "view"


@pytest.mark.django_db
def test_tampering_is_detected_by_verify(officer, committed, capsys):
    committed(officer, "view", officer)
    target = committed(officer, "view", officer, detail={"page": 1})
    committed(officer, "view", officer)
    call_command("audit", "verify")
    assert "audit chain OK" in capsys.readouterr().out
    # Edit behind the service's back, as an attacker with database access would.
    as_db_attacker(
        "UPDATE core_auditentry SET detail = %s WHERE id = %s", ['{"page": 2}', target.pk]
    )
    with pytest.raises(CommandError, match="BROKEN"):
        call_command("audit", "verify")
    assert [p.entry_id for p in problems()] == [target.pk]


@pytest.mark.django_db
def test_deleting_an_entry_breaks_the_chain(officer, committed):
    committed(officer, "a", officer)
    middle = committed(officer, "b", officer)
    last = committed(officer, "c", officer)
    as_db_attacker("DELETE FROM core_auditentry WHERE id = %s", [middle.pk])
    found = problems()
    assert [p.entry_id for p in found] == [last.pk]
    assert f"entries {middle.seq}..{middle.seq} are missing" in found[0].message


@pytest.mark.django_db
def test_login_and_failed_login_are_audited(client, officer):
    client.post("/accounts/login/", {"username": officer.username, "password": "wrong"})
    client.post(
        "/accounts/login/", {"username": officer.username, "password": "correct-horse-battery-9"}
    )
    actions = list(AuditEntry.objects.values_list("action", flat=True))
    assert "login_failed" in actions and "login" in actions
