"""The network playground page (web/playground/), offline in headless Chromium.

One page is loaded for the module and put into a known state through its URL hash before each check (the page
applies a hand-edited hash like a link); the URL round trip and a bad link each get a fresh page.
"""

from __future__ import annotations

import zipfile

import numpy as np
import pytest

from pydl import models
from tests.e2e.conftest import BrowserPage
from tests.e2e.pause import assert_pause_answers, resume_with, status_moves_on

PATH = "web/playground/"


@pytest.fixture(scope="module")
def pg_page(browser, site_url):
    session = BrowserPage(browser, site_url)
    session.open(PATH)
    yield session
    session.context.close()
    session.assert_clean()


def go(session, query):
    """Put the page into the state of ``query`` (unset settings take their defaults) and wait until it is drawn.

    The page rewrites a hand-edited hash into its full form (which starts with ``problem=``) once it has applied it.
    """
    page = session.page
    page.evaluate("q => { location.hash = q; }", query)
    pairs = [pair for pair in query.split("&") if pair]
    try:
        _wait_for_state(page, pairs)
    except Exception:
        where = page.evaluate("({hash: location.hash, data: {...document.getElementById('pg').dataset},"
                              " message: document.getElementById('pg-message').textContent})")
        pytest.fail(f"the page did not apply #{query}: {where}; console: {session.console_errors}", pytrace=False)


def _wait_for_state(page, pairs):
    page.wait_for_function(
        "pairs => { const h = '&' + location.hash.slice(1) + '&';"
        " return h.startsWith('&problem=') && pairs.every(p => h.includes('&' + p + '&'))"
        " && document.getElementById('pg').dataset.epoch === '0'"
        " && document.getElementById('pg').dataset.drawn === 'true'; }",
        arg=pairs, timeout=30_000)


def heatmap(page):
    return page.evaluate("document.getElementById('pg-heatmap').toDataURL()")


def wait_heatmap_change(page, before):
    page.wait_for_function("old => document.getElementById('pg-heatmap').toDataURL() !== old", arg=before,
                           timeout=30_000)


def number(page, selector):
    return float(page.inner_text(selector))


def test_page_loads_with_network_and_output(pg_page):
    page = pg_page.page
    assert page.locator(".pg-node.pg-input").count() == 7
    assert page.locator(".pg-node.pg-hidden").count() == 6  # the Playground's default 4, 2
    assert page.locator("path.pg-edge").count() == 2 * 4 + 4 * 2 + 2 * 1
    assert page.inner_text("#pg-epoch") == "000,000"
    assert 0 < number(page, "#pg-test-loss") < 10
    assert "networkShape=4,2" in page.url and "seed=" in page.url
    pg_page.assert_clean()


def test_play_for_a_few_seconds_lowers_the_test_loss(pg_page):
    page = pg_page.page
    go(pg_page, "seed=3&dataset=gauss&networkShape=3")
    before = number(page, "#pg-test-loss")
    page.click("#pg-play")
    page.wait_for_function("document.getElementById('pg').dataset.playing === 'true'")
    page.wait_for_timeout(3000)
    page.wait_for_function("Number(document.getElementById('pg').dataset.epoch) >= 2", timeout=60_000)
    page.click("#pg-play")
    page.wait_for_function("document.getElementById('pg').dataset.playing === 'false'")
    assert number(page, "#pg-test-loss") < before
    assert int(page.get_attribute("#pg-loss-chart", "data-points")) >= 3  # epochs 0, 1, 2 on the curve
    # The trained map is paler than the points' class colours, so no pixel of it hides an orange or a blue point.
    hiding = page.evaluate("""() => { const c = document.getElementById('pg-heatmap');
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; let n = 0;
      for (let i = 0; i < d.length; i += 4) for (const [r, g, b] of [[245, 147, 34], [8, 119, 189]])
        if (Math.hypot(d[i] - r, d[i + 1] - g, d[i + 2] - b) < 60) n++;
      return n; }""")
    assert hiding == 0, f"{hiding} pixels of the output map are within 60 RGB units of a point's colour"
    pg_page.assert_clean()


def playing(page, on: bool):
    page.wait_for_function(f"document.getElementById('pg').dataset.playing === '{str(on).lower()}'")


