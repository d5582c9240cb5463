"""Pause while a page trains, timed on the page's own clock with benchmarks/pause_probe.js (the benchmark's probe).

The bound is the issue's: a click on Pause shows the page paused within 200 ms (performance.now() from the button's
pointerdown to the status change the page makes once training has really stopped). Each page is paused and resumed
five times and judged by the median, so a click that lands on an epoch's validation pass, or a stall of a machine
shared with other work (single pauses of 300-490 ms were seen at a load average of 8 on 2 cores, medians 40-200 ms),
does not decide it, while a page that redraws everything between two looks at its buttons (0.6-1.8 s, the convnet
page before) still fails every time.
"""

from __future__ import annotations

import json
import statistics

from tests.e2e.conftest import measurements
from tests.site import ROOT

PROBE = (ROOT / "benchmarks" / "pause_probe.js").read_text()
PAUSE_BOUND_MS = 200.0
# Main-thread tasks of 50 ms and more (the Long Tasks API's threshold) from now on, for the test summary: issue 22's
# target is none over 100 ms while a page trains. Reported, not asserted: a timing under a shared machine's load.
WATCH_LONG_TASKS = """() => {
  if (window.pydlLongTasks) return;
  window.pydlLongTasks = [];
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) window.pydlLongTasks.push(entry.duration);
  }).observe({type: "longtask"});
}"""


def pause_once(page, probe: dict, resume=None) -> float:
    """Arm the probe, click its button and wait for the paused status; returns the milliseconds between them.

    resume: how to resume afterwards (a callable given the page); None leaves the page paused."""
    page.evaluate(PROBE, probe)
    page.click(probe["button"])
    page.wait_for_function("() => window.pauseTimes.paused !== undefined", timeout=30_000)
    times = page.evaluate("window.pauseTimes")
    if resume is not None:
        resume(page)
    return times["paused"] - times["clicked"]


def status_moves_on(selector: str, attribute: str | None = None, timeout: float | None = None):
    """A ``between`` for :func:`assert_pause_answers`: waits until the element's text (or its data-``attribute``)
    changes, as a status that updates a few times a second does once training runs again. ``timeout`` in ms (None:
    Playwright's default)."""

    def wait(page):
        read = ("(s) => document.querySelector(s).textContent" if attribute is None
                else f"(s) => document.querySelector(s).dataset[{json.dumps(attribute)}]")
        before = page.evaluate(read, selector)
        page.wait_for_function(f"([s, t]) => ({read})(s) !== t", arg=[selector, before], timeout=timeout)

    return wait


def resume_with(button: str, status: str, attribute: str = "state", value: str = "training",
                timeout: float | None = None):
    """A ``resume`` for :func:`assert_pause_answers`: clicks ``button`` and waits for ``status`` to say training
    (its data-``attribute`` is ``value``). ``timeout`` in ms (None: Playwright's default)."""

    def resume(page):
        page.click(button)
        page.wait_for_selector(f"{status}[data-{attribute}={value}]", timeout=timeout)

    return resume


def assert_pause_answers(page, name: str, probe: dict, resume, rounds: int = 5, between=None) -> list:
    """Pause and resume ``rounds`` times while the page trains (``between(page)`` waits for training to go on after
    each resume); the median must be within the bound. Returns the times (ms), also shown in the test summary."""
    times = []
    page.evaluate(WATCH_LONG_TASKS)
    for _ in range(rounds):
        if between is not None:
            between(page)
        times.append(pause_once(page, probe, resume))
    measurements[f"{name}: Pause click to paused"] = ", ".join(f"{t:.0f}" for t in times) + " ms"
    long_tasks = page.evaluate("window.pydlLongTasks")
    measurements[f"{name}: main-thread tasks >= 50 ms while training"] = (
        f"{len(long_tasks)}, longest {max(long_tasks):.0f} ms" if long_tasks else "none")
    assert statistics.median(times) <= PAUSE_BOUND_MS, (
        f"{name}: Pause took {times} ms (median over the bound of {PAUSE_BOUND_MS:.0f} ms)")
    return times
