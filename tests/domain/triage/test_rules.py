import time

import pytest

from hakusan.domain.triage import (
    SEED_CATEGORIES,
    CategoryDef,
    Reason,
    RuleTriager,
    TriageInput,
    TriageResult,
)


@pytest.fixture(scope="module")
def triager() -> RuleTriager:
    return RuleTriager()


def keywords(result: TriageResult, category: str | None = None) -> set[str]:
    return {
        r.detail
        for r in result.reasons
        if r.kind == "keyword" and (category is None or r.category == category)
    }


def test_ransomware_with_company_victim(triager: RuleTriager) -> None:
    item = TriageInput(
        "社内のファイルサーバが暗号化され、拡張子が.lockbitに変わり、脅迫文が置かれていた。",
        observable_types=frozenset({"btc", "sha256"}),
        victim_kind="company",
    )
    result = triager.suggest(item)
    assert result.category == "ransomware"
    assert result.source == "rules"
    assert result.needs_cyber
    assert {"「暗号化され」", "「拡張子」", "「.lockbit」", "「脅迫文」"} <= keywords(
        result, "ransomware"
    )
    kinds = {r.kind for r in result.reasons if r.category == "ransomware"}
    assert {"keyword", "observable", "category", "victim"} <= kinds
    assert result.scores["ransomware"] == max(result.scores.values())
    assert 0 < result.scores["ransomware"] < 1


def test_phishing_with_url(triager: RuleTriager) -> None:
    item = TriageInput(
        "宅配業者を名乗るSMSのリンクを開き、偽サイトでIDとパスワードを入力してしまった。",
        observable_types=frozenset({"url", "domain", "phone"}),
    )
    result = triager.suggest(item)
    assert result.category == "phishing"
    assert result.needs_cyber
    assert "「偽サイト」" in keywords(result, "phishing")
    assert any(r.kind == "observable" and r.detail == "url" for r in result.reasons)


def test_defamation_without_observables_stays_with_the_station(triager: RuleTriager) -> None:
    # TAXONOMY §3: 誹謗中傷 is not an IHC class; stations consult and refer (法務局 etc.).
    item = TriageInput("匿名掲示板に実名で悪口を書き込まれ、削除してほしい。")
    result = triager.suggest(item)
    assert result.category == "defamation"
    assert not result.needs_cyber
    assert not [r for r in result.reasons if r.kind in ("category", "victim", "damage")]


def test_nothing_matched_is_other_with_a_low_score(triager: RuleTriager) -> None:
    result = triager.suggest(TriageInput("先日の件でお話ししたいことがあります。"))
    assert result.category == "other"
    assert result.scores == {"other": 0.1}
    assert not result.needs_cyber
    assert result.reasons == (Reason("keyword", "no keyword or observable matched", 0.0, "other"),)


def test_matching_is_nfkc_and_case_insensitive(triager: RuleTriager) -> None:
    # half-width katakana, full-width ASCII and upper case
    result = triager.suggest(TriageInput("ﾗﾝｻﾑｳｪｱで全ファイルが．ＬＯＣＫＢＩＴになった"))
    assert result.category == "ransomware"
    assert {"「ランサムウェア」", "「.lockbit」"} <= keywords(result)


def test_longest_keyword_wins_and_weighs_more(triager: RuleTriager) -> None:
    result = triager.suggest(TriageInput("画面にウイルスに感染しています、と出た"))
    assert keywords(result) == {"「ウイルスに感染しています」"}  # not also 「ウイルス」「感染」
    assert result.category == "support_scam"
    short = triager.suggest(TriageInput("ウイルス"))
    assert result.reasons[0].weight > short.reasons[0].weight


def test_ascii_keywords_match_whole_words_only(triager: RuleTriager) -> None:
    assert "「C2」" in keywords(triager.suggest(TriageInput("C2サーバへの通信を確認")))
    hashed = triager.suggest(TriageInput("ハッシュ値 3fa9c2e07b"))
    assert "「C2」" not in keywords(hashed)


def test_technical_observables_with_a_cyberish_category(triager: RuleTriager) -> None:
    text = "投資詐欺で暗号資産を送金してしまった"
    plain = triager.suggest(TriageInput(text))
    assert plain.category == "fraud" and not plain.needs_cyber
    with_btc = triager.suggest(TriageInput(text, observable_types=frozenset({"btc"})))
    assert with_btc.category == "fraud" and with_btc.needs_cyber
    assert any(r.kind == "observable" and "btc" in r.detail for r in with_btc.reasons)
    # an IP address does not make defamation a cyber-division case
    defamation = triager.suggest(
        TriageInput("掲示板に誹謗中傷を書き込まれた", observable_types=frozenset({"ipv4"}))
    )
    assert defamation.category == "defamation" and not defamation.needs_cyber


def test_company_victim_with_unauthorized_access_signal(triager: RuleTriager) -> None:
    text = "迷惑メールが大量に届く。送信元は不正アクセスされたサーバらしい。"
    person = triager.suggest(TriageInput(text))
    company = triager.suggest(TriageInput(text, victim_kind="company"))
    assert person.category == company.category == "spam_mail"
    assert not person.needs_cyber
    assert company.needs_cyber
    victim = [r for r in company.reasons if r.kind == "victim"]
    assert victim and victim[0].category == "unauthorized_access"


@pytest.mark.parametrize(
    ("amount", "expected"), [(None, False), (999_999, False), (1_000_000, True)]
)
def test_high_damage_fraud(triager: RuleTriager, amount: int | None, expected: bool) -> None:
    item = TriageInput("副業サイトに騙されて振り込んだ", damage_amount=amount)
    result = triager.suggest(item)
    assert result.category == "fraud"
    assert result.needs_cyber is expected
    assert any(r.kind == "damage" for r in result.reasons) is expected


def test_custom_categories() -> None:
    cats = (
        CategoryDef("stalking", "ストーカー", "Stalking", ("つきまとい", "ストーカー"), False),
        CategoryDef("other", "その他", "Other", ("その他",), False),
    )
    triager = RuleTriager(cats)
    assert triager.suggest(TriageInput("SNSでつきまといを受けている")).category == "stalking"
    with pytest.raises(ValueError, match="duplicate"):
        RuleTriager((*cats, cats[0]))
    no_other = RuleTriager(cats[:1])
    assert no_other.suggest(TriageInput("何もない")).category is None


def test_shared_keywords_split_their_weight() -> None:
    cats = (
        CategoryDef("a", "A", "A", ("共通語", "専用語"), False),
        CategoryDef("b", "B", "B", ("共通語",), False),
    )
    result = RuleTriager(cats).suggest(TriageInput("共通語"))
    weights = {r.category: r.weight for r in result.reasons}
    assert weights["a"] == weights["b"] == pytest.approx(1.25 / 2)


def test_suggest_is_well_under_a_millisecond(triager: RuleTriager) -> None:
    from hakusan.domain.demo import generate_reports

    inputs = [
        TriageInput(s.narrative, frozenset({"url"}), s.damage_amount, s.victim_kind)
        for s in generate_reports(2000, seed=5)
    ]
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for item in inputs:
            triager.suggest(item)
        best = min(best, (time.perf_counter() - start) / len(inputs))
    print(f"\nRuleTriager.suggest: {best * 1e6:.1f} µs/report ({len(SEED_CATEGORIES)} categories)")
    assert best < 0.5e-3
