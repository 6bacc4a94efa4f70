// The embedlayer explorer: a page over the server's own JSON routes (no framework, no CDN).
// GET /models decides what is shown; every request carries the API key kept in
// sessionStorage (X-API-Key); every error shows the server's JSON "detail". Data from the
// server is only ever put in the page as text (textContent), never parsed as HTML.
"use strict";

const KEY_STORE = "embedlayer.apiKey";
const SVG = "http://www.w3.org/2000/svg";
const MAP_W = 720, MAP_H = 480, MAP_PAD = 48;  // the map's drawing box, in SVG units
const COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf",
                 "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22"];

const state = { classifier: null, textIndex: null };

const $ = (id) => document.getElementById(id);

function apiKey() {
  return sessionStorage.getItem(KEY_STORE) || "";
}

// POST body (or GET when body is undefined) to a route relative to the page; the parsed JSON,
// or an Error whose message is the server's "error: detail".
async function call(path, body) {
  const headers = {};
  if (apiKey()) headers["X-API-Key"] = apiKey();
  const init = { method: body === undefined ? "GET" : "POST", headers };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const resp = await fetch(path, init);
  let data = null;
  try {
    data = await resp.json();
  } catch (err) {
    data = null;
  }
  if (!resp.ok) {
    const why = data && data.detail ? `${data.error}: ${data.detail}` : `HTTP ${resp.status}`;
    throw new Error(why);
  }
  return data;
}

function showError(id, err) {
  $(id).textContent = err ? String(err.message || err) : "";
}

function vectorsModel() {
  const value = $("model").value;
  return value ? { model: value } : {};
}

function fmt(score) {
  return score === null || score === undefined ? "—" : Number(score).toFixed(4);
}

// Fill a table's body with [rank, word, score] rows; each word links to its neighbours.
function fillTable(table, rows) {
  const body = table.tBodies[0];
  body.replaceChildren();
  rows.forEach((row, i) => {
    const tr = body.insertRow();
    tr.insertCell().textContent = String(i + 1);
    const cell = tr.insertCell();
    const link = document.createElement("a");
    link.href = "#neighbours-section";
    link.className = "word";
    link.textContent = row.word;
    link.addEventListener("click", (event) => {
      event.preventDefault();
      $("neighbours-word").value = row.word;
      neighbours();
    });
    cell.appendChild(link);
    tr.insertCell().textContent = fmt(row.score);
  });
  table.hidden = rows.length === 0;
}

async function withButton(button, errorId, work) {
  showError(errorId, null);
  button.disabled = true;
  try {
    await work();
  } catch (err) {
    showError(errorId, err);
  } finally {
    button.disabled = false;
  }
}

async function neighbours() {
  const word = $("neighbours-word").value.trim();
  const table = $("neighbours-table");
  await withButton($("neighbours-go"), "neighbours-error", async () => {
    table.hidden = true;
    const k = Number($("neighbours-k").value) || 10;
    const data = await call("similar", { word, k, ...vectorsModel() });
    fillTable(table, data.neighbours);
    table.dataset.word = word;
    if (!$("map-word").value) $("map-word").value = word;
  });
}

async function analogy() {
  const table = $("analogy-table");
  await withButton($("analogy-go"), "analogy-error", async () => {
    table.hidden = true;
    const body = { a: $("analogy-a").value.trim(), b: $("analogy-b").value.trim(),
                   c: $("analogy-c").value.trim(), method: $("analogy-method").value,
                   k: 5, ...vectorsModel() };
    const data = await call("analogy", body);
    fillTable(table, data.answers);
  });
}

function svgElement(name, attrs) {
  const el = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  return el;
}

// Draw the points (word, x, y, group) into an inline SVG, one <g class="point"> per word;
// one scale for both axes, so distances in the picture are the projection's distances.
function drawMap(points, method) {
  const xs = points.map((p) => p.x ?? 0), ys = points.map((p) => p.y ?? 0);
  const minX = Math.min(...xs), maxX = Math.max(...xs);
  const minY = Math.min(...ys), maxY = Math.max(...ys);
  const span = Math.max(maxX - minX, maxY - minY) || 1;
  const scale = Math.min(MAP_W - 2 * MAP_PAD, MAP_H - 2 * MAP_PAD) / span;
  const offX = (MAP_W - (maxX - minX) * scale) / 2, offY = (MAP_H - (maxY - minY) * scale) / 2;
  const groups = [...new Set(points.map((p) => p.group))];
  const svg = svgElement("svg", { id: "map-svg", viewBox: `0 0 ${MAP_W} ${MAP_H}`,
                                  width: MAP_W, height: MAP_H, role: "img" });
  const title = svgElement("title", {});
  title.textContent = `${points.length} words, ${method.toUpperCase()} projection`;
  svg.appendChild(title);
  svg.setAttribute("aria-label", title.textContent);
  points.forEach((p, i) => {
    const cx = offX + (xs[i] - minX) * scale;
    const cy = MAP_H - (offY + (ys[i] - minY) * scale);  // SVG's y grows downwards
    const colour = COLOURS[groups.indexOf(p.group) % COLOURS.length];
    const g = svgElement("g", { class: p.group === p.word ? "point seed" : "point" });
    g.dataset.word = p.word;
    g.dataset.group = p.group;
    g.appendChild(svgElement("circle", { cx: cx.toFixed(1), cy: cy.toFixed(1), r: 4,
                                         fill: colour }));
    const label = svgElement("text", { x: (cx + 6).toFixed(1), y: (cy - 6).toFixed(1) });
    label.textContent = p.word;
    g.appendChild(label);
    svg.appendChild(g);
  });
  $("map").replaceChildren(svg);
}

