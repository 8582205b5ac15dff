"""The neighbourhood of a case as a graph: the case, its reports and observables, the derived
links between observables (URL → host → registrable domain, IP → ASN), and the other cases and
reports that share those observables.

Need-to-know: a case or report the reader may not see is never a node; each observable gets one
placeholder per kind that counts them ("2 cases you may not see"). Warninglisted and too-common
observables are nodes, marked, and never expanded (a public resolver would otherwise pull in
half the database). At most ``cap`` nodes: what does not fit is counted in a "+N" node on the
observable it hangs from, and each observable shows at most ``per_observable`` neighbours.

The result is plain JSON for Cytoscape.js (``nodes``/``edges`` with ``data``) and for the list
form beneath the canvas (``rows``)."""

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from hakusan.cases.models import Case
from hakusan.cases.selectors import cases_visible_to
from hakusan.core.models import User
from hakusan.indicators.choices import ObservableType, SourceKind
from hakusan.indicators.models import Observable, Sighting
from hakusan.intake.models import Report
from hakusan.intake.selectors import reports_visible_to
from hakusan.intake.views import display_value

from . import loaders

DEFAULT_CAP = 300
PER_OBSERVABLE = 20
LINK_DEPTH = 2
LABEL_CHARS = 40


@dataclass
class Limits:
    cap: int = DEFAULT_CAP
    per_observable: int = PER_OBSERVABLE
    link_depth: int = LINK_DEPTH


def _short(text: str, n: int = LABEL_CHARS) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


