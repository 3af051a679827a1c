#!/usr/bin/env python
"""Soak: many edit-and-run cycles through a real python-autoreload kernel,
side by side with plain ipykernel running the same cells.

Both kernels run at once, each on its own copy of the module.  Each cycle
saves both copies with one kind of edit (a function body, a class method, a
constant, a def added, that def removed; every 50 cycles a syntax error, fixed
by the next cycle) and runs the cell in both kernels, one right after the
other (which one goes first alternates), so both see the same machine load.
The cell checks that the new code is what runs.  It reports, with PASS/MISS:

- RSS growth of the python-autoreload kernel over the run (target < 20 MB);
- its median cell time of the last 100 cycles against the first 100 (within
  10 %); beside it (info) plain ipykernel's drift over the same cells, the
  difference ours minus plain cycle by cycle, the median of every 100 cycles
  of both (how the load moved them), and each kernel's own time per cell
  measured inside it (wall, and the shell thread's CPU time, which the load
  disturbs less), with the reload check's share;
- the engine's own bookkeeping (failure records, shown messages, kept
  statements, import records, suspects, ...), the kernel's threads and its
  live functions (after a collection), read after cycle 99 and near the end:
  they must not grow with the number of edits;
- that the kernel stops on a shutdown request without SIGTERM or SIGKILL, and
  that its log holds no traceback (a thread of ours that died would leave one).

Not part of CI's default run (1,000 cycles take a minute or two):

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
OURS, PLAIN = "python-autoreload", "python3"
EXPR_RSS_KB = "int([_l.split()[1] for _l in open('/proc/self/status') if _l.startswith('VmRSS:')][0])"

#: run in both kernels once: time each soak cell inside the kernel (wall and
#: the shell thread's CPU time), and in ours the reload check on its own
TIMERS_CELL = r'''
def _soak_timers():
    import time
    k = get_ipython().kernel
    cells, checks, stores = [], [], []
    execute = k.do_execute

    async def do_execute(code, *args, **kwargs):
        w, c, before = time.perf_counter(), time.thread_time(), len(checks)
        reply = await execute(code, *args, **kwargs)
        if code.startswith("_soak_r = "):
            mine = checks[before:]
            cells.append(((time.perf_counter() - w) * 1e3, (time.thread_time() - c) * 1e3,
                          sum(x for x, _ in mine), sum(x for _, x in mine), sum(stores)))
        del checks[:], stores[:]
        return reply

    # IPython's history: the cell waits here while the history thread holds
    # the cache's lock to write the previous cell to its database
    history = get_ipython().history_manager
    store = history.store_inputs

    def store_inputs(*args, **kwargs):
        w = time.perf_counter()
        try:
            return store(*args, **kwargs)
        finally:
            stores.append((time.perf_counter() - w) * 1e3)

    history.store_inputs = store_inputs

    k.do_execute = do_execute
    check = getattr(k, "_check", None)
    if check is not None:
        def timed_check(**kwargs):
            w, c = time.perf_counter(), time.thread_time()
            try:
                return check(**kwargs)
            finally:
                checks.append(((time.perf_counter() - w) * 1e3, (time.thread_time() - c) * 1e3))
        k._check = timed_check
    return cells, checks

_soak_cells, _soak_checks = _soak_timers()
'''

#: defined in the kernel once: sizes of the engine's state, each read defensively
SIZES_CELL = r'''
def _soak_sizes():
    import gc, threading, time
    k = get_ipython().kernel
    r = getattr(k, "reloader", None)
    def size(get):
        try:
            return get()
        except Exception:
            return -1
    def live_functions():
        gc.collect()  # garbage from earlier reloads is not kept: count what lives
        return sum(type(o).__name__ == "function" for o in gc.get_objects())
    out = {
        "threads in the kernel": threading.active_count(),
        "functions alive in the heap": size(live_functions),
    }
    if r is None:
        return out
    out.update({
        "failure records": size(lambda: len(r.report.failures)),
        "shown-message keys": size(lambda: len(r.report._shown)),
        "history lines": size(lambda: len(r.report.history)),
        "baselines": size(lambda: len(r.store.baselines)),
        "kept statements of the module": size(lambda: len(r.store.baselines["soak_mod"].statements().stmts)),
        "import records": size(lambda: len(r.index._cache)),
        "suspected files": size(lambda: len(r.finder._suspects)),
        "watched modules": size(lambda: len(r.finder.watched)),
        "module attributes": size(lambda: len(vars(__import__("soak_mod")))),
        "plans prepared, not yet used": size(lambda: len(r.preparer._ready)),
        "replaced versions not yet freed": size(lambda: len(r.preparer._retired)),
    })
    return out
'''

#: the sizes that are the engine's own (the others are read from both kernels)
ENGINE_STATE = ("failure records", "shown-message keys", "history lines", "baselines",
                "kept statements of the module", "import records", "suspected files",
                "watched modules", "module attributes", "plans prepared, not yet used",
                "replaced versions not yet freed")

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


def edit(state: dict, cycle: int) -> tuple[str, str]:
    """Apply cycle's edit to ``state``; return (kind, text to save)."""
    if cycle % 50 == 0:
        return "syntax error", render(state).replace("def f3(", "def f3((", 1)
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
    return kind, render(state)


