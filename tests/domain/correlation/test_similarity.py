"""Similar-case search on fictional Japanese narratives (names, addresses and numbers invented;
IPs from the documentation ranges, domains under .example/.test)."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hakusan.domain.correlation import CaseText, SimilarCase, SimilarityIndex
from hakusan.domain.correlation import similarity as similarity_module

RANSOMWARE = {
    11: (
        "製造業の工場でサーバのファイルが暗号化され、身代金を要求する脅迫文が表示された。"
        "侵入経路はVPN機器の脆弱性と見られる。",
        {"ipv4:203.0.113.10", "btc:bc1qransomwallet01", "domain:leak-site.test"},
    ),
    12: (
        "部品メーカー（製造業）で生産管理システムが停止。VPN機器の認証情報が窃取され、"
        "社内のファイルが暗号化された。リークサイトに社名が掲載された。",
        {"ipv4:203.0.113.10", "domain:leak-site.test"},
    ),
    13: (
        "食品製造業の事業所で、ＶＰＮ機器経由の不正アクセスの後、ランサムウェアにより"
        "業務データが暗号化され、身代金の支払いを要求された。",
        {"btc:bc1qransomwallet01"},
    ),
}
SMISHING = {
    21: (
        "宅配業者を装ったSMSが届き、不在通知のリンクから偽サイトにアクセスしてIDとパスワードを"
        "入力してしまった。",
        {"domain:takuhai-fuzai.example", "phone:+819012345678"},
    ),
    22: (
        "「お荷物のお届けにあがりましたが不在のため持ち帰りました」という宅配の不在通知SMSの"
        "URLを開き、アプリをインストールした。",
        {"domain:takuhai-fuzai.example"},
    ),
    23: (
        "宅配便の不在通知を名乗るSMSを受信。偽サイトでクレジットカード番号を入力し、"
        "不正利用された。",
        {"url:http://takuhai-fuzai.example/login", "phone:+819012345678"},
    ),
}
SUPPORT_SCAM = {
    31: (
        "パソコンでサイトを閲覧中に警告画面と警告音が出て、表示されたサポート窓口に電話した。"
        "遠隔操作ソフトを入れるよう指示され、電子マネーを購入させられた。",
        {"phone:+81501234567", "domain:pc-support-desk.example"},
    ),
    32: (
        "「ウイルスに感染しました」と偽の警告画面が出て、記載の電話番号に電話すると、"
        "サポート料として電子マネーのカード番号を伝えるよう言われた。",
        {"phone:+81501234567"},
    ),
    33: (
        "偽のセキュリティ警告画面から電話をかけさせられ、遠隔操作ソフトで操作された後、"
        "ネットバンキングで送金させられた。サポート詐欺と思われる。",
        {"domain:pc-support-desk.example"},
    ),
}
KINDS = {"ransomware": RANSOMWARE, "smishing": SMISHING, "support": SUPPORT_SCAM}
KIND_OF = {case_id: kind for kind, cases in KINDS.items() for case_id in cases}
CASES = [
    CaseText(case_id, text, frozenset(observables))
    for cases in KINDS.values()
    for case_id, (text, observables) in cases.items()
]


@pytest.fixture(scope="module")
def index() -> SimilarityIndex:
    return SimilarityIndex.build(CASES)


@pytest.mark.parametrize(
    ("kind", "text"),
    [
        (
            "ransomware",
            "自動車部品の製造業者で、VPN機器から侵入されサーバが暗号化された。身代金を要求されている。",
        ),
        ("smishing", "宅配の不在通知SMSから偽サイトに誘導され、パスワードを入力した。"),
        ("support", "警告画面が表示され、サポートに電話したら電子マネーを買うよう言われた。"),
    ],
)
def test_a_new_narrative_finds_its_own_kind_first(
    index: SimilarityIndex, kind: str, text: str
) -> None:
    results = index.similar(text, frozenset())
    assert [KIND_OF[r.case_id] for r in results[:3]] == [kind] * 3
    assert all(r.shared_observables == () for r in results)
    assert all(r.score == r.text_score for r in results)  # text alone: the text score


def test_reasons_show_shared_phrases_and_observables(index: SimilarityIndex) -> None:
    query = "金属加工の製造業で、VPN機器の脆弱性を突かれ、ファイルが暗号化された。"
    results = index.similar(query, frozenset({"ipv4:203.0.113.10", "ipv4:198.51.100.7"}))
    top = results[0]
    assert top.case_id in (11, 12)
    assert top.shared_observables == ("ipv4:203.0.113.10",)
    assert any("VPN機器" in term for term in top.shared_terms), top.shared_terms
    assert any("製造業" in term for term in top.shared_terms), top.shared_terms
    assert any("暗号化" in term for term in top.shared_terms), top.shared_terms
    # every phrase shown is in both narratives (as written, after NFKC)
    own = dict(RANSOMWARE)[top.case_id][0]
    for term in top.shared_terms:
        assert term in query and term in own


def test_full_width_text_matches_and_is_shown_normalised(index: SimilarityIndex) -> None:
    # 13 writes ＶＰＮ機器 in full width; it still matches, and the reason reads VPN機器
    (result,) = [
        r for r in index.similar("ＶＰＮ機器経由の不正アクセス", frozenset()) if r.case_id == 13
    ]
    assert any("VPN機器経由の不正アクセス" in t for t in result.shared_terms), result.shared_terms


def test_similar_to_an_indexed_case(index: SimilarityIndex) -> None:
    results = index.similar_to(21, k=2)
    assert len(results) == 2
    assert 21 not in [r.case_id for r in results]
    assert {KIND_OF[r.case_id] for r in results} == {"smishing"}
    by_id = {r.case_id: r for r in index.similar_to(21)}
    # 23 shares the sender's phone number; the rarest observables come first
    assert by_id[23].shared_observables == ("phone:+819012345678",)
    assert by_id[22].shared_observables == ("domain:takuhai-fuzai.example",)
    assert any("不在通知" in t for t in by_id[22].shared_terms)


def test_combined_score_is_the_documented_weighted_sum(index: SimilarityIndex) -> None:
    (text, observables) = RANSOMWARE[11]
    for r in index.similar(text, frozenset(observables), exclude=11):
        observable_score = (r.score - 0.6 * r.text_score) / 0.4
        assert 0.0 <= observable_score <= 1.0 + 1e-9
        assert 0.0 <= r.score <= 1.0
    results = index.similar(text, frozenset(observables), exclude=11)
    # 13 shares the wallet, 12 the IP and the leak site: both ahead of every other kind
    assert {r.case_id for r in results[:2]} == {12, 13}


def test_observables_alone(index: SimilarityIndex) -> None:
    results = index.similar("", frozenset({"phone:+81501234567"}))
    # 32 has only this observable (weighted Jaccard 1.0); 31 also has a domain the query lacks
    assert [r.case_id for r in results] == [32, 31]
    assert results[0].score == pytest.approx(1.0)
    assert 0 < results[1].score < 1
    assert all(r.text_score == 0 and r.shared_terms == () for r in results)
    assert all(r.shared_observables == ("phone:+81501234567",) for r in results)
    assert index.similar("", frozenset({"phone:+81509999999"})) == []


def test_rare_shared_observables_count_for_more() -> None:
    cases = [
        CaseText(i, "", frozenset({"ipv4:192.0.2.1", f"domain:d{i}.example"})) for i in range(8)
    ]
    cases.append(CaseText(8, "", frozenset({"ipv4:192.0.2.1", "btc:bc1qrare"})))
    cases.append(CaseText(9, "", frozenset({"ipv4:198.51.100.1", "btc:bc1qrare"})))
    index = SimilarityIndex.build(cases)
    by_id = {r.case_id: r for r in index.similar_to(8)}
    # 9 shares the wallet only two cases have; 0–7 share an address nine cases have
    assert by_id[9].score > by_id[0].score
    assert by_id[9].shared_observables == ("btc:bc1qrare",)


def test_ranking_is_by_score_then_case_id(index: SimilarityIndex) -> None:
    results = index.similar("", frozenset({"domain:takuhai-fuzai.example"}))
    keys = [(-r.score, r.case_id) for r in results]
    assert keys == sorted(keys)


def test_k_and_exclude(index: SimilarityIndex) -> None:
    query = RANSOMWARE[11][0]
    assert len(index.similar(query, frozenset(), k=1)) == 1
    assert index.similar(query, frozenset(), k=0) == []
    assert 11 in [r.case_id for r in index.similar(query, frozenset())]
    assert 11 not in [r.case_id for r in index.similar(query, frozenset(), exclude=11)]
    assert index.similar(query, frozenset(), exclude=999)  # unknown: nothing to leave out
    with pytest.raises(KeyError):
        index.similar_to(999)


def test_empty_queries(index: SimilarityIndex) -> None:
    assert index.similar("", frozenset()) == []
    assert index.similar("   \n", frozenset()) == []
    assert index.similar("zzzzqqqq", frozenset()) == []  # no n-gram in the vocabulary


def test_empty_index() -> None:
    empty = SimilarityIndex.build([])
    assert len(empty) == 0
    assert empty.similar("VPN機器が暗号化された", frozenset({"ipv4:192.0.2.1"})) == []
    with pytest.raises(KeyError):
        empty.similar_to(1)


def test_index_without_any_text_still_matches_observables() -> None:
    index = SimilarityIndex.build(
        [CaseText(1, "", frozenset({"md5:" + "a" * 32})), CaseText(2, " ", frozenset())]
    )
    (only,) = index.similar("暗号化", frozenset({"md5:" + "a" * 32}))
    assert only == SimilarCase(1, 1.0, 0.0, ("md5:" + "a" * 32,), ())


def test_duplicate_case_ids_are_rejected() -> None:
    with pytest.raises(ValueError, match="case 1 is listed twice"):
        SimilarityIndex.build([CaseText(1, "a", frozenset()), CaseText(1, "b", frozenset())])


def test_identical_narratives_score_one() -> None:
    text = "宅配業者を装ったSMSから偽サイトに誘導された"
    index = SimilarityIndex.build(
        [CaseText(1, text, frozenset()), CaseText(2, "無関係な話", frozenset())]
    )
    (top, *_) = index.similar(text, frozenset())
    assert top.case_id == 1 and top.score == pytest.approx(1.0, abs=1e-5)
    assert top.shared_terms[0] == text


def test_phrases_are_maximal_passages_both_narratives_contain() -> None:
    query = "ファイルが暗号化された。VPN機器から侵入"
    other = "暗号化の後、侵入経路はVPN機器から、と判明"
    grams = {"暗号化": 0.3, "vpn機器": 0.5, "侵入": 0.1, "された": 0.01}
    norm = similarity_module.normalise(query)
    phrases = similarity_module._phrases(grams, norm, query, similarity_module.normalise(other))
    assert phrases == ("VPN機器から", "暗号化", "侵入")
    assert similarity_module._phrases({}, norm, query, other) == ()


def test_phrases_drop_punctuation_particles_and_okurigana() -> None:
    query = "で、VPN機器から偽サイトにされた"
    other = "現場で、VPN機器から偽サイトにされた"
    norm = similarity_module.normalise(query)
    grams = {"vpn機器": 0.5, "偽サイト": 0.4, "された": 0.2}
    phrases = similarity_module._phrases(grams, norm, query, similarity_module.normalise(other))
    # cut at 「、」; 「から」 dropped from the front; 「された」 alone is not shown
    assert phrases == ("VPN機器から偽サイトにされた",)
    assert similarity_module._phrases({"された": 0.2}, "された", "された", "された") == ()
    assert not similarity_module._meaningful("れた")
    assert not similarity_module._meaningful("ら電")
    assert similarity_module._meaningful("宅配")
    assert similarity_module._meaningful("SMS")


@settings(max_examples=40, deadline=None)
@given(
    texts=st.lists(st.text(alphabet="あいうえおカキクケコ漢字VPN ０１", max_size=30), max_size=6),
    query=st.text(alphabet="あいうえおカキクケコ漢字VPN ０１", max_size=30),
)
def test_any_input_gives_bounded_sorted_results(texts: list[str], query: str) -> None:
    index = SimilarityIndex.build(
        [CaseText(i, t, frozenset({f"domain:d{i % 2}.example"})) for i, t in enumerate(texts)]
    )
    results = index.similar(query, frozenset({"domain:d0.example"}))
    assert all(0.0 < r.score <= 1.0 + 1e-6 and 0.0 <= r.text_score <= 1.0 for r in results)
    keys = [(-r.score, r.case_id) for r in results]
    assert keys == sorted(keys)
