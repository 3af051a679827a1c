"""Importing the user's modules in fresh kernels, many of each kind: the
import-cost target.

Two identical plain kernels importing the same 20,000 modules land far apart
on this machine, from one process to the next (A′/A of the import row in the
long-lived kernels read 0.82x to 1.08x in ten full runs): a single kernel of
each kind cannot resolve a 1.05x target.  So this phase starts ``pairs``
fresh pairs, one plain kernel and one python-autoreload kernel, one pair at a
time.  The two take turns cell by cell, and which goes first alternates from
pair to pair.  The row compares the means; the spread of the pairs' own
ratios says how far that can be trusted.
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
    configurations, and the first cell after the last import cell, in ms, to
    ``cfg.data["fresh_first_cell_ms"]``."""
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
            first = [0.0] * len(order)
            for n, code in enumerate(cells):
                for j, k in enumerate(kernels):
                    spent[j] += k.run(code)
                    if n == len(cells) - 1:
                        # The first cell after, sent as soon as the import cell
                        # replied (as nbclient does): a reloader that indexes the
                        # new modules pays there, or between the two.
                        first[j] = k.run("pass")
                        spent[j] += first[j]
        except KernelError as err:
            bench.notes.append(f"fresh import pair {i} failed: {str(err).splitlines()[0]}")
            continue
        finally:
            for k in kernels:
                k.shutdown()
        for cfg, secs, first_secs in zip(order, spent, first):
            cfg.data.setdefault("fresh_import_s", []).append(secs)
            cfg.data.setdefault("fresh_first_cell_ms", []).append(first_secs * 1000.0)
        log(f"   pair {i}: " + ", ".join(f"{c.label} {s:.2f} s" for c, s in zip(order, spent)))


def ratios(plain: list, ours: list) -> dict | None:
    """C against A: the means of each kind (``plain``, ``ours``) and their
    ``ratio``, and the pairs' own ratios (ours over plain, pair by pair):
    their ``low`` and ``high`` and the standard error of their mean (``se``),
    which says how far the row can be trusted."""
    n = min(len(plain), len(ours))
    if not n:
        return None
    per_pair = [c / a for a, c in zip(plain, ours)]
    mean = sum(per_pair) / n
    se = (sum((r - mean) ** 2 for r in per_pair) / (n - 1) / n) ** 0.5 if n > 1 else None
    a, c = sum(plain) / len(plain), sum(ours) / len(ours)
    return {"plain": a, "ours": c, "ratio": c / a,
            "low": min(per_pair), "high": max(per_pair), "se": se}