class _Builder:
    def __init__(self, cap: int) -> None:
        self.cap = cap
        # Placeholders ("3 cases you may not see", "+12 more") may use the last tenth of the
        # cap, so that what was cut is still counted on the canvas.
        self.main_cap = max(1, cap - max(1, cap // 10))
        self.nodes: dict[str, dict[str, Any]] = {}
        self.edges: dict[tuple[str, str, str], dict[str, Any]] = {}
        self.dropped = 0

    def node(self, node_id: str, *, placeholder: bool = False, **data: Any) -> bool:
        if node_id in self.nodes:
            return True
        if len(self.nodes) >= (self.cap if placeholder else self.main_cap):
            self.dropped += 1
            return False
        self.nodes[node_id] = {"id": node_id, **data}
        return True

    def edge(self, source: str, target: str, kind: str, label: str = "") -> None:
        if source not in self.nodes or target not in self.nodes:
            return
        key = (source, target, kind)
        if key not in self.edges:
            self.edges[key] = {
                "id": f"e{len(self.edges) + 1}",
                "source": source,
                "target": target,
                "kind": kind,
                "label": label,
            }


def _obs_node(obs: Observable, flags: dict[str, Any]) -> dict[str, Any]:
    shown = display_value(obs.type, obs.value)
    try:
        type_label = str(ObservableType(obs.type).label)
    except ValueError:
        type_label = obs.type.upper()
    return {
        "kind": "observable",
        "obs_type": obs.type,
        "label": _short(shown),
        "title": f"{type_label}: {shown}",
        "value": shown,
        "type_label": type_label,
        **flags,
    }


def case_graph(user: User, case: Case, limits: Limits | None = None) -> dict[str, Any]:
    """The neighbourhood of a case the user may see (the caller got it through
    ``cases.selectors.get_case``)."""
    limits = limits or Limits()
    b = _Builder(limits.cap)
    too_common = loaders.too_common()
    root = f"case:{case.pk}"
    b.node(
        root,
        kind="case",
        label=case.number,
        title=f"{case.number} {case.title}",
        root=True,
        url=reverse("cases:detail", args=[case.pk]),
    )

    # --- the case's own reports and observables ---------------------------------------------
    own_report_ids = list(case.reports.values_list("pk", flat=True))
    visible_reports = reports_visible_to(user)
    own_visible = list(visible_reports.filter(pk__in=own_report_ids).order_by("received_at", "pk"))
    for report in own_visible:
        if b.node(
            f"report:{report.pk}",
            kind="report",
            label=report.number,
            title=f"{report.number} {_short(report.narrative, 60)}",
            url=reverse("intake:detail", args=[report.pk]),
        ):
            b.edge(root, f"report:{report.pk}", "contains")
    hidden_own = len(own_report_ids) - len(own_visible)
    if hidden_own and b.node(
        f"hidden:{root}:reports",
        placeholder=True,
        kind="hidden",
        hidden_kind="report",
        count=hidden_own,
        label=ngettext("%(n)d report you may not see", "%(n)d reports you may not see", hidden_own)
        % {"n": hidden_own},
    ):
        b.edge(root, f"hidden:{root}:reports", "contains")

    own_visible_ids = [r.pk for r in own_visible]
    seeds = Sighting.objects.filter(
        Q(source_kind=SourceKind.CASE, source_id=case.pk)
        | Q(source_kind=SourceKind.REPORT, source_id__in=own_visible_ids)
    ).values_list("observable_id", "source_kind", "source_id")
    seen_in: dict[int, set[str]] = defaultdict(set)
    for oid, kind, sid in seeds:
        seen_in[oid].add(f"{kind}:{sid}")
    seed_ids = sorted(seen_in)

    # --- derived links -----------------------------------------------------------------------
    # Up from the case's observables (URL → host → registrable domain, IP → ASN) for
    # ``link_depth`` hops; down (a domain → its URLs) only one hop from the case's own values:
    # going down from a derived ASN or domain would pull in every address of a hosting company.
    known = set(seed_ids)
    links = loaders.derived_links(seed_ids)
    frontier = {c for a, c, _k in links if a in known} - known
    known |= {x for a, c, _k in links for x in (a, c)}
    for _hop in range(1, limits.link_depth):
        if not frontier:
            break
        up = [(a, c, k) for a, c, k in loaders.derived_links(frontier) if a in frontier]
        links.extend(up)
        frontier = {c for _a, c, _k in up} - known
        known |= frontier
    links = list(dict.fromkeys(links))
    all_obs_ids = sorted(known)

    # --- flags and counts -------------------------------------------------------------------
    observables = Observable.objects.in_bulk(all_obs_ids)
    hits = loaders.warninglist_hits(all_obs_ids)
    case_counts = loaders.observable_case_counts(all_obs_ids)

    def flags(oid: int) -> dict[str, Any]:
        listed = oid in hits
        common = case_counts.get(oid, 0) > too_common
        return {
            "warninglisted": listed,
            "warninglists": [_hit_name(h) for h in hits.get(oid, [])][:5],
            "too_common": common,
            "expand": not (listed or common),
            "cases_total": case_counts.get(oid, 0),
            "seed": oid in seen_in,
        }

    order = sorted(
        (oid for oid in all_obs_ids if oid in observables),
        key=lambda oid: (oid not in seen_in, case_counts.get(oid, 0), oid),
    )
    for oid in order:
        if not b.node(f"obs:{oid}", **_obs_node(observables[oid], flags(oid))):
            continue
        for source in sorted(seen_in.get(oid, ())):
            source_kind = source.split(":")[0]
            # An observable of one of the case's reports hangs from the report; one the
            # analyst linked to the case alone hangs from the case.
            if source_kind == SourceKind.CASE and any(
                s.startswith("report:") for s in seen_in[oid]
            ):
                continue
            b.edge(source if source_kind == SourceKind.REPORT else root, f"obs:{oid}", "sighted")
    for a, c, link_kind in links:
        b.edge(f"obs:{a}", f"obs:{c}", "derived", link_kind)

    # --- expansion: other cases and reports sharing an observable --------------------------------
    expandable = [
        oid for oid in order if f"obs:{oid}" in b.nodes and b.nodes[f"obs:{oid}"]["expand"]
    ]
    shares = _sharing(expandable, case.pk, own_report_ids)
    visible_cases = set(
        cases_visible_to(user)
        .filter(pk__in={sid for rows in shares.values() for k, sid in rows if k == "case"})
        .values_list("pk", flat=True)
    )
    report_ids = {sid for rows in shares.values() for k, sid in rows if k == "report"}
    visible_report_ids = set(visible_reports.filter(pk__in=report_ids).values_list("pk", flat=True))
    case_rows = {
        c.pk: c
        for c in Case.objects.filter(pk__in=visible_cases).only("pk", "number", "title", "status")
    }
    report_rows = {
        r.pk: r
        for r in Report.objects.filter(pk__in=visible_report_ids).only("pk", "number", "narrative")
    }
    report_case = defaultdict(list)
    for cid, rid in Case.reports.through.objects.filter(
        report_id__in=visible_report_ids, case_id__in=visible_cases
    ).values_list("case_id", "report_id"):
        report_case[rid].append(cid)

    for oid in expandable:
        obs_id = f"obs:{oid}"
        rows = sorted(shares.get(oid, ()), key=lambda r: (r[0] != "case", -r[1]))
        hidden = {"case": 0, "report": 0, "other": 0}
        shown = 0
        more = 0
        for kind, sid in rows:
            if kind == "case" and sid not in visible_cases:
                hidden["case"] += 1
                continue
            if kind == "report" and sid not in visible_report_ids:
                hidden["report"] += 1
                continue
            if kind not in ("case", "report"):
                hidden["other"] += 1
                continue
            if shown >= limits.per_observable:
                more += 1
                continue
            node_id = f"{kind}:{sid}"
            if kind == "case":
                other = case_rows[sid]
                added = b.node(
                    node_id,
                    kind="case",
                    label=other.number,
                    title=f"{other.number} {other.title}",
                    url=reverse("cases:detail", args=[sid]),
                )
            else:
                rep = report_rows[sid]
                added = b.node(
                    node_id,
                    kind="report",
                    label=rep.number,
                    title=f"{rep.number} {_short(rep.narrative, 60)}",
                    url=reverse("intake:detail", args=[sid]),
                )
            if not added:
                more += 1
                continue
            shown += 1
            b.edge(node_id, obs_id, "shares")
            if kind == "report":
                for cid in report_case.get(sid, ()):
                    b.edge(f"case:{cid}", node_id, "contains")
        b.nodes[obs_id]["elsewhere_other"] = hidden["other"]
        for hidden_kind in ("case", "report"):
            n = hidden[hidden_kind]
            if not n:
                continue
            label = (
                ngettext("%(n)d case you may not see", "%(n)d cases you may not see", n)
                if hidden_kind == "case"
                else ngettext("%(n)d report you may not see", "%(n)d reports you may not see", n)
            ) % {"n": n}
            placeholder = f"hidden:{obs_id}:{hidden_kind}"
            if b.node(
                placeholder,
                placeholder=True,
                kind="hidden",
                hidden_kind=hidden_kind,
                count=n,
                label=label,
            ):
                b.edge(placeholder, obs_id, "hidden")
            else:
                more += n
        if more:
            more_id = f"more:{obs_id}"
            if b.node(
                more_id,
                placeholder=True,
                kind="more",
                count=more,
                label=_("+%(n)d more") % {"n": more},
            ):
                b.edge(more_id, obs_id, "more")

    nodes = list(b.nodes.values())
    edges = list(b.edges.values())
    return {
        "root": root,
        "nodes": nodes,
        "edges": edges,
        "cap": limits.cap,
        "truncated": b.dropped,
        "counts": {
            kind: sum(1 for n in nodes if n["kind"] == kind)
            for kind in ("case", "report", "observable", "hidden", "more")
        },
    }


def _hit_name(hit: Any) -> str:
    if isinstance(hit, dict):
        return str(hit.get("name") or hit.get("slug") or hit.get("list") or "")
    return str(hit)


def _sharing(
    observable_ids: list[int], case_id: int, own_report_ids: list[int]
) -> dict[int, list[tuple[str, int]]]:
    """Other sources per observable: ("case", id), ("report", id), or (other kind, id)."""
    out: dict[int, list[tuple[str, int]]] = defaultdict(list)
    own_reports = set(own_report_ids)
    for batch in loaders.chunks(observable_ids, 400):
        rows = Sighting.objects.filter(observable_id__in=batch).values_list(
            "observable_id", "source_kind", "source_id"
        )
        for oid, kind, sid in rows:
            if kind == SourceKind.CASE and sid == case_id:
                continue
            if kind == SourceKind.REPORT and sid in own_reports:
                continue
            out[oid].append((str(kind), sid))
    return out


def graph_rows(graph: dict[str, Any]) -> list[dict[str, Any]]:
    """The list form: one row per observable with what it connects to."""
    nodes, edges = graph["nodes"], graph["edges"]
    by_id = {n["id"]: n for n in nodes}
    rows: dict[str, dict[str, Any]] = {
        n["id"]: {
            "node": n,
            "seen_in": [],
            "shared_with": [],
            "hidden": [],
            "derived": [],
            "more": 0,
        }
        for n in nodes
        if n["kind"] == "observable"
    }
    for e in edges:
        source, target = by_id[e["source"]], by_id[e["target"]]
        if e["kind"] == "sighted" and target["id"] in rows:
            rows[target["id"]]["seen_in"].append(source)
        elif e["kind"] == "shares" and target["id"] in rows:
            rows[target["id"]]["shared_with"].append(source)
        elif e["kind"] == "hidden" and target["id"] in rows:
            rows[target["id"]]["hidden"].append(source)
        elif e["kind"] == "more" and target["id"] in rows:
            rows[target["id"]]["more"] += source.get("count", 0)
        elif e["kind"] == "derived":
            if source["id"] in rows:
                rows[source["id"]]["derived"].append({"kind": e["label"], "to": target})
            if target["id"] in rows:
                rows[target["id"]]["derived"].append({"kind": e["label"], "from": source})
    return list(rows.values())
