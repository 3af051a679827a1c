#!/usr/bin/env python
"""Soak: many edit-and-run cycles through one real python-autoreload kernel.

Each cycle saves the module with one kind of edit (a function body, a class
method, a constant, a def added, that def removed; every 50 cycles a syntax
error, fixed by the next cycle) and runs a cell that checks the new code is
what runs.  It reports, with PASS/MISS:

- RSS growth of the kernel over the run (target < 20 MB);
- the median cell time of the last 100 cycles against the first 100 (within 10 %);
- the engine's own bookkeeping (failure records, shown messages, kept
  statements, import records, suspects, ...), read from the kernel after
  cycle 99 and near the end: it must not grow with the number of edits.

Not part of CI's default run (1,000 cycles take a few minutes):

    python benchmarks/soak.py [--cycles 1000] [--json out.json]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _kernel import Kernel, KernelError, kernel_env  # noqa: E402
from _stats import log, median  # noqa: E402

MOD = "soak_mod"
EXPR_RSS_KB = "int([_l.split()[1] for _l in open('/proc/self/status') if _l.startswith('VmRSS:')][0])"

#: defined in the kernel once: sizes of the engine's state, each read defensively
SIZES_CELL = r'''
def _soak_sizes():
    import gc
    r = get_ipython().kernel.reloader
    def size(get):
        try:
            return get()
        except Exception:
            return -1
    return {
        "failure records": size(lambda: len(r.report.failures)),
        "shown-message keys": size(lambda: len(r.report._shown)),
        "history lines": size(lambda: len(r.report.history)),
        "baselines": size(lambda: len(r.store.baselines)),
        "kept statements of the module": size(lambda: len(r.store.baselines["soak_mod"].statements().stmts)),
        "import records": size(lambda: len(r.index._cache)),
        "suspected files": size(lambda: len(r.finder._suspects)),
        "watched modules": size(lambda: len(r.finder.watched)),
        "module attributes": size(lambda: len(vars(__import__("soak_mod")))),
        "functions in the heap": size(lambda: sum(type(o).__name__ == "function" for o in gc.get_objects())),
    }
'''

KINDS = ("function body", "class method", "constant", "def added", "def removed")


def render(state: dict) -> str:
    lines = ['"""Soak module."""', "", f"LIMIT = {state['limit']}", ""]
    for i in range(10):
        lines += ["", f"def f{i}(x=1):", f"    return x * {i} + {state['body'] if i == 0 else 0}", ""]
    lines += ["", "class C:", "    kind = 'soak'", "",
              "    def m(self):", f"        return {state['method']!r}", "",
              "    def other(self):", "        return f1()", ""]
    if state["extra"]:
        lines += ["", "def extra():", f"    return {state['extra']}", ""]
    return "\n".join(lines) + "\n"


def expected(state: dict) -> str:
    return repr((state["body"], state["method"], state["limit"], state["extra"] or None))


CELL = (f"_soak_r = ({MOD}.f0(0), _soak_obj.m(), {MOD}.LIMIT, "
        f"{MOD}.extra() if hasattr({MOD}, 'extra') else None)")


def write(path: str, text: str, last_ns: list) -> None:
    with open(path, "w") as fh:
        fh.write(text)
    st = os.stat(path)
    if st.st_mtime_ns <= last_ns[0]:  # coarse clocks: make the mtime move
        bumped = last_ns[0] + 1_000_000
        os.utime(path, ns=(bumped, bumped))
        st = os.stat(path)
    last_ns[0] = st.st_mtime_ns


def run(cycles: int, gap: float, kernel: str = "python-autoreload") -> dict:
    tmp = tempfile.mkdtemp(prefix="autoreload-soak-")
    work = os.path.join(tmp, "work")
    os.makedirs(work)
    path = os.path.join(work, MOD + ".py")
    state = {"limit": 0, "body": 0, "method": "m0", "extra": 0}
    last_ns = [0]
    write(path, render(state), last_ns)
    k = Kernel(kernel, work, kernel_env(os.environ, os.path.join(tmp, "ipython")),
               os.path.join(tmp, "kernel.log"))
    out = {"cycles": cycles, "times_ms": [], "kinds": [], "seen": 0, "syntax_errors": 0,
           "errors_reported": 0, "misses": []}
    try:
        k.start()
        k.run(f"import {MOD}\n_soak_obj = {MOD}.C()\n"
              + (SIZES_CELL if kernel == "python-autoreload" else "def _soak_sizes():\n    return {}\n"))
        out["rss_start_mb"] = k.query(EXPR_RSS_KB) / 1024
        for cycle in range(1, cycles + 1):
            broken = cycle % 50 == 0
            if broken:
                kind = "syntax error"
                write(path, render(state).replace("def f3(", "def f3((", 1), last_ns)
            else:
                kind = KINDS[cycle % len(KINDS)]
                if kind == "function body":
                    state["body"] = cycle
                elif kind == "class method":
                    state["method"] = f"m{cycle}"
                elif kind == "constant":
                    state["limit"] = cycle
                elif kind == "def added":
                    state["extra"] = cycle
                else:
                    state["extra"] = 0
                write(path, render(state), last_ns)
            if gap:
                time.sleep(gap)
            gc.disable()
            try:
                secs, content, outputs = k.execute(CELL, user_expressions={"r": "_soak_r"})
            finally:
                gc.enable()
            got = content.get("user_expressions", {}).get("r", {}).get("data", {}).get("text/plain")
            out["times_ms"].append(secs * 1000)
            out["kinds"].append(kind)
            if content.get("status") == "ok" and got == expected(state):
                out["seen"] += 1  # a broken save keeps the previous version running
            else:
                out["misses"].append((cycle, kind, got, expected(state)))
            if broken:
                out["syntax_errors"] += 1
                out["errors_reported"] += any("could not reload" in o for o in outputs)
            if cycle % 100 == 0:
                log(f"{kernel} cycle {cycle}: median of the last 100 cells "
                    f"{median(out['times_ms'][-100:]):.2f} ms")
            # state read after cycles that end clean (not right after a broken save)
            if cycle == 99:
                out["sizes_early"] = k.query("_soak_sizes()")
                out["rss_early_mb"] = k.query(EXPR_RSS_KB) / 1024
            if cycle == cycles - (2 if (cycles - 1) % 50 == 0 else 1):
                out["sizes_end"] = k.query("_soak_sizes()")
        out["rss_end_mb"] = k.query(EXPR_RSS_KB) / 1024
    finally:
        k.shutdown()
        shutil.rmtree(tmp, ignore_errors=True)
    return out


def table(res: dict, plain: dict | None) -> tuple[str, bool]:
    rows, all_ok = [], True

    def verdict(ok):
        nonlocal all_ok
        all_ok &= ok
        return "PASS" if ok else "**MISS**"

    n = res["cycles"]
    rows.append(["Cycles in which the cell ran the latest saved code (a syntax error keeps the "
                 "previous version)", f"{res['seen']}/{n}", "every one", verdict(res["seen"] == n)])
    rows.append(["Syntax errors reported (one message each)",
                 f"{res['errors_reported']}/{res['syntax_errors']}", "every one",
                 verdict(res["errors_reported"] == res["syntax_errors"])])
    growth = res["rss_end_mb"] - res["rss_start_mb"]
    rows.append([f"RSS growth over {n} cycles, MB (start {res['rss_start_mb']:.1f}, after cycle 99 "
                 f"{res['rss_early_mb']:.1f}, end {res['rss_end_mb']:.1f})", f"{growth:+.1f}",
                 "< 20 MB", verdict(growth < 20)])
    first, last = median(res["times_ms"][:100]), median(res["times_ms"][-100:])
    rows.append(["Median cell time, first 100 → last 100 cycles, ms",
                 f"{first:.2f} → {last:.2f} ({last / first - 1:+.0%})", "within 10 %",
                 verdict(abs(last / first - 1) <= 0.10)])
    if plain:
        pf, pl = median(plain["times_ms"][:100]), median(plain["times_ms"][-100:])
        rows.append(["The same cells and saves in plain ipykernel (`python3`, no reloading): "
                     "median cell time, first 100 → last 100, ms",
                     f"{pf:.2f} → {pl:.2f} ({pl / pf - 1:+.0%})", "(info: drift without reloading)", ""])
    for key, early in res["sizes_early"].items():
        end = res["sizes_end"][key]
        info = key == "functions in the heap"  # IPython's own objects grow with cells too
        ok = end <= early
        rows.append([f"Engine state: {key} (after cycle 99 → near the end)", f"{early} → {end}",
                     "(info)" if info else "does not grow",
                     ("" if ok else "grew") if info else verdict(ok)])
    lines = ["| Measurement | Value | Target | Result |", "|---|---|---|---|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines), all_ok


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cycles", type=int, default=1000)
    ap.add_argument("--gap", type=float, default=0.0, help="seconds between a save and its cell")
    ap.add_argument("--json", metavar="PATH", help="write the raw results as JSON")
    ap.add_argument("--no-plain", action="store_true", dest="no_plain",
                    help="skip the plain ipykernel run of the same cells (shows drift without reloading)")
    args = ap.parse_args(argv)
    if args.cycles < 100:
        ap.error("--cycles must be at least 100 (the first and last 100 are compared)")
    started = time.perf_counter()
    try:
        res = run(args.cycles, args.gap)
        plain = None if args.no_plain else run(args.cycles, args.gap, "python3")
    except KernelError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    text, ok = table(res, plain)
    commit = os.popen(f"git -C {os.path.dirname(os.path.abspath(__file__))} rev-parse --short HEAD"
                      ).read().strip()
    print(f"\n## autoreload-kernel soak: {args.cycles} edit-and-run cycles\n")
    print(f"{time.strftime('%Y-%m-%d %H:%M')}, commit {commit}, Python {sys.version.split()[0]}; "
          f"edit kinds in turn: {', '.join(KINDS)}; a syntax error every 50 cycles, fixed by the next. "
          f"Run took {(time.perf_counter() - started) / 60:.1f} min.\n")
    print(text)
    for miss in res["misses"][:10]:
        print(f"- cycle {miss[0]} ({miss[1]}): got {miss[2]}, expected {miss[3]}")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"python-autoreload": res, "plain": plain}, fh, indent=1)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
