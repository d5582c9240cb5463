"""Page loads only: time to ready and bytes per page in headless Chromium, several rounds, medians.

    python benchmarks/pages.py                         # every page of dist/, 3 rounds, cold + warm
    python benchmarks/pages.py --runs 5 --pages index.html web/lab/index.html
    python benchmarks/pages.py --dist /tmp/before dist # A/B: sites interleaved round by round (the machine is shared)
    python benchmarks/pages.py --trace web/lab/index.html   # one cold load: when each request started and ended,
                                                            # and what had arrived by the first contentful paint
    python benchmarks/pages.py --disk                  # opened from file:// (dist/pydl-site.zip unzipped), no server

Each round loads every page of every site once cold (fresh profile) and once warm (same profile), with the headers
of ``python build.py serve`` (see ``browser.page_loads``). Sites alternate within a round and the order flips each
round, so slow spells of a busy machine hit both alike. Reports medians (and min-max) of time to ready per page.

``--disk`` unzips the site's pydl-site.zip into a temporary folder and opens each page from file:// (first visit of a
fresh profile, then again), with every request that is not file: aborted; it reports time to ready, the MB of scripts
each page read from disk, the sizes of the zip and of the unzipped site, and how the convnet page answers Pause while
it trains from disk (Python shares the page's thread there): the longest main-thread stall (long tasks) and the
delay from the click to "paused", against the 200 ms target.
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


def trace(dist: Path, page_path: str, timeout_s: float = 60, warm: bool = False) -> dict:
    """One load of a page: every request (page and worker) with start/end seconds from navigation, console.

    Cold (a fresh profile), or with ``warm`` the second load of the page in one profile (the first one untraced)."""
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
            if warm:
                page.goto(base + page_path)
                page.wait_for_function(browser._READY, timeout=timeout_s * 1000, polling=20)
                page.goto("about:blank")
                counter.reset()
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
            paint = page.evaluate(FIRST_PAINT)
            time.sleep(0.5)
            context.close()
    finally:
        server.shutdown()
        server.server_close()
    return {"ready_s": ready, "bytes": counter.bytes, "requests": sorted(events.values(), key=lambda e: e["start"]),
            "console": console, "steps": steps, "served": counter.requests, **paint}


# When the page first showed content (first contentful paint, from navigation) and what the page itself had fetched
# by then (bytes on the wire; a worker's fetches are not in the page's timeline, but a worker starts after the page
# fetched PyScript, which is): the landing page shows itself before Python starts (page.js data-start=after-paint).
FIRST_PAINT = """() => {
  const paint = performance.getEntriesByName('first-contentful-paint')[0];
  if (!paint) return { paint_s: null, bytes_before_paint: null, requests_before_paint: [], in_flight_at_paint: [] };
  const done = [performance.getEntriesByType('navigation')[0], ...performance.getEntriesByType('resource')]
    .filter((r) => r.responseEnd <= paint.startTime);
  const begun = performance.getEntriesByType('resource').filter((r) => r.startTime < paint.startTime && r.responseEnd > paint.startTime);
  const name = (r) => r.name.replace(location.origin + '/', '');
  return { paint_s: paint.startTime / 1000, bytes_before_paint: done.reduce((n, r) => n + r.transferSize, 0),
           requests_before_paint: done.map(name), in_flight_at_paint: begun.map(name) };
}"""


DISK_TARGET_MS = 200  # a click takes effect within this while a model trains


def _launch_profile(pw, profile):
    context = pw.chromium.launch_persistent_context(profile, executable_path=browser.CHROMIUM,
                                                    args=browser.CHROMIUM_FLAGS, headless=True)
    outside = []

    def route(r):
        if r.request.url.startswith("file:"):
            r.continue_()
        else:
            outside.append(r.request.url)
            r.abort()

    context.route("**/*", route)
    return context, outside


def disk_loads(site: Path, page_paths: list, timeout_s: float = 120) -> dict:
    """First and second time to ready of each page opened from file://, and the MB of scripts it read."""
    from playwright.sync_api import sync_playwright

    results = {}
    with sync_playwright() as pw:
        for page_path in page_paths:
            with tempfile.TemporaryDirectory() as profile:
                context, outside = _launch_profile(pw, profile)
                page = context.pages[0] if context.pages else context.new_page()
                row = {}
                for phase in ("first", "again"):
                    t0 = time.perf_counter()
                    try:
                        page.goto((site / page_path).as_uri(), wait_until="commit")
                        page.wait_for_function(browser._READY, timeout=timeout_s * 1000, polling=50)
                        ready_s = time.perf_counter() - t0
                        state = page.evaluate("() => document.body.dataset.ready")
                    except Exception as error:  # a page that never gets ready is a result, not a crash
                        ready_s, state = None, f"not ready after {timeout_s} s ({type(error).__name__})"
                    scripts = page.evaluate("() => [...document.scripts].map((s) => s.src).filter(Boolean)")
                    read = sum((site / src[len(site.as_uri()) + 1:]).stat().st_size for src in scripts
                               if src.startswith(site.as_uri()))
                    row[phase] = {"ready_s": ready_s, "state": state, "bytes": read}
                row["outside_requests"] = outside
                results[page_path] = row
                context.close()
    return results


# A page watched while it trains: long tasks, and the moments of the Pause click and of the card saying "paused".
# One file, read by this benchmark, by training.py and by the e2e tests.
PAUSE_PROBE = (Path(__file__).resolve().parent / "pause_probe.js").read_text()