def test_pause_answers_within_200_ms_while_playing(pg_page):
    page = pg_page.page
    go(pg_page, "seed=6&dataset=spiral&networkShape=8,8&epochs=10000")
    page.click("#pg-play")
    playing(page, True)

    trains_on = status_moves_on("#pg", attribute="epoch", timeout=30_000)  # the epoch counter moves on
    resume = resume_with("#pg-play", "#pg", attribute="playing", value="true")
    assert_pause_answers(page, "playground", {"button": "#pg-play", "target": "#pg", "attribute": "playing",
                                              "value": "false"}, resume, between=trains_on)
    page.click("#pg-play")
    playing(page, False)
    pg_page.assert_clean()


def test_play_stops_at_the_epoch_limit_it_shows_and_a_higher_limit_goes_on(pg_page):
    page = pg_page.page
    go(pg_page, "seed=7&dataset=gauss&networkShape=2&epochs=10")
    assert page.text_content("#pg-epoch-limit") == "of 10" and page.input_value("#pg-epochs") == "10"
    page.click("#pg-play")
    page.wait_for_function("document.getElementById('pg').dataset.atLimit === 'true'", timeout=60_000)
    playing(page, False)
    assert page.get_attribute("#pg", "data-epoch") == "10" and page.inner_text("#pg-epoch") == "000,010"
    assert "Trained 10 epochs, this run's limit" in page.inner_text("#pg-message")
    page.select_option("#pg-epochs", "50")
    page.wait_for_function("document.getElementById('pg').dataset.atLimit === 'false'")
    assert page.text_content("#pg-epoch-limit") == "of 50" and page.get_attribute("#pg", "data-epoch") == "10"
    assert "This run now trains to epoch 50, same network" in page.inner_text("#pg-message")
    assert "epochs=50" in page.url
    pg_page.assert_clean()


def test_a_setting_that_needs_a_new_network_stops_play_and_says_so(pg_page):
    page = pg_page.page
    go(pg_page, "seed=8&dataset=circle&epochs=10000")
    page.click("#pg-play")
    page.wait_for_function("Number(document.getElementById('pg').dataset.epoch) >= 1", timeout=60_000)
    page.select_option("#pg-activation", "relu")
    page.wait_for_function("document.getElementById('pg').dataset.epoch === '0'")
    playing(page, False)
    message = page.inner_text("#pg-message")
    assert "rebuilt with new weights at epoch 0" in message and "Training paused" in message, message
    assert "activation=relu" in page.url
    pg_page.assert_clean()


def test_single_step_trains_one_epoch_and_reset_starts_over(pg_page):
    page = pg_page.page
    go(pg_page, "seed=4")
    page.click("#pg-step")
    page.wait_for_function("document.getElementById('pg-epoch').textContent === '000,001'")
    page.click("#pg-reset")
    page.wait_for_function("document.getElementById('pg-epoch').textContent === '000,000'")
    pg_page.assert_clean()


def test_changing_the_dataset_takes_effect(pg_page):
    page = pg_page.page
    go(pg_page, "seed=5")
    before = heatmap(page)
    page.click("button.pg-dataset[data-dataset=xor]")
    page.wait_for_function("location.hash.includes('dataset=xor') && "
                           "document.getElementById('pg-description').textContent.includes('Exclusive or')")
    assert page.locator("button.pg-dataset.pg-selected").get_attribute("data-dataset") == "xor"
    assert heatmap(page) == before  # same seed, same network: the data changed, the output did not
    pg_page.assert_clean()


def test_switching_a_feature_on_takes_effect(pg_page):
    page = pg_page.page
    go(pg_page, "seed=6")
    before = heatmap(page)
    page.click(".pg-node[data-node=xSquared]")
    page.wait_for_function("location.hash.includes('xSquared=true')")
    assert "pg-off" not in page.get_attribute(".pg-node[data-node=xSquared]", "class")
    assert page.locator("path.pg-edge[data-edge^='0-']").count() == 3 * 4
    wait_heatmap_change(page, before)
    pg_page.assert_clean()


def test_adding_a_layer_takes_effect(pg_page):
    page = pg_page.page
    go(pg_page, "seed=7")
    page.click("#pg-add-layer")
    page.wait_for_function("document.getElementById('pg-layer-count').textContent === '3'")
    assert "networkShape=4,2,2" in page.url
    assert page.locator(".pg-node[data-node=h3_1]").count() == 1
    page.locator(".pg-layer-head button[data-neurons='0+']").click()
    page.wait_for_function("location.hash.includes('networkShape=5,2,2')")
    pg_page.assert_clean()


