"""Staff API tokens: stored as digests, shown once, expiring, revocable, audited; the old DRF
authtoken keys moved into digests by the migration."""

import datetime
import hmac
import importlib
import io
import json
import re
from typing import Any

import pytest
from django.apps import apps as django_apps
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from hakusan.core import services, tokens
from hakusan.core.models import ApiToken, AuditEntry

pytestmark = pytest.mark.django_db

URL = "/api/reports/"


def call(authorization: str | None = None, **headers: Any) -> Any:
    client = APIClient()
    if authorization is not None:
        headers["HTTP_AUTHORIZATION"] = authorization
    return client.get(URL, **headers)


def refused(response: Any, code: str, message: str = "") -> None:
    assert response.status_code == 401, (response.status_code, response.data)
    assert response.data["detail"].code == code, response.data
    assert message in str(response.data["detail"]), response.data
    assert response["WWW-Authenticate"].startswith("Token")


def every_stored_text() -> list[str]:
    """Every cell of every table, as text."""
    cells = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            cells += [str(cell) for row in cursor.fetchall() for cell in row]
    return cells


@pytest.fixture
def issued(analyst) -> tuple[ApiToken, str]:
    return services.issue_api_token(analyst, label="script")


@pytest.mark.parametrize("scheme", ["Token", "Bearer", "token", "BEARER"])
def test_the_key_authenticates(issued, scheme: str) -> None:
    _token, key = issued
    assert call(f"{scheme} {key}").status_code == 200


def test_the_key_is_stored_nowhere_only_its_digest(issued) -> None:
    token, key = issued
    assert token.digest == tokens.digest(key) != key
    assert len(key) >= 43 and token.prefix == key[:8]
    cells = every_stored_text()
    assert token.digest in cells
    assert not [cell for cell in cells if key in cell]  # audit detail included


def test_wrong_key_is_refused_with_a_constant_time_compare(issued, monkeypatch) -> None:
    token, key = issued
    compared = []
    real = hmac.compare_digest

    def spy(a: Any, b: Any) -> bool:
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    refused(call(f"Token {key[:-1]}x"), "invalid_token", "APIトークンが無効です")
    assert call(f"Token {key}").status_code == 200
    assert (token.digest, token.digest) in compared


def test_expired_token_is_refused(issued) -> None:
    token, key = issued
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now())
    refused(call(f"Token {key}"), "token_expired", "有効期限")


def test_revoked_token_is_refused(issued) -> None:
    token, key = issued
    services.revoke_api_token(token)
    refused(call(f"Bearer {key}"), "token_revoked", "失効")


def test_inactive_user_is_refused(issued) -> None:
    token, key = issued
    token.user.is_active = False
    token.user.save(update_fields=["is_active"])
    refused(call(f"Token {key}"), "user_inactive")


@pytest.mark.parametrize(
    ("header", "code"),
    [
        ("Token", "malformed_header"),
        ("Token a b", "malformed_header"),
        ("Token ", "malformed_header"),
    ],
)
def test_malformed_headers(header: str, code: str) -> None:
    refused(call(header), code)


def test_messages_follow_the_language(issued) -> None:
    token, key = issued
    services.revoke_api_token(token)
    refused(call(f"Token {key}", HTTP_ACCEPT_LANGUAGE="en"), "token_revoked", "revoked")


def test_no_header_is_the_usual_401() -> None:
    assert call().status_code == 401


def test_last_used_is_written_at_most_once_a_minute(issued) -> None:
    token, key = issued
    assert call(f"Token {key}").status_code == 200
    token.refresh_from_db()
    first = token.last_used_at
    assert first is not None
    assert call(f"Token {key}").status_code == 200
    token.refresh_from_db()
    assert token.last_used_at == first
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=first - datetime.timedelta(minutes=2))
    assert call(f"Token {key}").status_code == 200
    token.refresh_from_db()
    assert token.last_used_at > first


def test_every_token_expires_after_the_default_or_given_days(analyst, settings) -> None:
    settings.HAKUSAN_API_TOKEN_DAYS = 30
    before = timezone.now()
    token, _key = services.issue_api_token(analyst)
    assert before + datetime.timedelta(days=30) <= token.expires_at
    assert token.expires_at <= timezone.now() + datetime.timedelta(days=30)
    token, _key = services.issue_api_token(analyst, days=1)
    assert token.expires_at <= timezone.now() + datetime.timedelta(days=1)
    for days in (0, -1, services.MAX_API_TOKEN_DAYS + 1):
        with pytest.raises(ValidationError) as caught:
            services.issue_api_token(analyst, days=days)
        assert "days" in caught.value.message_dict


