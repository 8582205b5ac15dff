"""Someone with write access to the database alone cannot remove, truncate or rewrite audit
entries without ``hakusan audit verify`` saying so and naming what is missing."""

import hashlib
import hmac
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, connection, transaction

from hakusan.core import audit, audit_checkpoint, audit_guard
from hakusan.core.audit_key import audit_key
from hakusan.core.models import AuditEntry

from .audit_helpers import as_db_attacker, problems

pytestmark = pytest.mark.django_db


@pytest.fixture
def five(officer, committed) -> list[AuditEntry]:
    return [committed(officer, "view", officer, detail={"n": n}) for n in range(5)]


def _verify_fails(capsys) -> list[str]:
    with pytest.raises(CommandError, match="BROKEN"):
        call_command("audit", "verify")
    return capsys.readouterr().err.strip().splitlines()


def test_a_truncated_tail_is_reported_with_what_is_missing(five, capsys):
    count = five[-1].seq
    as_db_attacker("DELETE FROM core_auditentry WHERE seq > %s", [count - 2])
    lines = _verify_fails(capsys)
    assert lines == [
        f"entries {count - 1}..{count} are missing (last checkpoint: {count} entries, "
        f"last id {five[-1].pk}, hash {five[-1].entry_hash[:16]}…)"
    ]


def test_an_emptied_table_is_reported(five, capsys):
    as_db_attacker("DELETE FROM core_auditentry")
    lines = _verify_fails(capsys)
    assert len(lines) == 1
    assert lines[0].startswith(
        f"the audit log is empty, but the checkpoint records {five[-1].seq} entries"
    )


def test_a_truncation_stays_reported_after_new_appends(five, officer, committed):
    count = five[-1].seq
    as_db_attacker("DELETE FROM core_auditentry WHERE seq > %s", [count - 2])
    committed(officer, "login", officer)  # the application goes on appending
    found = [p.message for p in problems()]
    assert len(found) == 1
    assert found[0].startswith("found by the application at ")
    assert f"entries {count - 1}..{count} are missing (last checkpoint: {count} entries" in found[0]


def test_a_truncation_then_a_deleted_checkpoint_stays_reported(
    five, officer, django_capture_on_commit_callbacks, capsys
):
    """Cut the tail, delete the checkpoint file, let the application append once: the
    append must not write a fresh checkpoint that vouches for the shortened log."""
    count = five[-1].seq
    as_db_attacker("DELETE FROM core_auditentry WHERE seq > %s", [count - 2])
    audit_checkpoint.path().unlink()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        audit.record(officer, "login", officer)  # the application goes on appending
    assert len(callbacks) == 1
    assert not audit_checkpoint.path().exists()
    found = problems()
    assert [p.kind for p in found] == ["no_checkpoint"], found
    assert "run 'hakusan audit checkpoint'" in found[0].message
    with pytest.raises(CommandError, match="BROKEN"):
        call_command("audit", "verify")
    # Until an operator writes a new one (knowingly, from a log that verifies otherwise).
    call_command("audit", "checkpoint")
    assert problems() == []


def test_the_first_keyed_entries_write_the_first_checkpoint(django_capture_on_commit_callbacks):
    """No keyed entry before this transaction's: a new log (or the first keyed append after an
    upgrade), not a lost checkpoint; the hook writes it."""
    assert not AuditEntry.objects.exists()
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        audit.record(None, "view", object_type="t", object_id="1")
        last = audit.record(None, "view", object_type="t", object_id="2")
    cp = audit_checkpoint.read(audit_key())
    assert cp is not None and (cp.count, cp.last_id) == (last.seq, last.pk)
    assert problems() == []


def _rewrite_from(entries: list[AuditEntry], index: int, digest, version: int) -> None:
    """Edit entries[index] and recompute every following hash, as an attacker would."""
    prev = entries[index].prev_hash
    for n, entry in enumerate(entries[index:]):
        entry.refresh_from_db()
        if n == 0:
            entry.detail = {"n": "edited"}
        entry.prev_hash = prev
        entry.entry_hash = digest(prev, entry)
        as_db_attacker(
            "UPDATE core_auditentry SET detail = %s, prev_hash = %s, entry_hash = %s, "
            "hash_version = %s WHERE id = %s",
            [json.dumps(entry.detail), prev, entry.entry_hash, version, entry.pk],
        )
        prev = entry.entry_hash


def test_a_rewrite_with_recomputed_plain_hashes_is_detected(five):
    _rewrite_from(five, 2, audit.legacy_digest, AuditEntry.LEGACY_SHA256)
    found = problems()
    rewritten = {p.entry_id for p in found if "unkeyed (legacy) hash" in p.message}
    assert rewritten == {e.pk for e in five[2:]}
    assert any("no longer matches the checkpoint" in p.message for p in found)


