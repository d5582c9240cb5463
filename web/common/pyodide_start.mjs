/* Pyodide for PyScript's worker (each page's pyscript.json names this module as its "interpreter"), started from
 * this browser's own snapshot of the interpreter when it has one.
 *
 * Once the first visit's page is ready, web/common/snapshot_worker.mjs saves the memory of a freshly started Python
 * (about 21 MB, in Cache Storage, never sent anywhere); later visits restore it instead of starting Python again (0.3-0.6 s less on this project's test
 * machine). Pyodide 0.27 can snapshot only before any binary extension is loaded, so NumPy still loads every time.
 * A snapshot is keyed by the Pyodide version and the sha256 of the site's python_stdlib.zip (build-info.json), and
 * one that does not restore is deleted. (Starting NumPy's load here too, before PyScript's own set-up, was tried and
 * measured: it gained nothing, since unpacking NumPy runs on this worker's one thread either way, and Pyodide 0.27
 * then unpacked NumPy a second time when the page asked for it.)
 *
 * Opened from disk, pages start Pyodide through web/common/disk.js instead, and the Pyodide-under-Node tests load
 * vendor/pyodide/pyodide.mjs directly. How each start went is in self.pydlStart, for pydl_page to show.
 */
import { loadPyodide as loadRuntime } from "../../vendor/pyodide/pyodide.mjs";

export * from "../../vendor/pyodide/pyodide.mjs";

const SITE = new URL("../../", import.meta.url);
const CACHE = "pydl-interpreter-snapshot";

async function buildInfo() {
  try {
    const response = await fetch(new URL("build-info.json", SITE), { cache: "no-cache" });
    return response.ok ? await response.json() : null;
  } catch {
    return null;
  }
}

function snapshotRequest(info) {
  const stdlib = info && info.compiled_python && info.compiled_python["python_stdlib.zip"];
  if (!stdlib || !self.caches) return null;
  return new Request(new URL(`pydl-snapshot/${info.pyodide}/${stdlib.sha256}`, SITE));
}

// What Pyodide 0.27's makeMemorySnapshot writes: a 48-byte header (this magic number, where the memory starts, ...)
// then the whole WebAssembly memory, a whole number of 64 KiB pages. Pyodide is handed only something of that
// shape: restoring a damaged entry can abort inside the runtime without its promise ever settling.
const SNAPSHOT_MAGIC = 1886286592;

function wellFormed(bytes) {
  if (bytes.byteLength < 65536 + 48) return false;
  const [magic, memoryStart] = new Uint32Array(bytes.buffer, bytes.byteOffset, 2);
  return magic === SNAPSHOT_MAGIC && memoryStart >= 48 && (bytes.byteLength - memoryStart) % 65536 === 0;
}

async function savedSnapshot(request) {
  try {
    const response = await (await caches.open(CACHE)).match(request);
    if (!response) return null;
    const bytes = new Uint8Array(await response.arrayBuffer());
    if (wellFormed(bytes)) return bytes;
    console.warn("pydl: the saved Python snapshot did not restore (it is damaged), starting Python afresh");
    await caches.delete(CACHE);
  } catch {}  // no Cache Storage here, or it failed: start afresh
  return null;
}

export async function loadPyodide(options) {
  // PyScript derives indexURL from this module's folder; Pyodide's files are in vendor/pyodide/.
  options = { ...options, indexURL: new URL("vendor/pyodide/", SITE).href };
  const request = snapshotRequest(await buildInfo());
  const start = (self.pydlStart = { snapshot: request ? "none yet" : "unavailable" });
  const saved = request && (await savedSnapshot(request));
  if (saved) {
    try {
      const pyodide = await loadRuntime({ ...options, _loadSnapshot: saved });
      start.snapshot = "restored";
      console.info("pydl: Python restored from this browser's snapshot");
      return pyodide;
    } catch (error) {  // another Pyodide build: start afresh, and save a new one
      console.warn("pydl: the saved Python snapshot did not restore, starting Python afresh:", error);
      await caches.delete(CACHE).catch(() => {});
    }
  }
  const pyodide = await loadRuntime(options);
  // Once the page is ready (pydl_page.run_page calls this), so that it does not compete with the page's start.
  if (request) start.saveSnapshot = () => saveSnapshot(options.indexURL, request, start);
  return pyodide;
}

function saveSnapshot(indexURL, request, start) {
  start.saveSnapshot = null;
  start.snapshot = "saving";
  const worker = new Worker(new URL("snapshot_worker.mjs", import.meta.url), { type: "module" });
  worker.onmessage = ({ data }) => {
    start.snapshot = data.error ? "not saved" : "saved";
    if (data.error) console.warn("pydl: could not save a Python snapshot:", data.error);
  };
  worker.postMessage({ indexURL, key: request.url, cache: CACHE });
}
