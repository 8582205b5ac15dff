"""The case graph: the case, its reports and observables, other cases and reports sharing
them, derived links; need-to-know (counts, never identities), warninglisted and too-common
observables marked and not expanded, and the node cap."""

import json

import pytest
from django.urls import reverse

from hakusan.analysis import loaders
from hakusan.analysis.graph import Limits, case_graph, graph_rows
from hakusan.indicators.models import Observable

from .conftest import C2_IP, HOSTING_IP, PHISH_URL, PUBLIC_DNS, RANSOM_MAIL

pytestmark = pytest.mark.django_db


def _ids(graph, kind):
    return {n["id"] for n in graph["nodes"] if n["kind"] == kind}


def _obs(graph, value):
    pk = Observable.objects.get(value=value).pk
    return next(n for n in graph["nodes"] if n["id"] == f"obs:{pk}")


def test_the_neighbourhood_of_a_case(analyst, file_case):
    a = file_case(f"C2 {C2_IP} 連絡先 {RANSOM_MAIL} フィッシング {PHISH_URL}", opener=analyst)
    b = file_case(f"通信先 {C2_IP}", opener=analyst)
    c = file_case(f"脅迫文 {RANSOM_MAIL}", opener=analyst)
    unrelated = file_case("関係のない相談", opener=analyst)

    graph = case_graph(analyst, a)
    assert graph["root"] == f"case:{a.pk}"
    assert _ids(graph, "case") == {f"case:{a.pk}", f"case:{b.pk}", f"case:{c.pk}"}
    assert f"case:{unrelated.pk}" not in json.dumps(graph)
    # a's report hangs from a, its observables from the report
    report = a.reports.get()
    edges = {(e["source"], e["target"], e["kind"]) for e in graph["edges"]}
    c2 = _obs(graph, C2_IP)
    assert (f"case:{a.pk}", f"report:{report.pk}", "contains") in edges
    assert (f"report:{report.pk}", c2["id"], "sighted") in edges
    assert (f"case:{b.pk}", c2["id"], "shares") in edges
    # b's report shares the address too, and belongs to b
    b_report = b.reports.get()
    assert (f"report:{b_report.pk}", c2["id"], "shares") in edges
    assert (f"case:{b.pk}", f"report:{b_report.pk}", "contains") in edges
    # labels are defanged
    assert c2["label"] == "45[.]137[.]21[.]9"
    assert _obs(graph, PHISH_URL)["label"].startswith("hxxps://kuro-neko-track[.]top")
    assert PHISH_URL not in json.dumps(graph)

    rows = graph_rows(graph)
    row = next(r for r in rows if r["node"]["id"] == c2["id"])
    assert {n["label"] for n in row["shared_with"]} >= {b.number}


def test_an_investigator_outside_the_other_case_sees_counts_only(
    analyst, investigator, file_case, make_user
):
    mine = file_case(f"当署受理。C2 {C2_IP}", opener=investigator)
    other_filer = make_user("reception", "other")
    theirs = file_case(f"本部。通信先 {C2_IP}", opener=analyst, filer=other_filer)

    graph = case_graph(investigator, mine)
    text = json.dumps(graph, ensure_ascii=False)
    assert theirs.number not in text and theirs.title not in text
    assert theirs.reports.get().number not in text
    assert f"case:{theirs.pk}" not in text and f"report:{theirs.reports.get().pk}" not in text
    hidden = {n["hidden_kind"]: n["count"] for n in graph["nodes"] if n["kind"] == "hidden"}
    assert hidden == {"case": 1, "report": 1}
    # the analyst sees the other case by name
    full = case_graph(analyst, mine)
    assert f"case:{theirs.pk}" in _ids(full, "case")


def test_warninglisted_and_too_common_observables_are_marked_not_expanded(
    analyst, file_case, warninglist, settings
):
    settings.HAKUSAN_TOO_COMMON = 3
    a = file_case(f"DNS {PUBLIC_DNS} ホスティング {HOSTING_IP} C2 {C2_IP}", opener=analyst)
    b = file_case(f"DNS {PUBLIC_DNS}", opener=analyst)
    for i in range(3):
        file_case(f"ホスティング {HOSTING_IP} ({i})", opener=analyst)
    warninglist(PUBLIC_DNS)

    graph = case_graph(analyst, a)
    dns, hosting = _obs(graph, PUBLIC_DNS), _obs(graph, HOSTING_IP)
    assert dns["warninglisted"] and not dns["expand"]
    assert hosting["too_common"] and not hosting["expand"] and hosting["cases_total"] == 4
    assert _obs(graph, C2_IP)["expand"]
    assert f"case:{b.pk}" not in _ids(graph, "case")  # not pulled in through the resolver
    assert _ids(graph, "case") == {f"case:{a.pk}"}


