#!/usr/bin/env python
"""The import hook's own cost per module, in one bare process, with a plain
import beside it (info: the kernel rows of ``run.py`` hold the target).

A kernel row times 20,000 imports through a real kernel, where a second or
two of a slower machine weighs as much as the hook itself.  Here one process
imports packages of 100 tiny modules (each with a valid ``.pyc``, as after a
``pip install`` or an earlier session) and switches the hook on and off
package by package, so both sides meet the same machine at the same moments.
Each round is done twice, the hook on the even packages and then on the odd
ones, in two fresh interpreters, after one package more imported with the
hook (what it sets up once, inotify and its own imports, is not per module), and times the CPU of the importing thread
(``time.thread_time``: time the hypervisor gives to others is not counted).

    python benchmarks/import_hook.py [--packages 100] [--rounds 3] [--kernel]

``--kernel`` does the same inside running ``python-autoreload`` kernels (one
per round and parity, started with jupyter_client): the cell that imports
switches the kernel's own hook, so what the kernel does around an import (the
change finder's record of each module, its directory watch) is timed too.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from _stats import median  # noqa: E402
from _synth import MOD_FMT, MODULES_PER_PKG, PKG_FMT, write_synthetic_packages  # noqa: E402

#: import every package, the hook on where ``index % 2 == _odd`` (``_root``,
#: ``_packages`` and ``_odd`` are set before it, and the engine's hook is
#: set up; ``_place`` is its change finder's placing of the modules the hook
#: kept, timed with them); leaves the µs per module of each side, and the
#: modules the hook kept, in ``_bench_out``
TIMED = r"""
import importlib as _il, sys as _sys, time as _time
_sys.path.insert(0, _root)
from autoreload_kernel import sources as _src
SETUP
_store = _src._active
for _m in range(PER):  # what the hook sets up once (inotify, its imports) is not per module
    _il.import_module(NAME.format(_packages, _m))
_spent = {"plain": 0, "hook": 0}
for _p in range(_packages):
    _side = "hook" if _p % 2 == _odd else "plain"
    _src._active = _store if _side == "hook" else None
    _t = _time.thread_time_ns()
    for _m in range(PER):
        _il.import_module(NAME.format(_p, _m))
    if _side == "hook":
        _place()  # what the next check does for the modules the hook kept
    _spent[_side] += _time.thread_time_ns() - _t
_src._active = _store
_bench_out = {k: v / (_packages // 2 * PER) / 1000 for k, v in _spent.items()}
# the modules the hook kept: its side's (and the warm-up's), none of the other's
_bench_out["kept"] = sum(1 for n in _store.kept if "." in n and n.split(".")[0][:4] == "bsyn")
""".replace("PER", str(MODULES_PER_PKG)).replace("NAME", repr(f"{PKG_FMT}.{MOD_FMT}"))

#: one bare interpreter, with the engine set up as the kernel sets it up
CHILD = (
    "import json, sys\n_root, _packages, _odd = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])"
    + TIMED.replace("SETUP", "from autoreload_kernel.engine import Reloader\n"
                             "reloader = Reloader(shell=None, prepare=False)\n"
                             "reloader.start()\nreloader.check()\n"
                             "_place = reloader.finder.place_kept_new")
    + "reloader.check()\nprint(json.dumps(_bench_out))\n"
)
#: a cell in a running kernel, whose engine set the hook up
KERNEL_CELL = TIMED.replace("SETUP", "_place = get_ipython().kernel.reloader.finder.place_kept_new")


def _in_process(root: str, packages: int, odd: int) -> dict:
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    out = subprocess.run([sys.executable, "-c", CHILD, root, str(packages), str(odd)],
                         check=True, capture_output=True, text=True, env=env).stdout
    return json.loads(out)


def _in_kernel(root: str, packages: int, odd: int) -> dict:
    from _kernel import Kernel, kernel_env

    with tempfile.TemporaryDirectory(prefix="ark-hook-k-") as tmp:
        env = kernel_env(os.environ, os.path.join(tmp, "ipython"))
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        kernel = Kernel("python-autoreload", tmp, env, os.path.join(tmp, "kernel.log"))
        kernel.start()
        try:
            kernel.run(f"_root, _packages, _odd = {root!r}, {packages}, {odd}\n" + KERNEL_CELL)
            return kernel.query("_bench_out")
        finally:
            kernel.shutdown()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--packages", type=int, default=100, help="packages of 100 modules (even)")
    ap.add_argument("--rounds", type=int, default=3, help="pairs of interpreters")
    ap.add_argument("--kernel", action="store_true",
                    help="inside python-autoreload kernels instead of bare interpreters")
    args = ap.parse_args()
    packages = args.packages + args.packages % 2
    rows = []
    with tempfile.TemporaryDirectory(prefix="ark-hook-") as root:
        write_synthetic_packages(root, packages + 1)  # the last one warms the hook up
        measure = _in_kernel if args.kernel else _in_process
        for r in range(args.rounds):
            for odd in (0, 1):
                got = measure(root, packages, odd)
                expected = (packages // 2 + 1) * MODULES_PER_PKG
                if got["kept"] != expected:
                    raise SystemExit(f"the hook kept {got['kept']} modules, not {expected}")
                rows.append((r, odd, got["plain"], got["hook"]))
    where = "inside python-autoreload kernels" if args.kernel else "in bare interpreters"
    print(f"Importing {packages * MODULES_PER_PKG:,} tiny user modules (valid .pyc) {where}, "
          "CPU µs per module, hook on half the packages, off on the other half:\n")
    print("| Round | Hook on | Plain | With the hook | Ratio |")
    print("|---|---|---|---|---|")
    for r, odd, plain, hook in rows:
        print(f"| {r + 1} | {'odd' if odd else 'even'} packages | {plain:.1f} | {hook:.1f} | "
              f"{hook / plain:.3f}x |")
    ratios = [hook / plain for _, _, plain, hook in rows]
    extra = [hook - plain for _, _, plain, hook in rows]
    print(f"| median | | {median([p for *_, p, _ in rows]):.1f} | "
          f"{median([h for *_, h in rows]):.1f} | {median(ratios):.3f}x |")
    print(f"\nThe hook's cost: {median(extra):+.1f} µs per module (median of {len(rows)}), "
          f"ratio {min(ratios):.3f}x to {max(ratios):.3f}x.  (info; the target, ≤ 1.05x, is "
          "the kernel row of run.py)")
    # Some packages import faster than others whichever side they are on (by
    # their place in the order); both parities of a round hook each package
    # once and leave it plain once, so their sums compare the same packages.
    paired = [(rows[i][3] + rows[i + 1][3]) / (rows[i][2] + rows[i + 1][2])
              for i in range(0, len(rows) - 1, 2)]
    print("Per round, every package hooked against the same packages plain (both parities): "
          + ", ".join(f"{r:.3f}x" for r in paired) + f"; median {median(paired):.3f}x.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
