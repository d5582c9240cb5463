// Run a Python file inside Pyodide under Node, with NumPy and the pydl wheel from the built dist/.
//
//   node run_in_pyodide.mjs DIST ENTRY.py [EXTRA.py ...]
//
// The entry and extra files are copied into Pyodide's working directory (so the entry can import the
// extras); the entry must leave a JSON-serialisable global RESULT, printed on stdout as one line
// prefixed "RESULT " (Python's own prints go to stderr so they cannot corrupt it).
import { readFileSync } from "node:fs";
import { basename, resolve } from "node:path";
import { pathToFileURL } from "node:url";

const [dist, entry, ...extras] = process.argv.slice(2);
if (!dist || !entry) {
  console.error("usage: node run_in_pyodide.mjs DIST ENTRY.py [EXTRA.py ...]");
  process.exit(2);
}
const pyodideDir = resolve(dist, "vendor/pyodide");
const { loadPyodide } = await import(pathToFileURL(resolve(pyodideDir, "pyodide.mjs")).href);
const toStderr = (line) => process.stderr.write(line + "\n");
const pyodide = await loadPyodide({ indexURL: pyodideDir + "/", stdout: toStderr, stderr: toStderr });
await pyodide.loadPackage(["numpy"], { messageCallback: () => {} });

// Install pydl exactly as the pages do: unpack the pure-Python wheel into site-packages.
const info = JSON.parse(readFileSync(resolve(dist, "build-info.json"), "utf8"));
pyodide.FS.writeFile("/tmp/pydl.whl", readFileSync(resolve(dist, info.pydl_wheel)));
pyodide.runPython(`
import site, zipfile
zipfile.ZipFile("/tmp/pydl.whl").extractall(site.getsitepackages()[0])
`);

const workdir = "/home/pyodide/run";
pyodide.FS.mkdirTree(workdir);
for (const file of [entry, ...extras]) {
  pyodide.FS.writeFile(`${workdir}/${basename(file)}`, readFileSync(file));
}
pyodide.runPython(`import os, sys; os.chdir("${workdir}"); sys.path.insert(0, "${workdir}")`);
const source = readFileSync(entry, "utf8");
await pyodide.runPythonAsync(source, { filename: basename(entry) });
const result = pyodide.runPython("import json; json.dumps(RESULT)");
process.stdout.write("RESULT " + result + "\n");
