/* Starting a pydl page opened from disk (file://): no server, no network (see web/README.md, "Opened from disk").
 *
 * From file:// a browser runs classic <script>s but refuses fetch() and ES modules, so PyScript (ES modules) and
 * Pyodide's loader (fetch) cannot start. page.js loads this script instead, which
 *   1. reads offline/manifest.js: every file a page fetches, written by build.py as base64 inside classic scripts
 *      (small files inline, each large one in its own script, loaded only when first asked for);
 *   2. answers fetch() for the site's own file:// URLs from those files (Pyodide's loader, loadPackage, pyfetch);
 *   3. starts Pyodide from its classic build (pyodide.asm.js, pyodide.js) on this page's thread: without
 *      cross-origin isolation there is no SharedArrayBuffer, so a worker could not reach the DOM synchronously;
 *   4. runs the page's <script type="py" src config> as PyScript would: its config's "files" are written beside
 *      main.py, and web/common/pyscript_on_disk.py stands in for the `pyscript` module, so main.py is unchanged.
 * The pages' Python already trains in short slices with an `await` between them, which is what keeps this
 * thread answering clicks while a model trains.
 */
(function () {
  "use strict";

  const page = window.pydlPage;
  const root = page.root;
  const HOME = "/home/pyodide/";
  const TYPES = { ".wasm": "application/wasm", ".json": "application/json", ".py": "text/plain; charset=utf-8",
                  ".whl": "application/zip", ".zip": "application/zip" };
  let files = null;  // site path -> {bytes, base64} or {bytes, script} until that script has run
  const scriptsLoading = {};

  /** A promise settled on the browser's next task: Python awaits it (pydl_page.yield_to_browser) to give the page
   * a turn to paint and answer clicks. */
  page.nextTask = () => new Promise((resolve) => setTimeout(resolve, 0));

  window.pydlDisk = {
    manifest(entries) { files = entries; },
    add(path, base64) { files[path].base64 = base64; },
  };

  function addScript(path) {
    return new Promise((resolve, reject) => {
      const el = document.createElement("script");
      el.src = page.url(path);
      el.onload = resolve;
      el.onerror = () => reject(new Error("could not read " + path + " from this folder"));
      document.head.append(el);
    });
  }

  function decode(base64) {
    if (Uint8Array.fromBase64) return Uint8Array.fromBase64(base64);
    const binary = atob(base64);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes;
  }

  function loadEntry(entry) {
    scriptsLoading[entry.script] = scriptsLoading[entry.script] || addScript(entry.script).catch(() => {
      throw new Error(`this copy of the site is incomplete: ${entry.script} is missing. ${WHAT_TO_DO}`);
    });
    return scriptsLoading[entry.script];
  }

  /** The bytes of a file of the site (path relative to the site root), or null if this copy lacks it. */
  async function read(path) {
    const entry = files[path];
    if (!entry) return null;
    if (entry.base64 === undefined) await loadEntry(entry);
    return decode(entry.base64);
  }

  function sitePath(url) {
    const href = url.href.split(/[?#]/)[0];
    return href.startsWith(root) ? decodeURIComponent(href.slice(root.length)) : null;
  }

  const browserFetch = window.fetch.bind(window);
  window.fetch = async function fetchFromDisk(resource, options) {
    const url = new URL(resource instanceof Request ? resource.url : String(resource), location.href);
    if (url.protocol !== "file:") return browserFetch(resource, options);  // blob: URLs of files a learner picks
    const path = sitePath(url);
    const bytes = path === null ? null : await read(path);
    if (bytes === null) return new Response("", { status: 404, statusText: "not in this copy of the site" });
    const type = TYPES[(path.match(/\.[^./]+$/) || [""])[0]] || "application/octet-stream";
    return new Response(bytes, { status: 200, headers: { "Content-Type": type } });
  };

  async function text(url) {
    const response = await fetch(url);
    if (!response.ok) throw new Error(`${url} is not in this copy of the site`);
    return response.text();
  }

  /** Do what PyScript does for <script type="py" src config>: write config.files, then run src. */
  async function runPageScript(pyodide) {
    const tag = document.querySelector('script[type="py"]');
    if (!tag) return;
    const configText = tag.getAttribute("config") || "{}";
    const inline = configText.trim().startsWith("{");
    const configUrl = inline ? location.href : new URL(configText, location.href).href;
    const config = JSON.parse(inline ? configText : await text(configUrl));
    for (const [from, to] of Object.entries(config.files || {})) {
      pyodide.FS.writeFile(HOME + to.replace(/^\.\//, ""), new TextEncoder().encode(await text(new URL(from, configUrl))));
    }
    pyodide.FS.mkdirTree(HOME + "pyscript");
    pyodide.FS.writeFile(HOME + "pyscript/__init__.py", await text(page.url("web/common/pyscript_on_disk.py")));
    const src = tag.getAttribute("src");
    const mainUrl = src ? new URL(src, location.href) : null;
    const source = mainUrl ? await text(mainUrl) : tag.textContent;
    pyodide.runPython(`import sys\nif ${JSON.stringify(HOME)} not in sys.path: sys.path.insert(0, ${JSON.stringify(HOME)})`);
    await pyodide.runPythonAsync(source, { filename: HOME + (mainUrl ? mainUrl.pathname.split("/").pop() : "<inline>") });
  }

  const WHAT_TO_DO = "Open index.html of a complete copy of the site: unzip pydl-site.zip again (all of it, " +
    "keeping its folders), or build one with `python build.py` and open dist/index.html. Or serve the site: " +
    "`python build.py serve`, then open http://127.0.0.1:8000/.";

  async function start() {
    page.step("runtime", "active", "reading the runtime from this folder…");
    try {
      await addScript("offline/manifest.js");
    } catch (error) {
      page.fail("This copy of the site has no offline/ folder, which a page opened from disk reads Python from.",
                WHAT_TO_DO);
      return;
    }
    try {
      // What every page reads while it starts is read at once (the browser parses those scripts in parallel);
      // a failure surfaces where the file is asked for, with its name.
      Object.values(files).filter((entry) => entry.preload).forEach((entry) => loadEntry(entry).catch(() => {}));
      page.buildInfo = await text(page.url("build-info.json"));
      await Promise.all([addScript("vendor/pyodide/pyodide.asm.js"), addScript("vendor/pyodide/pyodide.js")]);
      const pyodide = await window.loadPyodide({ indexURL: page.url("vendor/pyodide/") });
      await runPageScript(pyodide);
    } catch (error) {
      if (error && error.type) {  // a PythonError: the page's own code failed, its traceback says where
        page.fail(`Python raised ${error.type} while the page started.`, error.message);
      } else {
        page.fail("Python could not start from disk: " + (error && error.message || error),
                  ((error && error.stack) || "") + "\n\n" + WHAT_TO_DO);
      }
    }
  }

  start();
})();