def test_changing_the_activation_takes_effect(pg_page):
    page = pg_page.page
    go(pg_page, "seed=8")
    before = heatmap(page)
    page.select_option("#pg-activation", "relu")
    page.wait_for_function("location.hash.includes('activation=relu')")
    wait_heatmap_change(page, before)
    assert page.eval_on_selector_all(".pg-layer-activation", "els => els.map(e => e.value)") == ["relu", "relu"]
    # One layer on its own (beyond the Playground): the URL records the per-layer choice.
    page.select_option(".pg-layer-activation[data-layer='1']", "sigmoid")
    page.wait_for_function("location.hash.includes('layerActivations=relu,sigmoid')")
    pg_page.assert_clean()


def test_editing_a_weight_changes_the_output_map(pg_page):
    page = pg_page.page
    go(pg_page, "seed=9")
    before = heatmap(page)
    edge = page.locator("path.pg-edge-hit[data-edge-hit='2-0-0']")  # hidden layer 2, neuron 1 -> output
    edge.dispatch_event("mouseenter")
    assert page.is_visible("#pg-hovercard") and "Weight" in page.inner_text("#pg-hovercard")
    edge.dispatch_event("click")
    field = page.locator("#pg-hovercard .pg-hover-input")
    field.fill("6")
    field.press("Enter")
    wait_heatmap_change(page, before)
    edge.dispatch_event("mouseenter")
    assert page.inner_text("#pg-hovercard .pg-hover-value") == "6.00"
    page.locator("path.pg-edge-hit[data-edge-hit='2-0-0']").dispatch_event("click")
    field.fill("lots")
    field.press("Enter")
    page.wait_for_function("document.getElementById('pg-message').textContent.includes('is not a number')")
    pg_page.assert_clean()


def test_a_bad_csv_shows_its_message_and_a_good_one_loads(pg_page):
    page = pg_page.page
    go(pg_page, "seed=10")
    bad = b"x1,x2,label\n1,2,0\n3,4\n5,6,1\n"
    page.set_input_files("#pg-csv", files=[{"name": "bad.csv", "mimeType": "text/csv", "buffer": bad}])
    page.wait_for_function("document.getElementById('pg-message').textContent.includes('bad.csv, line 3')")
    assert page.is_visible("#pg-message")
    assert "expected 3 values (x1, x2, label), found 2" in page.inner_text("#pg-message")
    centres = [(-4, 0), (4, 0), (0, 4)]
    rows = "\n".join(f"{centres[i % 3][0] + i / 30},{centres[i % 3][1] - i / 40},{i % 3}" for i in range(30))
    page.set_input_files("#pg-csv", files=[{"name": "three.csv", "mimeType": "text/csv", "buffer": rows.encode()}])
    page.wait_for_function("document.getElementById('pg-description').textContent.includes('three.csv')")
    assert page.get_attribute("#pg", "data-kind") == "multiclass"
    assert page.locator(".pg-node.pg-output").count() == 3
    pg_page.assert_clean()


def test_a_hash_typed_while_an_update_lands_is_still_applied(pg_page):
    page = pg_page.page
    go(pg_page, "seed=13")
    # The race, made certain: the address bar is rewritten to the page's own last state (as by a structure that
    # lands) after the hash is typed but before the browser delivers the hashchange event.
    page.evaluate("q => { const current = location.hash; location.hash = q; history.replaceState(null, '', current); }",
                  "seed=14&networkShape=2")
    _wait_for_state(page, ["seed=14", "networkShape=2"])
    pg_page.assert_clean()