def write(path: str, text: str, last_ns: list) -> None:
    with open(path, "w") as fh:
        fh.write(text)
    st = os.stat(path)
    if st.st_mtime_ns <= last_ns[0]:  # coarse clocks: make the mtime move
        bumped = last_ns[0] + 1_000_000
        os.utime(path, ns=(bumped, bumped))
        st = os.stat(path)
    last_ns[0] = st.st_mtime_ns


class Side:
    """One kernel of the pair, its own copy of the module, and what it measured."""

    def __init__(self, name: str, tmp: str, state: dict):
        self.name = name
        root = os.path.join(tmp, name)
        work = os.path.join(root, "work")
        os.makedirs(work)
        self.path = os.path.join(work, MOD + ".py")
        self.last_ns = [0]
        write(self.path, render(state), self.last_ns)
        self.kernel = Kernel(name, work, kernel_env(os.environ, os.path.join(root, "ipython")),
                             os.path.join(root, "kernel.log"))
        self.out = {"kernel": name, "times_ms": [], "seen": 0, "syntax_errors": 0,
                    "errors_reported": 0, "misses": [], "legs": []}

    def start(self) -> None:
        self.kernel.start()
        self.kernel.run(f"import {MOD}\n_soak_obj = {MOD}.C()\n" + TIMERS_CELL + SIZES_CELL)
        self.out["rss_start_mb"] = self.rss()
        self.out["pid"] = self.kernel.query("__import__('os').getpid()")

    def rss(self) -> float:
        return self.kernel.query(EXPR_RSS_KB) / 1024

    def cycle(self, cycle: int, kind: str, state: dict) -> None:
        gc.disable()
        try:
            secs, content, outputs = self.kernel.execute(CELL, user_expressions={"r": "_soak_r"})
        finally:
            gc.enable()
        out = self.out
        got = content.get("user_expressions", {}).get("r", {}).get("data", {}).get("text/plain")
        out["times_ms"].append(secs * 1000)
        out["legs"].append(self.kernel.legs)
        if content.get("status") == "ok" and got == expected(state):
            out["seen"] += 1  # a broken save keeps the previous version running
        else:
            out["misses"].append((cycle, kind, got, expected(state)))
        if kind == "syntax error":
            out["syntax_errors"] += 1
            out["errors_reported"] += any("could not reload" in o for o in outputs)

    def finish(self) -> None:
        self.out["rss_end_mb"] = self.rss()
        # as JSON text: the repr of a long list is cut short ("...") by IPython
        self.out["kernel_cell_ms"] = json.loads(self.kernel.query("__import__('json').dumps(_soak_cells)"))

    def stop(self) -> None:
        self.kernel.shutdown()
        self.out["stopped"] = self.kernel.stopped
        # a thread that died (ours or ipykernel's) prints its traceback to the log
        log_text = self.kernel.log_tail(1 << 20)
        self.out["log_tracebacks"] = sum(log_text.count(mark) for mark in (
            "Traceback (most recent call last)", "Exception ignored", "Fatal Python error"))
        pid = self.out.get("pid")
        self.out["process_gone"] = pid is None or not _alive(pid)


