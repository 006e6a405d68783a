"""The HTML report's page: its skeleton, style and script, and the report's data embedded
as JSON the script renders (with ``textContent`` only: page text is hostile input)."""

from __future__ import annotations

import json
from typing import Any


def embed_json(data: Any) -> str:
    r"""JSON that can stand inside a ``<script>`` element whatever strings it holds: no
    ``<``, ``>`` or ``&`` (so no ``</script>`` or ``<!--``), no U+2028/U+2029.

    >>> embed_json({"t": "</script><b>&\u2028"})
    '{"t": "\\u003c/script\\u003e\\u003cb\\u003e\\u0026\\u2028"}'
    >>> json.loads(embed_json("<a>&")) == "<a>&"
    True
    """
    text = json.dumps(data, ensure_ascii=False)
    for ch, esc in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(ch, esc)
    return text


def render_html(data: dict[str, Any]) -> str:
    """The report file: the page skeleton, its style and script, and the data."""
    return (
        _HEAD
        + '<script type="application/json" id="report-data">'
        + embed_json(data)
        + "</script>\n<script>"
        + _SCRIPT
        + "</script>\n</body>\n</html>\n"
    )


_HEAD = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; \
style-src 'unsafe-inline'; script-src 'unsafe-inline'">
<title>cleaner report</title>
<style>
:root { color-scheme: light dark; --bg: #fff; --fg: #1b1f24; --muted: #5b6570;
  --line: #d8dde3; --panel: #f4f6f8; --link: #0b5cad; --focus: #c2410c; --bar: #2563eb;
  --r-body: #1b1f24; --r-template: #b42318; --r-template-block: #c4320a;
  --r-no-sentence: #7a5af8; --r-short: #0e7490; --r-low-stopwords: #a15c07;
  --r-markup: #667085; --r-datetime: #1d7a3a; --r-repeated: #c11574; --r-off-body: #3e4784; }
@media (prefers-color-scheme: dark) {
  :root { --bg: #15181c; --fg: #e6e9ed; --muted: #9aa4ae; --line: #353b43;
    --panel: #1e232a; --link: #7db4f5; --focus: #fb923c; --bar: #60a5fa;
    --r-body: #e6e9ed; --r-template: #f97066; --r-template-block: #fd853a;
    --r-no-sentence: #a48afb; --r-short: #22ccee; --r-low-stopwords: #fdb022;
    --r-markup: #98a2b3; --r-datetime: #47cd89; --r-repeated: #f670c7; --r-off-body: #8098f9; }
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg);
  font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; }
header { display: flex; gap: 1.5rem; align-items: baseline; padding: .6rem 1.2rem;
  border-bottom: 1px solid var(--line); background: var(--panel); flex-wrap: wrap; }
header h1 { font-size: 1.1rem; margin: 0; }
nav a { margin-right: 1rem; }
main { padding: 1rem 1.2rem; max-width: 78rem; }
a { color: var(--link); }
a:focus-visible, button:focus-visible, input:focus-visible, select:focus-visible,
summary:focus-visible, [tabindex]:focus-visible {
  outline: 3px solid var(--focus); outline-offset: 2px; }
main:focus { outline: none; }
nav a[aria-current="page"] { font-weight: 700; text-decoration: none; color: var(--fg); }
h2 { font-size: 1.05rem; margin: 1.2rem 0 .5rem; }
table { border-collapse: collapse; }
th, td { text-align: left; padding: .2rem .6rem; border-bottom: 1px solid var(--line);
  vertical-align: top; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
.figures td:first-child { color: var(--muted); }
.bars { display: grid; grid-template-columns: 9rem 1fr 9rem; gap: .25rem .6rem;
  align-items: center; max-width: 48rem; }
.bar { height: .9rem; border-radius: 2px; min-width: 1px; }
.muted { color: var(--muted); }
.bars span { white-space: nowrap; }
.controls { display: flex; gap: .8rem; flex-wrap: wrap; align-items: end; margin: .4rem 0 .8rem; }
.controls label { display: flex; flex-direction: column; font-size: .85rem; color: var(--muted); }
input, select, button { font: inherit; color: var(--fg); background: var(--bg);
  border: 1px solid var(--line); border-radius: 4px; padding: .2rem .4rem; }
button { cursor: pointer; }
.text { max-width: 40rem; overflow-wrap: anywhere; }
.lines { list-style: none; padding: 0; margin: 0; font-size: .93rem; }
.lines li { display: grid; grid-template-columns: 3.2rem 8.5rem 1fr; gap: .6rem;
  padding: .1rem 0; border-bottom: 1px dotted var(--line); }
.lines li:focus { background: var(--panel); }
.lines .num { color: var(--muted); text-align: right; font-variant-numeric: tabular-nums; }
.lines .why { font-size: .8rem; }
.lines .t { white-space: pre-wrap; overflow-wrap: anywhere; }
.lines li.drop .t { text-decoration: line-through; opacity: .72; }
.lines li.keep .why { color: var(--muted); }
.chip { display: inline-block; padding: 0 .35rem; border-radius: 3px; font-size: .8rem;
  border: 1px solid currentColor; margin-right: .25rem; }
.legend { margin: .4rem 0 .8rem; }
pre { background: var(--panel); padding: .6rem; overflow: auto; font-size: .85rem; }
</style>
</head>
<body>
<header><h1>cleaner report</h1>
<nav aria-label="Views"><a href="#summary">Summary</a><a href="#groups">Template groups</a>\
<a href="#pages">Pages</a></nav><span id="shown" class="muted"></span></header>
<main id="view" tabindex="-1"><noscript>This report needs JavaScript to render.</noscript></main>
"""

_SCRIPT = r"""
"use strict";
(function () {
  const D = JSON.parse(document.getElementById("report-data").textContent);
  const R = D.reasons;
  const view = document.getElementById("view");
  const T = D.totals;
  const fmt = (n) => Number(n).toLocaleString("en");
  const pct = (x) => (100 * x).toFixed(1) + "%";

  function el(tag, attrs, kids) {
    const e = document.createElement(tag);
    for (const k in attrs || {}) {
      if (k === "text") e.textContent = attrs[k];
      else if (k === "class") e.className = attrs[k];
      else e.setAttribute(k, attrs[k]);
    }
    for (const c of kids || []) e.append(c);
    return e;
  }
  const link = (href, text) => el("a", { href: href, text: text });
  const color = (r) => "var(--r-" + r + ")";
  const share = (p) => (p.lines ? (p.lines - p.kept) / p.lines : 0);

  function table(head, rows, numeric) {
    const t = el("table");
    const tr = el("tr");
    head.forEach((h, i) => tr.append(el("th", { text: h, class: numeric && numeric[i] ? "n" : "",
      scope: "col" })));
    t.append(el("thead", {}, [tr]));
    const body = el("tbody");
    for (const r of rows) {
      const row = el("tr");
      r.forEach((c, i) => {
        const td = el("td", { class: numeric && numeric[i] ? "n" : "" });
        td.append(c);
        row.append(td);
      });
      body.append(row);
    }
    t.append(body);
    return t;
  }

  function summary() {
    const out = [el("h2", { text: "Summary" })];
    const fig = [
      ["files", fmt(T.files)], ["  could not be read", fmt(T.files_failed)],
      ["  nothing kept", fmt(T.files_empty)], ["lines read", fmt(T.lines)],
      ["  kept", fmt(T.kept)], ["  dropped", fmt(T.dropped)],
      ["template ratio", pct(T.template_ratio)],
      ["cross-file groups", fmt(T.groups) + " (" + fmt(T.template_groups) + " template, from " +
        fmt(T.template_min_files) + " files)"],
      ["duplicate documents", fmt(T.duplicate_docs)],
    ];
    const t = table(["figure", "value"], fig.map((f) => [f[0], f[1]]), [false, true]);
    t.className = "figures";
    out.push(t);
    out.push(el("h2", { text: "Lines by reason" }));
    const bars = el("div", { class: "bars", role: "list" });
    const by = Object.entries(T.by_reason).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
    const most = Math.max(1, ...by.map((kv) => kv[1]));
    for (const [r, n] of by) {
      const bar = el("div", { class: "bar", title: r + ": " + fmt(n) });
      bar.style.width = (100 * n / most) + "%";
      bar.style.background = color(r);
      const lab = el("span", { text: r + (r === "body" ? " (kept)" : "") });
      lab.style.color = color(r);
      bars.append(lab, el("div", { role: "listitem" }, [bar]), el("span", { class: "muted",
        text: fmt(n) + " · " + pct(T.lines ? n / T.lines : 0) }));
    }
    out.push(bars);
    if (D.clusters.length) {
      out.push(el("h2", { text: "Duplicate-document clusters (" + fmt(D.n_clusters) + ")" }));
      const rows = D.clusters.map((c) => {
        const cell = el("span");
        c.files.forEach(([name, k], i) => {
          if (i) cell.append(", ");
          cell.append(k >= 0 ? link("#page=" + (k + 1), name) : name);
          if (name === c.representative) cell.append(" (representative)");
        });
        if (c.n_files > c.files.length) cell.append(" … " + fmt(c.n_files - c.files.length) +
          " more");
        return [c.id.slice(0, 8), cell];
      });
      out.push(table(["cluster", "pages"], rows));
    }
    if (D.errors.length) {
      out.push(el("h2", { text: "Not read (" + fmt(D.n_errors) + ")" }));
      out.push(table(["file", "error"], D.errors.map(([p, e]) => [p, e])));
    }
    out.push(el("h2", { text: "Inputs" }));
    out.push(el("pre", { text: D.inputs.join("\n") }));
    const det = el("details", {}, [el("summary", { text: "Configuration of the run" }), el("pre",
      { text: JSON.stringify(D.config, null, 2) })]);
    out.push(det);
    return out;
  }

  function groups() {
    const out = [el("h2", { text: "Template groups" })];
    out.push(el("p", { class: "muted", text: "Lines repeated across files, most files first: " +
      fmt(D.groups.length) + " shown of " + fmt(T.groups) +
        ". Page links go to the pages of the sample that hold the group." }));
    const rows = D.groups.map((g) => {
      const text = el("div", { class: "text" });
      text.append(el("div", { text: g.text }));
      if (g.n_variants > 1) {
        const v = el("details", {}, [el("summary", { text: fmt(g.n_variants) + " variants" })]);
        for (const x of g.variants) v.append(el("div", { class: "muted", text: x }));
        text.append(v);
      }
      const where = g.pages.length ? link("#pages/group=" + g.id, fmt(g.pages.length) +
        " in sample") : el("span", { class: "muted", text: "none in sample" });
      return [g.id.slice(0, 8), text, fmt(g.n_files), fmt(g.n_lines), g.template ? "template" :
        "kept if body", where];
    });
    out.push(table(["group", "text", "files", "lines", "", "pages"], rows, [false, false, true,
      true, false, false]));
    return out;
  }

  const state = { sort: "dropped", reason: "", folder: "", q: "", group: "" };

  function pageList() {
    const out = [el("h2", { text: "Pages" })];
    out.push(el("p", { class: "muted", text: "A sample of " + fmt(D.pages.length) + " of " +
      fmt(D.n_pages) +
        " pages: those with the highest share dropped, the emptiest, and a seeded random " +
        "sample (sizes in the configuration)." }));
    const controls = el("div", { class: "controls" });
    const sortSel = el("select", { id: "sort" });
    for (const [v, t] of [["dropped", "share dropped"], ["lines", "lines read"], ["kept",
      "lines kept"], ["name", "name"]]) sortSel.append(el("option", { value: v, text: t }));
    sortSel.value = state.sort;
    const reasonSel = el("select", { id: "reason" }, [el("option", { value: "", text: "any" })]);
    R.forEach((r) => reasonSel.append(el("option", { value: r, text: r })));
    reasonSel.value = state.reason;
    const folders = [...new Set(D.pages.map((p) => p.folder))].sort();
    const folderSel = el("select", { id: "folder" }, [el("option", { value: "", text: "any" })]);
    folders.forEach((f) => folderSel.append(el("option", { value: f, text: f })));
    folderSel.value = state.folder;
    const q = el("input", { id: "q", type: "search", placeholder: "name or text" });
    q.value = state.q;
    controls.append(
      el("label", {}, ["sort by", sortSel]), el("label", {}, ["has a line marked", reasonSel]),
      el("label", {}, ["site folder", folderSel]), el("label", {}, ["search", q]));
    out.push(controls);
    if (state.group) {
      const clear = el("button", { type: "button", text: "show all pages" });
      clear.addEventListener("click", () => { location.hash = "#pages"; });
      out.push(el("p", {}, ["Pages holding group " + state.group.slice(0, 8) + " ", clear]));
    }
    const count = el("p", { class: "muted", "aria-live": "polite" });
    const holder = el("div");
    out.push(count, holder);
    function draw() {
      let list = D.pages.map((p, k) => [p, k]);
      const gi = state.group ? new Set((D.groups.find((g) => g.id === state.group) ||
        { pages: [] }).pages) : null;
      if (gi) list = list.filter(([, k]) => gi.has(k));
      if (state.reason) {
        const ri = R.indexOf(state.reason);
        list = list.filter(([p]) => p.reasons.includes(ri));
      }
      if (state.folder) list = list.filter(([p]) => p.folder === state.folder);
      if (state.q) {
        const needle = state.q.toLowerCase();
        list = list.filter(([p]) => p.name.toLowerCase().includes(needle) ||
          p.rows.some((r) => r[4].toLowerCase().includes(needle)));
      }
      const by = {
        dropped: (a, b) => share(b[0]) - share(a[0]) || b[0].lines - a[0].lines,
        lines: (a, b) => b[0].lines - a[0].lines,
        kept: (a, b) => a[0].kept - b[0].kept,
        name: () => 0,
      }[state.sort];
      list.sort((a, b) => by(a, b) || (a[0].name < b[0].name ? -1 : a[0].name > b[0].name ? 1 : 0));
      count.textContent = fmt(list.length) + " pages match";
      const rows = list.map(([p, k]) => {
        const top = p.error ? el("span", { text: "error: " + p.error }) : el("span",
          { text: p.top || "-" });
        if (p.top) top.style.color = color(p.top);
        return [link("#page=" + (k + 1), p.name), p.lang || "-", fmt(p.lines), fmt(p.kept),
          pct(share(p)), top, p.why.join(", ")];
      });
      holder.replaceChildren(table(["page", "lang", "lines", "kept", "dropped", "main reason",
        "sampled as"], rows, [false, false, true, true, true, false, false]));
    }
    sortSel.addEventListener("change", () => { state.sort = sortSel.value; draw(); });
    reasonSel.addEventListener("change", () => { state.reason = reasonSel.value; draw(); });
    folderSel.addEventListener("change", () => { state.folder = folderSel.value; draw(); });
    q.addEventListener("input", () => { state.q = q.value; draw(); });
    draw();
    return out;
  }

  // at=N: the page from a few lines above line N (a long page's later lines at once)
  function pageView(k, at) {
    const p = D.pages[k];
    if (!p) return [el("p", { text: "No page " + (k + 1) + " in this report." }), link("#pages",
      "All pages")];
    const out = [];
    const navp = el("p", {}, [link("#pages", "← all pages")]);
    if (k > 0) navp.append(" · ", link("#page=" + k, "previous"));
    if (k + 1 < D.pages.length) navp.append(" · ", link("#page=" + (k + 2), "next"));
    const firstKept = p.rows.find((r) => r[1]);
    if (firstKept) navp.append(" · ", link("#page=" + (k + 1) + "&line=" + firstKept[0],
      "first kept line (" + firstKept[0] + ")"));
    out.push(navp, el("h2", { text: p.name }));
    const facts = [(p.lang || "no language"), fmt(p.lines) + " lines", fmt(p.kept) + " kept",
      pct(share(p)) + " dropped", "sampled as " + p.why.join(", ")];
    out.push(el("p", { class: "muted", text: facts.join(" · ") }));
    if (p.error) out.push(el("p", { text: "Could not be read: " + p.error }));
    if (p.cluster) {
      const c = D.clusters.find((x) => x.id === p.cluster);
      const para = el("p", { text: "Near-duplicate document" + (p.rep ?
        " (the cluster's representative)" : "") + ", cluster " + p.cluster.slice(0, 8) + ": " });
      if (c) c.files.forEach(([name, j], i) => {
        if (i) para.append(", ");
        para.append(j >= 0 && j !== k ? link("#page=" + (j + 1), name) : name);
      });
      out.push(para);
    }
    const used = el("p", { class: "legend" }, ["Reasons on this page: "]);
    for (const ri of p.reasons) {
      const chip = el("span", { class: "chip", text: R[ri] });
      chip.style.color = color(R[ri]);
      used.append(chip);
    }
    out.push(used);
    const groupText = {};
    for (const g of D.groups) groupText[g.id] = g;
    const ol = el("ol", { class: "lines" });
    const from = at ? Math.max(1, at - 6) : 1;
    if (from > 1) {
      out.push(el("p", { class: "muted" }, ["Lines 1 to " + (from - 1) + " are above: ",
        link("#page=" + (k + 1), "show the whole page")]));
    }
    for (const [n, keep, ri, gid, text] of p.rows) {
      if (n < from) continue;
      const r = R[ri];
      const g = gid ? groupText[gid] : null;
      let tip = (keep ? "kept: " : "dropped: ") + r;
      if (gid) tip += "; group " + gid.slice(0, 8) + (g ? " (" + fmt(g.n_files) + " files)" : "");
      const li = el("li", { class: keep ? "keep" : "drop", title: tip, id: "L" + n,
        tabindex: "-1" });
      const why = el("span", { class: "why", text: keep ? "" : r });
      if (!keep) why.style.color = color(r);
      const t = el("span", { class: "t", text: text });
      if (!keep) t.style.color = color(r);
      li.append(el("span", { class: "num", text: String(n) }), why, t);
      ol.append(li);
    }
    out.push(ol);
    if (p.hidden) out.push(el("p", { class: "muted", text: fmt(p.hidden) +
      " more lines not shown (the report shows the first characters of each page)." }));
    return out;
  }

  function route() {
    const h = location.hash.slice(1);
    let name = "summary";
    let kids;
    const m = /^page=(\d+)(?:&line=(\d+))?$/.exec(h);
    if (m) {
      name = "page";
      kids = pageView(parseInt(m[1], 10) - 1, m[2] ? parseInt(m[2], 10) : 0);
    } else if (h === "groups") {
      name = "groups";
      kids = groups();
    } else if (h.startsWith("pages")) {
      name = "pages";
      // #pages/group=ID&reason=R&folder=F&q=TEXT&sort=S: a list that can be linked to
      const args = new URLSearchParams(location.hash.slice(7));
      state.group = args.get("group") || "";
      state.reason = args.get("reason") || "";
      state.folder = args.get("folder") || "";
      state.q = args.get("q") || "";
      const sort = args.get("sort") || "";
      state.sort = ["lines", "kept", "name"].includes(sort) ? sort : "dropped";
      kids = pageList();
    } else {
      kids = summary();
    }
    view.replaceChildren(...kids);
    const target = m && m[2] ? document.getElementById("L" + m[2]) : null;
    if (target) target.focus();
    for (const a of document.querySelectorAll("nav a")) {
      const on = a.getAttribute("href") === "#" + (name === "page" ? "pages" : name);
      if (on) a.setAttribute("aria-current", "page"); else a.removeAttribute("aria-current");
    }
    document.getElementById("shown").textContent = fmt(D.pages.length) + " of " + fmt(D.n_pages) +
      " pages shown";
    document.documentElement.setAttribute("data-rendered", name);
    return target !== null;
  }
  window.addEventListener("hashchange", () => { if (!route()) view.focus(); });
  route();
})();
"""
