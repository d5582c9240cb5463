"""Run a snippet in a fresh Python under an address-space cap and report its peak memory and what it raised.

Used by the hostile-file tests: a refusal must come before the allocation, so the child's peak resident memory
(``ru_maxrss``) stays near what the imports cost, and the cap turns any allocation the reader should not make into a
MemoryError the test sees (instead of a machine that swaps).
"""

import json
import os
import subprocess
import sys
import textwrap

_CHILD = r"""
import json, resource, sys, traceback
{imports}
imported = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
resource.setrlimit(resource.RLIMIT_AS, ({cap}, {cap}))
report = {{"imported_kib": imported, "error": None, "message": None}}
try:
{body}
except BaseException as error:  # the test decides which errors are right
    report["error"], report["message"] = type(error).__name__, str(error)
    report["traceback"] = traceback.format_exc()[-2000:]
report["peak_kib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print("REPORT " + json.dumps(report))
"""


def run_capped(body: str, cap_mib: int, imports: str = "import numpy as np", timeout: float = 120) -> dict:
    """Run ``body`` (after ``imports``, which run before the cap) with RLIMIT_AS at ``cap_mib`` MiB over what the
    imports mapped; returns {"error", "message", "imported_kib", "peak_kib"} (peaks from ``ru_maxrss``, in KiB)."""
    # The cap is on virtual memory, which NumPy's import alone maps ~150 MiB of: measure it in the child, then add.
    cap = f"(int(open('/proc/self/status').read().split('VmSize:')[1].split()[0]) + {cap_mib} * 1024) * 1024"
    script = _CHILD.format(imports=imports, cap=cap, body=textwrap.indent(textwrap.dedent(body), "    "))
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}  # each BLAS thread maps a stack
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=timeout, env=env)
    lines = [line for line in done.stdout.splitlines() if line.startswith("REPORT ")]
    assert lines, f"the child died without a report (exit {done.returncode}):\n{done.stderr[-3000:]}"
    report = json.loads(lines[-1][len("REPORT "):])
    report["growth_mib"] = (report["peak_kib"] - report["imported_kib"]) / 1024
    return report
