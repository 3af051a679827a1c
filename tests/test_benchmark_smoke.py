"""CI's smoke run of the benchmark: it must run and compare all three kernels.

Times are not judged here (a shared CI machine is too noisy, and the targets
live in benchmarks/run.py's full run); what must hold is that every
configuration starts and that the two reloaders see the probe edit.
"""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_quick_benchmark_runs_all_three_configurations():
    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "run.py"), "--quick"],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = proc.stdout
    header = next(line for line in out.splitlines() if line.startswith("| Measurement"))
    for config in ("A: plain", "B: `%autoreload 2`", "C: `python-autoreload`"):
        assert config in header
    assert "Empty cell (`pass`) round trip" in out
    assert "Cell right after editing a 70-definition module" in out
    assert "C: python-autoreload: one-off probe edit picked up." in out
    assert "B: %autoreload 2: one-off probe edit picked up." in out
    assert "A: plain: one-off probe edit not picked up" in out
