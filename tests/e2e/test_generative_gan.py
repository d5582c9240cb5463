"""web/generative/'s GAN cards in Chromium, offline: training live, slow motion, your own points, bad input, Pause,
phone width. The numbers shown are the native library's (tests/lessons/test_gan*.py)."""

from __future__ import annotations

import json

import pytest

from pydl.lessons.generative.gan import GanSettings
from pydl.lessons.generative.gan_code import gan_code
from tests.e2e.pause import assert_pause_answers, resume_with, status_moves_on

PAGE = "web/generative/"
pytestmark = pytest.mark.e2e
PAUSE_PROBE = {"button": "#gan-pause", "target": "#gan-status", "attribute": "state", "value": "paused"}


def click(page, selector: str) -> None:
    """Click and wait until the page has handled this click (and so every event before it)."""
    before = int(page.evaluate("document.body.dataset.clicks || '0'"))
    page.click(selector)
    page.wait_for_function("n => +(document.body.dataset.clicks || 0) > n", arg=before, timeout=30_000)


def step_shown(page) -> int:
    return int(page.get_attribute("#gan-status", "data-step"))


def wait_for_step(page, step: int, timeout_s: float = 120) -> None:
    page.wait_for_function("s => +document.querySelector('#gan-status').dataset.step >= s", arg=step,
                           timeout=timeout_s * 1000)


def pause(page) -> None:
    page.click("#gan-pause")
    page.wait_for_selector("#gan-status[data-state=paused]", timeout=20_000)
    page.wait_for_function("() => !document.querySelector('#gan-slow').disabled")
    # the status named the step it paused at; the plane then draws that step's frame
    page.wait_for_function("() => document.querySelector('#gan-plane').dataset.step"
                           " === document.querySelector('#gan-status').dataset.step", timeout=20_000)


@pytest.fixture
def gan_page(browser_page):
    browser_page.open(PAGE)
    yield browser_page.page
    browser_page.assert_clean()


def test_it_trains_live_and_the_status_the_plane_and_the_code_agree(gan_page):
    assert gan_page.get_attribute("#gan-status", "data-state") == "idle"
    click(gan_page, "#gan-train")
    assert gan_page.get_attribute("#gan-status", "data-state") == "training"
    wait_for_step(gan_page, 320)  # past the point where collapse is judged
    pause(gan_page)
    step = step_shown(gan_page)
    assert gan_page.get_attribute("#gan-plane", "data-step") == str(step)  # the plane shows the paused step
    status = gan_page.inner_text("#gan-status")
    assert status.startswith(f"Step {step}: D loss ") and "G loss" in status
    diagnosis = gan_page.locator("#gan-diagnosis")
    assert diagnosis.get_attribute("data-judged") == "true"
    assert f"cover {diagnosis.get_attribute('data-covered')} of the target's 8 regions" in diagnosis.inner_text()
    assert float(diagnosis.get_attribute("data-spread")) > 0.3  # spread out from the starting point near (0, 0)
    assert int(gan_page.get_attribute("#gan-chart", "data-points")) >= 2
    assert gan_page.text_content("#gan-code") == gan_code(GanSettings(), "ring")
    gan_page.wait_for_timeout(400)
    assert step_shown(gan_page) == step  # paused means paused
    gan_page.click("#gan-pause")  # resume (training_controls.js takes Pause clicks, not the page's Python)
    gan_page.wait_for_selector("#gan-status[data-state=training]", timeout=20_000)
    wait_for_step(gan_page, step + 20)
    gan_page.click("#gan-stop")
    gan_page.wait_for_selector("#gan-status[data-state=stopped]", timeout=20_000)
    assert gan_page.inner_text("#gan-status").startswith("Stopped. Step ")


def test_slow_motion_moves_d_then_g_and_says_what_each_changed(gan_page):
    gan_page.select_option("#gan-target", "mixture")
    click(gan_page, "#gan-slow")  # no run yet: slow motion starts one from the fields
    view = gan_page.locator("#gan-slow-view")
    assert view.get_attribute("data-phase") == "discriminator"
    text = gan_page.locator("#gan-slow-text")
    assert float(text.get_attribute("data-surface-change")) > 0
    assert float(text.get_attribute("data-mean-move")) == 0.0
    assert "the generated points did not move" in text.inner_text()
    assert gan_page.get_attribute("#gan-status", "data-step") == "0"

    click(gan_page, "#gan-slow")
    assert view.get_attribute("data-phase") == "generator"
    assert float(text.get_attribute("data-surface-change")) == 0.0
    assert float(text.get_attribute("data-mean-move")) > 0
    assert "Step 1 done" in text.inner_text()
    assert gan_page.get_attribute("#gan-status", "data-step") == "1"
    assert gan_page.get_attribute("#gan-after", "data-step") == "1"
    click(gan_page, "#gan-slow")
    assert view.get_attribute("data-phase") == "discriminator"


