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

    python benchmarks/import_hook.py [--packages 100] [--rounds 3]
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

#: one interpreter: import every package, the hook on where ``index % 2 == odd``
CHILD = r"""
import importlib, json, sys, time
root, packages, odd = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
sys.path.insert(0, root)
from autoreload_kernel import sources
from autoreload_kernel.engine import Reloader
reloader = Reloader(shell=None, prepare=False)
reloader.start()
reloader.check()
store = sources._active
for m in range(PER):  # what the hook sets up once (inotify, its imports) is not per module
    importlib.import_module(NAME.format(packages, m))
spent = {"plain": 0, "hook": 0}
clock = time.thread_time_ns
for p in range(packages):
    side = "hook" if p % 2 == odd else "plain"
    sources._active = store if side == "hook" else None
    start = clock()
    for m in range(PER):
        importlib.import_module(NAME.format(p, m))
    spent[side] += clock() - start
sources._active = store
# the modules the hook kept: its side's (and the warm-up's), none of the other's
kept = sum(1 for name in store.kept if "." in name and name.split(".")[0][:4] == "bsyn")
reloader.check()
out = {k: v / (packages // 2 * PER) / 1000 for k, v in spent.items()}
print(json.dumps(dict(out, kept=kept)))
""".replace("PER", str(MODULES_PER_PKG)).replace("NAME", repr(f"{PKG_FMT}.{MOD_FMT}"))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--packages", type=int, default=100, help="packages of 100 modules (even)")
    ap.add_argument("--rounds", type=int, default=3, help="pairs of interpreters")
    args = ap.parse_args()
    packages = args.packages + args.packages % 2
    rows = []
    with tempfile.TemporaryDirectory(prefix="ark-hook-") as root:
        write_synthetic_packages(root, packages + 1)  # the last one warms the hook up
        env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
        for r in range(args.rounds):
            for odd in (0, 1):
                out = subprocess.run([sys.executable, "-c", CHILD, root, str(packages), str(odd)],
                                     check=True, capture_output=True, text=True, env=env).stdout
                got = json.loads(out)
                expected = (packages // 2 + 1) * MODULES_PER_PKG
                if got["kept"] != expected:
                    raise SystemExit(f"the hook kept {got['kept']} modules, not {expected}")
                rows.append((r, odd, got["plain"], got["hook"]))
    print(f"Importing {packages * MODULES_PER_PKG:,} tiny user modules (valid .pyc), "
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
    return 0


if __name__ == "__main__":
    sys.exit(main())
