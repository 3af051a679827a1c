"""CI's smoke run of the benchmark: it must run, compare all three kernels, and reload.

Times are not judged here (a shared CI machine is too noisy, and the targets
live in benchmarks/run.py's full run); what must hold is that every
configuration starts, that the two reloaders picked up every timed edit the
quick run made (the counts in the table's edit rows, read back from each
kernel), and that plain ipykernel picked up none.
"""

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _cells(row: str) -> list[str]:
    """The A, B and C cells of a table row."""
    return [c.strip() for c in row.strip().strip("|").split("|")][1:4]


def _seen(text: str) -> tuple[int, int]:
    """(seen, edits) from a cell that says "n/m seen"."""
    m = re.search(r"(\d+)/(\d+) seen", text)
    assert m, f"no edit count in {text!r}"
    return int(m.group(1)), int(m.group(2))


def test_quick_benchmark_runs_all_three_configurations():
    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "run.py"), "--quick"],
        cwd=ROOT, capture_output=True, text=True, timeout=900,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = proc.stdout
    header = next(line for line in out.splitlines() if line.startswith("| Measurement"))
    for config in ("A: plain", "B: `%autoreload 2`", "C: `python-autoreload`"):
        assert config in header
    assert "Empty cell (`pass`) round trip" in out
    # the import-cost target: fresh kernels of both kinds imported every module
    fresh = next(line for line in out.splitlines() if "fresh kernels of each kind" in line)
    a, _, c = _cells(fresh)
    assert float(a) > 0 and float(c) > 0, fresh
    # and the first cell after their last import cell, the first-cell target
    first = next(line for line in out.splitlines() if line.startswith("| The same in the fresh"))
    a, _, c = _cells(first)
    assert float(a) > 0 and float(c) > 0, first
    assert "C: python-autoreload: one-off probe edit picked up." in out
    assert "B: %autoreload 2: one-off probe edit picked up." in out
    assert "A: plain: one-off probe edit not picked up" in out
    edit_rows = [line for line in out.splitlines()
                 if line.startswith("| Cell right after editing a 70-definition module")]
    assert len(edit_rows) >= 3, out  # one def (small and big heap), every def
    for row in edit_rows:
        (a_seen, a_n), (b_seen, b_n), (c_seen, c_n) = map(_seen, _cells(row))
        assert a_n >= 1 and a_seen == 0, row  # plain never reloads
        assert b_n >= 1 and b_seen == b_n, row
        assert c_n >= 1 and c_seen == c_n, row  # the kernel saw every edit
    # the in-process engine rows: the engine reloaded every edit it was given
    engine_rows = [line for line in out.splitlines() if line.startswith("| Engine in process")]
    assert len(engine_rows) >= 3, out
    for row in engine_rows:
        seen, n = _seen(_cells(row)[2])
        assert n >= 1 and seen == n, row


def test_import_hook_benchmark_runs_with_the_hook_on_half_the_packages():
    # the script itself checks that the hook kept exactly its side's modules
    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "import_hook.py"), "--packages", "4",
         "--rounds", "1"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = [line for line in proc.stdout.splitlines() if line.startswith("| 1 |")]
    assert len(rows) == 2, proc.stdout
    for row in rows:
        plain, hook = (float(c) for c in _cells(row)[1:3])
        assert plain > 0 and hook > 0, row
    assert "µs per module" in proc.stdout and "both parities" in proc.stdout


def test_import_hook_benchmark_inside_a_kernel():
    # the same switch inside python-autoreload kernels (the kept count is checked too)
    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "import_hook.py"), "--packages", "2",
         "--rounds", "1", "--kernel"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "inside python-autoreload kernels" in proc.stdout, proc.stdout
    rows = [line for line in proc.stdout.splitlines() if line.startswith("| 1 |")]
    assert len(rows) == 2, proc.stdout
    for row in rows:
        plain, hook = (float(c) for c in _cells(row)[1:3])
        assert plain > 0 and hook > 0, row


def test_kernels_take_turns_after_every_other_kernel_equally_often():
    """The order of the kernels in the timed loops: over a cycle of rounds,
    read back to back, each kernel runs right after each other kernel exactly
    once (a plain rotation would always put the same kernel after B)."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        from turns import turn_order
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    for n in (2, 3, 4):
        kernels = list("ABCD"[:n])
        cycle = [turn_order(kernels, r) for r in range(n - 1)]
        assert all(sorted(order) == kernels for order in cycle)
        flat = [k for order in cycle for k in order]
        successions = list(zip(flat, flat[1:] + flat[:1]))
        assert sorted(successions) == sorted(
            (a, b) for a in kernels for b in kernels if a != b), cycle
        assert turn_order(kernels, n - 1) == cycle[0]
