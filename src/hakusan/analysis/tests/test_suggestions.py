"""Campaign clustering end to end through the services: reports are filed, cases opened, the
suggestions job runs, and the suggestions hold exactly the true groups. Decoys that share only
a warninglisted value or a too-common value stay out; readers only ever see suggestions among
the cases they may see."""

import pytest

from hakusan.analysis import selectors
from hakusan.analysis.models import SuggestionSnapshot
from hakusan.core.jobs import submit
from hakusan.core.models import AuditEntry, JobRun
from hakusan.indicators.models import Observable

from .conftest import C2_IP, HOSTING_IP, LONE_IP, PHISH_IP, PHISH_URL, PUBLIC_DNS, RANSOM_MAIL

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(analyst, file_case, warninglist, settings):
    settings.HAKUSAN_TOO_COMMON = 3
    c = {}
    # Group A: A1–A2 share the C2 address, A1–A3 the ransom note's mail address.
    c["a1"] = file_case(
        f"社内サーバが暗号化された。C2 {C2_IP.replace('.', '[.]')} 連絡先 {RANSOM_MAIL}",
        opener=analyst,
    )
    c["a2"] = file_case(f"ファイルサーバが暗号化。通信先 {C2_IP}", opener=analyst)
    c["a3"] = file_case(f"脅迫文に連絡先 {RANSOM_MAIL.replace('.', '[.]')} の記載", opener=analyst)
    # Group B: the same phishing site.
    c["b1"] = file_case(
        f"SMSのURL hxxps://kuro-neko-track[.]top/login に入力。接続元 {PHISH_IP}",
        opener=analyst,
        case_type="phishing",
    )
    c["b2"] = file_case(f"偽サイト {PHISH_URL} でID入力", opener=analyst, case_type="phishing")
    # Decoys: a public resolver (warninglisted) and a hosting address in too many cases.
    c["d1"] = file_case(f"DNS設定 {PUBLIC_DNS} を確認", opener=analyst, case_type="other")
    c["d2"] = file_case(f"端末のDNSは {PUBLIC_DNS}", opener=analyst, case_type="other")
    for i in range(1, 5):
        c[f"e{i}"] = file_case(
            f"不審な接続 {HOSTING_IP} あり({i})", opener=analyst, case_type="other"
        )
    c["lone"] = file_case(f"単独の接続元 {LONE_IP}", opener=analyst, case_type="other")
    warninglist(PUBLIC_DNS)
    return c


def _groups(snapshot: SuggestionSnapshot) -> set[frozenset[int]]:
    return {frozenset(s["case_ids"]) for s in snapshot.suggestions}


def test_the_job_suggests_exactly_the_true_groups(world, analyst):
    run = submit("analysis.suggest_campaigns", {"scope": "all"}, user=analyst, inline=True)
    assert JobRun.objects.get(pk=run.pk).status == "done", run.error
    snapshot = SuggestionSnapshot.objects.get(scope="all")
    a = frozenset(world[k].pk for k in ("a1", "a2", "a3"))
    b = frozenset(world[k].pk for k in ("b1", "b2"))
    assert _groups(snapshot) == {a, b}

    ties = {
        frozenset(s["case_ids"]): {t["observable_id"] for t in s["ties"]}
        for s in snapshot.suggestions
    }
    obs = {o.value: o.pk for o in Observable.objects.all()}
    assert ties[a] == {obs[C2_IP], obs[RANSOM_MAIL]}
    assert obs[PHISH_URL] in ties[b]
    evidence = {oid for group in ties.values() for oid in group}
    assert obs[PUBLIC_DNS] not in evidence and obs[HOSTING_IP] not in evidence
    assert snapshot.stats["warninglisted"] >= 1 and snapshot.stats["too_common"] >= 1
    assert AuditEntry.objects.filter(action="compute_suggestions").exists()


def test_suggestions_for_a_reader_are_cached_and_recomputed_when_cases_change(
    world, analyst, file_case
):
    first = selectors.suggestions_for(analyst)
    assert not first.stale and len(first.items) == 2
    computed_at = SuggestionSnapshot.objects.get(scope="all").computed_at
    again = selectors.suggestions_for(analyst)
    assert again.computed_at == computed_at  # served from the snapshot

    # a new case with both of A1's values: each is now in three cases (0.63), and A1 and the
    # new case share two of them (1.26): a tie; A2 and A3 share only one value with either.
    c = file_case(f"追加の被害。C2 {C2_IP} 連絡先 {RANSOM_MAIL}", opener=analyst)
    third = selectors.suggestions_for(analyst)
    assert third.computed_at > computed_at
    group = next(item for item in third.items if world["a1"] in item.cases)
    assert group.cases == [world["a1"], c]
    # the ties show defanged values and the cases that share them
    shown = {t.shown for t in group.ties}
    assert "45[.]137[.]21[.]9" in shown and C2_IP not in shown


def test_large_scopes_are_left_to_the_job(
    world, analyst, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(selectors, "SUGGESTIONS_INLINE_LIMIT", 2)
    with django_capture_on_commit_callbacks(execute=False):
        result = selectors.suggestions_for(analyst)
    assert result.items == [] and result.stale and result.queued
    assert JobRun.objects.filter(name="analysis.suggest_campaigns").count() == 1
    # asking again while it is queued does not queue it twice
    with django_capture_on_commit_callbacks(execute=False):
        assert not selectors.suggestions_for(analyst).queued
    assert JobRun.objects.filter(name="analysis.suggest_campaigns").count() == 1


def test_a_reader_outside_the_cases_never_sees_them_in_suggestions(
    world, analyst, investigator, file_case, make_user
):
    shared_ip = "194.26.29.201"
    outsider_filer = make_user("reception", "other")
    own = file_case(f"当署受理。接続元 {shared_ip}", opener=investigator)
    other = file_case(f"他署受理。接続元 {shared_ip}", opener=investigator, filer=outsider_filer)
    result = selectors.suggestions_for(investigator)
    assert result.scope == f"user:{investigator.pk}"
    assert [{c.number for c in item.cases} for item in result.items] == [{own.number, other.number}]
    assert [(t.shown, t.weight, t.hidden_cases) for t in result.items[0].ties] == [
        ("194[.]26[.]29[.]201", 1.0, 0)
    ]
    assert selectors.suggestions_for(analyst).scope == "all"

    # A case the investigator may not see shares the address too: the weight comes from every
    # case (three now: 0.63, below one tie), never from the investigator's two alone, and the
    # third case is not named anywhere.
    hidden = file_case(f"本部受理。接続元 {shared_ip}", opener=analyst)
    result = selectors.suggestions_for(investigator)
    assert result.items == []
    for key in ("a1", "a2", "a3", "b1", "b2"):
        assert world[key].number not in str(result)
    assert hidden.number not in str(result)


def test_the_periodic_refresh_recomputes_only_what_changed(world, analyst):
    first = submit("analysis.refresh", inline=True)
    assert first.status == "done", first.error
    assert first.result["suggestions"] == 2 and first.result["similarity_cases"] == len(world)
    second = submit("analysis.refresh", inline=True)
    assert second.status == "done" and second.result == {}
