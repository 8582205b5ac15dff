import re

from hakusan.domain.triage import SEED_CATEGORIES, CategoryDef, normalise

MIYAGI_SIX = (
    "詐欺・悪質商法関係等",
    "名誉毀損、誹謗中傷関係",
    "不正アクセス・ウイルス関係",
    "迷惑メール関係",
    "違法有害サイト関係",
    "その他",
)
ADDITIONS = (
    "インターネットオークション",
    "クレジットカード犯罪",
    "インターネットバンキング不正送金",
    "ランサムウェア",
    "フィッシング",
    "サポート詐欺",
    "児童の被害",
    "プロバイダとの契約トラブル",
)


def test_seed_list_is_taxonomy_section_one() -> None:
    names = [c.name_ja for c in SEED_CATEGORIES]
    assert names == [*MIYAGI_SIX, *ADDITIONS]
    codes = [c.code for c in SEED_CATEGORIES]
    assert len(set(codes)) == len(codes) == 14
    assert all(re.fullmatch(r"[a-z][a-z_]*", c) for c in codes)
    assert {"fraud", "defamation", "ransomware", "phishing", "support_scam", "other"} <= set(codes)


def test_keywords_are_many_distinct_and_normalisable() -> None:
    for cat in SEED_CATEGORIES:
        assert isinstance(cat, CategoryDef)
        assert 15 <= len(cat.keywords) <= 40, cat.code
        normalised = [normalise(k).strip() for k in cat.keywords]
        assert all(normalised), cat.code
        assert len(set(normalised)) == len(normalised), f"duplicate keyword in {cat.code}"


def test_cyber_division_choices() -> None:
    by_code = {c.code: c for c in SEED_CATEGORIES}
    for code in ("unauthorized_access", "ransomware", "online_banking", "phishing"):
        assert by_code[code].cyber_division
    # 誹謗中傷 is consulted at stations and referred (法務局 / 違法・有害情報相談センター).
    for code in ("defamation", "fraud", "spam_mail", "provider_trouble", "other"):
        assert not by_code[code].cyber_division
    assert by_code["fraud"].cyberish  # crypto addresses make a fraud a cyber-division case
    assert not by_code["defamation"].cyberish
