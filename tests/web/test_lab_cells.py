"""The code lab's cells (web/lab/cells/*.py) run natively with the documented Keras API and teach true things."""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
from pathlib import Path

import numpy as np
import pytest

from tests.site import ROOT
from tests.learning import assert_at_least, assert_below

LAB = ROOT / "web" / "lab"
CELLS = json.loads((LAB / "cells.json").read_text())


def test_cells_json_lists_every_cell_file_once():
    listed = [cell["file"] for cell in CELLS]
    on_disk = sorted(p.relative_to(LAB).as_posix() for p in (LAB / "cells").glob("*.py"))
    assert sorted(listed) == on_disk and len(set(listed)) == len(listed)
    for cell in CELLS:
        assert cell["title"] and cell["teaches"] and re.fullmatch(r"[a-z-]+", cell["id"])


@pytest.fixture(scope="module")
def lab_run(tmp_path_factory):
    """Run every cell in order in one namespace (as the page does), from a scratch folder; keep each output."""
    workdir = tmp_path_factory.mktemp("lab")
    namespace, outputs = {"__name__": "__lab__"}, {}
    previous = Path.cwd()
    os.chdir(workdir)
    try:
        for cell in CELLS:
            source = (LAB / cell["file"]).read_text()
            captured = io.StringIO()
            with contextlib.redirect_stdout(captured):
                exec(compile(source, cell["file"], "exec"), namespace)
            outputs[cell["id"]] = captured.getvalue()
    finally:
        os.chdir(previous)
    return namespace, outputs, workdir


def test_tensor_cell_checks_broadcast_gradients(lab_run):
    _, outputs, _ = lab_run
    assert "gradients match the hand-derived formulas" in outputs["tensors"]


def test_digits_cell_trains_a_model_that_reads_digits(lab_run):
    namespace, outputs, _ = lab_run
    accuracy = float(re.search(r"test accuracy: ([0-9.]+)", outputs["digits"]).group(1))
    assert_at_least(accuracy, 0.93, "digits cell: test accuracy")
    assert len(namespace["history"].history["loss"]) > 0


def test_regression_cell_gets_close_to_the_noise_floor(lab_run):
    _, outputs, _ = lab_run
    first, last = map(float, re.search(r"first epoch ([0-9.]+), last epoch ([0-9.]+)", outputs["regression"]).groups())
    assert_below(last, 0.1 * first, "regression cell: last loss vs 0.1 x first")
    assert_below(last, 2.0, "regression cell: last loss")


def test_save_load_cell_writes_the_file_the_download_button_offers(lab_run):
    namespace, outputs, workdir = lab_run
    assert "restored model gives the same predictions: True" in outputs["save-load"]
    download = next(cell["download"] for cell in CELLS if cell.get("download"))
    from pydl import models

    restored = models.load_model(workdir / download)
    x_test = namespace["x_test"]
    np.testing.assert_allclose(restored.predict(x_test), namespace["digits_model"].predict(x_test))


def _accuracy(label, output):
    return float(re.search(rf"{re.escape(label)}:\s+([0-9.]+)", output).group(1))


def test_functional_cell_merges_two_image_halves_and_the_second_half_pays_off(lab_run):
    namespace, outputs, _ = lab_run
    output = outputs["functional"]
    assert "merged (Concatenate)" in output and "top_dense[0][0], bottom_dense[0][0]" in output  # the summary's graph
    both = _accuracy("test accuracy, top and bottom halves", output)
    top_only = _accuracy("test accuracy, top half only", output)
    assert_at_least(both, 0.9, "functional cell: both halves")
    assert_at_least(both - top_only, 0.03, "functional cell: both halves minus top half only")
    # The printed mistake is the top-only model's most frequent one, and both halves make it less often.
    times, still = map(int, re.search(r"taken for \d: (\d+) times; with both halves: (\d+)", output).groups())
    assert still < times, output
    assert len(namespace["two_input_model"].inputs) == 2


def test_lstm_cell_reads_rows_in_order_and_a_simple_rnn_keeps_up_on_eight_steps(lab_run):
    namespace, outputs, _ = lab_run
    output = outputs["lstm"]
    lstm, rnn = _accuracy("LSTM test accuracy", output), _accuracy("SimpleRNN test accuracy", output)
    assert_at_least(lstm, 0.85, "lstm cell: LSTM")
    assert_at_least(rnn, 0.85, "lstm cell: SimpleRNN")
    assert abs(lstm - rnn) <= 0.03, "the cell says the plain loop keeps up on eight steps"
    assert _accuracy("rows fed bottom-up", output) < lstm - 0.2, "the cell says the order of the rows matters"
    weights = float(re.search(r"costs ([0-9.]+)x the weights", output).group(1))
    assert weights == round(namespace["lstm_model"].count_params() / namespace["rnn_model"].count_params(), 1) > 3
    from pydl import layers

    assert isinstance(namespace["lstm_model"].layers[0], layers.LSTM)