def test_the_node_cap_leaves_a_more_node(analyst, file_case):
    a = file_case(f"C2 {C2_IP}", opener=analyst)
    for i in range(8):
        file_case(f"通信先 {C2_IP} ({i})", opener=analyst)
    graph = case_graph(analyst, a, Limits(cap=300, per_observable=3))
    more = [n for n in graph["nodes"] if n["kind"] == "more"]
    # 8 other cases and their 8 reports share the address: 3 shown, 13 counted
    assert len(more) == 1 and more[0]["count"] == 13
    small = case_graph(analyst, a, Limits(cap=10, per_observable=20))
    assert len(small["nodes"]) <= 10 and small["truncated"] > 0
    kinds = [n["kind"] for n in small["nodes"]]
    assert kinds.count("more") == 1  # what did not fit is still counted
    more = next(n for n in small["nodes"] if n["kind"] == "more")
    shown = sum(1 for n in small["nodes"] if n["kind"] in ("case", "report")) - 2
    assert more["count"] + shown == 16


@pytest.mark.skipif(
    loaders.observable_link_model() is None, reason="indicators.ObservableLink not in the store yet"
)
def test_derived_links_join_the_graph(analyst, file_case):
    from django.utils import timezone

    model = loaders.observable_link_model()
    a = file_case(f"偽サイト {PHISH_URL}", opener=analyst)
    b = file_case("偽サイトのドメイン kuro-neko-track[.]top を確認", opener=analyst)
    url = Observable.objects.get(value=PHISH_URL)
    domain, _ = Observable.objects.get_or_create(
        type="domain",
        value="kuro-neko-track.top",
        defaults={"first_seen": timezone.now(), "last_seen": timezone.now()},
    )
    if not model.objects.filter(from_observable=url, to_observable=domain).exists():
        kind_field = model._meta.get_field("kind")
        kind = kind_field.choices[0][0] if kind_field.choices else "host"
        model.objects.create(from_observable=url, to_observable=domain, kind=kind)
    graph = case_graph(analyst, a)
    derived = [e for e in graph["edges"] if e["kind"] == "derived"]
    assert any(
        e["source"] == f"obs:{url.pk}" and e["target"] == f"obs:{domain.pk}" for e in derived
    )
    assert f"case:{b.pk}" in _ids(graph, "case")  # reached through the derived domain


def test_graph_pages_and_json(login, analyst, investigator, file_case):
    mine = file_case(f"C2 {C2_IP}", opener=investigator)
    other = file_case(f"C2 {C2_IP} 他", opener=analyst)
    client = login(investigator)
    page = client.get(reverse("analysis:case_graph", args=[mine.pk]), HTTP_HX_REQUEST="true")
    assert page.status_code == 200
    body = page.content.decode()
    assert 'id="case-graph-list"' in body and "45[.]137[.]21[.]9" in body
    assert other.number not in body and "hidden-count" in body
    data = client.get(reverse("analysis:case_graph_json", args=[mine.pk])).json()
    assert other.number not in json.dumps(data, ensure_ascii=False)
    assert client.get(reverse("analysis:case_graph", args=[other.pk])).status_code == 404
    full = client.get(reverse("analysis:case_graph", args=[mine.pk]))
    assert "vendor/cytoscape/cytoscape.min.js" in full.content.decode()


@pytest.mark.skipif(
    loaders.observable_link_model() is None, reason="indicators.ObservableLink not in the store yet"
)
def test_a_shared_asn_does_not_pull_in_its_other_addresses(analyst, file_case):
    from django.utils import timezone

    model = loaders.observable_link_model()
    a = file_case(f"接続元 {C2_IP}", opener=analyst)
    b = file_case("接続元 45.137.21.77", opener=analyst)
    now = timezone.now()
    asn, _ = Observable.objects.get_or_create(
        type="asn", value="AS64496", defaults={"first_seen": now, "last_seen": now}
    )
    for value in (C2_IP, "45.137.21.77"):
        ip = Observable.objects.get(value=value)
        model.objects.get_or_create(from_observable=ip, to_observable=asn, kind="asn")
    graph = case_graph(analyst, a)
    observables = {n["value"] for n in graph["nodes"] if n["kind"] == "observable"}
    assert "AS64496" in observables
    assert "45[.]137[.]21[.]77" not in observables and f"case:{b.pk}" not in _ids(graph, "case")
