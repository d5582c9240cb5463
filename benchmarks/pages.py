"""Page loads only: time to ready and bytes per page in headless Chromium, several rounds, medians.

    python benchmarks/pages.py                         # every page of dist/, 3 rounds, cold + warm
    python benchmarks/pages.py --runs 5 --pages index.html web/lab/index.html
    python benchmarks/pages.py --dist /tmp/before dist # A/B: sites interleaved round by round (the machine is shared)
    python benchmarks/pages.py --trace web/lab/index.html   # one cold load: when each request started and ended

Each round loads every page of every site once cold (fresh profile) and once warm (same profile), with the headers
of ``python build.py serve`` (see ``browser.page_loads``). Sites alternate within a round and the order flips each
round, so slow spells of a busy machine hit both alike. Reports medians (and min-max) of time to ready per page.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import browser  # noqa: E402


def trace(dist: Path, page_path: str, timeout_s: float = 60) -> dict:
    """One cold load of a page: every request (page and worker) with start/end seconds from navigation, console."""
    from playwright.sync_api import sync_playwright

    counter = browser._Counter()
    server = browser._server(dist, counter)
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    events, console = {}, []
    try:
        with sync_playwright() as pw, tempfile.TemporaryDirectory() as profile:
            context = pw.chromium.launch_persistent_context(profile, executable_path=browser.CHROMIUM,
                                                            args=browser.CHROMIUM_FLAGS, headless=True)
            page = context.pages[0] if context.pages else context.new_page()
            t0 = time.perf_counter()
            now = lambda: round(time.perf_counter() - t0, 3)  # noqa: E731
            context.on("request", lambda r: events.setdefault(id(r), {"url": r.url.replace(base, ""),
                                                                      "type": r.resource_type, "start": now()}))
            context.on("requestfinished", lambda r: events.get(id(r), {}).update(end=now()))
            context.on("requestfailed", lambda r: events.get(id(r), {}).update(end=now(), failed=r.failure))
            context.on("console", lambda m: console.append(f"{now():6.2f} {m.type}: {m.text[:200]}"))
            page.on("console", lambda m: console.append(f"{now():6.2f} {m.type}: {m.text[:200]}"))
            t0 = time.perf_counter()
            page.goto(base + page_path, wait_until="commit")
            page.wait_for_function(browser._READY, timeout=timeout_s * 1000, polling=20)
            ready = now()
            steps = page.evaluate("() => [...document.querySelectorAll('#pydl-status [data-step]')]"
                                  ".map(li => li.dataset.step + ': ' + li.textContent)")
            time.sleep(0.5)
            context.close()
    finally:
        server.shutdown()
        server.server_close()
    return {"ready_s": ready, "bytes": counter.bytes, "requests": sorted(events.values(), key=lambda e: e["start"]),
            "console": console, "steps": steps, "served": counter.requests}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dist", type=Path, nargs="+", default=[browser.DIST], help="built site(s); several: A/B")
    parser.add_argument("--runs", type=int, default=3, help="rounds (default 3)")
    parser.add_argument("--pages", nargs="+", help="page paths relative to the site (default: all)")
    parser.add_argument("--trace", metavar="PAGE", help="print the request timeline of one cold load and exit")
    parser.add_argument("--json", type=Path, help="write every sample here")
    args = parser.parse_args(argv)

    if args.trace:
        out = trace(args.dist[0], args.trace)
        for r in out["requests"]:
            end = f"{r['end']:6.2f}" if "end" in r else "   ..."
            print(f"{r['start']:6.2f} {end}  {r['type']:<10} {r['url']}{'  FAILED ' + str(r['failed']) if r.get('failed') else ''}")
        print("\n".join(out["console"]))
        print("steps:", out["steps"])
        print(f"ready at {out['ready_s']:.2f} s, {out['bytes'] / 1e6:.2f} MB served, "
              f"{sum(1 for v in out['served'].values() if v)} requests served")
        dup = {p: n for p, n in out["served"].items() if n > 10000 and n > 1.5 * (os.path.getsize(args.dist[0] / p.lstrip('/'))
                                                                      if (args.dist[0] / p.lstrip('/')).is_file() else 1e12)}
        if dup:
            print("served more than once:", dup)
        return 0

    samples = {str(d): {} for d in args.dist}  # site -> page -> phase -> [(ready_s, bytes)]
    for run in range(args.runs):
        order = args.dist if run % 2 == 0 else list(reversed(args.dist))
        for dist in order:
            print(f"round {run + 1}/{args.runs}: {dist} (load {os.getloadavg()[0]:.1f})", flush=True)
            rows = browser.page_loads(dist, log=lambda m: None, only=args.pages)
            for page, row in rows.items():
                for phase in ("cold", "warm"):
                    samples[str(dist)].setdefault(page, {}).setdefault(phase, []).append(
                        (row[phase]["ready_s"], row[phase]["bytes"], row[phase]["state"], row[phase]["blas_ready_s"]))
    print()
    for site, pages in samples.items():
        print(f"{site}: median (min-max) time to ready over {args.runs} rounds, MB served")
        for page, phases in pages.items():
            cells = []
            for phase, rows in phases.items():
                times = [r[0] for r in rows if r[0] is not None]
                bad = [r[2] for r in rows if r[0] is None or r[2] != "true"]
                t = f"{statistics.median(times):5.2f} s ({min(times):.2f}-{max(times):.2f})" if times else "never"
                blas = [r[3] for r in rows if r[3] is not None]
                cells.append(f"{phase} {t} {statistics.median(r[1] for r in rows) / 1e6:5.2f} MB"
                             + (f" (BLAS on at {statistics.median(blas):.2f} s)" if blas else "")
                             + (f" [{len(bad)} not ready: {bad[0]}]" if bad else ""))
            print(f"  {page:<30} " + " | ".join(cells))
    if args.json:
        args.json.write_text(json.dumps(samples, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
