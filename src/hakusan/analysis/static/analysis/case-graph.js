/* Hakusan: the case neighbourhood graph (Cytoscape.js from npm, served by Django; no CDN).
   Every element with data-case-graph="<json_script id>" becomes a canvas; instances are kept in
   window.hakusanGraphs by canvas id. Clicking a case or report opens it. */
(function () {
  "use strict";
  var COLOURS = {
    case: "#0d6efd", report: "#6f42c1", hidden: "#adb5bd", more: "#dee2e6",
    url: "#fd7e14", domain: "#20c997", ipv4: "#dc3545", ipv6: "#dc3545", email: "#0dcaf0",
    phone: "#198754", btc: "#ffc107", eth: "#ffc107", asn: "#6c757d"
  };
  var SHAPES = { case: "round-rectangle", report: "rectangle", hidden: "octagon", more: "tag" };

  function style() {
    return [
      { selector: "node", style: {
          "label": "data(label)", "font-size": 11, "min-zoomed-font-size": 6, "text-valign": "bottom", "text-margin-y": 3,
          "text-wrap": "ellipsis", "text-max-width": 140, "width": 18, "height": 18,
          "background-color": function (n) {
            var d = n.data();
            if (d.kind === "observable") { return COLOURS[d.obs_type] || "#6c757d"; }
            return COLOURS[d.kind] || "#6c757d";
          },
          "shape": function (n) { return SHAPES[n.data("kind")] || "ellipse"; },
          "color": "#212529", "text-background-color": "#fff", "text-background-opacity": 0.7,
          "text-background-padding": 1 } },
      { selector: "node[?root]", style: { "width": 30, "height": 30, "border-width": 3, "border-color": "#052c65", "font-weight": "bold" } },
      { selector: "node[kind = 'case'], node[kind = 'report']", style: { "width": 24, "height": 18 } },
      { selector: "node[?warninglisted]", style: { "border-width": 3, "border-style": "dashed", "border-color": "#ffc107", "background-opacity": 0.5 } },
      { selector: "node[?too_common]", style: { "border-width": 3, "border-style": "dotted", "border-color": "#495057", "background-opacity": 0.4 } },
      { selector: "node[kind = 'hidden']", style: { "border-width": 1, "border-style": "dashed", "border-color": "#6c757d", "color": "#6c757d" } },
      { selector: "node[kind = 'more']", style: { "color": "#6c757d" } },
      { selector: "edge", style: { "width": 1, "line-color": "#ced4da", "curve-style": "bezier",
          "target-arrow-shape": "none" } },
      { selector: "edge[kind = 'derived']", style: { "line-style": "dashed", "line-color": "#20c997",
          "target-arrow-shape": "triangle", "target-arrow-color": "#20c997", "label": "data(label)",
          "font-size": 9, "color": "#0f5132" } },
      { selector: "edge[kind = 'shares']", style: { "line-color": "#fd7e14", "width": 2 } },
      { selector: "edge[kind = 'hidden'], edge[kind = 'more']", style: { "line-style": "dotted" } },
      { selector: ":selected", style: { "border-width": 3, "border-color": "#000" } }
    ];
  }

  // Cytoscape injects a <style> for its container unless an element with this id exists; the
  // CSP blocks inline styles, so the marker stands in and analysis.css has the rule.
  var CY_SHEET = "__________cytoscape_stylesheet";

  function markSheet() {
    if (document.getElementById(CY_SHEET)) { return; }
    var marker = document.createElement("meta");
    marker.id = CY_SHEET;
    document.head.appendChild(marker);
  }

  function draw(el) {
    if (el.dataset.drawn || typeof window.cytoscape !== "function") { return; }
    markSheet();
    var source = document.getElementById(el.dataset.caseGraph);
    if (!source) { return; }
    var graph = JSON.parse(source.textContent);
    var elements = graph.nodes.map(function (n) { return { group: "nodes", data: n }; })
      .concat(graph.edges.map(function (e) { return { group: "edges", data: e }; }));
    var big = graph.nodes.length > 120;
    var cy = window.cytoscape({
      container: el, elements: elements, style: style(), wheelSensitivity: 0.3, minZoom: 0.2, maxZoom: 3,
      // cose (force-directed) at every size: each shared observable becomes a star of the
      // cases and reports sharing it, which is how the graph is read. Fewer iterations when big.
      layout: { name: "cose", animate: false, randomize: big, nodeDimensionsIncludeLabels: !big,
                nodeRepulsion: big ? 9000 : 4500, nodeOverlap: 12, idealEdgeLength: big ? 35 : 45,
                edgeElasticity: 100, gravity: big ? 0.6 : 1.2, numIter: big ? 1000 : 2000,
                componentSpacing: 40, padding: 16 }
    });
    cy.on("tap", "node", function (evt) {
      var url = evt.target.data("url");
      if (url) { window.location.href = url; }
    });
    cy.on("mouseover", "node", function (evt) { el.title = evt.target.data("title") || evt.target.data("label"); });
    el.dataset.drawn = "1";
    window.hakusanGraphs = window.hakusanGraphs || {};
    window.hakusanGraphs[el.id] = cy;
  }

  function drawAll(root) {
    root = root || document;
    if (root.matches && root.matches("[data-case-graph]")) { draw(root); }
    if (root.querySelectorAll) { root.querySelectorAll("[data-case-graph]").forEach(draw); }
  }

  // Fill an actor field from an autocomplete result.
  document.addEventListener("click", function (evt) {
    var button = evt.target.closest("[data-fill-actor]");
    if (!button) { return; }
    var form = button.closest("form") || document;
    var input = form.querySelector("[data-actor-input]");
    if (input) { input.value = button.dataset.fillActor; }
    var list = button.closest(".actor-results");
    if (list) { list.innerHTML = ""; }
  });

  if (window.htmx) { window.htmx.onLoad(drawAll); }
  document.addEventListener("DOMContentLoaded", function () { drawAll(document); });
})();