def test_show_the_code_in_pydl_pytorch_and_keras_and_download_each(pg_page, tmp_path):
    page = pg_page.page
    go(pg_page, "seed=12&networkShape=3&xTimesY=true")
    page.click("#pg-step")
    page.wait_for_function("document.getElementById('pg-epoch').textContent === '000,001'")
    page.click("#pg-show-code")
    page.wait_for_selector("#pg-code-card:not([hidden])")
    code = page.text_content("#pg-code")
    assert "SEED = 12" in code and "EPOCHS = 1" in code and "layers.Dense(3, activation=\"tanh\"" in code
    assert page.is_hidden("#pg-export-zip")
    with page.expect_download() as download:
        page.click("#pg-download")
    model = models.from_bytes(open(download.value.path(), "rb").read())
    assert [layer.name for layer in model.layers] == ["hidden_1", "output"]

    import torch  # the PyTorch tab's folder, run here: the page's weights, in the code the tab shows
    from tests.export.exported import load_generated

    points = np.random.default_rng(0).uniform(-6, 6, (20, 2)).astype("float32")
    inputs = np.stack([points[:, 0], points[:, 1], points[:, 0] * points[:, 1]], axis=1)
    for tab, marker in (("torch", "class Model(nn.Module):"), ("keras", "keras.Sequential([")):
        page.click(f".pg-tab[data-tab={tab}]")
        page.wait_for_selector(f"#pg-code-card[data-tab={tab}]")
        shown = page.text_content("#pg-code")
        assert marker in shown and page.is_visible("#pg-export-zip")
        assert page.text_content(f"[data-for-tab={tab}] .pg-code-inputs") == "X₁, X₂, X₁X₂"
        with page.expect_download() as download:
            page.click("#pg-export-zip")
        assert download.value.suggested_filename == f"playground_{tab}.zip"
        with zipfile.ZipFile(download.value.path()) as archive:
            assert archive.read(f"playground_{tab}/model.py").decode() == shown
            archive.extractall(tmp_path)
        if tab == "torch":
            with torch.no_grad():
                got = load_generated(tmp_path / "playground_torch").build()(torch.from_numpy(inputs)).numpy()
            np.testing.assert_allclose(got, model.predict(inputs, verbose=0), rtol=0, atol=1e-5)  # float32
    page.click(".pg-tab[data-tab=pydl]")
    assert page.text_content("#pg-code") == code and page.is_hidden("#pg-export-zip")
    pg_page.assert_clean()


def test_the_url_round_trips_the_state(browser, site_url):
    first = BrowserPage(browser, site_url)
    try:
        first.open(PATH + "#seed=321&dataset=spiral&noise=20&networkShape=5,3&activation=relu&learningRate=0.1"
                   "&sinX=true&showTestData=true&optimizer=adam&percTrainData=70")
        first.page.select_option("#pg-regularization", "L2")
        first.page.wait_for_function("location.hash.includes('regularization=L2')")
        url = first.page.url
        controls = _controls(first.page)
        first.assert_clean()
    finally:
        first.context.close()
    second = BrowserPage(browser, site_url)
    try:
        second.open(url.split(site_url, 1)[1])
        assert second.page.url == url
        assert _controls(second.page) == controls
        assert controls["#pg-activation"] == "relu" and controls["#pg-noise"] == "20" and controls["layers"] == "2"
        second.assert_clean()
    finally:
        second.context.close()


def _controls(page):
    values = {s: page.input_value(s) for s in ("#pg-learningRate", "#pg-activation", "#pg-regularization",
                                              "#pg-optimizer", "#pg-noise", "#pg-percTrainData", "#pg-batchSize")}
    values["layers"] = page.inner_text("#pg-layer-count")
    values["on"] = page.eval_on_selector_all(".pg-input:not(.pg-off)", "els => els.map(e => e.dataset.node)")
    values["test"] = page.is_checked("#pg-showTestData")
    values["dataset"] = page.get_attribute("button.pg-dataset.pg-selected", "data-dataset")
    values["loss"] = page.inner_text("#pg-test-loss")  # same seed, same weights
    return values


def test_a_bad_link_is_explained_and_the_defaults_kept(browser, site_url):
    session = BrowserPage(browser, site_url)
    try:
        session.open(PATH + "#learningRate=50&networkShape=4,9&seed=1")
        message = session.page.inner_text("#pg-message")
        assert "learningRate=50 is out of range" in message and "networkShape=4,9" in message
        assert session.page.input_value("#pg-learningRate") == "0.03"
        assert session.page.inner_text("#pg-layer-count") == "2"
        session.assert_clean()
    finally:
        session.context.close()


def test_a_csv_with_word_labels_says_which_word_is_which_class(pg_page):
    page = pg_page.page
    go(pg_page, "seed=15")
    rows = "x1,x2,label\n" + "\n".join(f"{-3 + i / 10},{i / 20},cat\n{3 - i / 10},{-i / 20},dog" for i in range(20))
    page.set_input_files("#pg-csv", files=[{"name": "pets.csv", "mimeType": "text/csv", "buffer": rows.encode()}])
    page.wait_for_function("document.getElementById('pg-description').textContent.includes('pets.csv')")
    assert page.get_attribute("#pg", "data-kind") == "binary"
    assert page.eval_on_selector_all("#pg-legend .pg-legend-class", "els => els.map(e => e.textContent)") == [
        "“cat” = −1", "“dog” = +1"]
    assert "The labels became classes: “cat” is orange (target −1), “dog” is blue (target +1)." in page.inner_text(
        "#pg-message")
    pg_page.assert_clean()