def test_a_rewrite_keyed_with_a_guessed_key_is_detected(five):
    def wrong_key(prev: str, entry: AuditEntry) -> str:
        return audit.keyed_digest(b"not-the-key-" * 3, prev, entry)

    _rewrite_from(five, 2, wrong_key, AuditEntry.KEYED_HMAC)
    found = problems()
    altered = {p.entry_id for p in found if "does not match its keyed hash" in p.message}
    assert altered == {e.pk for e in five[2:]}
    assert any("no longer matches the checkpoint" in p.message for p in found)


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE core_auditentry SET action = 'x'",
        "DELETE FROM core_auditentry",
        "DELETE FROM core_auditentry WHERE id = (SELECT MAX(id) FROM core_auditentry)",
    ],
)
def test_the_database_refuses_update_and_delete(officer, sql):
    audit.record(officer, "view", officer)
    with (
        pytest.raises(IntegrityError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql)
    assert AuditEntry.objects.filter(action="view").exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="TRUNCATE triggers: PostgreSQL")
def test_postgresql_refuses_truncate(officer):
    audit.record(officer, "view", officer)
    with (
        pytest.raises(IntegrityError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no pending foreign-key checks
        cursor.execute("TRUNCATE core_auditentry")
    assert AuditEntry.objects.exists()


def test_verify_reports_a_dropped_trigger(five, capsys):
    audit_guard.uninstall(connection)
    lines = _verify_fails(capsys)
    assert lines and all("append-only trigger" in line for line in lines)
    audit_guard.install(connection)
    call_command("audit", "verify")


def test_a_rolled_back_append_leaves_no_checkpoint(officer, django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        audit.record(officer, "view", officer)
        raise RuntimeError("the change fails")
    assert callbacks == []
    assert not audit_checkpoint.path().exists()


def test_the_checkpoint_follows_the_head_and_is_keyed(five, officer, committed):
    cp = audit_checkpoint.read(audit_key())
    assert cp is not None
    assert (cp.count, cp.last_id, cp.last_hash) == (five[-1].seq, five[-1].pk, five[-1].entry_hash)
    data = json.loads(audit_checkpoint.path().read_text())
    data["count"] += 1  # a forged checkpoint, without the key
    audit_checkpoint.path().write_text(json.dumps(data))
    assert any("fails its MAC check" in p.message for p in problems())
    committed(officer, "view", officer)  # the next append replaces it, and says so
    found = [p.message for p in problems()]
    assert len(found) == 1 and "fails its MAC check" in found[0]


def test_checkpoints_go_to_syslog_when_asked(officer, committed, settings, monkeypatch):
    sent: list[tuple[int, str]] = []
    monkeypatch.setattr(audit_checkpoint.syslog, "syslog", lambda p, m: sent.append((p, m)))
    settings.HAKUSAN_AUDIT_SYSLOG = True
    entry = committed(officer, "view", officer)
    assert sent[-1][1] == (
        f"checkpoint count={entry.seq} last_id={entry.pk} last_hash={entry.entry_hash}"
    )


def test_a_log_without_checkpoint_is_reported_and_checkpoint_writes_it(officer, capsys):
    audit.record(officer, "view", officer)  # never committed: no checkpoint
    lines = _verify_fails(capsys)
    assert len(lines) == 1 and lines[0].startswith("no checkpoint at ")
    call_command("audit", "checkpoint")
    call_command("audit", "verify")
    assert "audit chain OK" in capsys.readouterr().out


def test_checkpoint_refuses_a_broken_log(five, capsys):
    as_db_attacker("DELETE FROM core_auditentry WHERE id = %s", [five[1].pk])
    with pytest.raises(CommandError, match="checkpoint refused"):
        call_command("audit", "checkpoint")


def test_hashing_survives_a_lone_surrogate(officer):
    entry = audit.record(officer, "view", officer)
    entry.detail = {"text": "a\ud800b"}
    assert len(audit.keyed_digest(audit_key(), entry.prev_hash, entry)) == 64
    assert len(audit.legacy_digest(entry.prev_hash, entry)) == 64


def test_text_no_database_keeps_is_stored_replaced(officer):
    """PostgreSQL refuses NUL and lone surrogates in text and jsonb: the audited action must
    not fail on what a user typed (a search for "%00", an imported name)."""
    entry = audit.record(
        officer,
        "search",
        object_type="search",
        object_id="q\x00",
        detail={"q": "a\ud800b\x00", "nested": [{"k\udc00": "v"}]},
    )
    entry.refresh_from_db()
    assert entry.object_id == "q\ufffd"
    assert entry.detail["q"].startswith("a\ufffd") and "\x00" not in entry.detail["q"]
    assert list(entry.detail["nested"][0]) == [next(iter(entry.detail["nested"][0]))]
    assert "\udc00" not in next(iter(entry.detail["nested"][0]))
    problems = [p for p in audit.verify_chain() if isinstance(p, audit.ChainProblem)]
    assert not [p for p in problems if p.entry_id is not None]


def test_numbers_that_jsonb_rewrites_keep_verifying(officer):
    """jsonb stores numeric: 1e+16 reads back as an integer, -0.0 as 0.0 (PostgreSQL)."""
    entry = audit.record(
        officer, "import", object_type="x", detail={"big": 1e16, "neg0": -0.0, "half": 0.5}
    )
    entry.refresh_from_db()
    assert entry.detail == {"big": "1e+16", "neg0": "-0.0", "half": 0.5}
    problems = [p for p in audit.verify_chain() if isinstance(p, audit.ChainProblem)]
    assert not [p for p in problems if p.entry_id is not None]


def test_the_key_file_is_created_private_and_an_explicit_one_must_exist(settings, tmp_path):
    from django.core.exceptions import ImproperlyConfigured

    settings.HAKUSAN_AUDIT_KEY_FILE = ""
    settings.DATA_DIR = tmp_path
    key = audit_key()
    path = tmp_path / "audit.key"
    assert path.stat().st_mode & 0o777 == 0o600 and audit_key() == key and len(key) == 64
    settings.HAKUSAN_AUDIT_KEY_FILE = str(tmp_path / "elsewhere" / "audit.key")
    with pytest.raises(ImproperlyConfigured, match="HAKUSAN_AUDIT_KEY_FILE"):
        audit_key()


def test_the_key_can_come_from_the_environment(settings, make_user, committed):
    from django.core.exceptions import ImproperlyConfigured

    settings.HAKUSAN_AUDIT_KEY = "k" * 40
    assert audit_key() == b"k" * 40
    officer = make_user("reception", "station")
    entry = committed(officer, "view", officer)
    assert entry.entry_hash == audit.keyed_digest(b"k" * 40, entry.prev_hash, entry)
    assert problems() == []
    settings.HAKUSAN_AUDIT_KEY = "another-key-" * 4  # no rotation: the old entries fail
    assert {p.entry_id for p in problems() if "keyed hash" in p.message} >= {entry.pk}
    settings.HAKUSAN_AUDIT_KEY = "too-short"
    with pytest.raises(ImproperlyConfigured, match="at least 32"):
        audit_key()


def test_without_the_key_verify_says_so(five, settings, tmp_path, capsys):
    settings.DATA_DIR = tmp_path  # the key is not there
    lines = _verify_fails(capsys)
    assert lines == [
        f"the audit key {tmp_path / 'audit.key'} is missing: keyed entries and the checkpoint "
        "cannot be verified"
    ]


def test_flush_is_refused_outside_the_tests(settings):
    settings.HAKUSAN_AUDIT_ALLOW_FLUSH = False
    with pytest.raises(CommandError, match="flush refused"):
        call_command("flush", interactive=False, verbosity=0)


def test_keyed_hash_is_hmac_over_ascii_json(officer):
    entry = audit.record(officer, "view", officer, detail={"名": "試験"})
    body = {
        "v": 2,
        "prev": entry.prev_hash,
        "seq": entry.seq,
        "at": entry.at.isoformat(),
        "actor": entry.actor_id,
        "actor_name": entry.actor_name,
        "action": "view",
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "detail": {"名": "試験"},
        "ip": None,
    }
    text = json.dumps(body, sort_keys=True, ensure_ascii=True, separators=(",", ":"))
    expected = hmac.new(audit_key(), text.encode(), hashlib.sha256).hexdigest()
    assert entry.entry_hash == expected


@pytest.mark.django_db(transaction=True)
def test_concurrent_appenders_keep_one_chain_and_a_forward_checkpoint(make_user, monkeypatch):
    """Several writers (gunicorn workers, Celery, the job thread) append and checkpoint at
    once: the chain has no fork and the checkpoint ends at the head."""
    import threading

    from django.db import connections

    if connection.vendor == "sqlite":  # as the embedded settings run it: one writer at a time
        options = connections.settings["default"].setdefault("OPTIONS", {})
        monkeypatch.setitem(options, "transaction_mode", "IMMEDIATE")
    officer = make_user("reception", "station")
    errors: list[BaseException] = []

    def append(n: int) -> None:
        try:
            for i in range(8):
                audit.record(officer, "view", object_type="t", object_id=f"{n}-{i}")
        except BaseException as exc:  # reported below, not lost in the thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=append, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    head = AuditEntry.objects.order_by("-seq").first()
    assert head is not None and head.seq == AuditEntry.objects.count()
    cp = audit_checkpoint.read(audit_key())
    assert cp is not None and (cp.count, cp.last_hash) == (head.seq, head.entry_hash)
    assert problems() == []
