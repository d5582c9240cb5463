"""benchmarks/training.py: a short run on the built site's rnn page gives every field, and the summary's verdicts.

No timing is judged: the browser run checks that the report has its figures (long tasks, Pause delays, verdicts),
the other tests feed made-up samples to the summary and check its arithmetic and its met / NOT met.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.site import ROOT, built_dist, require

_path = list(sys.path)
sys.path.insert(0, str(ROOT / "benchmarks"))
try:
    import training
finally:
    sys.path[:] = _path  # training.py puts benchmarks/ on the path for its siblings: other tests must not see it


@pytest.mark.e2e
def test_two_seconds_of_the_rnn_page_training_report_long_tasks_and_pause_delays(tmp_path):
    try:
        import playwright  # noqa: F401
    except ImportError:
        require(False, "Playwright is not installed: pip install -e '.[test]'.")
    require(Path(training.browser.CHROMIUM).exists(), f"No Chromium at {training.browser.CHROMIUM}: apt-get install chromium.")
    dist = built_dist()
    out = tmp_path / "training.json"
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "training.py"), "--dist", str(dist),
                           "--pages", "web/rnn/index.html", "--seconds", "2", "--runs", "1", "--clicks", "2",
                           "--json", str(out)], capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    report = json.loads(out.read_text())
    assert list(report["summary"]) == ["rnn"] and report["seconds"] == 2 and len(report["rounds"]) == 1
    sample, row = report["rounds"][0]["rnn"], report["summary"]["rnn"]
    assert "error" not in sample, sample
    assert sample["observed_s"] >= 2 and sample["still_training"], sample
    assert sample["outside_requests"] == [] and sample["page_errors"] == []
    assert sample["long_tasks"] == len(sample["tasks_ms"]) and all(t >= 50 for t in sample["tasks_ms"])
    assert len(sample["pause_ms"]) == 2 and all(d is not None and d >= 0 for d in sample["pause_ms"]), sample
    assert row["rounds"] == 1 and row["errors"] == [] and row["pause_ms"] == sample["pause_ms"]
    assert isinstance(row["long_task_met"], bool) and isinstance(row["pause_met"], bool)
    report_lines = proc.stdout.split("\nwhile training (2 s a page", 1)[1].splitlines()
    line = next(line for line in report_lines if line.strip().startswith("rnn "))
    assert "long tasks, longest" in line and "blocked" in line and "Pause" in line
    assert line.count("met]") == 2, line


def test_the_summary_takes_medians_and_judges_against_100_and_200_ms():
    sample = lambda tasks, pauses, still=True: {**training.long_task_summary(tasks), "tasks_ms": tasks,  # noqa: E731
                                                "pause_ms": pauses, "still_training": still, "outside_requests": []}
    rounds = [{"a": sample([60.0, 80.0], [40.0, 300.0]), "b": sample([], [10.0])},
              {"a": sample([130.0], [250.0]), "b": sample([], [None], still=False)},
              {"a": {"error": "TimeoutError: page never ready"}, "b": sample([70.0], [20.0])}]
    summary = training.summarize(rounds)
    a, b = summary["a"], summary["b"]
    assert a["rounds"] == 2 and a["errors"] == ["TimeoutError: page never ready"]
    assert a["longest_ms"] == 105.0 and not a["long_task_met"]  # median of 80 and 130
    assert a["blocked_ms"] == 60.0 and a["long_tasks"] == 1.5  # medians of (10 + 30, 80) and of (2, 1)
    assert a["pause_median_ms"] == 250.0 and a["pause_worst_ms"] == 300.0 and not a["pause_met"]
    assert b["longest_ms"] == 0.0 and b["long_task_met"] and b["stopped_training"] == 1
    assert b["pause_median_ms"] is None and not b["pause_met"]  # a Pause that never showed fails the target
    verdicts = {t["target"]: t["met"] for t in training.targets(summary)}
    assert verdicts == {"a: longest main-thread task while training <= 100 ms": False,
                        "a: Pause click to paused <= 200 ms (median)": False,
                        "b: longest main-thread task while training <= 100 ms": True,
                        "b: Pause click to paused <= 200 ms (median)": False}
    report = training.format_report(summary, 8)
    assert "longest    105 ms [NOT met]" in report and "Pause 40, 300, 250 ms (median 250, worst 300) [NOT met]" in report
    assert "Pause 10, never, 20 ms (never paused) [NOT met]" in report
    assert "training ended inside the window in 1 round(s)" in report and "1 round(s) failed: TimeoutError" in report


def test_pages_are_chosen_by_path_or_name_and_an_unknown_one_is_refused():
    assert [r.name for r in training.choose(["web/generative/index.html"])] == ["generative GAN", "generative VAE"]
    assert [r.name for r in training.choose(["web/convnet/index.html"])] == ["convnet", "convnet (disk)"]
    assert [r.name for r in training.choose(["rnn"])] == ["rnn"]
    with pytest.raises(SystemExit, match="web/nope/index.html"):
        training.choose(["web/nope/index.html"])


def test_every_page_that_trains_has_a_recipe():
    trains = {"web/convnet/index.html", "web/generative/index.html", "web/lab/index.html",
              "web/playground/index.html", "web/rnn/index.html"}
    assert {r.path for r in training.RECIPES} == trains
    assert all((ROOT / r.path).exists() for r in training.RECIPES)
