"""Users are deactivated, never deleted: the audit entries that name them stay as written and
the chain keeps verifying."""

import pytest
from django.db.models import ProtectedError
from django.db.models.deletion import Collector

from hakusan.core import audit_checkpoint, services
from hakusan.core.models import AuditEntry, User

from .audit_helpers import problems

pytestmark = pytest.mark.django_db


@pytest.fixture
def administrator(make_user) -> User:
    return make_user("admin", "cyber", is_superuser=True)


def test_deleting_a_user_is_refused_every_way(officer, committed):
    committed(officer, "view", officer)
    with pytest.raises(PermissionError, match="deactivated, never deleted"):
        officer.delete()
    with pytest.raises(PermissionError, match="deactivated, never deleted"):
        User.objects.filter(pk=officer.pk).delete()
    with pytest.raises(ProtectedError):  # the ORM's collector, as any cascade reaches it
        Collector(using="default").collect([officer])
    assert User.objects.filter(pk=officer.pk).exists()
    assert problems() == []


def test_deactivation_keeps_old_entries_verifying(officer, administrator, committed):
    before = committed(officer, "view", officer)
    assert services.deactivate_user(officer, actor=administrator)
    assert not services.deactivate_user(officer, actor=administrator)  # once
    committed(administrator, "view", officer)
    officer.refresh_from_db()
    assert officer.is_active is False
    kept = AuditEntry.objects.get(pk=before.pk)
    assert (kept.actor_id, kept.actor_name) == (officer.pk, officer.username)
    deactivated = AuditEntry.objects.get(action="deactivate")
    assert (deactivated.actor_id, deactivated.object_id) == (administrator.pk, str(officer.pk))
    assert problems() == []


def test_the_admin_offers_deactivation_not_deletion(
    client, login, officer, administrator, django_capture_on_commit_callbacks
):
    login(administrator)
    changelist = client.get("/admin/core/user/")
    assert changelist.status_code == 200
    actions = [
        value for value, _label in changelist.context["action_form"].fields["action"].choices
    ]
    assert "deactivate_selected" in actions and "delete_selected" not in actions
    assert client.get(f"/admin/core/user/{officer.pk}/delete/").status_code == 403
    audit_checkpoint.sync()  # over the fixtures' entries, whose commits (and hooks) never ran
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/admin/core/user/",
            {"action": "deactivate_selected", "_selected_action": [officer.pk]},
        )
    assert response.status_code == 302
    officer.refresh_from_db()
    assert officer.is_active is False
    assert AuditEntry.objects.filter(action="deactivate", object_id=str(officer.pk)).exists()
    assert User.objects.filter(pk=officer.pk).exists()
    assert problems() == []
