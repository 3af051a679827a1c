"""Importing the user's modules in fresh kernels, many of each kind: the
import-cost target.

Two identical plain kernels importing the same 20,000 modules land up to 7 %
apart on this machine, from one process to the next, in CPU time as much as
on the wall clock; a single kernel of each kind cannot resolve a 1.05x
target.  So this phase starts ``pairs`` fresh pairs, one plain kernel and one
python-autoreload kernel, one pair at a time.  The two take turns cell by
cell, and which goes first alternates from pair to pair.  The row compares
the sums.  The plain kernels, split into two halves, make the same comparison
between identical kernels: the noise that is left.
"""

from __future__ import annotations

import os

from _kernel import Kernel, KernelError
from _stats import log
from _synth import MODULES_PER_PKG, import_packages_code


def measure(bench, pairs: int, n_pkgs: int, chunk: int) -> None:
    """Time ``pairs`` fresh pairs importing ``n_pkgs`` packages each, ``chunk``
    packages a cell; the seconds of each kernel go to
    ``cfg.data["fresh_import_s"]`` of the plain and python-autoreload
    configurations."""
    cfgs = [c for c in bench.live(control=False) if c.key in ("plain", "python-autoreload")]
    if len(cfgs) != 2 or not n_pkgs:
        return
    log(f"importing {n_pkgs * MODULES_PER_PKG:,} user modules in {pairs} fresh pairs of kernels "
        "(plain, python-autoreload), taking turns cell by cell")
    cells = [import_packages_code(a, min(a + chunk, n_pkgs)) for a in range(0, n_pkgs, chunk)]
    for i in range(pairs):
        order = cfgs if i % 2 == 0 else cfgs[::-1]
        kernels = []
        try:
            for cfg in order:
                k = Kernel(cfg.kernel, bench.work, bench.env_for(cfg),
                           os.path.join(bench.logs, f"{cfg.key}-fresh-{i}.log"))
                kernels.append(k)
                k.start()
                k.run("pass")
            spent = [0.0] * len(order)
            for code in cells:
                for j, k in enumerate(kernels):
                    spent[j] += k.run(code)
            # the first cell after: a reloader that indexes new modules pays there
            for j, k in enumerate(kernels):
                spent[j] += k.run("pass")
        except KernelError as err:
            bench.notes.append(f"fresh import pair {i} failed: {str(err).splitlines()[0]}")
            continue
        finally:
            for k in kernels:
                k.shutdown()
        for cfg, secs in zip(order, spent):
            cfg.data.setdefault("fresh_import_s", []).append(secs)
        log(f"   pair {i}: " + ", ".join(f"{c.label} {s:.2f} s" for c, s in zip(order, spent)))


def ratios(plain: list, ours: list) -> tuple[float, float | None]:
    """(ours / plain, second half of the plain kernels / first half or None
    with one), over the means."""
    half = len(plain) // 2
    floor = sum(plain[half:]) / (len(plain) - half) / (sum(plain[:half]) / half) if half else None
    return (sum(ours) / len(ours)) / (sum(plain) / len(plain)), floor
