"""Campaigns through the pages: accept a suggestion, the campaign page (cases, shared
infrastructure, timeline, techniques, actor), hypotheses, and the attribution report in HTML
and PDF (audited). Who may do what."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from hakusan.analysis import services
from hakusan.analysis.models import Campaign, CampaignCase
from hakusan.core.models import AuditEntry

from .conftest import C2_IP, RANSOM_MAIL
from .test_knowledge import MENUPASS, T1486

pytestmark = pytest.mark.django_db


@pytest.fixture
def pair(analyst, file_case):
    a = file_case(
        f"VPN経由で侵入、暗号化。C2 {C2_IP} 連絡先 {RANSOM_MAIL}",
        opener=analyst,
        title="製造業A社ランサムウェア",
    )
    b = file_case(f"同様の手口。通信先 {C2_IP}", opener=analyst, title="病院Bランサムウェア")
    return a, b


def test_accept_a_suggestion_as_a_campaign(login, analyst, pair):
    a, b = pair
    client = login(analyst)
    page = client.get(reverse("analysis:suggestions"))
    body = page.content.decode()
    assert page.status_code == 200 and a.number in body and b.number in body
    assert "45[.]137[.]21[.]9" in body and C2_IP not in body
    form = page.context["rows"][0][1]
    response = client.post(
        reverse("analysis:accept"),
        {
            "prefix": form.prefix,
            f"{form.prefix}-key": f"{a.pk}-{b.pk}",
            f"{form.prefix}-name": "VPN侵入型ランサムウェア攻撃群",
            f"{form.prefix}-actor": "APT10",
            f"{form.prefix}-description": "",
        },
    )
    campaign = Campaign.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "analysis:campaign", args=[campaign.pk]
    )
    assert campaign.actor is not None and campaign.actor.name == "APT10"
    assert "STONE PANDA" in campaign.actor.aliases
    members = {m.case: m for m in CampaignCase.objects.filter(campaign=campaign)}
    assert set(members) == {a, b}
    evidence = members[a].evidence
    assert evidence["source"] == "suggestion" and evidence["score"] == 1.0
    assert [t["value"] for t in evidence["ties"]] == [C2_IP]
    assert AuditEntry.objects.filter(action="create", object_type="analysis.campaign").exists()
    # the suggestion now shows the campaign instead of the form
    again = client.get(reverse("analysis:suggestions")).content.decode()
    assert (
        "VPN侵入型ランサムウェア攻撃群" in again
        and 'class="row g-2 align-items-start accept-form"' not in again
    )


def test_campaign_page_report_html_and_pdf(login, analyst, pair):
    a, b = pair
    campaign = services.create_campaign(analyst, name="攻撃群X", cases=[a, b], description="説明")
    services.tag_campaign(campaign, analyst, T1486)
    actor = services.actor_from_galaxy(analyst, MENUPASS)
    from hakusan.indicators.models import Observable

    c2 = Observable.objects.get(value=C2_IP)
    services.add_hypothesis(
        campaign,
        analyst,
        actor=actor,
        confidence="moderate",
        rationale="C2基盤と暗号化手法が過去の報告と一致する。",
        evidence={"observables": [c2.pk], "techniques": [T1486], "refs": ["JPCERT/CC 注意喚起"]},
    )
    client = login(analyst)
    page = client.get(reverse("analysis:campaign", args=[campaign.pk])).content.decode()
    for expected in (
        a.number,
        b.number,
        "45[.]137[.]21[.]9",
        "Data Encrypted for Impact",
        "menuPass",
        "C2基盤",
    ):
        assert expected in page
    assert 'id="campaign-timeline"' in page

    html = client.get(reverse("analysis:report", args=[campaign.pk]))
    text = html.content.decode()
    assert html.status_code == 200
    for expected in (
        "攻撃群X",
        "menuPass",
        "C2基盤と暗号化手法",
        "45[.]137[.]21[.]9",
        "T1486",
        "JPCERT/CC 注意喚起",
        a.number,
        "TLP:AMBER",
    ):
        assert expected in text, expected
    assert C2_IP not in text

    pdf = client.get(reverse("analysis:report_pdf", args=[campaign.pk]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    exports = AuditEntry.objects.filter(action="export", object_id=str(campaign.pk))
    assert sorted(e.detail["format"] for e in exports) == ["html", "pdf"]


def test_only_analysts_supervisors_and_admins_change_campaigns(make_user, pair, login):
    a, b = pair
    for role in ("reception", "investigator", "csirt"):
        user = make_user(role, "cyber")
        with pytest.raises(PermissionDenied):
            services.create_campaign(user, name=f"x-{role}", cases=[])
        assert login(user).post(reverse("analysis:campaigns"), {"name": "x"}).status_code == 403
    admin = make_user("admin", "cyber")
    assert services.create_campaign(admin, name="管理者作成", cases=[a]).memberships.count() == 1
    with pytest.raises(ValidationError):
        services.create_campaign(admin, name="管理者作成", cases=[b])  # names are unique


def test_a_campaign_never_gets_or_shows_a_case_its_reader_may_not_see(
    analyst, investigator, pair, file_case, make_user, login
):
    a, b = pair
    supervisor = make_user("supervisor", "other")  # sees the cases led by the other station
    with pytest.raises(ValidationError):
        services.create_campaign(supervisor, name="越権", cases=[a])
    mine = file_case(f"当署案件 {C2_IP}", opener=investigator)
    campaign = services.create_campaign(analyst, name="混在", cases=[a, b, mine])
    client = login(investigator)
    page = client.get(reverse("analysis:campaign", args=[campaign.pk]))
    body = page.content.decode()
    assert page.status_code == 200 and mine.number in body
    assert a.number not in body and b.number not in body and a.title not in body
    assert "hidden-count" in body
    report = client.get(reverse("analysis:report", args=[campaign.pk])).content.decode()
    assert a.number not in report and b.number not in report
    # a campaign without any case the reader may see does not exist for them
    other = services.create_campaign(analyst, name="本部のみ", cases=[a, b])
    assert client.get(reverse("analysis:campaign", args=[other.pk])).status_code == 404
    assert client.get(reverse("analysis:report_pdf", args=[other.pk])).status_code == 404


def test_manual_campaign_and_edits(login, analyst, pair):
    a, b = pair
    client = login(analyst)
    response = client.post(
        reverse("analysis:campaigns"),
        {
            "name": "手動作成",
            "cases": f"{a.number}, {b.number}",
            "tlp": "red",
            "actor": "Stone Panda",
            "description": "",
        },
    )
    campaign = Campaign.objects.get(name="手動作成")
    assert response.status_code == 302 and campaign.tlp == "red"
    assert campaign.actor.name in ("APT10", "menuPass")
    bad = client.post(
        reverse("analysis:campaigns"), {"name": "x", "cases": "C2099-99999", "tlp": "amber"}
    )
    assert bad.status_code == 400 and "C2099-99999" in bad.content.decode()
    client.post(
        reverse("analysis:campaign_update", args=[campaign.pk]),
        {"name": "手動作成", "status": "dormant", "tlp": "red", "actor": "", "description": "休止"},
    )
    campaign.refresh_from_db()
    assert campaign.status == "dormant" and campaign.actor is None
    client.post(reverse("analysis:campaign_remove_case", args=[campaign.pk, b.pk]))
    assert list(campaign.cases.all()) == [a]
