"""Victims' and reporters' own contacts never leave, even when a case copies every
observable of its reports (found by the issue-4 review: a victim's e-mail reached TAXII)."""

import pytest

from hakusan.cases.models import Case, CaseType
from hakusan.cases.services import open_case
from hakusan.core.models import AuditEntry
from hakusan.indicators.models import Observable
from hakusan.indicators.services import set_do_not_share
from hakusan.intake.services import create_report, create_reports_bulk
from hakusan.partners import policy

VICTIM_MAIL = "hanako.victim@example.jp"


@pytest.fixture
def victim_report(analyst, draft):
    narrative = (
        f"被害者（連絡先 {VICTIM_MAIL}）に届いたメールのリンク "
        "hxxps://login-check[.]example[.]jp/verify を開き、カード情報を入力した。"
    )
    filed = create_report(
        analyst,
        draft(narrative=narrative, victim_contact=VICTIM_MAIL, items=()),
        tlp="clear",
    )
    return filed.report


def test_a_victims_mail_in_a_clear_case_is_not_shareable(analyst, victim_report, make_partner):
    case = open_case(
        analyst,
        reports=[victim_report],
        case_type=CaseType.objects.first(),
        title="フィッシング",
    )
    Case.objects.filter(pk=case.pk).update(tlp="clear")
    from hakusan.indicators.models import Sighting

    Sighting.objects.filter(source_kind="case", source_id=case.pk).update(tlp="clear")
    partner, _key = make_partner("Vendor", max_tlp="green")

    shared = {o.value for o in policy.shareable_for(partner)}
    assert "https://login-check.example.jp/verify" in shared  # the case still shares the URL
    assert VICTIM_MAIL not in shared
    mail = Observable.objects.get(type="email", value=VICTIM_MAIL)
    assert mail.do_not_share
    assert "do-not-share" in " ".join(policy.explain(mail, partner).reasons)


def test_contacts_are_protected_before_they_are_ever_sighted(analyst, draft):
    create_report(analyst, draft(reporter_contact="03-1234-5678 / taro@example.jp"))
    protected = set(Observable.objects.filter(do_not_share=True).values_list("type", "value"))
    assert {("phone", "+81312345678"), ("email", "taro@example.jp")} <= protected
    assert AuditEntry.objects.filter(action="do_not_share").exists()


def test_bulk_filing_protects_contacts_too(analyst, draft):
    create_reports_bulk(
        analyst,
        [draft(victim_contact="a.victim@example.jp"), draft(reporter_contact="b@example.jp")],
    )
    assert set(
        Observable.objects.filter(do_not_share=True, type="email").values_list("value", flat=True)
    ) >= {"a.victim@example.jp", "b@example.jp"}


def test_an_analyst_can_lift_the_flag(analyst, victim_report):
    mail = Observable.objects.get(type="email", value=VICTIM_MAIL)
    set_do_not_share(mail, analyst, False, reason="reporter asked us to share it")
    mail.refresh_from_db()
    assert not mail.do_not_share
