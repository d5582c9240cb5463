/* The playground's drawing and input collection, on the main thread.
 *
 * Python (main.py, in a PyScript worker) computes everything and calls window.pgView with JSON strings:
 * init (control options, data set pictures), structure (layout, points, settings), frame (maps, weights,
 * losses). What the user does becomes an action object queued here; a click on the hidden #pg-inbox tells
 * Python to take() the queue. Nothing here decides anything: it draws numbers and forwards clicks.
 */
(function () {
  "use strict";

  // Drawn size of a neuron's map, the vertical distance between neurons and the room left of the features, CSS
  // pixels: the Playground's on a wide screen, smaller ones (with smaller labels) where eight columns must fit a
  // phone's width. The first size whose columns keep room between neurons for a bias square is used.
  const SIZES = [{ node: 32, row: 52, left: 78, gap: 14 }, { node: 24, row: 34, left: 52, gap: 9 },
    { node: 20, row: 28, left: 46, gap: 9 }];
  let NODE = SIZES[0].node;
  const queue = [];
  let structure = null;   // the last structure() payload
  let lastFrame = null;
  let hashWeSet = "";

  const $ = (id) => document.getElementById(id);

  function send(action) {
    queue.push(action);
    const inbox = $("pg-inbox");
    if (inbox) inbox.click();
  }

  // ------------------------------------------------------------------ colours (only to draw the weights)
  function mix(a, b, t) {
    return a.map((v, i) => Math.round(v + (b[i] - v) * t));
  }
  function weightColor(w) {
    const t = Math.max(-1, Math.min(1, w));
    const rgb = t < 0 ? mix([232, 234, 235], [245, 147, 34], -t) : mix([232, 234, 235], [8, 119, 189], t);
    return `rgb(${rgb.join(",")})`;
  }
  function weightWidth(w) {  // the Playground's scale: |w| 0..5 -> 1..10 px
    return 1 + 9 * Math.min(Math.abs(w), 5) / 5;
  }

  // ------------------------------------------------------------------ images
  function drawImage(canvas, base64, size) {
    if (!canvas || !base64) return;
    if (canvas.width !== size) { canvas.width = size; canvas.height = size; }
    const raw = atob(base64);
    const pixels = new Uint8ClampedArray(raw.length);
    for (let i = 0; i < raw.length; i++) pixels[i] = raw.charCodeAt(i);
    canvas.getContext("2d").putImageData(new ImageData(pixels, size, size), 0, 0);
  }

  // ------------------------------------------------------------------ controls
  function fillSelect(select, options, format) {
    select.textContent = "";
    const entries = Array.isArray(options) ? options.map((v) => [v, format ? format(v) : String(v)])
      : Object.entries(options);
    for (const [value, label] of entries) {
      const option = document.createElement("option");
      option.value = String(value);
      option.textContent = label;
      select.append(option);
    }
  }

  function setSelect(select, value) {
    const text = String(value);
    if (![...select.options].some((o) => o.value === text)) {  // a value from a link that is not in the list
      const option = document.createElement("option");
      option.value = option.textContent = text;
      select.append(option);
    }
    select.value = text;
  }

  function bindControls() {
    document.querySelectorAll("[data-key]").forEach((el) => {
      if (el.type === "range") {
        el.addEventListener("input", () => { $(`pg-${el.dataset.key}-value`).textContent = el.value; });
      }
      el.addEventListener("change", () => {
        send({ type: "set", key: el.dataset.key, value: el.type === "checkbox" ? el.checked : el.value });
      });
    });
    document.querySelectorAll("[data-action]").forEach((el) => {
      el.addEventListener("click", () => {
        const action = el.dataset.action;
        if (action === "addLayer") send({ type: "layers", delta: 1 });
        else if (action === "removeLayer") send({ type: "layers", delta: -1 });
        else if (action === "copyCode") window.pgCode.copy();
        else if (action === "exportZip") send({ type: action, target: window.pgCode.tab() });
        else send({ type: action });
      });
    });
    $("pg-csv").addEventListener("change", (event) => {
      const file = event.target.files[0];
      if (!file) return;
      if (file.size > 2_000_000) {
        message(`${file.name} is ${(file.size / 1e6).toFixed(1)} MB; the playground takes CSV files up to 2 MB.`, "error");
        event.target.value = "";
        return;
      }
      file.text().then((text) => send({ type: "csv", name: file.name, text }));
      event.target.value = "";  // choosing the same file again is a new load
    });
    window.addEventListener("hashchange", (event) => {
      // The hash this event is about, not location.hash: a structure landing between the edit and this event
      // rewrites the address bar with the older state (replaceState fires no event), and the edit would be lost.
      const hash = new URL(event.newURL).hash.replace(/^#/, "");
      if (hash !== hashWeSet) send({ type: "query", query: hash });
    });
    window.addEventListener("resize", () => { if (structure) { drawNetwork(); if (lastFrame) frame(lastFrame, true); } });
    document.addEventListener("keydown", (event) => {
      if (event.key === "Escape") hideCard();
    });
  }

  // ------------------------------------------------------------------ the network drawing
  // The width of the widest text among `texts` in the style of a feature or class label, in CSS pixels.
  function labelWidth(box, texts, small) {
    if (!texts.length) return 0;
    const probe = el("span", { className: "pg-node-label" }, box);
    probe.style.visibility = "hidden";
    probe.style.fontSize = small ? ".7rem" : ".8rem";  // as the stylesheet has it, whatever the box's class now
    let widest = 0;
    for (const text of texts) { probe.textContent = text; widest = Math.max(widest, probe.offsetWidth); }
    probe.remove();
    return widest;
  }

  function layout() {
    const s = structure;
    const box = $("pg-network");
    const columns = [s.inputs.map((i) => ({ id: i.id, on: i.on, label: i.label, kind: "input" }))];
    s.layers.forEach((layer, l) => {
      columns.push(Array.from({ length: layer.units }, (_, j) => ({ id: `h${l + 1}_${j}`, kind: "hidden", layer: l, unit: j })));
    });
    columns.push(Array.from({ length: s.outputs }, (_, j) => ({ id: `out_${j}`, kind: "output", layer: s.layers.length, unit: j })));
    const width = box.clientWidth;
    const fit = (size, small) => {
      // Room on the right for the class labels beside the output neurons, so they stay inside the card.
      const labels = s.kind === "multiclass" ? labelWidth(box, s.classLabels, small) + 10 : 0;
      const right = width - size.node - Math.max(labels, 6);
      return { size, small, right, spacing: (right - size.left) / Math.max(columns.length - 1, 1) };
    };
    let plan = null;
    for (const [i, size] of SIZES.entries()) {
      plan = fit(size, i > 0);
      if (plan.spacing >= size.node + size.gap) break;
    }
    const { size, right, spacing, small } = plan;
    NODE = size.node;
    // Column heads hold +/- and the activation menu when a column has room for them (48 px), else only the
    // neuron count, and the controls move to a list under the network.
    const stacked = spacing < 48;
    const top = stacked ? 26 : 64;
    const positions = {};
    columns.forEach((column, c) => {
      const x = columns.length === 1 ? size.left : size.left + (right - size.left) * c / (columns.length - 1);
      column.forEach((node, i) => { positions[node.id] = { x, y: top + i * size.row, node }; });
    });
    const rows = Math.max(...columns.map((c) => c.length));
    return { columns, positions, width, height: top + rows * size.row + 8, compact: spacing < 78, stacked, small };
  }

  function el(tag, attrs, parent) {
    const node = tag === "svg:path" ? document.createElementNS("http://www.w3.org/2000/svg", "path") : document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "text") node.textContent = v;
      else if (k === "className") node.setAttribute("class", v);
      else node.setAttribute(k, v);
    }
    if (parent) parent.append(node);
    return node;
  }

  function drawNetwork() {
    const s = structure;
    const box = $("pg-network");
    box.querySelectorAll(".pg-node, .pg-layer-head").forEach((n) => n.remove());
    const svg = $("pg-edges");
    svg.textContent = "";
    const { columns, positions, width, height, compact, stacked, small } = layout();
    box.style.height = height + "px";
    box.classList.toggle("pg-compact", compact);  // narrow columns: "8" instead of "8 neurons"
    box.classList.toggle("pg-stacked", stacked);  // too narrow for the controls: they move to the list below
    box.classList.toggle("pg-small", small);
    box.style.setProperty("--pg-node", NODE + "px");
    svg.setAttribute("width", width);
    svg.setAttribute("height", height);

    // Edges first (under the nodes): from every active input or neuron to every neuron of the next column.
    const sources = (c) => columns[c].filter((n) => n.kind !== "input" || n.on);
    for (let c = 1; c < columns.length; c++) {
      const from = sources(c - 1);
      columns[c].forEach((target, t) => {
        from.forEach((source, i) => {
          const a = positions[source.id], b = positions[target.id];
          const offset = ((i - (from.length - 1) / 2) / Math.max(from.length, 1)) * 10;
          const x1 = a.x + NODE + 2, y1 = a.y + NODE / 2, x2 = b.x - 1, y2 = b.y + NODE / 2 + offset;
          const mid = (x1 + x2) / 2;
          const d = `M${x1},${y1} C${mid},${y1} ${mid},${y2} ${x2},${y2}`;
          const id = `${c - 1}-${i}-${t}`;
          el("svg:path", { d, className: "pg-edge", "data-edge": id }, svg);
          const hit = el("svg:path", { d, className: "pg-edge-hit", "data-edge-hit": id }, svg);
          hit.addEventListener("mouseenter", (e) => showCard("weight", { layer: c - 1, source: i, target: t }, e));
          hit.addEventListener("mouseleave", () => maybeHideCard());
          hit.addEventListener("click", (e) => editCard("weight", { layer: c - 1, source: i, target: t }, e));
        });
      });
    }

    // Column heads for the hidden layers: neuron count, and (where there is room) +/- and the layer's activation;
    // the list under the network has the same controls, one row per layer, when the columns are too narrow.
    const list = $("pg-layer-list");
    list.textContent = "";
    list.hidden = !stacked || !s.layers.length;
    s.layers.forEach((layer, l) => {
      const x = positions[`h${l + 1}_0`].x;
      const head = el("div", { className: "pg-layer-head" }, box);
      head.style.left = (x + NODE / 2) + "px";
      if (stacked) {
        el("div", { className: "pg-layer-units", text: String(layer.units) }, head);
        const row = el("div", { className: "pg-layer-row" }, list);
        el("span", { className: "pg-layer-name", text: `Layer ${l + 1}` }, row);
        layerControls(row, layer, l);
      } else {
        layerControls(head, layer, l);
      }
    });

    // Nodes: a canvas each (the neuron's map), a label for features, a bias square for neurons.
    for (const { x, y, node } of Object.values(positions)) {
      const div = el("div", { className: `pg-node pg-${node.kind}` + (node.kind === "input" && !node.on ? " pg-off" : ""), "data-node": node.id }, box);
      div.style.left = x + "px";
      div.style.top = y + "px";
      const canvas = el("canvas", { width: String(s.thumbSize), height: String(s.thumbSize) }, div);
      if (node.kind === "input") {
        el("span", { className: "pg-node-label", text: node.label }, div);
        drawImage(canvas, s.featureMaps[node.id], s.thumbSize);
        div.title = node.on ? `${node.label}: click to switch off` : `${node.label}: click to switch on`;
        div.addEventListener("click", () => send({ type: "set", key: node.id, value: !node.on }));
      } else {
        const bias = el("div", { className: "pg-bias", "data-bias": `${node.layer}-${node.unit}` }, div);
        bias.addEventListener("mouseenter", (e) => showCard("bias", { layer: node.layer, unit: node.unit }, e));
        bias.addEventListener("mouseleave", () => maybeHideCard());
        bias.addEventListener("click", (e) => { e.stopPropagation(); editCard("bias", { layer: node.layer, unit: node.unit }, e); });
        if (node.kind === "output" && s.kind === "multiclass") {
          el("span", { className: "pg-node-label pg-right", text: s.classLabels[node.unit] }, div);
        }
      }
      div.addEventListener("mouseenter", () => { div.classList.add("pg-hovered"); send({ type: "focus", node: node.id }); setBigLabel(node); });
      div.addEventListener("mouseleave", () => { div.classList.remove("pg-hovered"); send({ type: "focus", node: null }); setBigLabel(null); });
    }
  }

  function layerControls(parent, layer, l) {
    const buttons = el("div", { className: "pg-layer-buttons" }, parent);
    const plus = el("button", { type: "button", className: "pg-mini", "aria-label": `add a neuron to layer ${l + 1}`, "data-neurons": `${l}+`, text: "+" }, buttons);
    const minus = el("button", { type: "button", className: "pg-mini", "aria-label": `remove a neuron from layer ${l + 1}`, "data-neurons": `${l}-`, text: "−" }, buttons);
    plus.addEventListener("click", () => send({ type: "neurons", layer: l, delta: 1 }));
    minus.addEventListener("click", () => send({ type: "neurons", layer: l, delta: -1 }));
    const units = el("div", { className: "pg-layer-units" }, parent);
    el("b", { text: String(layer.units) }, units);
    el("span", { text: ` neuron${layer.units > 1 ? "s" : ""}` }, units);
    const select = el("select", { className: "pg-layer-activation", "data-layer": String(l), "aria-label": `activation of layer ${l + 1}` }, parent);
    fillSelect(select, ["relu", "tanh", "sigmoid", "linear"]);
    select.value = layer.activation;
    select.addEventListener("change", () => send({ type: "layerActivation", layer: l, value: select.value }));
  }

  function setBigLabel(node) {
    let text = "Output of the network";
    if (node && node.kind === "input") text = `Feature ${node.label}`;
    else if (node && node.kind === "hidden") text = `Neuron ${node.unit + 1} of hidden layer ${node.layer + 1}`;
    else if (node && node.kind === "output") text = structure.kind === "multiclass" ? `Probability of ${structure.classLabels[node.unit]}` : "Output neuron";
    $("pg-big-label").textContent = text;
  }

  // ------------------------------------------------------------------ hover card: read and edit a weight
  let card = null;  // {kind, where, editing}
  function cardValue(kind, where) {
    if (!lastFrame) return NaN;
    return kind === "weight" ? lastFrame.weights[where.layer][where.source][where.target]
      : lastFrame.biases[where.layer][where.unit];
  }
  function placeCard(event) {
    const box = $("pg-network").getBoundingClientRect();
    const hover = $("pg-hovercard");
    hover.style.left = (event.clientX - box.left + 14) + "px";
    hover.style.top = (event.clientY - box.top - 10) + "px";
  }
  function showCard(kind, where, event) {
    if (card && card.editing) return;
    card = { kind, where, editing: false };
    const hover = $("pg-hovercard");
    hover.querySelector(".pg-hover-name").textContent = kind === "weight" ? "Weight" : "Bias";
    hover.querySelector(".pg-hover-value").textContent = cardValue(kind, where).toPrecision(3);
    hover.querySelector(".pg-hover-value").hidden = false;
    hover.querySelector(".pg-hover-input").hidden = true;
    hover.hidden = false;
    placeCard(event);
  }
  function editCard(kind, where, event) {
    card = null;
    showCard(kind, where, event);
    card.editing = true;
    const hover = $("pg-hovercard");
    const input = hover.querySelector(".pg-hover-input");
    input.value = cardValue(kind, where).toPrecision(3);
    hover.querySelector(".pg-hover-value").hidden = true;
    input.hidden = false;
    input.focus();
    input.select();
  }
  function maybeHideCard() { if (!card || !card.editing) hideCard(); }
  function hideCard() { card = null; $("pg-hovercard").hidden = true; }
  function bindCard() {
    const input = document.querySelector("#pg-hovercard .pg-hover-input");
    input.addEventListener("keydown", (event) => {
      if (event.key !== "Enter" || !card) return;
      const { kind, where } = card;
      send(kind === "weight" ? { type: "weight", ...where, value: input.value } : { type: "bias", ...where, value: input.value });
      hideCard();
    });
    input.addEventListener("blur", () => {
      const left = card;  // only close the card that lost focus, not one opened since
      setTimeout(() => { if (left && card === left) hideCard(); }, 150);
    });
  }

  // ------------------------------------------------------------------ output: points, loss curve
  function drawPoints() {
    const canvas = $("pg-points");
    const ctx = canvas.getContext("2d");
    const size = canvas.width;
    ctx.clearRect(0, 0, size, size);
    if (!structure) return;
    const draw = (set, stroke) => {
      set.points.forEach(([x1, x2], i) => {
        ctx.beginPath();
        ctx.arc((x1 + 6) / 12 * size, (6 - x2) / 12 * size, size / 100, 0, 2 * Math.PI);
        ctx.fillStyle = set.colors[i];
        ctx.fill();
        ctx.lineWidth = size / 300;
        ctx.strokeStyle = stroke;
        ctx.stroke();
      });
    };
    draw(structure.train, "#ffffff");
    if (lastFrame ? lastFrame.showTestData : structure.state.show_test_data) draw(structure.test, "#111111");
  }

  // The loss curve: the shared uPlot chart (web/common/charts.js), fed from each frame on this thread.
  let chartId = null;
  function drawLossChart(history) {
    const charts = window.pydlPage && window.pydlPage.charts;
    if (!charts) return;  // charts.js still loading: the next frame draws it
    if (!chartId) {
      // Lines without dots, the test line dashed and thinner, so that where the two losses agree both still show.
      chartId = charts.create("pg-loss-chart", JSON.stringify({
        title: "", height: 240, xLabel: "epoch", yLabel: "loss", zoom: false, series: [
          { label: "training loss", color: "#2563eb", width: 2.5, points: false },
          { label: "test loss", color: "#dc2626", width: 1.5, dash: [5, 4], points: false }] }));
    }
    charts.setData(chartId, JSON.stringify({ x: history.epoch, "training loss": history.train, "test loss": history.test }));
  }

  function legend() {  // the colour key pydl wrote (Playground.legend): class names, their colours and targets
    const box = $("pg-legend");
    box.textContent = "";
    for (const item of structure.legend) {
      if (item.bar) { el("span", { className: "pg-legend-bar" }, box); continue; }
      const entry = el("span", { className: "pg-legend-class" }, box);
      if (item.color) el("i", { style: `background:${item.color}` }, entry);
      entry.append(item.text);
    }
  }

  // ------------------------------------------------------------------ entry points called from Python
  function message(text, kind) {
    const box = $("pg-message");
    if (!text) { box.hidden = true; box.textContent = ""; delete box.dataset.kind; return; }
    box.textContent = text;
    box.dataset.kind = kind || "error";
    box.hidden = false;
  }

  function init(choicesJson, thumbnailsJson) {
    const choices = JSON.parse(choicesJson);
    const pictures = JSON.parse(thumbnailsJson);
    fillSelect($("pg-learningRate"), choices.learningRate);
    fillSelect($("pg-regularizationRate"), choices.regularizationRate);
    fillSelect($("pg-activation"), choices.activation, (v) => ({ relu: "ReLU", tanh: "Tanh", sigmoid: "Sigmoid", linear: "Linear" })[v] || v);
    fillSelect($("pg-regularization"), choices.regularization, (v) => (v === "none" ? "None" : v));
    fillSelect($("pg-problem"), choices.problem, (v) => v[0].toUpperCase() + v.slice(1));
    fillSelect($("pg-optimizer"), choices.optimizer);
    fillSelect($("pg-dropout"), choices.dropout, (v) => (v ? String(v) : "None"));
    fillSelect($("pg-classes"), choices.classes);
    fillSelect($("pg-epochs"), choices.epochs, (v) => Number(v).toLocaleString("en"));
    const sets = $("pg-datasets");
    sets.textContent = "";
    for (const [key, group] of [["dataset", choices.dataset], ["regDataset", choices.regDataset]]) {
      for (const [name, label] of Object.entries(group)) {
        const button = el("button", { type: "button", className: "pg-dataset", "data-set-key": key, "data-dataset": name, title: label, "aria-label": label }, sets);
        if (pictures[name]) {
          const canvas = el("canvas", {}, button);
          drawImage(canvas, pictures[name], Math.round(Math.sqrt(atob(pictures[name]).length / 4)));
        } else {
          el("span", { className: "pg-dataset-csv", text: "CSV" }, button);
        }
        button.addEventListener("click", () => {
          if (name === "csv" && !(structure && structure.csvName)) { $("pg-csv").click(); return; }
          send({ type: "set", key, value: name });
        });
      }
    }
  }

  function structureUpdate(json) {
    structure = JSON.parse(json);
    const s = structure.state;
    const keys = { learningRate: s.learning_rate, activation: s.activation, regularization: s.regularization,
      regularizationRate: s.regularization_rate, problem: s.problem, optimizer: s.optimizer, dropout: s.dropout,
      classes: s.classes, epochs: s.epochs };
    for (const [key, value] of Object.entries(keys)) setSelect($(`pg-${key}`), value);
    for (const [key, value] of Object.entries({ percTrainData: s.train_percent, noise: s.noise, batchSize: s.batch_size })) {
      $(`pg-${key}`).value = value;
      $(`pg-${key}-value`).textContent = value;
    }
    $("pg-showTestData").checked = s.show_test_data;
    $("pg-discretize").checked = s.discretize;
    const current = s.problem === "classification" ? s.dataset : s.reg_dataset;
    const setKey = s.problem === "classification" ? "dataset" : "regDataset";
    document.querySelectorAll(".pg-dataset").forEach((b) => {
      b.hidden = b.dataset.setKey !== setKey;
      b.classList.toggle("pg-selected", b.dataset.dataset === current);
    });
    $("pg-classes-field").hidden = !(s.problem === "classification" && ["blobs", "multi_spiral"].includes(s.dataset));
    $("pg-description").textContent = structure.description;
    $("pg-layer-count").textContent = structure.layers.length;
    $("pg-layer-word").textContent = structure.layers.length === 1 ? "hidden layer" : "hidden layers";
    $("pg-add-layer").disabled = structure.layers.length >= structure.limits.layers;
    $("pg-remove-layer").disabled = structure.layers.length === 0;
    document.querySelector(".pg-accuracy").hidden = structure.kind === "regression";
    $("pg").dataset.kind = structure.kind;
    $("pg").dataset.drawn = "false";  // until the frame that follows every structure
    setHash(structure.query);
    hideCard();
    drawNetwork();
    legend();
    lastFrame = null;
    drawPoints();
  }

  function setHash(query) {
    if (location.hash.replace(/^#/, "") === query) return;
    hashWeSet = query;
    history.replaceState(null, "", "#" + query);
  }

  function frame(json, parsed) {
    const f = parsed ? json : JSON.parse(json);
    const showTestChanged = !lastFrame || lastFrame.showTestData !== f.showTestData;
    lastFrame = f;
    $("pg-epoch").textContent = String(f.epoch).padStart(6, "0").replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    $("pg-epoch-limit").textContent = `of ${f.epochLimit.toLocaleString("en")}`;
    const fmt = (v) => (v === null || !isFinite(v) ? "NaN" : v.toFixed(3));
    $("pg-train-loss").textContent = fmt(f.trainLoss);
    $("pg-test-loss").textContent = fmt(f.testLoss);
    $("pg-test-accuracy").textContent = f.testAccuracy === null ? "–" : (100 * f.testAccuracy).toFixed(1) + "%";
    for (const [id, image] of Object.entries(f.thumbs)) {
      drawImage(document.querySelector(`.pg-node[data-node="${id}"] canvas`), image, structure.thumbSize);
    }
    drawImage($("pg-heatmap"), f.bigImage, f.bigSize);
    $("pg-heatmap").dataset.node = f.bigId;
    document.querySelectorAll("path.pg-edge").forEach((path) => {
      const [layer, source, target] = path.dataset.edge.split("-").map(Number);
      const w = f.weights[layer][source][target];
      path.style.stroke = weightColor(w);
      path.style.strokeWidth = weightWidth(w);
    });
    document.querySelectorAll(".pg-bias").forEach((square) => {
      const [layer, unit] = square.dataset.bias.split("-").map(Number);
      square.style.background = weightColor(f.biases[layer][unit]);
    });
    drawLossChart(f.history);
    if (showTestChanged) drawPoints();
    setHash(f.query);
    $("pg").dataset.epoch = String(f.epoch);
    $("pg").dataset.epochLimit = String(f.epochLimit);
    $("pg").dataset.atLimit = f.atLimit ? "true" : "false";
    $("pg").dataset.drawn = "true";
  }

  function take() {
    return JSON.stringify(queue.splice(0, queue.length));
  }

  function playing(on) {
    $("pg").dataset.playing = on ? "true" : "false";
  }

  function ready() {
    $("pg").setAttribute("aria-busy", "false");
    $("pg").dataset.ready = "true";
  }

  window.pgView = { init, structure: structureUpdate, frame, message, take, playing, ready, send,
    showCode: (json) => window.pgCode.show(json) };

  function start() { bindControls(); bindCard(); window.pgCode.bind(); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