def test_no_token_for_an_inactive_user(analyst) -> None:
    analyst.is_active = False
    analyst.save(update_fields=["is_active"])
    with pytest.raises(ValidationError) as caught:
        services.issue_api_token(analyst)
    assert "user" in caught.value.message_dict


def test_issue_and_revoke_are_audited_without_the_key(analyst, supervisor) -> None:
    token, key = services.issue_api_token(analyst, label="nightly", actor=supervisor)
    services.revoke_api_token(token, actor=supervisor)
    services.revoke_api_token(token, actor=supervisor)  # already revoked: nothing new
    entries = AuditEntry.objects.filter(object_type="core.apitoken", object_id=str(token.pk))
    assert sorted(e.action for e in entries) == ["api_token.create", "api_token.revoke"]
    for entry in entries:
        assert entry.actor == supervisor
        assert entry.detail["prefix"] == key[:8]
        assert key not in str(entry.detail)


def test_revoke_by_prefix_or_whole_key(analyst) -> None:
    first, first_key = services.issue_api_token(analyst)
    second, second_key = services.issue_api_token(analyst)
    ApiToken.objects.filter(pk__in=[first.pk, second.pk]).update(prefix="samepref")
    with pytest.raises(ValidationError, match="2"):
        services.revoke_api_tokens(analyst, prefix="same")
    [revoked] = services.revoke_api_tokens(analyst, prefix=second_key)
    assert revoked.pk == second.pk
    assert call(f"Token {second_key}").status_code == 401
    assert call(f"Token {first_key}").status_code == 200
    assert [t.pk for t in services.revoke_api_tokens(analyst)] == [first.pk]


# --- shown once: command line and admin --------------------------------------------------------


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_createuser_prints_the_key_once_on_the_last_line(departments, monkeypatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("a-long-enough-passw0rd\n"))
    out = run(
        "createuser", "script", "--role", "analyst", "--department", "cyber",
        "--password-stdin", "--token", "--token-days", "7",
    )  # fmt: skip
    key = out.strip().splitlines()[-1]
    token = ApiToken.objects.get(user__username="script")
    assert tokens.matches(key, token.digest)
    assert token.expires_at <= timezone.now() + datetime.timedelta(days=7)
    assert call(f"Token {key}").status_code == 200
    listing = run("token", "list", "script")
    assert key[:8] in listing and key not in listing


def test_token_command_create_list_revoke(analyst, supervisor) -> None:
    out = run("token", "create", analyst.username, "--label", "nightly", "--days", "10",
              "--user", supervisor.username)  # fmt: skip
    key = out.strip().splitlines()[-1]
    assert call(f"Token {key}").status_code == 200
    listing = run("token", "list")
    assert analyst.username in listing and "live" in listing and key not in listing
    assert "revoked 1 token(s)" in run("token", "revoke", analyst.username, "--prefix", key[:6])
    assert call(f"Token {key}").status_code == 401
    assert "revoked" in run("token", "list", analyst.username)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("token", "create", "nobody"), "no user 'nobody'"),
        (("token", "create", "{analyst}", "--days", "0"), "days"),
        (("createuser", "x", "--token-days", "5", "--password-stdin"), "only with --token"),
    ],
)
def test_command_errors_are_one_line(analyst, args: tuple[str, ...], message: str) -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match=message):
        run(*(a.format(analyst=analyst.username) for a in args))


def admin_adds_a_token(client: Any, user: Any) -> tuple[Any, ApiToken, str]:
    """POSTs the admin's add form; returns the response, the token and the key it shows."""
    response = client.post(
        "/admin/core/apitoken/add/",
        {"user": user.pk, "label": "from admin", "days": "5"},
    )
    assert response.status_code == 200, response.status_code
    token = ApiToken.objects.get(user=user)
    html = response.content.decode()
    [key] = re.findall(rf"<code>({re.escape(token.prefix)}[^<]*)</code>", html)
    return response, token, key