def test_words_cell_embedding_learns_good_and_bad_words_from_labels_alone(lab_run):
    namespace, outputs, _ = lab_run
    output = outputs["words"]
    assert re.search(r"the most frequent: \[\('\w+', 1\), \('\w+', 2\)", output), output
    padded = namespace["train_x"][0].tolist()
    assert f"-> {padded}" in output and len(padded) == namespace["maxlen"] and padded[0] == 0, output
    accuracy, baseline = map(float, re.search(
        r"held-out accuracy: ([0-9.]+) \(majority baseline: ([0-9.]+)\)", output).groups())
    assert baseline == 0.5, output
    assert_at_least(accuracy, baseline + 0.3, "words-to-vectors cell: accuracy vs baseline + 0.3")
    # The two editable reviews: the friendly one reads as good, the rude one as bad.
    good_review, bad_review = map(float, re.findall(r"P\(good\) = ([0-9.]+)", output))
    assert good_review > 0.5 > bad_review, output
    # Each listed word mostly comes from training reviews of its side (the network saw only labels).
    listed = {side: re.search(rf"towards {side}:\s+(.+)", output).group(1).split(", ") for side in ("good", "bad")}
    training = [(text.replace(",", "").split(), label) for text, label, out in
                zip(namespace["texts"], namespace["labels"], namespace["held_out"]) if not out]

    def leans(word):
        in_good = sum(word in words for words, label in training if label == 1)
        in_bad = sum(word in words for words, label in training if label == 0)
        return "good" if in_good > in_bad else "bad" if in_bad > in_good else "neither"

    for side, words in listed.items():
        assert len(words) == 8 and not set(words) & set(listed["bad" if side == "good" else "good"])
        assert sum(leans(word) == side for word in words) >= 6, (side, words)
    assert {"great", "delicious", "lovely", "friendly", "perfect"} & set(listed["good"]), output
    assert {"rude", "cold", "stale", "awful", "slow", "dirty"} & set(listed["bad"]), output


def _generated(output):
    """{temperature: (sample, words not in the text, words)} from the generate cell's printout."""
    found = re.findall(r"temperature ([0-9.]+): (.*)\n\s+(\d+) of (\d+) words are not in the text", output)
    return {float(t): (sample, int(new), int(words)) for t, sample, new, words in found}


def test_generate_cell_writes_the_text_when_cold_and_invents_words_when_hot(lab_run):
    namespace, outputs, _ = lab_run
    output = outputs["generate"]
    generated = _generated(output)
    assert sorted(generated) == [0.2, 0.5, 1.0, 1.5], output
    start, text = namespace["start"], namespace["text"]
    known = set(re.findall(r"[a-z']+", text))
    for temperature, (sample, new, words) in generated.items():
        assert sample == start + namespace["samples"][temperature] and len(sample) == len(start) + 80
        counted = re.findall(r"[a-z']+", namespace["samples"][temperature])[:-1]
        assert (new, words) == (sum(word not in known for word in counted), len(counted)) and words >= 8
    cold_new, cold_words = generated[0.2][1:]
    hot_new, hot_words = generated[1.5][1:]
    assert cold_new / cold_words <= 0.2, output  # cold: the words of the text
    assert hot_new / hot_words >= 0.3 and hot_new / hot_words > cold_new / cold_words, output  # hot: new ones
    # Seeded: the same start and temperature write the same text again.
    assert namespace["generate"](start, 0.2) == namespace["samples"][0.2]


def test_generate_cells_sample_function_reweights_probabilities_by_temperature(lab_run):
    namespace, _, _ = lab_run
    sample = namespace["sample"]
    probabilities = np.array([0.6, 0.3, 0.1])
    rng = np.random.default_rng(1)
    assert {sample(probabilities, 0.05, rng) for _ in range(200)} == {0}  # very cold: always the favourite
    for temperature, expected in ((1.0, probabilities), (1e6, np.full(3, 1 / 3))):  # 1: as is; very hot: uniform
        draws = np.bincount([sample(probabilities, temperature, rng) for _ in range(4000)], minlength=3) / 4000
        np.testing.assert_allclose(draws, expected, atol=0.03)


