"""Threat knowledge from the MISP galaxies packaged in pymispgalaxies (the real data, no
network): search by alias, tags on cases and campaigns, actors recorded from a cluster."""

import pytest
from django.urls import reverse

from hakusan.analysis import services
from hakusan.analysis.models import CaseTag, ThreatActor
from hakusan.core.models import AuditEntry
from hakusan.domain.attribution import GalaxyKind, alias_key, packaged_index

MENUPASS = "222fbd21-fc4f-4b7e-9f85-0e6e3a76c33f"  # mitre-intrusion-set "menuPass - G0045"
T1486 = "b80d107d-fa0d-4b60-9684-b0433e8bdba0"  # Data Encrypted for Impact


def test_apt10_finds_menupass_and_stone_panda():
    matches = packaged_index().search("APT10")
    by_galaxy = {(m.cluster.galaxy, m.cluster.name): m for m in matches}
    menupass = by_galaxy[("mitre-intrusion-set", "menuPass")]
    assert menupass.cluster.external_id == "G0045" and menupass.matched == "APT10"
    assert "Stone Panda" in menupass.cluster.aliases
    apt10 = by_galaxy[("threat-actor", "APT10")]
    assert {"STONE PANDA", "Menupass Team"} <= set(apt10.cluster.aliases)
    assert all(m.cluster.kind == GalaxyKind.ACTOR for m in matches[:2])
    # the other way round, and written differently
    assert "menuPass" in {m.cluster.name for m in packaged_index().search("stone panda")}
    assert [m.cluster.name for m in packaged_index().search("ＡＰＴ　１０")][:2] == [
        m.cluster.name for m in matches[:2]
    ]


def test_techniques_by_id_and_ransomware_by_name():
    t1486 = packaged_index().search("T1486")[0].cluster
    assert (t1486.uuid, t1486.name, t1486.kind) == (T1486, "Data Encrypted for Impact", "technique")
    assert "impact" in t1486.tactics
    assert t1486.tag == 'misp-galaxy:mitre-attack-pattern="Data Encrypted for Impact - T1486"'
    lockbit = packaged_index().search("lockbit", kinds=["ransomware"])
    assert lockbit and lockbit[0].cluster.name == "LockBit" and lockbit[0].rank == 0
    assert alias_key("APT-10") == alias_key("apt 10") == "apt10"


@pytest.mark.django_db
def test_search_page_and_recording_an_actor(login, analyst):
    client = login(analyst)
    page = client.get(reverse("analysis:knowledge"), {"q": "APT10"})
    body = page.content.decode()
    assert page.status_code == 200 and "menuPass" in body and "Stone Panda" in body
    response = client.post(reverse("analysis:actors"), {"cluster": MENUPASS})
    assert response.status_code == 302
    actor = ThreatActor.objects.get()
    assert actor.name == "menuPass" and "APT10" in actor.aliases and actor.external_id == "G0045"
    # a recorded actor is found by any alias
    listing = client.get(reverse("analysis:actors"), {"q": "stone panda"}).content.decode()
    assert "menuPass" in listing


@pytest.mark.django_db
def test_tag_a_case_through_the_autocomplete(login, analyst, file_case, make_user):
    case = file_case("VPN機器経由で侵入され暗号化された", opener=analyst)
    client = login(analyst)
    found = client.get(
        reverse("analysis:autocomplete"), {"q": "T1486", "target": f"case:{case.pk}"}
    ).content.decode()
    assert "Data Encrypted for Impact" in found and f"/analysis/cases/{case.pk}/tags/" in found
    response = client.post(reverse("analysis:case_tag", args=[case.pk]), {"cluster": T1486})
    assert response.status_code == 302
    tag = CaseTag.objects.get(case=case)
    assert (tag.external_id, tag.kind, tag.galaxy) == ("T1486", "technique", "mitre-attack-pattern")
    assert AuditEntry.objects.filter(action="tag", object_id=str(case.pk)).exists()
    page = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert "Data Encrypted for Impact (T1486)" in page and 'id="attack-tags"' in page
    # a reception officer who can see nothing of the case cannot tag it
    officer = make_user("reception", "other")
    other = login(officer)
    assert (
        other.post(reverse("analysis:case_tag", args=[case.pk]), {"cluster": T1486}).status_code
        == 404
    )


@pytest.mark.django_db
def test_actor_from_a_non_actor_cluster_is_refused(analyst):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.actor_from_galaxy(analyst, T1486)
    with pytest.raises(ValidationError):
        services.actor_from_galaxy(analyst, "00000000-0000-0000-0000-000000000000")
