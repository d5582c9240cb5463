"""Train, Pause and Stop for a page's training card: :class:`SliceRunner` (see web/README.md).

A page that trains (GAN, VAE, rnn, convnet) hands the runner its parts: how to train one slice of about 0.03 s,
how to show the end, a pause or the progress. The runner alternates slices with the browser's turn, so clicks
are delivered and the page repaints while it trains, in a worker and on the page's thread alike.
"""

import asyncio
import time
import traceback

from pydl_page import apply, element, message_op, settled

PAUSED_POLL_SECONDS = 0.05  # while paused, how often the runner looks for Resume or Stop
PROGRESS_SECONDS = 0.25  # a few progress lines a second are plenty: each is a round trip to the page


class SliceRunner:
    """Train, Pause and Stop of one training card: trains a slice at a time, with the browser's turn between slices.

    Between two slices it reads the Pause/Stop request that ../common/training_controls.js wrote (on the page's
    thread) into the data-control of the element ``controls``, so a click takes effect after at most one slice, in a
    worker as on the page's thread (opened from disk). An unexpected error is printed, shown in ``message``, and
    leaves the run ended: Pause and Stop disabled, ``status`` at data-state="error". What a run does is the page's,
    given to start(); each of these may be sync or async:

        ended()      None while there is more to train, else the state to finish in ("done", "diverged", ...)
        step()       one slice of training (and whatever it draws); something true if it updated the page itself
        finish(s)    show the end of the run: s is ended()'s state, or "stopped" (Stop was clicked)
        on_pause(p)  show that training is paused (p True) or goes on again (p False), the status first; a card
                     without Pause passes None
        progress()   the progress line, after a slice that drew nothing, at most every PROGRESS_SECONDS

    ``generation`` counts runs: a page's awaits inside a run compare it to know whether that run is still the one
    going (a Train click, or end(), starts another or none). ``paused`` and ``running`` say what it is doing.
    """

    def __init__(self, controls, pause, stop, status, message, error_attrs=None):
        self.ids = {"controls": controls, "pause": pause, "stop": stop, "status": status, "message": message}
        self.error_attrs = error_attrs  # the message box's attributes for an error (its class), if it has any
        self.generation = 0
        self.paused = self.running = False
        self.task = None  # a strong reference to the running loop, so that it is not collected half-way

    def start(self, ended, step, finish, on_pause=None, progress=None):
        """End the run going, if any, and start training a new one in the background."""
        self.end()
        self.running = True
        self.task = asyncio.ensure_future(self._run(self.generation, ended, step, finish, on_pause, progress))
        return self.task

    def end(self):
        """Forget the run going (a new run or new data replaces it): its loop returns at its next turn."""
        self.generation += 1
        self.paused = self.running = False

    async def _run(self, generation, ended, step, finish, on_pause, progress):
        controls = element(self.ids["controls"])
        shown = 0.0
        try:
            while (state := await settled(ended())) is None:
                await asyncio.sleep(0)  # the browser's turn: it delivers clicks (Pause, Stop) and repaints
                if generation != self.generation:
                    return  # a new run started, or this one was ended
                control = controls.getAttribute("data-control")  # one read a slice: a click written by the page
                if control == "stop":
                    state = "stopped"
                    break
                if on_pause is not None and (control == "pause") != self.paused:
                    self.paused = not self.paused
                    await settled(on_pause(self.paused))
                    continue  # it may have awaited: look again (at the run too) before any slice
                if self.paused:
                    await asyncio.sleep(PAUSED_POLL_SECONDS)
                    continue
                drew = await settled(step())
                if generation != self.generation:
                    return  # ended while the slice awaited
                now = time.perf_counter()
                if drew or (progress is not None and now - shown > PROGRESS_SECONDS):
                    shown = now
                    if not drew:
                        await settled(progress())
            if generation == self.generation:
                self.paused = False
                await settled(finish(state))
                if generation == self.generation:  # else a Train click during an async finish started another run
                    self.running = False
        except Exception as error:  # a bug: say so in the card, and leave the page usable
            traceback.print_exc()
            if generation == self.generation:
                self.end()
            message = message_op(self.ids["message"], f"Training stopped: {type(error).__name__}: {error}")
            if self.error_attrs:
                message["attrs"] = self.error_attrs
            buttons = [{"id": self.ids[name], "disabled": True} for name in ("pause", "stop") if self.ids[name]]
            apply([message, *buttons, {"id": self.ids["status"], "data": {"state": "error"}}])
