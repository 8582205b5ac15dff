"""Similar cases: narratives and observables, reasons shown, an index cached on disk and
rebuilt when cases change, only cases the reader may see."""

import pytest
from django.urls import reverse

from hakusan.analysis import selectors, similarity
from hakusan.core.jobs import submit

from .conftest import C2_IP

pytestmark = pytest.mark.django_db

VPN = "VPN機器の脆弱性を突かれて社内ネットワークに侵入され、ファイルサーバが暗号化された。"


def test_similar_cases_with_reasons(analyst, file_case):
    a = file_case(f"{VPN} 通信先 {C2_IP}", opener=analyst)
    b = file_case(f"工場でも{VPN} C2 {C2_IP} との通信記録あり", opener=analyst)
    file_case("宅配業者を装うSMSが届き、偽サイトでパスワードを入力した。", opener=analyst)
    result = selectors.similar_cases(analyst, a)
    assert result.available and [r.case for r in result.rows] == [b]
    row = result.rows[0]
    assert row.score >= 0.1
    assert any("VPN機器の脆弱性" in term for term in row.shared_terms)
    assert row.shared_observables == ["ipv4: 45[.]137[.]21[.]9"]
    assert similarity.index_path().exists()


def test_the_index_is_rebuilt_when_cases_change_and_by_the_job(analyst, file_case):
    a = file_case(VPN, opener=analyst)
    selectors.similar_cases(analyst, a)
    first = similarity.load()
    assert first is not None and first.cases == 1
    b = file_case(f"別の会社でも{VPN}", opener=analyst)
    assert [r.case for r in selectors.similar_cases(analyst, a).rows] == [b]
    assert similarity.load().cases == 2
    run = submit("analysis.build_similarity", user=analyst, inline=True)
    assert run.status == "done" and run.result["cases"] == 2


def test_large_indexes_are_left_to_the_job(
    analyst, file_case, monkeypatch, django_capture_on_commit_callbacks
):
    a = file_case(VPN, opener=analyst)
    monkeypatch.setattr(similarity, "INLINE_LIMIT", 1)
    similarity.index_path().unlink(missing_ok=True)
    with django_capture_on_commit_callbacks(execute=False):
        current = similarity.current(inline_limit=1)
    assert current.stored is None and current.queued
    with django_capture_on_commit_callbacks(execute=False):
        result = selectors.similar_cases(analyst, a)
    assert not result.available


def test_only_visible_cases_are_listed(analyst, investigator, file_case, login):
    mine = file_case(VPN, opener=investigator)
    theirs = file_case(f"本部案件。{VPN}", opener=analyst)
    assert [r.case for r in selectors.similar_cases(analyst, mine).rows] == [theirs]
    assert selectors.similar_cases(investigator, mine).rows == []
    page = login(investigator).get(reverse("analysis:case_similar", args=[mine.pk]))
    assert page.status_code == 200 and theirs.number not in page.content.decode()
