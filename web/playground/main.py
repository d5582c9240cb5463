"""The network playground's page glue: page actions in, pictures out. The computation is
pydl.lessons.playground (tested natively); view.js draws what it returns.

Training steps the model's own training loop (model.fit's, through Playground.train_for) in slices of about 50 ms,
up to the run's epoch limit; between a slice and its picture, and after the picture, the worker takes the page's
actions (pause, a new learning rate, an edited weight), so an action waits at most one slice or one picture. A
setting that needs a new network stops play, rebuilds and says so.
"""

import asyncio
import dataclasses
import json
import random
import time

from pyscript import window

from pydl_page import listen, offer_download, run_page

view = window.pgView
SLICE_SECONDS = 0.05  # training between two turns of the page's actions
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


def limit_message():
    return (f"Trained {pg.epoch} epochs, this run's limit: raise “Epochs” to train on, or reset for a new run.")


async def play_loop():
    global looping
    looping = True
    try:
        drawn_at = drawing = 0.0
        while playing:
            pg.train_for(SLICE_SECONDS)
            if pg.diverged or pg.at_limit:
                set_playing(False)
                show_message(pg.diverged or limit_message(), "error" if pg.diverged else "info")
                show_frame()
                return
            await asyncio.sleep(0)  # the page's actions (Pause first of all) between training and drawing
            started = time.perf_counter()
            if playing and started - drawn_at >= drawing:  # a picture at most every other slice when drawing is slow
                show_frame()
                drawn_at = time.perf_counter()
                drawing = drawn_at - started
            await asyncio.sleep(0.005)  # and again after the picture
    finally:
        looping = False


def handle(action):
    from pydl.lessons.playground.actions import apply_action
    from pydl.export import ExportError
    from pydl.lessons.playground import PlaygroundError, python_code
    from pydl.lessons.playground.export import exported_code, exported_zip, input_columns, zip_name

    kind = action.get("type")
    if kind == "play":
        was_playing = playing
        set_playing(not playing and not pg.diverged and not pg.at_limit)
        if pg.diverged:
            show_message(pg.diverged)
        elif pg.at_limit:
            show_message(limit_message(), "info")
        if was_playing:
            show_frame()  # paused: the picture shows the weights it stopped at
        return
    if kind == "showCode":
        view.showCode(json.dumps({"pydl": python_code(pg), "torch": exported_code(pg, "torch"),
                                  "keras": exported_code(pg, "keras"), "inputs": input_columns(pg)}))
        return
    if kind == "exportZip":
        target = action.get("target")
        try:
            data = exported_zip(pg, target)
        except (PlaygroundError, ExportError) as error:
            show_message(str(error))
            return
        offer_download(zip_name(target), data, "application/zip")
        show_message(f"Saved {zip_name(target)} (epoch {pg.epoch}): unzip it, and in its folder "
                     "“from model import build; model = build()”.", "info")
        return
    if kind == "download":
        offer_download("playground.pydl", pg.model_bytes())
        show_message(f"Saved playground.pydl (epoch {pg.epoch}); read it with pydl.models.load_model.", "info")
        return
    if kind == "step":
        set_playing(False)
    was_playing, model = playing, pg.model
    try:
        redraw, notes = apply_action(pg, action)
    except PlaygroundError as error:
        show_message(str(error))
        show_structure()  # puts every control back to the setting in force
        return
    if redraw == "structure":
        set_playing(False)  # a new network or new data starts paused, as in the Playground
        if was_playing and pg.model is not model:
            notes = [*notes, "training paused: press play to train the new network"]
    if kind != "focus":  # pointing at a neuron keeps the message (a refusal must stay readable)
        show_message(" ".join(f"{n[0].upper()}{n[1:]}." for n in notes) if notes else "", "info")
    if redraw == "structure":
        show_structure()
    elif redraw == "frame":
        show_frame()


def take_actions(event):
    for action in json.loads(view.take()):
        handle(action)


listen("click", "#pg-inbox", take_actions)


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
