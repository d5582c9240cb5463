"""The network playground's page glue: page actions in, pictures out. The computation is
pydl.lessons.playground (tested natively); view.js draws what it returns.

Training runs in slices of about 80 ms in this worker; between slices the worker takes the page's
actions (pause, a new learning rate, an edited weight), so the page never waits on a long step.
"""

import asyncio
import dataclasses
import json
import random
import time

from pyscript import when, window

from pydl_page import offer_download, run_page

view = window.pgView
SLICE_SECONDS = 0.08  # at least this much training between two pictures
pg = None
playing = looping = False


def show_structure():
    view.structure(json.dumps(pg.structure()))
    show_frame()


def show_frame():
    view.frame(json.dumps(pg.frame()))


def show_message(text, kind="error"):
    view.message(text or "", kind)


def set_playing(on):
    global playing
    playing = on
    view.playing(on)
    if on and not looping:
        asyncio.ensure_future(play_loop())


async def play_loop():
    global looping
    looping = True
    try:
        drawing = 0.0
        while playing:
            # Train at least as long as the last picture took to draw, so drawing never eats most of the time.
            pg.train_for(max(SLICE_SECONDS, drawing))
            if pg.diverged:
                set_playing(False)
                show_message(pg.diverged)
            started = time.perf_counter()
            show_frame()
            drawing = time.perf_counter() - started
            await asyncio.sleep(0.005)  # the page's actions arrive here
    finally:
        looping = False


def handle(action):
    from pydl.lessons.playground.actions import apply_action
    from pydl.lessons.playground import PlaygroundError, python_code

    kind = action.get("type")
    if kind == "play":
        set_playing(not playing and not pg.diverged)
        if pg.diverged:
            show_message(pg.diverged)
        return
    if kind == "showCode":
        view.showCode(python_code(pg))
        return
    if kind == "download":
        offer_download("playground.pydl", pg.model_bytes())
        show_message(f"Saved playground.pydl (epoch {pg.epoch}); read it with pydl.models.load_model.", "info")
        return
    if kind == "step":
        set_playing(False)
    try:
        redraw, notes = apply_action(pg, action)
    except PlaygroundError as error:
        show_message(str(error))
        show_structure()  # puts every control back to the setting in force
        return
    if redraw == "structure":
        set_playing(False)  # a new network or new data starts paused, as in the Playground
    show_message(" ".join(f"{n[0].upper()}{n[1:]}." for n in notes) if notes else "", "info")
    if redraw == "structure":
        show_structure()
    elif redraw == "frame":
        show_frame()


@when("click", "#pg-inbox")
def take_actions(event):
    for action in json.loads(view.take()):
        handle(action)


async def main():
    global pg
    from pydl.lessons.playground import Playground
    from pydl.lessons.playground.data import thumbnails
    from pydl.lessons.playground.state import choices, from_query

    state, problems = from_query(str(window.location.hash), seed_if_missing=random.randrange(100000))
    if state.data_name == "csv":
        problems.append("This link uses a CSV file, which a link cannot carry; showing the default data instead. "
                        "Load the file with “Load CSV”.")
        state = dataclasses.replace(state, dataset="circle", reg_dataset="plane")
    pg = Playground(state)
    view.init(json.dumps(choices()), json.dumps(thumbnails()))
    show_structure()
    if problems:
        show_message(" ".join(problems))
    view.ready()


# Training uses OpenBLAS for matrix products; it loads in the background once the page is ready.
await run_page(main, browser_blas=True)  # noqa: F704  (PyScript runs this file with top-level await)
