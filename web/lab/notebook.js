/* The lab's notebook on the page's thread: its cells, their editors, the toolbar, autosave, and Stop.
 *
 * The page's Python (main.py, in the PyScript worker, or on this thread from disk) calls pydlLab.start() once it is
 * up, handing over the original cells (cells.json with their code), `python(action, json)` (runs a cell, converts
 * notebooks; answers a Promise of a JSON string) and the Int32Array that Pyodide watches for interrupts
 * (pyodide.setInterruptBuffer; shared memory in a worker). Stop writes 2 (SIGINT) into it: Pyodide raises
 * KeyboardInterrupt in the running cell at its next bytecode, without waiting for the busy Python to take an event.
 * Edits are kept in localStorage and come back after a reload; cells.json cells can be reset to their original.
 * A classic script, so that it also runs from file://.
 */
(function () {
  "use strict";
  const STORE = "pydl-lab-notebook-v1";
  const SIGINT = 2;
  let originals = {};  // cells.json id -> {id, title, teaches, source, download}
  let order = [];      // cells.json ids in order
  let cells = [];      // {key, origin, kind, editor, el}
  let python = null;
  let interrupt = null;
  let running = null;  // the cell whose code runs now
  let queue = Promise.resolve();
  let generation = 0;  // Stop bumps it: runs queued before then are dropped
  let pending = 0;      // runs queued or running
  let lastFocused = null;  // "Add cell" adds below the cell the learner was last in

  const byId = (id) => document.getElementById(id);
  const escapeHtml = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

  function message(text, isError) {
    const box = byId("lab-message");
    box.textContent = text;
    box.hidden = !text;
    box.dataset.kind = isError ? "error" : "info";
    box.setAttribute("role", isError ? "alert" : "status");
  }

  // ------------------------------------------------------------ Markdown

  /** Markdown as HTML through marked, with raw HTML shown as text (an opened notebook cannot inject script). */
  const markdown = new window.marked.Marked({
    gfm: true,
    renderer: { html: (token) => escapeHtml(typeof token === "string" ? token : token.text) },
  });

  function renderMarkdown(cell) {
    const view = cell.el.querySelector(".lab-markdown");
    view.innerHTML = markdown.parse(cell.editor.value || "*(empty Markdown cell: double-click to write)*");
    view.querySelectorAll("a[href]").forEach((a) => {
      if (/^\s*javascript:/i.test(a.getAttribute("href"))) a.removeAttribute("href");
    });
    setEditing(cell, false);
  }

  function setEditing(cell, editing) {
    cell.el.dataset.editing = String(editing);
    cell.el.querySelector(".lab-markdown").hidden = editing;
    cell.el.querySelector(".lab-editor").hidden = !editing;
    if (editing) cell.editor.focus();
  }

  // ------------------------------------------------------------ cells

  function newKey() {
    let n = cells.length + 1;
    while (byId(`cell-c${n}`) || cells.some((c) => c.key === `c${n}`)) n++;
    return `c${n}`;
  }

  function cellHtml(key, original) {
    const download = original && original.download
      ? `<button class="secondary" id="download-${key}" data-act="download" disabled title="Run this cell first">` +
        `Download ${escapeHtml(original.download)}</button>` : "";
    const heading = original
      ? `<h2>${escapeHtml(original.title)}</h2><p class="teaches">${escapeHtml(original.teaches)}</p>` : "";
    return `
  <div class="lab-cell-bar">
    <span class="lab-cell-number"></span>
    <button class="secondary" data-act="up" aria-label="Move cell up" title="Move up">↑</button>
    <button class="secondary" data-act="down" aria-label="Move cell down" title="Move down">↓</button>
    <button class="secondary" data-act="kind"></button>
    ${original ? '<button class="secondary" data-act="reset" title="Put back the code this cell came with">' +
                 "Reset to the original</button>" : ""}
    <button class="secondary" data-act="delete" aria-label="Delete cell" title="Delete this cell">Delete</button>
  </div>
  ${heading}
  <div class="lab-markdown" hidden></div>
  <div class="lab-editor" id="code-${key}"></div>
  <div class="lab-actions">
    <button id="run-${key}" class="run" data-act="run">Run</button>
    <span class="lab-code-only">
      <button class="secondary" id="pause-${key}" data-control="pause" disabled
        title="Pause the training in progress">Pause</button>
      <button class="secondary" id="stop-${key}" data-control="stop" disabled
        title="End the training now; the cell carries on with the model as trained">End training</button> ${download}
    </span>
    <span class="lab-elapsed" id="elapsed-${key}"></span>
  </div>
  <div class="progress" id="progress-${key}" hidden><div></div></div>
  <div class="lab-progress-text" id="progress-text-${key}"></div>
  <div class="chart" id="chart-${key}"></div>
  <pre class="output" id="output-${key}"></pre>
  <div class="lab-figures" id="figures-${key}"></div>`;
  }

  function makeCell({ key, origin, kind, source }) {
    const original = origin ? originals[origin] : null;
    const el = document.createElement("article");
    el.className = "card lab-cell";
    el.id = `cell-${key}`;
    Object.assign(el.dataset, { cell: key, kind, state: "idle" });
    el.setAttribute("data-controls", "");
    el.innerHTML = cellHtml(key, original);
    const cell = { key, origin, kind, el };
    cell.editor = window.pydlEditor.create(el.querySelector(".lab-editor"), source, {
      label: original ? `Python code of ${original.title}` : "cell contents",
      language: kind === "code" ? "python" : "markdown",
      onChange: save,
      onRun: (moveOn) => runFromKeyboard(cell, moveOn),
    });
    el.querySelector(".lab-markdown").addEventListener("dblclick", () => setEditing(cell, true));
    el.querySelector(".lab-cell-bar").addEventListener("click", (event) => act(event, cell));
    el.querySelector(".lab-actions").addEventListener("click", (event) => act(event, cell));
    return cell;
  }

  function render() {
    const main = byId("cells");
    cells.forEach((cell, i) => {
      if (main.children[i] !== cell.el) main.insertBefore(cell.el, main.children[i] || null);
      cell.el.querySelector(".lab-cell-number").textContent = `[${i + 1}]`;
      const kindButton = cell.el.querySelector('[data-act="kind"]');
      kindButton.textContent = cell.kind === "code" ? "Make Markdown" : "Make code";
      cell.el.querySelector('[data-act="up"]').disabled = i === 0;
      cell.el.querySelector('[data-act="down"]').disabled = i === cells.length - 1;
    });
    [...main.children].forEach((el) => { if (!cells.some((c) => c.el === el)) el.remove(); });
    save();
  }

  function addCell(after, fields) {
    const cell = makeCell({ key: newKey(), origin: null, kind: "code", source: "", ...fields });
    cells.splice(after === undefined ? cells.length : cells.indexOf(after) + 1, 0, cell);
    render();
    if (cell.kind === "markdown" && fields && fields.source) renderMarkdown(cell);
    return cell;
  }

  function replaceCell(cell, fields) {
    const fresh = makeCell({ key: cell.key, origin: cell.origin, kind: cell.kind, source: cell.editor.value,
                             ...fields });
    cell.editor.destroy();
    cells[cells.indexOf(cell)] = fresh;
    cell.el.replaceWith(fresh.el);
    render();
    if (fresh.kind === "markdown") renderMarkdown(fresh);
    return fresh;
  }

  function act(event, cell) {
    const button = event.target.closest("button[data-act]");
    if (!button || button.disabled) return;
    const i = cells.indexOf(cell);
    switch (button.dataset.act) {
      case "run": runFromKeyboard(cell, false); break;
      case "up": cells.splice(i - 1, 0, cells.splice(i, 1)[0]); render(); break;
      case "down": cells.splice(i + 1, 0, cells.splice(i, 1)[0]); render(); break;
      case "kind": replaceCell(cell, { kind: cell.kind === "code" ? "markdown" : "code" }); break;
      case "reset": replaceCell(cell, { kind: "code", source: originals[cell.origin].source }); break;
      case "delete":
        if (cell === running) { message("This cell is running: Stop it first, then delete it.", true); return; }
        cell.editor.destroy();
        cells.splice(i, 1);
        render();
        break;
      case "download": call("download", { key: cell.key, file: originals[cell.origin].download }); break;
    }
  }

  // ------------------------------------------------------------ keeping the notebook

  function save() {
    try {
      localStorage.setItem(STORE, JSON.stringify({
        known: order,
        cells: cells.map((c) => ({ key: c.key, origin: c.origin, kind: c.kind, source: c.editor.value })),
      }));
    } catch (error) {
      message("Your edits could not be kept in this browser's storage (" + error.message + ").", true);
    }
  }

  /** The saved notebook, plus any cell cells.json gained since it was saved; else the original notebook. */
  function restored() {
    let saved = null;
    try { saved = JSON.parse(localStorage.getItem(STORE)); } catch (error) { saved = null; }
    if (!saved || !Array.isArray(saved.cells)) return originalCells();
    const kept = saved.cells.filter((c) => c && typeof c.source === "string" && (!c.origin || originals[c.origin]));
    const added = order.filter((id) => !(saved.known || []).includes(id)).map((id) => originalCells(id)[0]);
    return kept.concat(added);
  }

  function originalCells(only) {
    return order.filter((id) => !only || id === only)
      .map((id) => ({ key: id, origin: id, kind: "code", source: originals[id].source }));
  }

  function load(list) {
    cells.forEach((c) => c.editor.destroy());
    cells = list.map(makeCell);
    render();
    cells.filter((c) => c.kind === "markdown").forEach(renderMarkdown);
  }

  // ------------------------------------------------------------ running

  async function call(action, payload) {
    return JSON.parse(await python(action, JSON.stringify(payload)));
  }

  function setBusy() {
    byId("lab-stop").disabled = pending === 0;
    document.body.dataset.labBusy = String(pending > 0);
  }

  /** Queue a run of the cell (runs go one after the other, as in Jupyter); resolves to true if it ran cleanly. */
  function enqueue(cell, focusNext) {
    if (focusNext) {
      const next = cells[cells.indexOf(cell) + 1] || addCell(cell);
      if (next.kind === "markdown" && next.el.dataset.editing !== "true") next.el.scrollIntoView({ block: "nearest" });
      else next.editor.focus();
    }
    if (cell.kind === "markdown") {
      renderMarkdown(cell);
      return Promise.resolve(true);
    }
    const mine = generation;
    pending++;
    setBusy();
    if (cell !== running) cell.el.dataset.state = "queued";
    const done = queue.then(async () => {
      if (mine !== generation || !cells.includes(cell)) return false;  // stopped or deleted while it waited
      running = cell;
      Atomics.store(interrupt, 0, 0);
      try {
        const reply = await call("run", { key: cell.key, name: `<cell ${cells.indexOf(cell) + 1}>`,
                                          code: cell.editor.value, download: cell.origin && originals[cell.origin].download || "" });
        return reply.state === "done";
      } finally {
        running = null;
      }
    }).finally(() => {
      pending--;
      if (cell.el.dataset.state === "queued") cell.el.dataset.state = "idle";
      setBusy();
    });
    queue = done.catch(() => false);
    return done;
  }

  /** A run asked for by a key or a Run button: a failure is told beside the toolbar, never left unhandled. */
  function runFromKeyboard(cell, moveOn) {
    enqueue(cell, moveOn).catch((error) => message("The cell could not run: " + error.message, true));
  }

  async function runAll() {
    const started = generation;
    for (const cell of [...cells]) {
      if (started !== generation) return;
      if (!(await enqueue(cell, false))) return;  // like Jupyter: an error (or Stop) ends Run all there
    }
  }

  function stop() {
    generation++;
    if (!running) return;
    // From disk the running cell's training callback raises KeyboardInterrupt (see main.py's interrupt_buffer).
    if (window.pydlPage.mode === "disk") running.el.dataset.control = "interrupt";
    else Atomics.store(interrupt, 0, SIGINT);
  }

  // ------------------------------------------------------------ files

  /** The notebook as pydl.notebook takes it: kind, source and what each code cell showed. */
  function gathered() {
    return cells.map((cell) => {
      const outputs = [];
      for (const node of byId(`output-${cell.key}`).childNodes) {
        const stream = node.classList && node.classList.contains("stderr") ? "stderr" : "stdout";
        const last = outputs[outputs.length - 1];
        if (last && last.stream === stream) last.text += node.textContent;
        else outputs.push({ text: node.textContent, stream });
      }
      byId(`figures-${cell.key}`).querySelectorAll("img").forEach((img) =>
        outputs.push({ png: img.src.replace(/^data:image\/png;base64,/, "") }));
      return { kind: cell.kind, source: cell.editor.value, outputs: cell.kind === "code" ? outputs : [] };
    });
  }

  function saveFile(name, text, type) {
    const link = document.createElement("a");
    link.href = URL.createObjectURL(new Blob([text], { type }));
    link.download = name;
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 10000);
  }

  async function download(format) {
    const reply = await call(format, { cells: gathered() });
    saveFile(`pydl-lab.${format}`, reply.text, format === "ipynb" ? "application/x-ipynb+json" : "text/x-python");
  }

  function refuseWhileBusy(what) {
    if (pending === 0) return false;
    message(`A cell is running: Stop it, then ${what}.`, true);
    return true;
  }

  async function open(file) {
    if (refuseWhileBusy(`open ${file.name}`)) return;
    const reply = await call("open", { text: await file.text() });
    if (reply.error) {
      message(`Could not open ${file.name}: ${reply.error}. Your notebook is unchanged.`, true);
      return;
    }
    load(reply.cells.map((c, i) => ({ key: `c${i + 1}`, origin: null, kind: c.kind, source: c.source })));
    reply.cells.forEach((c, i) => showOutputs(cells[i], c.outputs));
    message(`Opened ${file.name}: ${reply.cells.length} cells.`, false);
  }

  function showOutputs(cell, outputs) {
    for (const output of outputs) {
      if (output.png) {
        const img = document.createElement("img");
        img.src = "data:image/png;base64," + output.png;
        img.alt = "a figure the notebook kept";
        byId(`figures-${cell.key}`).append(img);
      } else {
        const span = document.createElement("span");
        if (output.stream === "stderr") span.className = "stderr";
        span.textContent = output.text;
        byId(`output-${cell.key}`).append(span);
      }
    }
  }

  function wireToolbar() {
    const on = (id, handler) => byId(id).addEventListener("click", () => {
      Promise.resolve(handler()).catch((error) => message(error.message || String(error), true));
    });
    on("lab-run-all", runAll);
    on("lab-stop", stop);
    on("lab-add", () => addCell(cells.includes(lastFocused) ? lastFocused : undefined).editor.focus());
    on("lab-download-ipynb", () => download("ipynb"));
    on("lab-download-py", () => download("py"));
    on("lab-open", () => byId("lab-open-file").click());
    on("lab-reset-all", () => {
      if (refuseWhileBusy("reset the notebook")) return;
      if (window.confirm("Put every cell back as the lab first had it? Your own cells and edits are lost.")) {
        load(originalCells());
        message("Every cell is back as the lab first had it.", false);
      }
    });
    byId("lab-open-file").addEventListener("change", (event) => {
      const file = event.target.files[0];
      event.target.value = "";
      if (file) open(file).catch((error) => message(`Could not open ${file.name}: ${error.message}`, true));
    });
  }

  window.pydlLab = {
    /** Called by main.py once Python is up: originalsJson is cells.json's list with each cell's code as "source". */
    start(originalsJson, pythonCall, interruptBuffer) {
      python = pythonCall;
      interrupt = interruptBuffer;
      for (const original of JSON.parse(originalsJson)) {
        originals[original.id] = original;
        order.push(original.id);
      }
      wireToolbar();
      byId("cells").addEventListener("focusin", (event) => {
        lastFocused = cells.find((c) => c.el.contains(event.target)) || lastFocused;
      });
      load(restored());
      setBusy();
    },
    /** For tests and people at the console: a cell's code, and setting it as if typed. */
    code: (key) => cells.find((c) => c.key === key).editor.value,
    setCode(key, text) { cells.find((c) => c.key === key).editor.value = text; },
  };
})();