async function map() {
  await withButton($("map-go"), "map-error", async () => {
    const count = Number($("map-count").value) || 15;
    const body = { method: $("map-method").value, ...vectorsModel() };
    if ($("map-mode").value === "top") {
      body.top = count;
    } else {
      body.neighbours_of = $("map-word").value.trim() || $("neighbours-word").value.trim();
      body.topn = count;
    }
    const data = await call("map", body);
    drawMap(data.points, data.method);
  });
}

function showResults(nodes) {
  $("text-results").replaceChildren(...nodes);
}

async function classify() {
  await withButton($("classify-go"), "text-error", async () => {
    const data = await call("classify", { texts: [$("text-input").value],
                                          model: state.classifier });
    const result = data.results[0];
    const p = document.createElement("p");
    p.id = "classify-label";
    p.textContent = `label: ${result.label}`;
    const list = document.createElement("ul");
    list.id = "classify-probabilities";
    for (const [label, prob] of Object.entries(result.probabilities)) {
      const li = document.createElement("li");
      li.textContent = `${label}: ${fmt(prob)}`;
      list.appendChild(li);
    }
    showResults([p, list]);
  });
}

async function search() {
  await withButton($("search-go"), "text-error", async () => {
    const data = await call("search", { texts: [$("text-input").value], k: 5,
                                        model: state.textIndex });
    const list = document.createElement("ol");
    list.id = "search-hits";
    for (const hit of data.results[0]) {
      const li = document.createElement("li");
      li.dataset.id = String(hit.id);
      li.textContent = `${hit.text ?? hit.id} (${fmt(hit.score)})`;
      list.appendChild(li);
    }
    showResults([list]);
  });
}

// What the server holds decides what the page offers.
async function loadModels() {
  $("status").textContent = "";
  let data;
  try {
    data = await call("models");
  } catch (err) {
    $("status").textContent = err.message;
    document.body.dataset.models = "failed";
    $("status").classList.add("error");
    return;
  }
  $("status").classList.remove("error");
  const models = data.models;
  const select = $("model");
  select.replaceChildren();
  for (const m of models.filter((m) => m.kind === "vectors")) {
    const option = document.createElement("option");
    option.value = m.name;
    option.textContent = `${m.name} (${m.size} × ${m.dim})`;
    select.appendChild(option);
  }
  const umap = $("map-method").querySelector('option[value="umap"]');
  umap.disabled = !(data.map_methods || []).includes("umap");
  umap.textContent = umap.disabled ? "UMAP (needs umap-learn on the server)" : "UMAP";
  const classifier = models.find((m) => m.kind === "classifier");
  const textIndex = models.find((m) => m.kind === "index" && m.holds === "texts");
  state.classifier = classifier ? classifier.name : null;
  state.textIndex = textIndex ? textIndex.name : null;
  $("classify-go").hidden = !classifier;
  $("search-go").hidden = !textIndex;
  $("text-section").hidden = !(classifier || textIndex);
  const vectors = select.options.length;
  $("status").textContent = `${models.length} model(s) loaded` +
    (vectors ? "" : "; no vectors model: neighbours, analogies and the map need one");
  document.body.dataset.models = "loaded";
}

function init() {
  $("api-key").value = apiKey();
  $("settings-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const key = $("api-key").value.trim();
    if (key) sessionStorage.setItem(KEY_STORE, key);
    else sessionStorage.removeItem(KEY_STORE);
    loadModels();
  });
  const on = (form, fn) => $(form).addEventListener("submit", (event) => {
    event.preventDefault();
    fn();
  });
  on("neighbours-form", neighbours);
  on("analogy-form", analogy);
  on("map-form", map);
  $("text-form").addEventListener("submit", (event) => event.preventDefault());
  $("classify-go").addEventListener("click", classify);
  $("search-go").addEventListener("click", search);
  loadModels();
}

document.addEventListener("DOMContentLoaded", init);