# The drawn parts of the network that must not overlap one another or leave the card (a part inside another, a
# label or bias square in its neuron, is not an overlap).
_LAYOUT = """() => {
  const card = document.querySelector('.pg-netcol').getBoundingClientRect();
  const parts = [...document.querySelectorAll('.pg-node, .pg-node-label, .pg-bias, .pg-layer-units, '
    + '.pg-layer-activation, .pg-layer-buttons .pg-mini, .pg-layer-name')].filter(e => e.offsetParent !== null);
  const name = (e) => e.dataset.node || e.dataset.neurons || e.dataset.bias || e.textContent.trim() || e.className;
  const boxes = parts.map(e => [e, e.getBoundingClientRect()]);
  const overlaps = [], outside = [];
  for (const [i, [a, r]] of boxes.entries()) {
    if (r.left < card.left || r.right > card.right) outside.push(name(a));
    for (const [b, q] of boxes.slice(i + 1)) {
      if (a.contains(b) || b.contains(a)) continue;
      const w = Math.min(r.right, q.right) - Math.max(r.left, q.left);
      const h = Math.min(r.bottom, q.bottom) - Math.max(r.top, q.top);
      if (w > 0.5 && h > 0.5) overlaps.push(`${name(a)} / ${name(b)}`);
    }
  }
  const net = document.getElementById('pg-network');
  return { parts: parts.length, overlaps: overlaps.slice(0, 6), outside: outside.slice(0, 6),
    page: [document.documentElement.scrollWidth, window.innerWidth], network: [net.scrollWidth, net.clientWidth],
    plotHeight: document.querySelector('#pg-loss-chart .u-over').getBoundingClientRect().height };
}"""


def test_six_layers_of_eight_fit_a_phone_and_a_wide_screen(browser, site_url):
    session = BrowserPage(browser, site_url)
    try:
        session.open(PATH + "#seed=1&dataset=blobs&classes=6&networkShape=8,8,8,8,8,8")
        page = session.page
        page.wait_for_function("document.getElementById('pg').dataset.drawn === 'true'")
        assert page.inner_text("#pg-description") == "500 points of “Gaussian clouds” in 6 classes, noise 0"
        for width in (390, 1280):
            page.set_viewport_size({"width": width, "height": 900})
            page.wait_for_function("w => window.innerWidth === w && document.getElementById('pg-network')"
                                   ".classList.contains('pg-stacked') === (w < 600)", arg=width)
            layout = page.evaluate(_LAYOUT)
            # 7 features + 48 neurons + 6 outputs, their labels and 54 bias squares, and each layer's controls
            assert layout["parts"] >= 7 + 48 + 6 + 13 + 54 + 6 * 4, layout
            assert not layout["overlaps"] and not layout["outside"], (width, layout)
            assert layout["page"][0] <= layout["page"][1] and layout["network"][0] <= layout["network"][1], layout
            assert layout["plotHeight"] >= 120, layout  # the loss chart's plotting area, not counting its axes
        assert page.locator(".pg-layer-row").count() == 0  # the wide screen has the controls above the columns
        hint = page.inner_text("#pg-network-hint")
        assert "Tap or click a feature" in hint and "hover" not in hint.lower()
        session.assert_clean()
    finally:
        session.context.close()


def test_switching_off_the_last_feature_is_refused_in_a_message_that_stays(pg_page):
    page = pg_page.page
    go(pg_page, "seed=16&x=true&y=false")
    page.click(".pg-node[data-node=x]")
    page.wait_for_function("document.getElementById('pg-message').textContent.includes('only input feature')")
    assert page.inner_text("#pg-message").startswith("X₁ is the only input feature switched on, so it stays on")
    assert "pg-off" not in page.get_attribute(".pg-node[data-node=x]", "class") and "x=true" in page.url
    # Pointing at a neuron afterwards (its map shows large) leaves the refusal on screen.
    page.hover(".pg-node[data-node=h1_0]")
    page.wait_for_selector("#pg-heatmap[data-node=h1_0]")
    assert page.is_visible("#pg-message") and "only input feature" in page.inner_text("#pg-message")
    pg_page.assert_clean()