def _cpu_ticks(pid: int) -> int:
    """User + system clock ticks of process ``pid`` so far (0 if gone)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])


def machine_sample(pids) -> tuple:
    """(all CPUs' busy ticks, steal ticks, total ticks, ticks of ``pids``): what the
    machine did between two samples, and how much of it was this soak."""
    try:
        with open("/proc/stat") as fh:
            cpu = [int(x) for x in fh.readline().split()[1:]]
    except OSError:
        return ()
    idle = cpu[3] + (cpu[4] if len(cpu) > 4 else 0)
    steal = cpu[7] if len(cpu) > 7 else 0
    return sum(cpu[:8]) - idle - steal, steal, sum(cpu[:8]), sum(map(_cpu_ticks, pids))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def run(cycles: int, gap: float, plain: bool = True) -> dict:
    tmp = tempfile.mkdtemp(prefix="autoreload-soak-")
    state = {"limit": 0, "body": 0, "method": "m0", "extra": 0}
    sides = [Side(OURS, tmp, state)] + ([Side(PLAIN, tmp, state)] if plain else [])
    load = [os.getloadavg()[0]]
    samples = []
    try:
        for side in sides:
            side.start()
        pids = [os.getpid()] + [side.out["pid"] for side in sides]
        samples.append(machine_sample(pids))
        for cycle in range(1, cycles + 1):
            kind, text = edit(state, cycle)
            for side in sides:
                write(side.path, text, side.last_ns)
            if gap:
                time.sleep(gap)
            # the same load for both: one right after the other, alternating who goes first
            for side in (sides if cycle % 2 else sides[::-1]):
                side.cycle(cycle, kind, state)
            if cycle % 100 == 0:
                samples.append(machine_sample(pids))
                load.append(os.getloadavg()[0])
                log(f"cycle {cycle}: median of the last 100 cells " + ", ".join(
                    f"{s.name} {median(s.out['times_ms'][-100:]):.2f} ms" for s in sides)
                    + f"; load {load[-1]:.1f}")
            # state read after cycles that end clean (not right after a broken save)
            # read both times in the same state: what a reload replaced is freed
            # 0.5 s after it, between cells (the kernel idle meanwhile)
            if cycle in (99, cycles - (2 if (cycles - 1) % 50 == 0 else 1)):
                time.sleep(0.6)
            if cycle == 99:
                for side in sides:
                    side.out["sizes_early"] = side.kernel.query("_soak_sizes()")
                    side.out["rss_early_mb"] = side.rss()
            if cycle == cycles - (2 if (cycles - 1) % 50 == 0 else 1):
                for side in sides:
                    side.out["sizes_end"] = side.kernel.query("_soak_sizes()")
        for side in sides:
            side.finish()
    finally:
        for side in sides:
            side.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    res = {side.name: side.out for side in sides}
    res["cycles"], res["load"], res["machine"] = cycles, load, samples
    return res


def _drift(xs: list, n: int = 100) -> tuple[float, float]:
    return median(xs[:n]), median(xs[-n:])


def _windows(xs: list, n: int = 100) -> str:
    return " ".join(f"{median(xs[k:k + n]):.1f}" for k in range(0, len(xs) - n + 1, n))


def _pct(first: float, last: float) -> str:
    return f"{last / first - 1:+.0%}" if first > 0 else "n/a"


def table(res: dict) -> tuple[str, bool]:
    rows, all_ok = [], True

    def verdict(ok):
        nonlocal all_ok
        all_ok &= ok
        return "PASS" if ok else "**MISS**"

    ours, plain = res[OURS], res.get(PLAIN)
    n = res["cycles"]
    rows.append(["Cycles in which the cell ran the latest saved code (a syntax error keeps the "
                 "previous version)", f"{ours['seen']}/{n}", "every one", verdict(ours["seen"] == n)])
    rows.append(["Syntax errors reported (one message each)",
                 f"{ours['errors_reported']}/{ours['syntax_errors']}", "every one",
                 verdict(ours["errors_reported"] == ours["syntax_errors"])])
    growth = ours["rss_end_mb"] - ours["rss_start_mb"]
    rows.append([f"RSS growth over {n} cycles, MB (start {ours['rss_start_mb']:.1f}, after cycle 99 "
                 f"{ours['rss_early_mb']:.1f}, end {ours['rss_end_mb']:.1f})", f"{growth:+.1f}",
                 "< 20 MB", verdict(growth < 20)])
    if plain:
        pg = plain["rss_end_mb"] - plain["rss_start_mb"]
        rows.append([f"Plain ipykernel's RSS growth over the same cycles, MB (start "
                     f"{plain['rss_start_mb']:.1f}, after cycle 99 {plain['rss_early_mb']:.1f}, "
                     f"end {plain['rss_end_mb']:.1f})", f"{pg:+.1f}", "(info)", ""])
        rows.append(["RSS growth from cycle 99 to the end (after the first reload's imports), "
                     "MB: python-autoreload / plain",
                     f"{ours['rss_end_mb'] - ours['rss_early_mb']:+.1f} / "
                     f"{plain['rss_end_mb'] - plain['rss_early_mb']:+.1f}", "(info)", ""])
    first, last = _drift(ours["times_ms"])
    rows.append(["Median cell time (client round trip), first 100 → last 100 cycles, ms",
                 f"{first:.2f} → {last:.2f} ({_pct(first, last)})", "within 10 %",
                 verdict(abs(last / first - 1) <= 0.10)])
    if plain:
        pf, pl = _drift(plain["times_ms"])
        rows.append(["Plain ipykernel (`python3`, no reloading), the same cells interleaved: "
                     "median cell time, first 100 → last 100, ms",
                     f"{pf:.2f} → {pl:.2f} ({_pct(pf, pl)})", "(info: drift without reloading)", ""])
        diff = [a - b for a, b in zip(ours["times_ms"], plain["times_ms"])]
        df, dl = _drift(diff)
        rows.append(["Ours minus plain, cycle by cycle: median, first 100 → last 100, ms",
                     f"{df:+.2f} → {dl:+.2f}", "(info: what reloading adds)", ""])
        rows.append(["Median of each 100 cycles in turn, ms: python-autoreload / plain "
                     "(how the load moves both)", _windows(ours["times_ms"]) + " / "
                     + _windows(plain["times_ms"]), "(info)", ""])
    for side, label in ((ours, "python-autoreload"), (plain, "plain ipykernel")):
        if not side or len(side["kernel_cell_ms"]) < 200:
            continue
        wf, wl = _drift([t[0] for t in side["kernel_cell_ms"]])
        cf, cl = _drift([t[1] for t in side["kernel_cell_ms"]])
        rows.append([f"Inside {label}: the execute request, wall / CPU time of the shell thread, "
                     "median first 100 → last 100, ms",
                     f"{wf:.2f} → {wl:.2f} ({_pct(wf, wl)}) / {cf:.2f} → {cl:.2f} ({_pct(cf, cl)})",
                     "(info)", ""])
    legs = [(label, side) for label, side in (("python-autoreload", ours), ("plain ipykernel", plain))
            if side and len(side.get("legs", ())) >= 200 and all(x is not None for x in side["legs"][0])]
    for label, side in legs:
        parts = []
        for name, a, b in (("request to kernel busy", 0, 1), ("busy to reply", 1, 2),
                           ("reply to client", 2, 3)):
            f, l = _drift([(x[b] - x[a]) * 1e3 for x in side["legs"]])
            parts.append(f"{name} {f:.2f} → {l:.2f} ({_pct(f, l)})")
        rows.append([f"{label}'s round trip in legs, from the messages' own timestamps, "
                     "median first 100 → last 100, ms", "; ".join(parts), "(info)", ""])
    if legs:
        f, l = _drift([x[4] * 1e3 for x in ours["legs"]])
        rows.append(["The driver's own CPU time per cycle of ours (the same work every "
                     "cycle: a gauge of how fast the machine runs it), median first 100 → "
                     "last 100, ms", f"{f:.2f} → {l:.2f} ({_pct(f, l)})",
                     "(info: the machine, not a kernel)", ""])
    machine = [m for m in res.get("machine", ()) if m]
    if len(machine) >= 2:
        others, steal = [], []
        for a, b in zip(machine, machine[1:]):
            total = max(b[2] - a[2], 1)
            others.append(f"{max(0, (b[0] - a[0]) - (b[3] - a[3])) / total:.0%}")
            steal.append(f"{(b[1] - a[1]) / total:.0%}")
        rows.append(["The machine in each 100 cycles: CPU time of other processes, share of "
                     f"all {os.cpu_count()} cores (then: stolen by the hypervisor)",
                     " ".join(others) + " (" + " ".join(steal) + ")", "(info)", ""])
    checks = ours["kernel_cell_ms"]
    if len(checks) >= 200:
        wf, wl = _drift([t[2] for t in checks])
        cf, cl = _drift([t[3] for t in checks])
        rows.append(["Inside python-autoreload: the reload check before each cell, wall / CPU, "
                     "median first 100 → last 100, ms",
                     f"{wf:.2f} → {wl:.2f} ({_pct(wf, wl)}) / {cf:.2f} → {cl:.2f} ({_pct(cf, cl)})",
                     "(info)", ""])
    stores = [(label, side["kernel_cell_ms"]) for label, side in
              (("python-autoreload", ours), ("plain", plain))
              if side and len(side["kernel_cell_ms"]) >= 200 and len(side["kernel_cell_ms"][0]) > 4]
    if stores:
        rows.append(["Inside each kernel: IPython's history store (waits while the history "
                     "thread writes the previous cell to disk), median first 100 → last 100 / "
                     "slowest, ms", " ; ".join(
                         f"{label} {_drift([t[4] for t in cells])[0]:.2f} → "
                         f"{_drift([t[4] for t in cells])[1]:.2f} / {max(t[4] for t in cells):.1f}"
                         for label, cells in stores), "(info)", ""])
    for side in (ours, plain):
        if not side:
            continue
        who = "python-autoreload" if side is ours else "plain ipykernel"
        info = side is not ours  # plain's own figures are there to compare with
        for key, early in side["sizes_early"].items():
            end = side["sizes_end"][key]
            # -1: the kernel could not read it (a renamed attribute): that is no pass
            ok = end <= early and min(early, end) >= 0
            what = f"Engine state: {key}" if key in ENGINE_STATE else f"{who}: {key}"
            rows.append([f"{what} (after cycle 99 → near the end)", f"{early} → {end}",
                         "(info)" if info else "does not grow",
                         ("" if ok else "grew") if info else verdict(ok)])
        clean = side["stopped"] == "clean" and side["process_gone"]
        rows.append([f"{who} stopped on a shutdown request", side["stopped"]
                     + ("" if side["process_gone"] else ", process still there"),
                     "(info)" if info else "clean (no SIGTERM/SIGKILL)",
                     ("" if clean else "not clean") if info else verdict(clean)])
        quiet = side["log_tracebacks"] == 0
        rows.append([f"{who}: tracebacks in the kernel's log (a thread that died, an error "
                     "at exit)", str(side["log_tracebacks"]), "(info)" if info else "none",
                     ("" if quiet else "some") if info else verdict(quiet)])
    lines = ["| Measurement | Value | Target | Result |", "|---|---|---|---|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines), all_ok


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cycles", type=int, default=1000)
    ap.add_argument("--gap", type=float, default=0.0, help="seconds between a save and its cells")
    ap.add_argument("--json", metavar="PATH", help="write the raw results as JSON")
    ap.add_argument("--no-plain", action="store_true", dest="no_plain",
                    help="skip the plain ipykernel kernel run beside it (shows drift without reloading)")
    args = ap.parse_args(argv)
    if args.cycles < 100:
        ap.error("--cycles must be at least 100 (the first and last 100 are compared)")
    started = time.perf_counter()
    try:
        res = run(args.cycles, args.gap, plain=not args.no_plain)
    except KernelError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(res, fh, indent=1)
    text, ok = table(res)
    commit = os.popen(f"git -C {os.path.dirname(os.path.abspath(__file__))} rev-parse --short HEAD"
                      ).read().strip()
    load = res["load"]
    print(f"\n## autoreload-kernel soak: {args.cycles} edit-and-run cycles\n")
    print(f"{time.strftime('%Y-%m-%d %H:%M')}, commit {commit}, Python {sys.version.split()[0]}, "
          f"{os.cpu_count()} cores, load average (1 min) {load[0]:.1f} at the start, "
          f"{min(load):.1f} to {max(load):.1f} during the run; edit kinds in turn: "
          f"{', '.join(KINDS)}; a syntax error every 50 cycles, fixed by the next; "
          + ("plain ipykernel ran the same cells interleaved. " if PLAIN in res else "")
          + f"Run took {(time.perf_counter() - started) / 60:.1f} min.\n")
    print(text)
    for miss in res[OURS]["misses"][:10]:
        print(f"- cycle {miss[0]} ({miss[1]}): got {miss[2]}, expected {miss[3]}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
