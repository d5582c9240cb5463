/* Shared page plumbing for every pydl page (see web/README.md).
 *
 * A classic script (not a module), so that it runs from file:// too. It shows loading progress, keeps the page's
 * controls off until Python is ready (saying why), turns every failure into a visible error with its reason and
 * what to do, and starts Python: served over http, through PyScript in a worker; opened from disk (file://),
 * through web/common/disk.js on this thread. It exposes `window.pydlPage` to the page's Python (which calls
 * these functions through `pyscript.window`).
 *
 * Machine-readable state for tests: #pydl-status[data-state] is "loading", "ready" or "error", and
 * [data-mode] "served" or "disk"; document.body.dataset.ready is "true" once the page is usable.
 */
(function () {
  "use strict";

  const script = document.currentScript;
  // page.js lives at <root>/web/common/page.js; everything else is found relative to the site root.
  const root = new URL("../../", script.src);
  const STEPS = [
    ["runtime", "Python runtime"],
    ["numpy", "NumPy"],
    ["pydl", "pydl"],
  ];
  const started = performance.now();
  const fromDisk = location.protocol === "file:";
  document.documentElement.dataset.pydlMode = fromDisk ? "disk" : "served";
  let failed = false;

  function statusElement() {
    let el = document.getElementById("pydl-status");
    if (!el) {
      el = document.createElement("section");
      el.id = "pydl-status";
      document.body.prepend(el);
    }
    return el;
  }

  function render() {
    const el = statusElement();
    if (el.dataset.rendered) return el;
    el.dataset.rendered = "true";
    el.dataset.state = el.dataset.state || "loading";
    el.dataset.mode = fromDisk ? "disk" : "served";
    el.setAttribute("role", "status");
    el.setAttribute("aria-live", "polite");
    el.innerHTML =
      '<ol class="pydl-steps">' +
      STEPS.map(([id, label]) =>
        `<li data-step="${id}" data-state="waiting"><span class="pydl-step-label">${label}</span>` +
        '<span class="pydl-step-detail">waiting</span></li>').join("") +
      '</ol><p class="pydl-why" hidden></p><div class="pydl-error" hidden></div>';
    holdControls();
    return el;
  }

  /* Until Python is ready nothing on the page can answer, so its <main> is inert (no clicks, no typing, no focus,
   * drawn faded by page.css) and the status says so; ready() releases it. After a failure it stays inert. */
  function holdControls() {
    const held = document.querySelectorAll("main");
    held.forEach((el) => { el.inert = true; el.dataset.pydlHeld = "true"; });
    if (!held.length) return;
    const why = statusElement().querySelector(".pydl-why");
    why.hidden = false;
    why.textContent = "The controls below wake up once Python is ready.";
  }

  function releaseControls() {
    document.querySelectorAll("main[data-pydl-held]").forEach((el) => { el.inert = false; delete el.dataset.pydlHeld; });
    statusElement().querySelector(".pydl-why").hidden = true;
  }

  function seconds() {
    return ((performance.now() - started) / 1000).toFixed(1) + " s";
  }

  const page = {
    root: root.href,
    /** "disk" when opened from file:// (Python runs on this thread, see disk.js), else "served" (in a worker). */
    mode: fromDisk ? "disk" : "served",
    /** Absolute URL of a path relative to the site root (workers cannot resolve page-relative URLs). */
    url(path) {
      return new URL(path, root).href;
    },
    /** Mark a loading step ("runtime", "numpy", "pydl") as "active" or "done". */
    step(id, state, detail) {
      const li = render().querySelector(`[data-step="${id}"]`);
      if (!li) return;
      li.dataset.state = state;
      // Every "done" carries the time since the page started, so the three steps read on one clock.
      li.querySelector(".pydl-step-detail").textContent = state === "done"
        ? (detail ? detail + ", " : "") + "ready at " + seconds()
        : detail || (state === "active" ? "loading…" : state);
      // The runtime is up as soon as Python asks for anything else.
      if (id !== "runtime" && state === "active") page.step("runtime", "done");
    },
    /** The page is usable: collapse the loader and flag the ready state for people and tests. */
    ready() {
      if (failed) return;
      const el = render();
      STEPS.forEach(([id]) => {
        const li = el.querySelector(`[data-step="${id}"]`);
        if (li.dataset.state !== "done") page.step(id, "done");
      });
      el.dataset.state = "ready";
      el.dataset.seconds = ((performance.now() - started) / 1000).toFixed(2);
      releaseControls();
      document.body.dataset.ready = "true";
    },
    /** Show a failure in the page (not just the console); the first failure wins. */
    fail(message, details) {
      const el = render();
      if (failed) return;
      failed = true;
      el.dataset.state = "error";
      document.body.dataset.ready = "false";
      const box = el.querySelector(".pydl-error");
      box.hidden = false;
      box.innerHTML = "<strong>This page could not start.</strong><p></p><pre></pre>";
      box.querySelector("p").textContent = message;
      box.querySelector("pre").textContent = details || "";
      box.querySelector("pre").hidden = !details;
      const why = el.querySelector(".pydl-why");
      if (document.querySelector("main[data-pydl-held]")) {
        why.hidden = false;
        why.textContent = "The controls below stay off: without Python they could not do anything.";
      }
    },
    /** Offer bytes (base64, so they cross the worker boundary as a string) as a file download. */
    download(filename, base64, mime) {
      const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
      const link = document.createElement("a");
      link.href = URL.createObjectURL(new Blob([bytes], { type: mime || "application/octet-stream" }));
      link.download = filename;
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(link.href), 10000);
    },
    /** Many DOM changes in one call. Each call from the worker is a round trip to this thread (a few ms), so a
     * render sends all its changes at once: [{id | sel, text, html, value, hidden, disabled, attrs: {}, data: {}}]
     * (`sel` is a CSS selector for the first match; `attrs` are attributes, `data` data-* attributes). */
    apply(opsJson) {
      for (const op of JSON.parse(opsJson)) {
        const el = op.id ? document.getElementById(op.id) : document.querySelector(op.sel);
        if (!el) throw new Error(`no element ${op.id ? "#" + op.id : op.sel}`);
        if ("text" in op) el.textContent = op.text;
        if ("html" in op) el.innerHTML = op.html;
        if ("value" in op) el.value = op.value;
        if ("hidden" in op) el.hidden = op.hidden;
        if ("disabled" in op) el.disabled = op.disabled;
        for (const [k, v] of Object.entries(op.attrs || {})) el.setAttribute(k, v);
        for (const [k, v] of Object.entries(op.data || {})) el.dataset[k] = v;
      }
    },
    /** Event listeners in one call (pydl_page.listen): specJson is [[selector, event type, index], ...]; each
     * event calls dispatch(index, event), a Python function. A selector that matches nothing is a page bug. */
    listen(specJson, dispatch) {
      for (const [selector, type, index] of JSON.parse(specJson)) {
        const found = document.querySelectorAll(selector);
        if (!found.length) throw new Error(`pydl_page.listen: no element matches ${selector}`);
        found.forEach((el) => el.addEventListener(type, (event) => { dispatch(index, event); }));
      }
    },
    /** Form field values in one call, as JSON {id: value} (checkboxes give true/false). queryJson is a list of
     * ids (a missing one gives null) or a CSS selector string (every matching element that has an id). */
    read(queryJson) {
      const query = JSON.parse(queryJson);
      const value = (el) => (!el ? null : el.type === "checkbox" ? el.checked : el.value);
      const out = {};
      if (typeof query === "string") {
        document.querySelectorAll(query).forEach((el) => { if (el.id) out[el.id] = value(el); });
      } else {
        for (const id of query) out[id] = value(document.getElementById(id));
      }
      return JSON.stringify(out);
    },
  };
  window.pydlPage = page;

  /* build-info.json names the pydl wheel. Fetched now, while PyScript and Pyodide start, so that Python can load
   * NumPy and the wheel in one go without a round trip first (pydl_page.load_pydl reads pydlPage.buildInfo). */
  page.buildInfo = null;
  function fetchBuildInfo() {
    if (fromDisk) return;  // disk.js reads it from the copy carried in offline/
    fetch(page.url("build-info.json"), { cache: "no-cache" })
      .then((r) => (r.ok ? r.text() : null))
      .then((text) => { page.buildInfo = text; })
      .catch(() => {});  // Python fetches it itself and reports the failure
  }
  // A page that must be seen before Python competes for the network (the landing page) loads page.js with
  // data-start="after-paint": Python then starts once the page and its pictures are loaded and a frame is painted.
  const afterPaint = script.dataset.start === "after-paint";
  if (!afterPaint) fetchBuildInfo();

  function addStylesheet(href) {
    const link = document.createElement("link");
    link.rel = "stylesheet";
    link.href = href;
    document.head.append(link);
  }

  function addScript(src) {
    return new Promise((resolve, reject) => {
      const el = document.createElement("script");
      el.src = src;
      el.onload = resolve;
      el.onerror = () => reject(new Error("could not load " + src));
      document.head.append(el);
    });
  }

  /* Cross-origin isolation (COOP/COEP) lets the Python worker use the page's DOM synchronously.
   * `build.py serve` sends the headers; on hosts that cannot, coi-serviceworker adds them and reloads once. */
  function ensureIsolation() {
    if (window.crossOriginIsolated) return true;
    if (window.isSecureContext && navigator.serviceWorker) {
      page.step("runtime", "active", "enabling cross-origin isolation (the page reloads once)…");
      addScript(page.url("coi-serviceworker.js")).catch((e) => page.fail(e.message));
      return false;
    }
    page.fail(
      "The Python worker needs cross-origin isolation, which this server does not provide and this browser " +
      "context cannot add (service workers need https or localhost).",
      "Serve the site with `python build.py serve`, or from a host that sends the headers\n" +
      "Cross-Origin-Opener-Policy: same-origin\nCross-Origin-Embedder-Policy: require-corp");
    return false;
  }

  function watchForPyScriptErrors() {
    // PyScript reports Python errors it catches itself (e.g. a SyntaxError in main.py) as .py-error.
    new MutationObserver(() => {
      const shown = document.querySelector(".py-error");
      if (shown) page.fail("Python raised an error while starting the page.", shown.textContent.trim());
    }).observe(document.body, { childList: true, subtree: true });
    window.addEventListener("error", (e) => page.fail("A script failed: " + e.message, e.error && e.error.stack));
    window.addEventListener("unhandledrejection", (e) =>
      page.fail("A script failed: " + (e.reason && e.reason.message || e.reason), e.reason && e.reason.stack));
  }

  function start() {
    if (afterPaint) fetchBuildInfo();
    render();
    watchForPyScriptErrors();
    if (!fromDisk && !ensureIsolation()) return;
    page.step("runtime", "active");
    if (document.querySelector("[data-pydl-charts]")) {
      addStylesheet(page.url("vendor/uplot/uPlot.min.css"));
      addScript(page.url("vendor/uplot/uPlot.iife.min.js"))
        .then(() => addScript(page.url("web/common/charts.js")))
        .catch((e) => page.fail(e.message));
    }
    if (fromDisk) {
      addScript(page.url("web/common/disk.js")).catch(() => page.fail(
        "web/common/disk.js, which starts Python from disk, is missing from this folder.",
        "Open index.html of a complete copy of the site (unzip pydl-site.zip again, keeping its folders)."));
      return;
    }
    addStylesheet(page.url("vendor/pyscript/core.css"));
    import(page.url("vendor/pyscript/core.js")).catch((e) =>
      page.fail("Could not load PyScript from vendor/pyscript/ (was the site built with build.py?)", String(e)));
  }

  /* After the load event (the page's pictures are in) and the first contentful paint, as the browser reports it:
   * a frame callback runs before its frame is presented, so it cannot tell that the visitor has seen the page. */
  function startAfterPaint() {
    let started = false;
    const go = () => { if (!started) { started = true; start(); } };
    const afterLoad = () => {
      if (!(window.PerformanceObserver && (PerformanceObserver.supportedEntryTypes || []).includes("paint"))) {
        requestAnimationFrame(() => setTimeout(go, 0));  // no paint timing: the frame after the first one
        return;
      }
      new PerformanceObserver((list, observer) => {
        if (list.getEntriesByName("first-contentful-paint").length) { observer.disconnect(); go(); }
      }).observe({ type: "paint", buffered: true });
      setTimeout(go, 3000);  // a page with nothing contentful to paint would otherwise never start
    };
    if (document.readyState === "complete") afterLoad();
    else window.addEventListener("load", afterLoad, { once: true });
  }

  const begin = afterPaint ? startAfterPaint : start;
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", begin);
  else begin();
})();
