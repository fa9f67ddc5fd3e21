// The viewer: one page of plain HTML, CSS and vanilla JS (no build step), served at / and at
// /trace/<id>; it reads /api/traces and /api/traces/<id>. Every text from a trace goes into the
// page through textContent, never innerHTML: span names and attributes are untrusted.
#include "collector.hpp"

namespace glassbox::collector {

std::string_view viewer_page() {
  static constexpr std::string_view kPage = R"html(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>glassbox traces</title>
<style>
  :root { --bg:#0f1419; --panel:#171d24; --line:#26303b; --text:#d8dee6; --muted:#8a96a3; --err:#ff5d5d; }
  * { box-sizing: border-box; }
  body { margin:0; font:14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; background:var(--bg); color:var(--text); }
  header { display:flex; align-items:baseline; gap:16px; padding:14px 22px; border-bottom:1px solid var(--line); background:var(--panel); }
  header h1 { font-size:18px; margin:0; } header h1 a { color:inherit; text-decoration:none; }
  header .sub { color:var(--muted); font-size:13px; }
  main { padding:18px 22px; }
  table { border-collapse:collapse; width:100%; }
  th, td { text-align:left; padding:7px 10px; border-bottom:1px solid var(--line); vertical-align:top; }
  th { color:var(--muted); font-weight:500; font-size:12px; text-transform:uppercase; letter-spacing:.04em; }
  tr.trace-row:hover { background:#1c242d; cursor:pointer; }
  a { color:#7cc4ff; }
  .chip { display:inline-block; padding:1px 8px; margin:0 4px 2px 0; border-radius:10px; font-size:12px; color:#0b0f14; font-weight:600; }
  .num { font-variant-numeric: tabular-nums; white-space:nowrap; }
  .err { color:var(--err); font-weight:600; }
  .empty { color:var(--muted); padding:40px 0; text-align:center; }
  #legend { margin:0 0 12px; }
  .waterfall { border:1px solid var(--line); border-radius:6px; overflow:hidden; }
  .wf-head, .span-row { display:grid; grid-template-columns: minmax(280px, 36%) 1fr; }
  .wf-head { background:var(--panel); color:var(--muted); font-size:12px; }
  .wf-head > div { padding:6px 10px; }
  .ticks { position:relative; height:100%; }
  .ticks span { position:absolute; top:6px; transform:translateX(-50%); font-size:11px; white-space:nowrap; }
  .ticks span:first-child { transform:none; } .ticks span:last-child { transform:translateX(-100%); }
  .span-row { border-top:1px solid var(--line); cursor:pointer; }
  .span-row:hover { background:#1a212a; } .span-row.selected { background:#202a35; }
  .span-name { padding:5px 10px; white-space:nowrap; overflow:hidden; text-overflow:ellipsis; }
  .span-name .dot { display:inline-block; width:9px; height:9px; border-radius:50%; margin-right:6px; }
  .span-name .svc { color:var(--muted); font-size:12px; margin-left:6px; }
  .span-name .bad { color:var(--err); margin-left:6px; font-size:12px; font-weight:700; }
  .lane { position:relative; padding:5px 10px; }
  .bar { position:absolute; top:7px; height:14px; min-width:2px; border-radius:3px; }
  .bar.error { outline:2px solid var(--err); outline-offset:1px; }
  .bar-label { position:absolute; top:5px; font-size:11px; color:var(--muted); white-space:nowrap; }
  #detail { margin-top:16px; border:1px solid var(--line); border-radius:6px; background:var(--panel); padding:12px 16px; display:none; }
  #detail h2 { margin:0 0 8px; font-size:16px; }
  #detail h3 { margin:14px 0 6px; font-size:13px; color:var(--muted); text-transform:uppercase; letter-spacing:.04em; }
  #detail td:first-child { color:var(--muted); width:30%; font-family:ui-monospace, monospace; font-size:12.5px; }
  #detail td { font-family:ui-monospace, monospace; font-size:12.5px; word-break:break-all; }
  .redacted { color:#ffb454; }
</style>
</head>
<body>
<header><h1><a href="/">glassbox</a></h1><span class="sub" id="subtitle">traces</span></header>
<main id="main"><div class="empty">loading…</div></main>
<script>
"use strict";
const palette = ["#4fc3f7", "#ffb74d", "#81c784", "#ba68c8", "#f06292", "#fff176", "#4db6ac", "#a1887f", "#90a4ae", "#e57373"];
const kinds = ["unspecified", "internal", "server", "client", "producer", "consumer"];
const colours = new Map();
function colour(service) {
  if (!colours.has(service)) colours.set(service, palette[colours.size % palette.length]);
  return colours.get(service);
}
function el(tag, props, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (k === "text") e.textContent = v;
    else if (k === "style") Object.assign(e.style, v);
    else if (k === "dataset") Object.assign(e.dataset, v);
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v);
  }
  for (const c of children) if (c != null) e.append(c);
  return e;
}
function ms(x) {
  if (x >= 1000) return (x / 1000).toFixed(2) + " s";
  if (x >= 10) return x.toFixed(1) + " ms";
  return x.toFixed(2) + " ms";
}
function chip(service) { return el("span", {class: "chip", text: service || "unknown", style: {background: colour(service)}}); }
function anyValue(v) {
  if (v == null || typeof v !== "object") return "";
  if ("stringValue" in v) return v.stringValue;
  if ("boolValue" in v) return String(v.boolValue);
  if ("intValue" in v) return String(v.intValue);
  if ("doubleValue" in v) return String(v.doubleValue);
  if ("bytesValue" in v) return "base64:" + v.bytesValue;
  if ("arrayValue" in v) return "[" + (v.arrayValue.values || []).map(anyValue).join(", ") + "]";
  if ("kvlistValue" in v) return "{" + (v.kvlistValue.values || []).map(kv => kv.key + ": " + anyValue(kv.value)).join(", ") + "}";
  return "";
}
function kvTable(list) {
  const t = el("table");
  for (const kv of list || []) {
    const value = anyValue(kv.value);
    t.append(el("tr", {}, el("td", {text: kv.key}), el("td", {text: value, class: value === "[REDACTED]" ? "redacted" : ""})));
  }
  if (!list || !list.length) t.append(el("tr", {}, el("td", {text: "none"})));
  return t;
}
async function getJson(url) {
  const r = await fetch(url, {cache: "no-store"});
  if (!r.ok) throw new Error(url + ": HTTP " + r.status);
  return r.json();
}

async function showList(main) {
  const data = await getJson("/api/traces?limit=200");
  document.getElementById("subtitle").textContent = data.traceCount + " traces, " + data.spanCount + " spans";
  main.replaceChildren();
  if (!data.traces.length) {
    main.append(el("div", {class: "empty", text: "No traces yet. Export OTLP/HTTP to " + location.origin + "/v1/traces"}));
    return;
  }
  const table = el("table", {id: "traces"},
    el("tr", {}, ...["Root", "Services", "Duration", "Spans", "Errors", "Started"].map(h => el("th", {text: h}))));
  for (const t of data.traces) {
    const services = el("td");
    for (const s of t.services) services.append(chip(s));
    const link = el("a", {href: "/trace/" + t.traceId, text: t.rootName || "(no root)"});
    table.append(el("tr", {class: "trace-row", dataset: {traceId: t.traceId}, onclick: () => { location.href = "/trace/" + t.traceId; }},
      el("td", {}, link), services,
      el("td", {class: "num", text: ms(t.durationMs)}),
      el("td", {class: "num", text: String(t.spanCount)}),
      el("td", {class: "num" + (t.errorCount ? " err" : ""), text: String(t.errorCount)}),
      el("td", {class: "num", text: new Date(t.startTimeMs).toLocaleString()})));
  }
  main.append(table);
}

function buildTree(spans) {
  const byId = new Map(spans.map(s => [s.spanId, s]));
  const children = new Map();
  const roots = [];
  for (const s of spans) {
    if (s.parentSpanId && byId.has(s.parentSpanId) && s.parentSpanId !== s.spanId) {
      if (!children.has(s.parentSpanId)) children.set(s.parentSpanId, []);
      children.get(s.parentSpanId).push(s);
    } else {
      roots.push(s);
    }
  }
  const order = [];
  const seen = new Set();
  const byStart = (a, b) => a.startOffsetMs - b.startOffsetMs;
  const walk = (s, depth) => {
    if (seen.has(s.spanId)) return;
    seen.add(s.spanId);
    order.push({span: s, depth});
    for (const c of (children.get(s.spanId) || []).sort(byStart)) walk(c, depth + 1);
  };
  for (const r of roots.sort(byStart)) walk(r, 0);
  return order;
}

function showDetail(trace, span) {
  const resource = trace.resources[span.resource] || {serviceName: "unknown", attributes: []};
  const d = document.getElementById("detail");
  d.replaceChildren(
    el("h2", {}, chip(resource.serviceName), document.createTextNode(" " + span.name)),
    el("table", {},
      el("tr", {}, el("td", {text: "kind"}), el("td", {text: kinds[span.kind] || String(span.kind)})),
      el("tr", {}, el("td", {text: "duration"}), el("td", {text: ms(span.durationMs)})),
      el("tr", {}, el("td", {text: "start offset"}), el("td", {text: ms(span.startOffsetMs)})),
      el("tr", {}, el("td", {text: "status"}), el("td", {text: ["unset", "ok", "error"][span.status.code] + (span.status.message ? ": " + span.status.message : ""), class: span.status.code === 2 ? "err" : ""})),
      el("tr", {}, el("td", {text: "span id"}), el("td", {text: span.spanId})),
      el("tr", {}, el("td", {text: "parent span id"}), el("td", {text: span.parentSpanId || "none"})),
      el("tr", {}, el("td", {text: "scope"}), el("td", {text: span.scope.name + " " + span.scope.version}))),
    el("h3", {text: "Attributes"}), kvTable(span.attributes),
    el("h3", {text: "Events"}),
    (span.events && span.events.length)
      ? el("table", {}, ...span.events.map(e => el("tr", {}, el("td", {text: e.name}), el("td", {text: (e.attributes || []).map(kv => kv.key + "=" + anyValue(kv.value)).join("  ")}))))
      : el("div", {class: "sub", text: "none"}),
    el("h3", {text: "Resource (the service that produced this span)"}), kvTable(resource.attributes));
  d.style.display = "block";
  d.dataset.spanId = span.spanId;
}

async function showTrace(main, id) {
  const trace = await getJson("/api/traces/" + encodeURIComponent(id));
  const spans = trace.spans;
  const total = Math.max(trace.summary.durationMs, 0.001);
  document.title = (trace.summary.rootName || id) + " · glassbox";
  document.getElementById("subtitle").textContent = trace.summary.rootName + " · " + ms(trace.summary.durationMs) + " · " + spans.length + " spans · trace " + id;
  main.replaceChildren();
  for (const r of trace.resources) colour(r.serviceName);
  const legend = el("div", {id: "legend"});
  for (const r of trace.resources) legend.append(chip(r.serviceName));
  const ticks = el("div", {class: "ticks"});
  for (let i = 0; i <= 4; i++) ticks.append(el("span", {text: ms(total * i / 4), style: {left: (i * 25) + "%"}}));
  const wf = el("div", {class: "waterfall", id: "waterfall"}, el("div", {class: "wf-head"}, el("div", {text: "Span"}), ticks));
  for (const {span, depth} of buildTree(spans)) {
    const service = (trace.resources[span.resource] || {}).serviceName || "unknown";
    const left = Math.min(100, span.startOffsetMs / total * 100);
    const width = Math.max(0.2, Math.min(100 - left, span.durationMs / total * 100));
    const isError = span.status && span.status.code === 2;
    const name = el("div", {class: "span-name", style: {paddingLeft: (10 + depth * 18) + "px"}, title: span.name},
      el("span", {class: "dot", style: {background: colour(service)}}),
      document.createTextNode(span.name),
      el("span", {class: "svc", text: service}),
      isError ? el("span", {class: "bad", text: "error"}) : null);
    const bar = el("div", {class: "bar" + (isError ? " error" : ""), style: {left: left + "%", width: width + "%", background: colour(service)}});
    const label = el("div", {class: "bar-label", text: ms(span.durationMs), style: left + width > 85 ? {right: (100 - left + 1) + "%"} : {left: "calc(" + (left + width) + "% + 4px)"}});
    const lane = el("div", {class: "lane"}, bar, label);
    const row = el("div", {class: "span-row", dataset: {spanId: span.spanId, name: span.name, service: service, depth: String(depth)}}, name, lane);
    row.addEventListener("click", () => {
      for (const r of wf.querySelectorAll(".span-row.selected")) r.classList.remove("selected");
      row.classList.add("selected");
      showDetail(trace, span);
    });
    wf.append(row);
  }
  main.append(legend, wf, el("div", {id: "detail"}));
}

(async () => {
  const main = document.getElementById("main");
  try {
    const m = location.pathname.match(/^\/trace\/([0-9a-fA-F]{32})$/);
    if (m) await showTrace(main, m[1].toLowerCase()); else await showList(main);
  } catch (e) {
    main.replaceChildren(el("div", {class: "empty err", text: String(e.message || e)}));
  }
})();
</script>
</body>
</html>
)html";
  return kPage;
}

}  // namespace glassbox::collector