def disk_pause(site: Path, clicks: int = 5) -> dict:
    """The convnet page from disk, started as ``training.py``'s recipe does: Pause/Resume ``clicks`` times about a
    second apart while it trains; the main-thread stalls and the click-to-paused delays."""
    from playwright.sync_api import sync_playwright

    import training

    recipe = next(r for r in training.RECIPES if r.disk)
    with sync_playwright() as pw, tempfile.TemporaryDirectory() as profile:
        context, outside = _launch_profile(pw, profile)
        page = context.pages[0] if context.pages else context.new_page()
        sample = training.watch(page, recipe, (site / recipe.path).as_uri(), seconds=1.1 * (clicks + 1), clicks=clicks)
        context.close()
    return {"delays_ms": sample["pause_ms"], "longest_stall_ms": sample["longest_ms"], "long_tasks": sample["long_tasks"],
            "outside_requests": outside}


def disk_report(dist: Path, runs: int, page_paths: list | None) -> dict:
    import zipfile

    zip_path = dist / "pydl-site.zip"
    with tempfile.TemporaryDirectory() as folder:
        with zipfile.ZipFile(zip_path) as archive:
            archive.extractall(folder)
        site = Path(folder) / "pydl-site"
        unzipped = sum(p.stat().st_size for p in site.rglob("*") if p.is_file())
        print(f"pydl-site.zip {zip_path.stat().st_size / 1e6:.1f} MB, unzipped {unzipped / 1e6:.1f} MB "
              f"(offline/ {sum(p.stat().st_size for p in (site / 'offline').iterdir()) / 1e6:.1f} MB)")
        samples = {}
        for run in range(runs):
            print(f"round {run + 1}/{runs} from disk (load {os.getloadavg()[0]:.1f})", flush=True)
            for page, row in disk_loads(site, page_paths or browser.pages(site)).items():
                samples.setdefault(page, []).append(row)
        print("\nfrom disk: median (min-max) time to ready, MB of scripts read")
        for page, rows in samples.items():
            cells = []
            for phase in ("first", "again"):
                times = [r[phase]["ready_s"] for r in rows if r[phase]["ready_s"] is not None]
                bad = [r[phase]["state"] for r in rows if r[phase]["state"] != "true"]
                t = f"{statistics.median(times):5.2f} s ({min(times):.2f}-{max(times):.2f})" if times else "never"
                cells.append(f"{phase} {t} {statistics.median(r[phase]['bytes'] for r in rows) / 1e6:5.1f} MB"
                             + (f" [{len(bad)} not ready: {bad[0]}]" if bad else ""))
            outside = sorted({u for r in rows for u in r["outside_requests"]})
            print(f"  {page:<30} " + " | ".join(cells) + (f"  OUTSIDE REQUESTS: {outside}" if outside else ""))
        pause = disk_pause(site)
        worst = max((float("inf") if d is None else d for d in pause["delays_ms"]), default=0.0)
        print(f"\nconvnet training from disk: Pause took effect after "
              f"{', '.join('never' if d is None else f'{d:.0f}' for d in pause['delays_ms'])}"
              f" ms (worst {worst:.0f}, target <= {DISK_TARGET_MS}: {'met' if worst <= DISK_TARGET_MS else 'NOT met'});"
              f" longest main-thread stall {pause['longest_stall_ms']:.0f} ms over {pause['long_tasks']} long tasks")
    return {"zip_bytes": zip_path.stat().st_size, "unzipped_bytes": unzipped, "pages": samples, "pause": pause}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dist", type=Path, nargs="+", default=[browser.DIST], help="built site(s); several: A/B")
    parser.add_argument("--runs", type=int, default=3, help="rounds (default 3)")
    parser.add_argument("--pages", nargs="+", help="page paths relative to the site (default: all)")
    parser.add_argument("--trace", metavar="PAGE", help="print the request timeline of one cold load and exit")
    parser.add_argument("--warm", action="store_true", help="with --trace: trace the page's second load instead")
    parser.add_argument("--json", type=Path, help="write every sample here")
    parser.add_argument("--disk", action="store_true", help="open the pages from file:// (the unzipped pydl-site.zip)")
    args = parser.parse_args(argv)

    if args.disk:
        out = disk_report(args.dist[0], args.runs, args.pages)
        if args.json:
            args.json.write_text(json.dumps(out, indent=1))
        return 0

    if args.trace:
        out = trace(args.dist[0], args.trace, warm=args.warm)
        for r in out["requests"]:
            end = f"{r['end']:6.2f}" if "end" in r else "   ..."
            print(f"{r['start']:6.2f} {end}  {r['type']:<10} {r['url']}{'  FAILED ' + str(r['failed']) if r.get('failed') else ''}")
        print("\n".join(out["console"]))
        print("steps:", out["steps"])
        print(f"ready at {out['ready_s']:.2f} s, {out['bytes'] / 1e6:.2f} MB served, "
              f"{sum(1 for v in out['served'].values() if v)} requests served")
        if out["paint_s"] is not None:
            print(f"first contentful paint at {out['paint_s']:.2f} s, after {out['bytes_before_paint'] / 1024:.1f} KB "
                  f"from {len(out['requests_before_paint'])} requests: {', '.join(out['requests_before_paint'])}; "
                  f"still loading then: {', '.join(out['in_flight_at_paint']) or 'nothing'}")
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
