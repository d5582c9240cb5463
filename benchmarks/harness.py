"""Timing, tables and targets; standard library only, so it runs inside Pyodide too.

Timings on a shared machine are noisy. Every contender of a case is therefore timed in the same process,
interleaved (round r starts with contender r mod n), many times, and only medians and ratios of medians are
reported: a load spike then hits every contender alike instead of one of them.
"""

from __future__ import annotations

import gc
import statistics
import time

# (label, case, numerator, denominator, limit): "numerator's median <= limit x denominator's median".
TARGETS = [
    ("MLP step: pydl Sequential <= 1.15x NumPy", "mlp", "pydl_sequential", "numpy", 1.15),
    ("MLP step: pydl Sequential <= 1.3x PyTorch", "mlp", "pydl_sequential", "torch", 1.3),
    ("MLP step: pydl Tensor loop <= 1.15x NumPy", "mlp", "pydl_tensor", "numpy", 1.15),
    ("MLP step: pydl Tensor loop <= 1.3x PyTorch", "mlp", "pydl_tensor", "torch", 1.3),
    ("Convnet step: pydl <= 1.6x PyTorch", "convnet", "pydl_sequential", "torch", 1.6),
    ("LSTM step: pydl <= 1.3x PyTorch", "lstm", "pydl_sequential", "torch", 1.3),
    ("GRU step: pydl <= 1.3x PyTorch", "gru", "pydl_sequential", "torch", 1.3),
    ("SimpleRNN step: pydl <= 1.3x PyTorch", "simple_rnn", "pydl_sequential", "torch", 1.3),
    ("Convnet step (layers loop): pydl <= 1.6x PyTorch", "convnet", "pydl_layers", "torch", 1.6),
    ("Autograd overhead per small op <= 2x PyTorch", "chain", "pydl", "torch", 2.0),
]


CLOCKS = {
    "wall": time.perf_counter,
    # CPU seconds of this process: time spent waiting for a core held by someone else is not counted, so on a
    # busy machine it is much steadier. It adds up the CPU time of every thread, so use it with --threads 1.
    "cpu": time.process_time,
}


def calibrate(step, budget_s: float, clock=time.perf_counter) -> int:
    """How many calls of ``step`` fill about ``budget_s`` seconds (at least one)."""
    t0 = clock()
    step()
    elapsed = clock() - t0
    return max(1, int(budget_s / max(elapsed, 1e-7)))


def measure(steps: dict, repeats: int = 15, sample_s: float = 0.05, warmup: int = 3, clock=time.perf_counter) -> dict:
    """Seconds per call of each step: ``{name: [one value per round]}``, rounds interleaved across steps."""
    for step in steps.values():
        for _ in range(warmup):
            step()
    numbers = {name: calibrate(step, sample_s, clock) for name, step in steps.items()}
    names = list(steps)
    samples = {name: [] for name in names}
    gc.collect()
    for r in range(repeats):
        for name in names[r % len(names):] + names[:r % len(names)]:
            step, number = steps[name], numbers[name]
            t0 = clock()
            for _ in range(number):
                step()
            samples[name].append((clock() - t0) / number)
    return samples


def summarize(samples: dict, per: int = 1) -> dict:
    """Median, quartiles and the raw samples in milliseconds (divided by ``per``: ms per op for the chain)."""
    out = {}
    for name, values in samples.items():
        ms = sorted(v * 1e3 / per for v in values)
        # "inclusive" keeps the quartiles within the samples; the default extrapolates past them (negative on 2 samples)
        q = statistics.quantiles(ms, n=4, method="inclusive") if len(ms) > 1 else [ms[0]] * 3
        out[name] = {"median_ms": statistics.median(ms), "q1_ms": q[0], "q3_ms": q[2], "n": len(ms),
                     "samples_ms": [round(v, 6) for v in ms]}
    return out


def ratios(summary: dict) -> dict:
    """Every contender's median over every other's: ``{"a/b": x}``."""
    names = list(summary)
    return {f"{a}/{b}": summary[a]["median_ms"] / summary[b]["median_ms"] for a in names for b in names if a != b}


def check_targets(results: dict, targets=TARGETS) -> list:
    """The targets whose contenders were both measured, with the ratio and whether it is met (never raises)."""
    checked = []
    for label, case, num, den, limit in targets:
        summary = results.get(case, {}).get("contenders", {})
        if num in summary and den in summary:
            ratio = summary[num]["median_ms"] / summary[den]["median_ms"]
            checked.append({"target": label, "ratio": ratio, "limit": limit, "met": ratio <= limit})
    return checked


def format_table(results: dict, units: dict | None = None) -> str:
    """A plain-text table: one row per contender, median, quartiles, and ratio to every other contender."""
    lines = []
    for case, result in results.items():
        summary = result["contenders"]
        unit = (units or {}).get(case, "ms/step")
        lines.append(f"\n{case}  ({result.get('description', '')})")
        lines.append(f"  {'contender':<18}{'median':>11}{'q1':>10}{'q3':>10}  {unit:<9} ratios (median / median)")
        for name, s in summary.items():
            rel = "  ".join(f"{name}/{other}={s['median_ms'] / o['median_ms']:.2f}"
                            for other, o in summary.items() if other != name)
            lines.append(f"  {name:<18}{s['median_ms']:>11.4f}{s['q1_ms']:>10.4f}{s['q3_ms']:>10.4f}  "
                         f"{'':<9} {rel}")
    return "\n".join(lines)


def format_targets(checked: list) -> str:
    lines = ["\nTargets (same machine, same run):"]
    for t in checked:
        unit = t.get("unit", "x")  # ratios are "x"; page loads report seconds and megabytes
        verdict = "info" if t["met"] is None else "met" if t["met"] else "MISSED"
        lines.append(f"  [{verdict:>6}] {t['target']}: {t['ratio']:.2f}{unit} "
                     f"(limit {t['limit']}{unit})")
    return "\n".join(lines)
