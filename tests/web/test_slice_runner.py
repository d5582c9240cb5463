"""slice_runner.SliceRunner natively: the Train/Pause/Stop loop that every training page runs in slices.

PyScript is replaced by a stand-in page: elements that carry data-control (what ../common/training_controls.js
writes on a click) and a recorder of the apply() calls. A "click" is delivered with loop.call_soon from inside a
slice, as the browser delivers one while the page's Python yields: so the counts below show that the runner yields
between two slices and reads the request after each yield.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import importlib.util
import json
import sys
import types

import pytest

from tests.site import ROOT


def run_on_own_loop(coroutine):
    """asyncio.run in a thread of its own: in the whole suite, Playwright's sync API keeps an event loop running on
    the main thread, where asyncio.run refuses to start another."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


class FakeElement:
    def __init__(self):
        self.attributes = {"data-control": "run"}

    def getAttribute(self, name):  # noqa: N802  (the DOM's name)
        return self.attributes.get(name)


class FakePage:
    mode = "worker"

    def __init__(self):
        self.applied = []

    def apply(self, ops):
        self.applied.append(json.loads(ops))


@pytest.fixture
def pydl_page(monkeypatch):
    """web/common/pydl_page.py imported against the stand-in page (a fresh module for each test)."""
    elements = {}
    document = types.SimpleNamespace(getElementById=lambda name: elements.setdefault(name, FakeElement()))
    window = types.SimpleNamespace(pydlPage=FakePage())
    monkeypatch.setitem(sys.modules, "pyscript", types.SimpleNamespace(document=document, window=window))
    spec = importlib.util.spec_from_file_location("pydl_page_under_test", ROOT / "web" / "common" / "pydl_page.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.elements = elements
    return module


@pytest.fixture
def slice_runner(pydl_page, monkeypatch):
    """web/common/slice_runner.py imported against that pydl_page (as the page imports it, by its name)."""
    monkeypatch.setitem(sys.modules, "pydl_page", pydl_page)
    path = ROOT / "web" / "common" / "slice_runner.py"
    spec = importlib.util.spec_from_file_location("slice_runner_under_test", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def click(pydl_page, control, box="card"):
    """What training_controls.js does on a click, delivered at the page's next turn."""
    asyncio.get_running_loop().call_soon(pydl_page.elements[box].attributes.__setitem__, "data-control", control)


class Run:
    """A page's parts for SliceRunner.start, recording what the runner asked of them."""

    def __init__(self, pydl_page, slices=5, clicks=None, fail_at=None):
        self.pydl_page, self.slices, self.clicks, self.fail_at = pydl_page, slices, clicks or {}, fail_at
        self.steps = 0
        self.calls = []  # ("step", n), ("pause", True/False), ("progress", steps), ("finish", state)

    def ended(self):
        return "done" if self.steps >= self.slices else None

    def step(self):
        self.steps += 1
        self.calls.append(("step", self.steps))
        if self.steps == self.fail_at:
            raise ValueError("the loss is a string")
        if self.steps in self.clicks:
            click(self.pydl_page, self.clicks[self.steps])

    def on_pause(self, paused):
        self.calls.append(("pause", paused))

    def progress(self):
        self.calls.append(("progress", self.steps))

    def finish(self, state):
        self.calls.append(("finish", state, self.runner.paused))

    def start(self, runner, **parts):
        self.runner = runner
        return runner.start(self.ended, self.step, self.finish, self.on_pause, **parts)


def runner(slice_runner, **ids):
    ids = {"controls": "card", "pause": "pause", "stop": "stop", "status": "status", "message": "message", **ids}
    return slice_runner.SliceRunner(**ids)


def steps_of(calls):
    return [call[1] for call in calls if call[0] == "step"]


def test_it_trains_until_the_run_ends_and_finishes_in_its_state(pydl_page, slice_runner):
    async def main():
        run = Run(pydl_page, slices=4)
        sliced = runner(slice_runner)
        await run.start(sliced)
        return run, sliced

    run, sliced = run_on_own_loop(main())
    assert run.calls == [("step", 1), ("step", 2), ("step", 3), ("step", 4), ("finish", "done", False)]
    assert not sliced.running and not sliced.paused


def test_a_stop_click_takes_effect_after_the_slice_it_came_in(pydl_page, slice_runner):
    async def main():
        run = Run(pydl_page, slices=100, clicks={2: "stop"})
        await run.start(runner(slice_runner))
        return run

    assert run_on_own_loop(main()).calls == [("step", 1), ("step", 2), ("finish", "stopped", False)]


def test_pause_shows_at_once_trains_nothing_until_resume_and_stop_while_paused_finishes_unpaused(
        pydl_page, slice_runner):
    async def main():
        run = Run(pydl_page, slices=100, clicks={3: "pause"})
        sliced = runner(slice_runner)
        task = run.start(sliced)
        while ("pause", True) not in run.calls:
            await asyncio.sleep(0)
        await asyncio.sleep(3 * slice_runner.PAUSED_POLL_SECONDS)
        paused_steps = run.steps
        assert sliced.paused
        pydl_page.elements["card"].attributes["data-control"] = "run"  # Resume
        while run.steps < paused_steps + 2:
            await asyncio.sleep(0)
        pydl_page.elements["card"].attributes["data-control"] = "pause"
        while run.calls[-1] != ("pause", True):
            await asyncio.sleep(0)
        pydl_page.elements["card"].attributes["data-control"] = "stop"
        await task
        return run, paused_steps

    run, paused_steps = run_on_own_loop(main())
    assert paused_steps == 3  # three polls while paused, and not one slice
    assert [call for call in run.calls if call[0] != "step"] == [
        ("pause", True), ("pause", False), ("pause", True), ("finish", "stopped", False)]
    assert run.calls[3] == ("pause", True) and run.calls[4] == ("pause", False)  # no slice while paused


def test_a_card_without_pause_ignores_a_pause_request(pydl_page, slice_runner):
    async def main():
        run = Run(pydl_page, slices=3, clicks={1: "pause"})
        run.runner = sliced = runner(slice_runner, pause=None)
        await sliced.start(run.ended, run.step, run.finish)
        return run

    assert run_on_own_loop(main()).calls == [("step", 1), ("step", 2), ("step", 3), ("finish", "done", False)]


def test_progress_comes_at_most_every_quarter_second_and_never_after_a_slice_that_drew(
        pydl_page, slice_runner, monkeypatch):
    now = [100.0]
    monkeypatch.setattr(slice_runner, "time", types.SimpleNamespace(perf_counter=lambda: now[0]))

    async def main():
        run = Run(pydl_page, slices=8)
        plain_step = run.step

        def step():  # 0.1 s a slice; the third slice ends an epoch and draws it
            plain_step()
            now[0] += 0.1
            return run.steps == 3

        sliced = runner(slice_runner)
        run.runner = sliced
        await sliced.start(run.ended, step, run.finish, run.on_pause, run.progress)
        return run

    shown = [call[1] for call in run_on_own_loop(main()).calls if call[0] == "progress"]
    # after slice 1 (the first); 3 drew, which restarts the wait, so 6 is next (0.3 s after 3, not 4: 0.3 s after 1)
    assert shown == [1, 6]


def test_a_new_start_or_end_leaves_the_old_loop_without_finishing_it(pydl_page, slice_runner):
    async def main():
        sliced = runner(slice_runner)
        first, second = Run(pydl_page, slices=100), Run(pydl_page, slices=3)
        old = first.start(sliced)
        while first.steps < 2:
            await asyncio.sleep(0)
        new = second.start(sliced)
        await asyncio.gather(old, new)
        third = Run(pydl_page, slices=100)
        last = third.start(sliced)
        while third.steps < 1:
            await asyncio.sleep(0)
        sliced.end()
        await last
        return first, second, third, sliced

    first, second, third, sliced = run_on_own_loop(main())
    assert steps_of(first.calls) == [1, 2] and first.calls[-1][0] == "step"
    assert second.calls[-1] == ("finish", "done", False)
    assert steps_of(third.calls) == [1] and not sliced.running


def test_async_parts_are_awaited_and_a_step_ended_meanwhile_does_not_go_on(pydl_page, slice_runner, monkeypatch):
    clock = iter(range(100, 1000))  # a second between two looks at the clock: a progress line is always due
    monkeypatch.setattr(slice_runner, "time", types.SimpleNamespace(perf_counter=lambda: float(next(clock))))

    async def main():
        sliced = runner(slice_runner)
        run = Run(pydl_page, slices=100)
        plain_step = run.step

        async def step():  # like the convnet page's: after an epoch, the browser's turn before the charts
            plain_step()
            await asyncio.sleep(0)
            if run.steps == 2:
                sliced.end()
                return False  # drew nothing: but a run ended meanwhile gets no progress line
            return True  # drew: no progress line after it

        async def progress():
            run.progress()

        run.runner = sliced
        await sliced.start(run.ended, step, run.finish, run.on_pause, progress)
        return run

    assert run_on_own_loop(main()).calls == [("step", 1), ("step", 2)]


def test_a_run_replaced_while_its_pause_is_drawn_trains_no_more(pydl_page, slice_runner):
    async def main():
        sliced = runner(slice_runner)
        first, second = Run(pydl_page, slices=100, clicks={1: "pause"}), Run(pydl_page, slices=2)

        async def on_pause(paused):  # like the convnet page's: redraws its views, a view at a time
            first.on_pause(paused)
            await asyncio.sleep(0)
            pydl_page.elements["card"].attributes["data-control"] = "run"  # the new run's card
            second.start(sliced)
            await asyncio.sleep(0)

        first.runner = sliced
        await sliced.start(first.ended, first.step, first.finish, on_pause)
        await sliced.task
        return first, second

    first, second = run_on_own_loop(main())
    assert first.calls == [("step", 1), ("pause", True)]
    assert second.calls == [("step", 1), ("step", 2), ("finish", "done", False)]


def test_an_error_is_shown_in_the_card_and_leaves_pause_and_stop_disabled(pydl_page, slice_runner, capsys):
    async def main():
        run = Run(pydl_page, slices=100, fail_at=2)
        sliced = slice_runner.SliceRunner("card", "pause", "stop", "status", "message", {"class": "msg error"})
        await run.start(sliced)
        return run, sliced

    run, sliced = run_on_own_loop(main())
    assert steps_of(run.calls) == [1, 2] and run.calls[-1][0] == "step"  # no finish after an error
    assert not sliced.running
    assert pydl_page.page.applied[-1] == [
        {"id": "message", "text": "Training stopped: ValueError: the loss is a string", "hidden": False,
         "attrs": {"class": "msg error"}},
        {"id": "pause", "disabled": True}, {"id": "stop", "disabled": True},
        {"id": "status", "data": {"state": "error"}}]
    assert "ValueError: the loss is a string" in capsys.readouterr().err  # the traceback, for whoever debugs it


def test_settled_gives_the_value_of_sync_and_async_calls(pydl_page):
    async def answer():
        return 42

    async def main():
        return await pydl_page.settled(answer()), await pydl_page.settled(7)

    assert run_on_own_loop(main()) == (42, 7)