def test_kfold_cell_prints_fold_scores_their_spread_and_the_best_epoch_of_the_mean_curve(lab_run):
    namespace, outputs, _ = lab_run
    output = outputs["kfold"]
    folds = re.findall(r"fold (\d): trained on (\d+), validated on (\d+), accuracy ([0-9.]+)", output)
    assert [int(fold) for fold, *_ in folds] == [1, 2, 3, 4], output
    assert all(int(train) + int(val) == 100 for _, train, val, _ in folds)
    assert sum(int(val) for _, _, val, _ in folds) == 100  # every example validated exactly once
    scores = [float(score) for *_, score in folds]
    np.testing.assert_allclose(scores, namespace["fold_scores"], atol=5e-4)
    # The printed mean and spread are those of the printed fold scores; the folds do disagree.
    mean, spread = map(float, re.search(r"K-fold accuracy: ([0-9.]+) \+- ([0-9.]+)", output).groups())
    assert abs(mean - np.mean(namespace["fold_scores"])) < 5e-4 and abs(spread - np.std(namespace["fold_scores"])) < 5e-4
    assert spread > 0, output
    low, high = map(float, re.search(r"anything from ([0-9.]+) to ([0-9.]+)", output).groups())
    assert (low, high) == (min(scores), max(scores)) and low < high
    holdout = float(re.search(r"one hold-out split: validation accuracy ([0-9.]+)", output).group(1))
    assert abs(holdout - namespace["holdout_score"]) < 5e-4 and 0 < holdout <= 1
    # The mean curve is the epoch-by-epoch average of the four folds' validation losses; its best epoch is
    # where it is lowest, before the last epoch (the curve rises again as the models overfit).
    curves = np.array(namespace["fold_curves"])
    assert curves.shape == (4, namespace["epochs"])
    np.testing.assert_allclose(namespace["mean_curve"], curves.mean(axis=0))
    for epoch, loss in re.findall(r"epoch\s+(\d+): mean validation loss ([0-9.]+)", output):
        assert abs(float(loss) - curves.mean(axis=0)[int(epoch) - 1]) < 5e-4
    best, picks = re.search(r"best epoch by the average curve: (\d+); each fold alone would pick (\[.*\])", output).groups()
    best_epoch = int(np.argmin(curves.mean(axis=0))) + 1
    assert int(best) == namespace["best_epoch"] == best_epoch < namespace["epochs"], output
    assert json.loads(picks) == [int(np.argmin(curve)) + 1 for curve in curves]
    assert namespace["mean_curve"][-1] > namespace["mean_curve"][best_epoch - 1]
    final = float(re.search(rf"final model, {best_epoch} epochs on all 100: test accuracy ([0-9.]+)", output).group(1))
    assert_at_least(final, 0.8, "k-fold cell: final model")


def test_ensemble_cell_averages_members_and_beats_the_mean_member(lab_run):
    namespace, outputs, _ = lab_run
    output = outputs["ensemble"]
    labels = datasets_test_labels()
    printed = [float(a) for a in re.findall(r"member .+?test accuracy ([0-9.]+)", output)]
    accuracies = [float(np.mean(p.argmax(axis=1) == labels)) for p in namespace["member_probabilities"]]
    assert len(printed) == len(namespace["members"]) == 5
    np.testing.assert_allclose(printed, accuracies, atol=5e-4)
    mean, best = map(float, re.search(r"members: mean ([0-9.]+), best ([0-9.]+)", output).groups())
    assert abs(mean - np.mean(accuracies)) < 5e-4 and abs(best - max(accuracies)) < 5e-4
    # The ensemble is the argmax of the averaged probabilities, and it is at least as good as the average member.
    averaged = np.mean(namespace["member_probabilities"], axis=0)
    ensemble = float(np.mean(averaged.argmax(axis=1) == labels))
    assert abs(_accuracy("ensemble (averaged probabilities)", output) - ensemble) < 5e-4
    assert ensemble >= np.mean(accuracies), output
    assert_at_least(ensemble, 0.85, "ensemble cell: ensemble accuracy")
    # Disagreements: printed count matches; where all members agree, the ensemble gives their answer.
    guesses = np.array([p.argmax(axis=1) for p in namespace["member_probabilities"]])
    disagree = (guesses != guesses[0]).any(axis=0)
    count, total = map(int, re.search(r"disagree on (\d+) of (\d+) test digits", output).groups())
    assert (count, total) == (int(disagree.sum()), len(labels)) and 0 < count < total
    assert (averaged.argmax(axis=1)[~disagree] == guesses[0][~disagree]).all()
    member_right, ensemble_right = map(float, re.search(
        r"a member is right ([0-9.]+)% of the time, the ensemble ([0-9.]+)%", output).groups())
    assert abs(member_right / 100 - np.mean(guesses[:, disagree] == labels[disagree])) < 5e-4
    assert abs(ensemble_right / 100 - np.mean(averaged.argmax(axis=1)[disagree] == labels[disagree])) < 5e-4
    # Cross-entropy of the average never exceeds the members' mean (log is concave).
    ensemble_loss, members_loss = map(float, re.search(
        r"cross-entropy: ensemble ([0-9.]+), members' mean ([0-9.]+)", output).groups())
    assert ensemble_loss <= members_loss, output


def datasets_test_labels():
    from pydl import datasets

    return datasets.load_digits()[1][1]