def test_admin_shows_the_key_once_and_never_again(make_user, login, analyst) -> None:
    client = login(make_user("admin", "cyber"))
    response, token, key = admin_adds_a_token(client, analyst)
    assert tokens.matches(key, token.digest)
    assert response.content.decode().count(key) == 1
    assert "no-store" in response["Cache-Control"].replace(" ", "").split(",")
    for page in ("/admin/core/apitoken/", f"/admin/core/apitoken/{token.pk}/change/"):
        html = client.get(page).content.decode()
        assert token.prefix in html
        assert key not in html and token.digest not in html
    client.post(
        "/admin/core/apitoken/",
        {"action": "revoke", "_selected_action": [token.pk]},
    )
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_admin_key_travels_in_no_message_cookie_or_session(
    make_user, login, analyst, monkeypatch
) -> None:
    from django.contrib.sessions.models import Session

    issued: list[str] = []
    real_new_key = tokens.new_key

    def new_key() -> str:
        issued.append(real_new_key())
        return issued[-1]

    monkeypatch.setattr(tokens, "new_key", new_key)
    client = login(make_user("admin", "cyber"))
    response = client.post(
        "/admin/core/apitoken/add/",
        {"user": analyst.pk, "label": "from admin", "days": "5"},
    )
    [key] = issued
    after = client.get("/admin/core/apitoken/")
    assert not [m for m in after.context["messages"] if key in str(m)]
    cookies = [*response.cookies.values(), *client.cookies.values()]
    assert cookies and not [c for c in cookies if key in c.value]
    sessions = Session.objects.all()
    assert sessions and not [s for s in sessions if key in json.dumps(s.get_decoded())]
    assert not [cell for cell in every_stored_text() if key in cell]


def test_admin_refuses_an_inactive_user_with_a_form_error(make_user, login, analyst) -> None:
    analyst.is_active = False
    analyst.save(update_fields=["is_active"])
    client = login(make_user("admin", "cyber"))
    response = client.post(
        "/admin/core/apitoken/add/",
        {"user": analyst.pk, "label": "from admin", "days": "5"},
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "有効な利用者" in str(errors["user"]), errors
    assert not ApiToken.objects.filter(user=analyst).exists()
    form = client.get("/admin/core/apitoken/add/").content.decode()
    assert f'value="{analyst.pk}"' not in form  # not even offered


# --- the migration of DRF authtoken keys -------------------------------------------------------


MIGRATION = "hakusan.core.migrations.0003_staff_api_tokens"
OLD_KEY = "0123456789abcdef0123456789abcdef01234567"  # DRF keys: 40 hex digits


def make_old_table(user: Any, key: str = OLD_KEY) -> None:
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE {quote('authtoken_token')} ({quote('key')} varchar(40) PRIMARY KEY, "
            f"{quote('created')} timestamp NOT NULL, {quote('user_id')} bigint NOT NULL)"
        )
        cursor.execute(
            f"INSERT INTO {quote('authtoken_token')} VALUES (%s, %s, %s)",
            [key, datetime.datetime(2026, 4, 1, 9, 0), user.pk],
        )
        cursor.execute(
            "INSERT INTO django_migrations (app, name, applied) VALUES (%s, %s, %s)",
            ["authtoken", "0001_initial", timezone.now()],
        )


def test_migration_moves_authtoken_keys_into_digests(analyst) -> None:
    migration = importlib.import_module(MIGRATION)
    old_key = OLD_KEY
    make_old_table(analyst)
    assert migration.copy_authtoken_keys(django_apps, connection, days=90) == 1

    token = ApiToken.objects.get(user=analyst)
    assert token.digest == tokens.digest(old_key) and token.prefix == old_key[:8]
    assert token.created_at.date() == datetime.date(2026, 4, 1)
    assert token.expires_at > timezone.now() + datetime.timedelta(days=89)
    assert "authtoken_token" not in connection.introspection.table_names()
    assert not [cell for cell in every_stored_text() if old_key in cell]
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM django_migrations WHERE app = %s", ["authtoken"])
        assert cursor.fetchone()[0] == 0
    assert call(f"Token {old_key}").status_code == 200  # existing scripts keep working
    # Nothing to move on a database that never had the app.
    assert migration.copy_authtoken_keys(django_apps, connection) == 0


def test_migration_keeps_the_emptied_table_while_the_app_is_installed(analyst, monkeypatch) -> None:
    migration = importlib.import_module(MIGRATION)
    make_old_table(analyst)
    monkeypatch.setattr(migration.django_apps, "is_installed", lambda name: True)
    assert migration.copy_authtoken_keys(django_apps, connection) == 1
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM authtoken_token")
        assert cursor.fetchone()[0] == 0
        cursor.execute("DROP TABLE authtoken_token")
    assert call(f"Token {OLD_KEY}").status_code == 200