def test_your_own_points_are_drawn_by_clicking_and_trained_on(gan_page):
    gan_page.select_option("#gan-target", "drawn")
    gan_page.wait_for_selector("#gan-draw-help:not([hidden])")
    box = gan_page.locator("#gan-plane").bounding_box()
    clicks = [(0.3, 0.3), (0.35, 0.3), (0.4, 0.32), (0.7, 0.7), (0.72, 0.68), (0.75, 0.7)]
    for fx, fy in clicks[:3]:
        gan_page.mouse.click(box["x"] + fx * box["width"], box["y"] + fy * box["height"])
    assert gan_page.get_attribute("#gan-plane", "data-drawn") == "3"
    click(gan_page, "#gan-train")  # too few: refused, with the way out
    assert "draw at least 5 points" in gan_page.inner_text("#gan-message")
    assert gan_page.get_attribute("#gan-target", "aria-invalid") == "true"
    assert gan_page.get_attribute("#gan-status", "data-state") == "idle"
    for fx, fy in clicks[3:]:
        gan_page.mouse.click(box["x"] + fx * box["width"], box["y"] + fy * box["height"])
    assert gan_page.get_attribute("#gan-plane", "data-drawn") == "6"
    click(gan_page, "#gan-train")
    assert gan_page.is_hidden("#gan-message")
    drawn = json.loads(gan_page.evaluate("window.ganPlane.drawnJson()"))
    assert len(drawn) == 6 and abs(drawn[0][0] - (0.3 * 4 - 2)) < 0.05 and abs(drawn[0][1] - (2 - 0.3 * 4)) < 0.05
    assert gan_page.text_content("#gan-code") == gan_code(GanSettings(), "drawn", drawn)
    wait_for_step(gan_page, 30)
    assert "of the target's" in gan_page.inner_text("#gan-diagnosis")
    gan_page.click("#gan-stop")
    gan_page.wait_for_selector("#gan-status[data-state=stopped]", timeout=20_000)


@pytest.mark.parametrize("field, typed, expected", [
    ("#gan-generator-units", "16, 0", "Generator layers: each size must be at least 1, got 0."),
    ("#gan-discriminator-rate", "fast", "Discriminator learning rate: \u201cfast\u201d is not a number"),
    ("#gan-k", "11", "D steps per G step must be at most 10, got 11."),
])
def test_a_bad_field_says_why_flags_the_field_and_starts_nothing(gan_page, field, typed, expected):
    gan_page.fill(field, typed)
    click(gan_page, "#gan-train")
    assert expected in gan_page.inner_text("#gan-message")
    assert gan_page.get_attribute(field, "aria-invalid") == "true"
    assert gan_page.get_attribute("#gan-status", "data-state") == "idle"
    assert gan_page.text_content("#gan-code") == ""


def test_a_diverging_run_stops_with_a_message(gan_page):
    gan_page.fill("#gan-generator-rate", "1")  # Adam at rate 1 with 64-unit layers: off the plane at step 3
    gan_page.fill("#gan-discriminator-rate", "1")
    gan_page.fill("#gan-generator-units", "64, 64, 64")
    click(gan_page, "#gan-train")
    gan_page.wait_for_selector("#gan-status[data-state=diverged]", timeout=120_000)
    assert gan_page.inner_text("#gan-message").startswith("Training stopped at step 3: the generated points flew")
    assert gan_page.inner_text("#gan-status") == gan_page.inner_text("#gan-message")
    assert gan_page.is_disabled("#gan-pause") and gan_page.is_disabled("#gan-slow")


def test_pause_answers_within_200_ms_while_training(gan_page):
    click(gan_page, "#gan-train")
    wait_for_step(gan_page, 10)

    resume = resume_with("#gan-pause", "#gan-status", timeout=20_000)
    trains_on = status_moves_on("#gan-status", attribute="step")  # the step of the frame shown, a few a second
    assert_pause_answers(gan_page, "generative page (GAN)", PAUSE_PROBE, resume, between=trains_on)


@pytest.mark.parametrize("width", [390, 1280])
def test_no_sideways_scroll_at_phone_and_desktop_width_while_training(gan_page, width):
    gan_page.set_viewport_size({"width": width, "height": 900})
    click(gan_page, "#gan-slow")
    click(gan_page, "#gan-slow")  # the before/after planes are shown too
    gan_page.locator(".gan-code-box summary").click()
    click(gan_page, "#gan-train")
    wait_for_step(gan_page, 5)
    overflow = gan_page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"{overflow} px of sideways scroll at {width} px"
    plane = gan_page.locator("#gan-plane").bounding_box()
    assert plane["width"] <= width - 30 and plane["width"] >= min(300, width - 80)


@pytest.fixture
def disk_gan_page(browser, dist, tmp_path):
    from tests.e2e.test_file_protocol import DiskPage
    from tests.site import unzipped_site

    session = DiskPage(browser, unzipped_site(dist, tmp_path))
    yield session
    session.context.close()
    assert not session.external_requests, f"requests that were not file: {session.external_requests}"


def test_from_disk_it_trains_on_the_pages_thread_and_pauses(disk_gan_page):
    page = disk_gan_page.page
    page.set_default_navigation_timeout(180_000)  # the offline copy loads 28 MB of scripts from disk first
    disk_gan_page.open(PAGE)
    click(page, "#gan-train")
    wait_for_step(page, 20, timeout_s=180)
    pause(page)
    step = step_shown(page)
    page.wait_for_timeout(400)
    assert step_shown(page) == step and page.get_attribute("#gan-plane", "data-step") == str(step)
    disk_gan_page.assert_clean()
