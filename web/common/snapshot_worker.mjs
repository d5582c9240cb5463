/* Makes the interpreter snapshot that web/common/pyodide_start.mjs restores on later visits, in a worker of its
 * own: Pyodide 0.27 runs an interpreter that is to be snapshotted with every JavaScript object Python touches
 * behind a recording proxy (some, like fetch, then refuse to be called), so the page's own Python must never be
 * that interpreter. This one starts, is saved and is thrown away; it reads only files already in the HTTP cache.
 * Message in: {indexURL, key, cache}; message out: {saved: bytes} or {error}. */
import { loadPyodide } from "../../vendor/pyodide/pyodide.mjs";

self.onmessage = async ({ data: { indexURL, key, cache: name } }) => {
  try {
    const pyodide = await loadPyodide({ indexURL, _makeSnapshot: true, stdout: () => {}, stderr: () => {} });
    const snapshot = pyodide.makeMemorySnapshot();
    const cache = await caches.open(name);
    for (const old of await cache.keys()) await cache.delete(old);  // one snapshot: this site's current one
    await cache.put(key, new Response(snapshot));
    self.postMessage({ saved: snapshot.byteLength });
  } catch (error) {
    self.postMessage({ error: String(error) });
  }
  self.close();
};
