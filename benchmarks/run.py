#!/usr/bin/env python
"""Benchmark: plain ipykernel vs IPython's %autoreload 2 vs the python-autoreload kernel.

Run from the project's environment (the kernels are started with the Python that
runs this script, since both kernelspecs say ``python``):

    python benchmarks/run.py                 # full run, prints a markdown table
    python benchmarks/run.py --quick         # CI smoke run (< 2 min, never judges times)
    python benchmarks/run.py --json out.json --plot benchmarks/cell_cost_vs_modules.png

See benchmarks/README.md for what every row means.
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import json
import math
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _kernel import Kernel, KernelError, kernel_env, time_start  # noqa: E402
from _synth import (  # noqa: E402
    MODULES_PER_PKG,
    EditTarget,
    import_packages_code,
    write_probe,
    write_synthetic_packages,
)

SCI_MODULES = ("pandas", "scipy.stats", "scipy.optimize", "scipy.signal", "sympy")
SCI_IMPORT = "import pandas, scipy.stats, scipy.optimize, scipy.signal, sympy"
AUTORELOAD2_SETUP = "%load_ext autoreload\n%autoreload 2"

# In-kernel expressions (evaluated as user_expressions; Linux /proc only).
EXPR_MODULES = "len(__import__('sys').modules)"
EXPR_RSS_KB = "int([_l.split()[1] for _l in open('/proc/self/status') if _l.startswith('VmRSS:')][0])"
EXPR_GC = "len(__import__('gc').get_objects())"
EXPR_INFO = (
    "(__import__('sys').executable, __import__('sys').version.split()[0], "
    "__import__('IPython').__version__, __import__('ipykernel').__version__, "
    "__import__('os').getpid(), __import__('os').getcwd(), "
    "any(_p in ('', '.', __import__('os').getcwd()) for _p in __import__('sys').path))"
)


# ============================================================================ settings
@dataclass
class Params:
    quick: bool
    empty_main: int  # empty cells per config at the ~2k and ~20k module stages
    empty_minor: int  # empty cells per config at the other stages / with the big heap
    block: int  # consecutive cells per config before switching to the next one
    warmup: int  # discarded cells per config and stage
    edits: int  # timed edits per config (small heap, big heap)
    edits_many: int  # timed edits per config with all synthetic modules loaded
    edit_warmup: int
    edit_gap: float  # seconds between saving the file and sending the cell
    starts: int
    start_warmup: int
    heap_objects: int
    stages: list = field(default_factory=list)  # cumulative synthetic package counts
    budget_s: float = 120.0  # per config and measurement; fewer reps if exceeded


def make_params(args) -> Params:
    if args.quick:
        p = Params(quick=True, empty_main=10, empty_minor=5, block=5, warmup=2, edits=3,
                   edits_many=2, edit_warmup=1, edit_gap=0.05, starts=1, start_warmup=0,
                   heap_objects=100_000, stages=[1, 3], budget_s=10.0)
    else:
        p = Params(quick=False, empty_main=300, empty_minor=60, block=10, warmup=10, edits=50,
                   edits_many=10, edit_warmup=2, edit_gap=0.2, starts=20, start_warmup=1,
                   heap_objects=3_000_000, stages=[20, 50, 100, 200], budget_s=120.0)
    for name in ("empty_main", "edits", "starts", "heap_objects", "edit_gap"):
        val = getattr(args, name)
        if val is not None:
            setattr(p, name, val)
    if args.modules is not None:
        top = max(1, math.ceil(args.modules / MODULES_PER_PKG))
        p.stages = sorted({s for s in p.stages if s < top} | {top})
    return p


@dataclass
class Config:
    key: str
    label: str
    kernel: str
    setup: str = ""
    expect_reload: bool = True
    control: bool = False  # A′: a second plain kernel, only to show the noise floor
    error: str | None = None
    k: Kernel | None = None
    edit: EditTarget | None = None
    data: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.error is None


ALL_CONFIGS = [
    ("plain", "A: plain", "python3", "", False),
    ("autoreload2", "B: %autoreload 2", "python3", AUTORELOAD2_SETUP, True),
    ("python-autoreload", "C: python-autoreload", "python-autoreload", "", True),
]
CONTROL = ("plain-control", "A′: plain (control)", "python3", "", False)

T0 = time.perf_counter()


def log(msg: str) -> None:
    print(f"[{time.perf_counter() - T0:7.1f}s] {msg}", file=sys.stderr, flush=True)


# ============================================================================ statistics
def quantile(xs, q):
    xs = sorted(xs)
    if not xs:
        return float("nan")
    pos = (len(xs) - 1) * q
    lo, hi = math.floor(pos), math.ceil(pos)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def median(xs):
    return quantile(xs, 0.5)


def summary(xs):
    return {"n": len(xs), "median": median(xs), "p10": quantile(xs, 0.1), "p90": quantile(xs, 0.9),
            "min": min(xs) if xs else float("nan")}


# ============================================================================ the runner
class Bench:
    def __init__(self, args, params: Params):
        self.args = args
        self.p = params
        self.tmp = tempfile.mkdtemp(prefix="autoreload-bench-")
        self.work = os.path.join(self.tmp, "work")  # kernels' cwd: the user's modules
        self.logs = os.path.join(self.tmp, "logs")
        os.makedirs(self.work)
        os.makedirs(self.logs)
        wanted = [c.strip() for c in args.configs.split(",")] if args.configs else None
        self.configs = [Config(key, label, kernel, setup, expect)
                        for key, label, kernel, setup, expect in ALL_CONFIGS
                        if wanted is None or key in wanted]
        if not params.quick and not args.no_control and any(c.key == "plain" for c in self.configs):
            # A second, identical plain kernel measured in the same interleaving as
            # the others (empty cells only): how far apart two *identical* kernels
            # land is the noise floor against which a 1.05x target must be read.
            self.configs.insert(1, Config(*CONTROL, control=True))
        self.sci = all(importlib.util.find_spec(m.split(".")[0]) for m in SCI_MODULES)
        self.meta: dict = {}
        self.notes: list[str] = []
        self.stage_order: list[str] = []

    # ------------------------------------------------------------ helpers
    def live(self, control: bool = True):
        return [c for c in self.configs if c.ok and (control or not c.control)]

    def fail(self, cfg: Config, err: Exception) -> None:
        cfg.error = str(err)
        log(f"!! {cfg.label} failed: {err}")
        if cfg.k is not None:
            cfg.k.shutdown()
            cfg.k = None

    def guarded(self, cfg: Config, fn, *a):
        if not cfg.ok:
            return None
        try:
            return fn(cfg, *a)
        except KernelError as err:
            self.fail(cfg, err)
            return None

    @staticmethod
    def rotate(items, r):
        if not items:
            return items
        r %= len(items)
        return items[r:] + items[:r]

    def env_for(self, cfg: Config) -> dict:
        return kernel_env(os.environ, os.path.join(self.tmp, "ipython", cfg.key))

    # ------------------------------------------------------------ phases
    def prepare(self) -> None:
        n_pkgs = max(self.p.stages) if self.p.stages else 0
        log(f"writing {n_pkgs * MODULES_PER_PKG} synthetic modules to {self.work}")
        write_synthetic_packages(self.work, n_pkgs)
        for cfg in self.live(control=False):
            cfg.edit = EditTarget(self.work, f"bench_edit_{cfg.key.replace('-', '_')}")
        if self.sci:
            log("warming the page cache: importing the scientific stack once in a subprocess")
            subprocess.run([sys.executable, "-c", SCI_IMPORT], cwd=self.tmp, check=False,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        else:
            missing = [m for m in ("pandas", "scipy", "sympy") if not importlib.util.find_spec(m)]
            self.notes.append(f"scientific stack not installed ({', '.join(missing)} missing): "
                              "the ~2,000-module rows are skipped; install the project's `bench` extra")

    def start_main(self, cfg: Config) -> None:
        log(f"starting {cfg.label} (kernel {cfg.kernel})")
        cfg.k = Kernel(cfg.kernel, self.work, self.env_for(cfg), os.path.join(self.logs, f"{cfg.key}.log"))
        cfg.k.start()
        if cfg.setup:
            cfg.k.run(cfg.setup)
        info = cfg.k.query(EXPR_INFO)
        cfg.data["kernel_info"] = dict(zip(
            ("executable", "python", "ipython", "ipykernel", "pid", "cwd", "cwd_on_path"), info))
        if not info[6]:
            raise KernelError(f"{cfg.label}: the working directory is not on the kernel's sys.path")
        # Check once that the configuration reloads at all (B: is %autoreload active?).
        probe = f"bench_probe_{cfg.key.replace('-', '_')}"
        write_probe(self.work, probe, "before")
        cfg.k.run(f"import {probe}")
        write_probe(self.work, probe, "after-edit")
        time.sleep(max(self.p.edit_gap, 0.05))
        seen = cfg.k.query("_bench_probe", f"_bench_probe = {probe}.VALUE") == "after-edit"
        cfg.data["probe_reloaded"] = seen
        log(f"   {cfg.label}: pid {info[4]}, probe edit {'picked up' if seen else 'NOT picked up'}")
        if cfg.expect_reload and not seen:
            self.notes.append(f"{cfg.label}: a one-off probe edit was NOT picked up — reloading is not active")

    def snapshot(self, cfg: Config, stage: str, gc_count: bool = False) -> None:
        n = cfg.k.query(EXPR_MODULES)
        rss = cfg.k.query(EXPR_RSS_KB) / 1024.0
        cfg.data.setdefault("modules", {})[stage] = n
        cfg.data.setdefault("rss_mb", {})[stage] = rss
        if gc_count:
            cfg.data.setdefault("gc_objects", {})[stage] = cfg.k.query(EXPR_GC)

    def timed_setup_cell(self, cfg: Config, key: str, code: str) -> None:
        secs = cfg.k.run(code)
        cfg.data.setdefault("setup_cell_s", {})[key] = secs

    def _empty_block(self, cfg: Config, key: str, n: int) -> None:
        times = cfg.data.setdefault("empty", {}).setdefault(key, [])
        k = cfg.k
        gc.disable()
        try:
            for _ in range(n):
                secs, content, outputs = k.execute("pass")
                if content.get("status") != "ok":
                    raise KernelError(f"empty cell failed: {content.get('ename')}: {content.get('evalue')}\n"
                                      + "".join(outputs)[-2000:])
                times.append(secs * 1000.0)
        finally:
            gc.enable()

    def measure_empty(self, key: str, reps: int, first_key: str | None = None, control: bool = True) -> None:
        """Interleaved rounds of ``block`` empty cells per configuration."""
        p = self.p
        for cfg in self.live(control):
            def warm(cfg):
                for i in range(p.warmup):
                    secs, content, _ = cfg.k.execute("pass")
                    if content.get("status") != "ok":
                        raise KernelError(f"empty cell failed: {content.get('evalue')}")
                    if i == 0 and first_key:
                        cfg.data.setdefault("first_cell_ms", {})[first_key] = secs * 1000.0
            self.guarded(cfg, warm)
        spent = {c.key: 0.0 for c in self.configs}
        rounds = math.ceil(reps / p.block)
        for r in range(rounds):
            for cfg in self.rotate(self.live(control), r):
                done = len(cfg.data.get("empty", {}).get(key, []))
                if done >= reps or (spent[cfg.key] > p.budget_s and done >= min(reps, 3 * p.block)):
                    continue
                t = time.perf_counter()
                self.guarded(cfg, self._empty_block, key, min(p.block, reps - done))
                spent[cfg.key] += time.perf_counter() - t
        for cfg in self.live(control):
            s = summary(cfg.data["empty"][key])
            log(f"   empty[{key}] {cfg.label}: median {s['median']:.2f} ms, p90 {s['p90']:.2f} ms (n={s['n']})")

    def _edit_once(self, cfg: Config, key: str, record: bool) -> None:
        cfg.edit.edit()
        time.sleep(self.p.edit_gap)
        gc.disable()
        try:
            secs, content, outputs = cfg.k.execute(EditTarget.cell_code(), user_expressions={"r": "_bench_r"})
        finally:
            gc.enable()
        expected = repr((cfg.edit.expected, cfg.edit.expected))
        status = content.get("status")
        got = None
        if status == "ok":
            res = content.get("user_expressions", {}).get("r", {})
            got = res.get("data", {}).get("text/plain") if res.get("status") == "ok" else None
        if not record:
            return
        d = cfg.data.setdefault("edit", {}).setdefault(key, {"ms": [], "seen": [], "errors": []})
        d["ms"].append(secs * 1000.0)
        d["seen"].append(got == expected)
        if status != "ok":
            d["errors"].append(f"{content.get('ename')}: {content.get('evalue')}")

    def measure_edit(self, key: str, n: int) -> None:
        for i in range(self.p.edit_warmup + n):
            for cfg in self.rotate(self.live(control=False), i):
                self.guarded(cfg, self._edit_once, key, i >= self.p.edit_warmup)
        for cfg in self.live(control=False):
            d = cfg.data["edit"][key]
            s = summary(d["ms"])
            log(f"   edit[{key}] {cfg.label}: median {s['median']:.2f} ms, seen {sum(d['seen'])}/{len(d['seen'])}"
                + (f", {len(d['errors'])} errors" if d["errors"] else ""))

    def measure_starts(self) -> None:
        p = self.p
        log(f"kernel start -> first execute_reply: {p.starts} timed starts per config (+{p.start_warmup} warm-up)")
        for i in range(p.start_warmup + p.starts):
            for cfg in self.rotate(self.live(), i):
                try:
                    secs = time_start(cfg.kernel, cfg.setup or "pass", self.work, self.env_for(cfg),
                                      os.path.join(self.logs, f"{cfg.key}-start-{i}.log"))
                except KernelError as err:
                    # Keep going (one bad start should not hide the others), but it
                    # is an error: the run exits non-zero.
                    log(f"!! {cfg.label}: start {i} failed: {err}")
                    cfg.data.setdefault("start_errors", []).append(str(err))
                    continue
                finally:
                    time.sleep(0.3)
                if i >= p.start_warmup:
                    cfg.data.setdefault("start_s", []).append(secs)
        for cfg in self.live():
            ts = cfg.data.get("start_s", [])
            log(f"   start {cfg.label}: median {median(ts):.3f} s over {len(ts)} starts"
                + (f", {len(cfg.data['start_errors'])} failed" if cfg.data.get("start_errors") else ""))

    # ------------------------------------------------------------ the whole run
    def run(self) -> None:
        p = self.p
        self.prepare()
        for cfg in self.configs:
            self.guarded(cfg, self.start_main)
        if not self.live():
            return

        # -- bare kernel
        self.stage_order.append("bare")
        for cfg in self.live():
            self.guarded(cfg, self.snapshot, "bare")
        log("empty cells, bare kernel")
        self.measure_empty("bare", p.empty_minor)

        # -- scientific stack (~2,000 modules)
        base = "bare"
        if self.sci:
            base = "sci"
            self.stage_order.append("sci")
            log(f"importing the scientific stack: {SCI_IMPORT}")
            for cfg in self.live():
                self.guarded(cfg, self.timed_setup_cell, "import_sci", SCI_IMPORT)
                self.guarded(cfg, self.snapshot, "sci")
            log("empty cells, scientific stack loaded")
            self.measure_empty("sci", p.empty_main, first_key="sci")
        self.meta["base_stage"] = base

        # -- cell after edit, small heap
        log("edit benchmark: importing the 70-definition module and creating instances")
        for cfg in self.live(control=False):
            self.guarded(cfg, lambda c: c.k.run(c.edit.setup_code()))
            self.guarded(cfg, self.snapshot, "edit_setup", True)
        log(f"cell after edit ({p.edits} edits per config, {p.edit_gap:.2f}s between save and cell)")
        self.measure_edit("small_heap", p.edits)

        # -- the same with a big heap of gc-tracked objects
        log(f"allocating {p.heap_objects:,} gc-tracked objects (small lists) in every kernel")
        for cfg in self.live(control=False):
            self.guarded(cfg, lambda c: c.k.run(f"_bench_junk = [[] for _ in range({p.heap_objects})]"))
            self.guarded(cfg, self.snapshot, "big_heap", True)
        log("cell after edit, big heap")
        self.measure_edit("big_heap", p.edits)
        log("empty cells, big heap")
        self.measure_empty("big_heap", p.empty_minor, control=False)
        for cfg in self.live(control=False):
            self.guarded(cfg, lambda c: c.k.run("del _bench_junk\nimport gc as _bench_gc\n_bench_gc.collect()\ndel _bench_gc"))

        # -- synthetic user modules
        prev = 0
        for n_pkgs in p.stages:
            stage = f"+{n_pkgs * MODULES_PER_PKG}"
            self.stage_order.append(stage)
            log(f"importing synthetic user modules up to {stage}")
            for cfg in self.live():
                self.guarded(cfg, self.timed_setup_cell, f"import_{stage}", import_packages_code(prev, n_pkgs))
                self.guarded(cfg, self.snapshot, stage)
            prev = n_pkgs
            last = n_pkgs == p.stages[-1]
            log(f"empty cells, {stage} synthetic modules")
            self.measure_empty(stage, p.empty_main if last else p.empty_minor, first_key=stage)
        self.meta["many_stage"] = self.stage_order[-1] if p.stages else None
        if p.stages:
            log("cell after edit with all synthetic modules loaded")
            self.measure_edit("many_modules", p.edits_many)

        for cfg in self.configs:
            if cfg.k is not None:
                cfg.k.shutdown()
                cfg.k = None

        # -- kernel start
        time.sleep(1.0)
        self.measure_starts()

    def cleanup(self) -> None:
        for cfg in self.configs:
            if cfg.k is not None:
                cfg.k.shutdown()
        if self.args.keep:
            log(f"kept {self.tmp}")
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)

    # ------------------------------------------------------------ output
    def results(self) -> dict:
        out = {"meta": self.meta, "params": self.p.__dict__, "notes": self.notes,
               "stage_order": self.stage_order, "configs": {}}
        for cfg in self.configs:
            out["configs"][cfg.key] = {"label": cfg.label, "kernel": cfg.kernel, "setup": cfg.setup,
                                       "expect_reload": cfg.expect_reload, "control": cfg.control,
                                       "error": cfg.error, **cfg.data}
        return out


# ============================================================================ table
def fmt_ms(x):
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    return f"{x:.1f}" if x >= 100 else f"{x:.2f}"


def build_table(bench: Bench) -> tuple[str, bool]:
    cfgs = {c.key: c for c in bench.configs}
    A, B, C = cfgs.get("plain"), cfgs.get("autoreload2"), cfgs.get("python-autoreload")
    A2 = cfgs.get("plain-control")
    p = bench.p
    base = bench.meta.get("base_stage", "bare")
    many = bench.meta.get("many_stage")
    rows = []
    all_pass = True

    def cell(cfg, text):
        if cfg is None:
            return "—"
        if text is None:
            return "ERROR" if cfg.error else "n/a"
        return text

    def get(cfg, *path):
        d = cfg.data if cfg is not None else {}
        for k in path:
            if not isinstance(d, dict) or k not in d:
                return None
            d = d[k]
        return d

    def verdict(ok):
        nonlocal all_pass
        if p.quick:
            return "(quick: not judged)"
        if ok is None:
            all_pass = False
            return "n/a"
        if not ok:
            all_pass = False
        return "PASS" if ok else "**MISS**"

    def modules_label(stage):
        n = get(A, "modules", stage) or get(C, "modules", stage) or get(B, "modules", stage)
        return f"~{n:,}" if n else "?"

    # --- module counts
    def modules_row(stage, what):
        rows.append([f"Modules loaded (`len(sys.modules)`), {what}",
                     *(cell(c, f"{get(c, 'modules', stage):,}" if get(c, "modules", stage) else None)
                       for c in (A, B, C)), "", "", ""])

    def empty_row(stage, what, target=None):
        vals = {}
        texts = []
        for c in (A, B, C):
            xs = get(c, "empty", stage)
            if xs:
                s = summary(xs)
                vals[c.key] = s["median"]
                texts.append(f"{fmt_ms(s['median'])} / {fmt_ms(s['p90'])}")
            else:
                texts.append(cell(c, None))
        a, b, cc = vals.get("plain"), vals.get("autoreload2"), vals.get("python-autoreload")
        if a and b:
            texts[1] += f" ({b / a:.2f}x)"
        ratio = f"{cc / a:.2f}x" if a and cc else "n/a"
        xs2 = get(A2, "empty", stage) if A2 is not None else None
        if a and xs2:
            ratio += f" (A′/A {median(xs2) / a:.2f}x)"
        n = len(get(A, "empty", stage) or get(C, "empty", stage) or [])
        label = f"Empty cell (`pass`) round trip, {what}: median / p90 ms (n={n})"
        if target is None:
            rows.append([label, *texts, ratio, "(info)", ""])
        else:
            ok = (cc / a <= target) if a and cc else None
            rows.append([label, *texts, ratio, f"≤ {target:.2f}x", verdict(ok)])

    def edit_stats(c, key):
        d = get(c, "edit", key)
        if not d or not d["ms"]:
            return None
        s = summary(d["ms"])
        return s, sum(d["seen"]), len(d["seen"]), len(d["errors"])

    def edit_row(key, what, target_ms=None):
        texts, med = [], {}
        c_all_seen = None
        for c in (A, B, C):
            st = edit_stats(c, key)
            if st is None:
                texts.append(cell(c, None))
                continue
            s, seen, n, errs = st
            med[c.key] = s["median"]
            if c.key == "plain":
                note = f"no reload: {seen}/{n} seen"
            else:
                note = f"{seen}/{n} seen" if seen == n else f"**{seen}/{n} seen**"
                if c.key == "python-autoreload":
                    c_all_seen = seen == n and not errs
            if errs:
                note += f", **{errs} errors**"
            texts.append(f"{fmt_ms(s['median'])} / {fmt_ms(s['p90'])} ({note})")
        a, cc = med.get("plain"), med.get("python-autoreload")
        diff = f"{cc - a:+.2f} ms" if a is not None and cc is not None else "n/a"
        n = len((get(C, "edit", key) or get(A, "edit", key) or {"ms": []})["ms"])
        label = f"Cell right after editing a 70-definition module, {what}: median / p90 ms (n={n})"
        if target_ms is None:
            rows.append([label, *texts, diff, "(info)", ""])
        else:
            ok = None
            if a is not None and cc is not None:
                ok = (cc - a <= target_ms) and bool(c_all_seen)
            tgt = f"≤ +{target_ms:g} ms, every edit seen"
            res = verdict(ok)
            if ok is False and not c_all_seen:
                res = "**MISS** (edits not picked up)" if cc - a <= target_ms else "**MISS** (time, edits)"
            rows.append([label, *texts, diff, tgt, res])

    # rows -------------------------------------------------------------
    base_what = ("after importing pandas, scipy.stats/optimize/signal, sympy" if base == "sci"
                 else "bare kernel (scientific stack not installed: ~2,000-module rows skipped)")
    modules_row(base, base_what)
    if base == "sci":
        empty_row("sci", f"{modules_label('sci')} modules (scientific stack)", 1.05)
    else:
        rows.append(["Empty cell with the scientific stack (~2,000 modules)", "skipped", "skipped",
                     "skipped", "", "≤ 1.05x", "n/a (not installed)"])
    if many:
        nsyn = int(many[1:])
        modules_row(many, f"after also importing {nsyn:,} synthetic user modules")
        empty_row(many, f"{modules_label(many)} modules (+{nsyn:,} user modules)", 1.05)
    heap_n = f"{p.heap_objects / 1e6:g}M" if p.heap_objects >= 1e6 else f"{p.heap_objects / 1e3:g}k"
    edit_row("small_heap", f"{modules_label('edit_setup')} modules", 3.0)
    edit_row("big_heap", f"same + {heap_n} extra gc-tracked objects on the heap", 3.0)

    # heap independence
    hd = {}
    for c in (A, B, C):
        s1, s2 = edit_stats(c, "small_heap"), edit_stats(c, "big_heap")
        if s1 and s2:
            hd[c.key] = s2[0]["median"] - s1[0]["median"]
    texts = [cell(c, f"{hd[c.key]:+.2f} ms" if c is not None and c.key in hd else None) for c in (A, B, C)]
    ok = (hd["python-autoreload"] - hd["plain"] <= 1.0) if "plain" in hd and "python-autoreload" in hd else None
    rows.append([f"Heap-size effect on the edit cell: median({heap_n} heap) − median(small heap)", *texts,
                 f"{hd['python-autoreload'] - hd['plain']:+.2f} ms" if ok is not None else "n/a",
                 "≤ +1 ms (independent of heap)", verdict(ok)])

    # start
    st = {c.key: median(c.data["start_s"]) for c in (A, B, C) if c is not None and c.data.get("start_s")}
    texts = []
    for c in (A, B, C):
        if c is None or c.key not in st:
            texts.append(cell(c, None))
            continue
        t = f"{st[c.key] * 1000:.0f} (min {min(c.data['start_s']) * 1000:.0f})"
        if c.key == "autoreload2" and "plain" in st:
            t += f", {st[c.key] / st['plain']:.2f}x"
        texts.append(t)
    ok = st["python-autoreload"] / st["plain"] <= 1.10 if "plain" in st and "python-autoreload" in st else None
    a2 = A2.data.get("start_s") if A2 is not None else None
    start_noise = f" (A′/A {median(a2) / st['plain']:.2f}x)" if a2 and "plain" in st else ""
    n = max((len(c.data.get("start_s", [])) for c in (A, B, C) if c is not None), default=0)
    rows.append([f"Kernel start → first execute_reply (`start_kernel` until the reply to the first cell; "
                 f"B's first cell is the two magics): median (min) of {n} starts, ms",
                 *texts, f"{st['python-autoreload'] / st['plain']:.2f}x{start_noise}" if ok is not None else "n/a",
                 "≤ 1.10x", verdict(ok)])

    # rss
    rs = {c.key: get(c, "rss_mb", base) for c in (A, B, C) if c is not None and get(c, "rss_mb", base)}
    texts = [cell(c, f"{rs[c.key]:.1f}" if c is not None and c.key in rs else None) for c in (A, B, C)]
    ok = rs["python-autoreload"] - rs["plain"] <= 10.0 if "plain" in rs and "python-autoreload" in rs else None
    rows.append([f"RSS (VmRSS) after the imports ({'scientific stack' if base == 'sci' else 'bare kernel'}), MB",
                 *texts, f"{rs['python-autoreload'] - rs['plain']:+.1f} MB" if ok is not None else "n/a",
                 "≤ +10 MB", verdict(ok)])

    # informational rows
    empty_row("bare", f"bare kernel, {modules_label('bare')} modules")
    empty_row("big_heap", f"{modules_label('big_heap')} modules + {heap_n} heap objects")
    if many:
        edit_row("many_modules", f"{modules_label(many)} modules")
        fc = [get(c, "first_cell_ms", many) for c in (A, B, C)]
        rows.append([f"First empty cell after importing the {int(many[1:]):,} user modules, ms",
                     *(cell(c, fmt_ms(v) if v is not None else None) for c, v in zip((A, B, C), fc)),
                     f"{fc[2] - fc[0]:+.1f} ms" if fc[0] is not None and fc[2] is not None else "n/a", "(info)", ""])
        imp = [sum(v for k, v in (get(c, "setup_cell_s") or {}).items() if k.startswith("import_+")) or None
               for c in (A, B, C)]
        rows.append([f"Importing the {int(many[1:]):,} user modules (sum of import cells), s",
                     *(cell(c, f"{v:.2f}" if v else None) for c, v in zip((A, B, C), imp)),
                     f"{imp[2] / imp[0]:.2f}x" if imp[0] and imp[2] else "n/a", "(info)", ""])
        rm = [get(c, "rss_mb", many) for c in (A, B, C)]
        rows.append([f"RSS after importing the {int(many[1:]):,} user modules, MB",
                     *(cell(c, f"{v:.1f}" if v else None) for c, v in zip((A, B, C), rm)),
                     f"{rm[2] - rm[0]:+.1f} MB" if rm[0] and rm[2] else "n/a", "(info)", ""])
    if base == "sci":
        imp = [get(c, "setup_cell_s", "import_sci") for c in (A, B, C)]
        rows.append(["Importing the scientific stack (one cell), s",
                     *(cell(c, f"{v:.2f}" if v else None) for c, v in zip((A, B, C), imp)),
                     f"{imp[2] / imp[0]:.2f}x" if imp[0] and imp[2] else "n/a", "(info)", ""])

    header = ["Measurement", "A: plain (`python3`)", "B: `%autoreload 2` (`python3`)",
              "C: `python-autoreload`", "C vs A", "Target (C vs A)", "Result"]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(["---"] * len(header)) + "|"]
    for r in rows:
        lines.append("| " + " | ".join(r) + " |")
    return "\n".join(lines), all_pass


# ============================================================================ plot
def write_plot(bench: Bench, path: str) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        bench.notes.append(f"--plot {path}: matplotlib is not installed; no plot written")
        return
    stages = [s for s in bench.stage_order]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.8))
    colors = {"plain": "tab:blue", "autoreload2": "tab:orange", "python-autoreload": "tab:green",
              "plain-control": "tab:gray"}
    plain = next((c for c in bench.configs if c.key == "plain"), None)
    b_range = None
    for cfg in bench.configs:
        xs, med, lo, hi, ratio_x, ratio = [], [], [], [], [], []
        for st in stages:
            times = cfg.data.get("empty", {}).get(st)
            n = cfg.data.get("modules", {}).get(st)
            if not times or not n:
                continue
            s = summary(times)
            xs.append(n)
            med.append(s["median"])
            lo.append(s["p10"])
            hi.append(s["p90"])
            pt = plain.data.get("empty", {}).get(st) if plain is not None else None
            if pt:
                ratio_x.append(n)
                ratio.append(s["median"] / median(pt))
        if not xs:
            continue
        col = colors.get(cfg.key)
        style = dict(ls="--", lw=1, marker=".") if cfg.control else dict(ls="-", marker="o")
        ax1.plot(xs, med, color=col, label=cfg.label, **style)
        if not cfg.control:
            ax1.fill_between(xs, lo, hi, color=col, alpha=0.15)
        if ratio and cfg.key == "autoreload2":
            b_range = (min(ratio), max(ratio))
        elif ratio:
            ax2.plot(ratio_x, ratio, color=col, label=cfg.label, **style)
    from matplotlib.ticker import FuncFormatter, LogLocator

    def nice_axes(ax):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
        ax.xaxis.set_minor_formatter(FuncFormatter(
            lambda v, _: f"{v:,.0f}" if str(int(round(v)))[0] in "25" else ""))
        ax.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        ax.yaxis.set_minor_formatter(FuncFormatter(lambda v, _: ""))

    ax1.set_xlabel("modules loaded in the kernel (len(sys.modules))")
    ax1.set_ylabel("empty-cell round trip, ms (median; band p10–p90)")
    ax1.set_title("Per-cell cost vs loaded modules")
    ax1.grid(True, which="both", alpha=0.3)
    ax1.legend()
    ax2.axhline(1.05, color="gray", ls="--", lw=1, label="target: 1.05x plain")
    nice_axes(ax1)
    ax2.set_xscale("log")
    ax2.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    ax2.xaxis.set_minor_formatter(FuncFormatter(
        lambda v, _: f"{v:,.0f}" if str(int(round(v)))[0] in "25" else ""))
    lo_y, hi_y = ax2.get_ylim()
    ax2.set_ylim(min(lo_y, 0.9), max(hi_y, 1.15))
    ax2.set_xlabel("modules loaded in the kernel (len(sys.modules))")
    ax2.set_ylabel("median empty cell / plain's median")
    ax2.set_title("Relative to plain ipykernel (zoom)"
                  + (f"; B is off scale: {b_range[0]:.1f}x–{b_range[1]:.1f}x" if b_range else ""))
    ax2.grid(True, which="both", alpha=0.3)
    ax2.legend()
    when = bench.meta.get("date", "")
    fig.suptitle(f"autoreload-kernel benchmark{' (quick)' if bench.p.quick else ''} — {when}", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    log(f"plot written to {path}")


# ============================================================================ main
def git_commit(path: str) -> str | None:
    try:
        out = subprocess.run(["git", "-C", path, "rev-parse", "--short", "HEAD"], capture_output=True,
                             text=True, timeout=10)
        dirty = subprocess.run(["git", "-C", path, "status", "--porcelain", "--", "src"], capture_output=True,
                               text=True, timeout=10)
        return out.stdout.strip() + ("+dirty(src)" if dirty.stdout.strip() else "") if out.returncode == 0 else None
    except (OSError, subprocess.SubprocessError):
        return None


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true",
                    help="smoke mode for CI: tiny repetitions, a few hundred modules; never judges times")
    ap.add_argument("--json", metavar="PATH", help="write the raw results (every timing) as JSON")
    ap.add_argument("--plot", metavar="PATH.png", help="write a PNG of empty-cell cost vs loaded modules")
    ap.add_argument("--configs", help="comma-separated subset of: plain,autoreload2,python-autoreload")
    ap.add_argument("--empty-main", type=int, dest="empty_main", help="empty cells per config (main rows)")
    ap.add_argument("--edits", type=int, help="timed edits per config and heap size")
    ap.add_argument("--starts", type=int, help="timed kernel starts per config")
    ap.add_argument("--heap-objects", type=int, dest="heap_objects", help="extra gc-tracked objects")
    ap.add_argument("--modules", type=int, help="synthetic user modules at the last stage (default 20000)")
    ap.add_argument("--edit-gap", type=float, dest="edit_gap",
                    help="seconds between saving the edited file and sending the cell (default 0.2)")
    ap.add_argument("--no-control", action="store_true", dest="no_control",
                    help="do not run A′, the second plain kernel that shows the noise floor")
    ap.add_argument("--strict", action="store_true", help="exit 1 if any target is missed (not with --quick)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory (kernel logs)")
    ap.add_argument("--from-json", metavar="PATH", dest="from_json",
                    help="start no kernels: print the table (and --plot) from a saved --json file")
    args = ap.parse_args(argv)
    if args.from_json:
        bench = load_results(args.from_json)
        if args.plot:
            write_plot(bench, args.plot)
        return report(bench, args)
    params = make_params(args)

    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    ksm = KernelSpecManager()
    for name in {k for _, _, k, _, _ in ALL_CONFIGS}:
        try:
            ksm.get_kernel_spec(name)
        except NoSuchKernel:
            print(f"error: kernelspec {name!r} not found (jupyter kernelspec list); "
                  "install the project into this environment first", file=sys.stderr)
            return 1

    bench = Bench(args, params)
    import IPython
    import ipykernel
    import jupyter_client

    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    bench.meta.update({
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "commit": git_commit(repo),
        "python": sys.version.split()[0],
        "executable": sys.executable,
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "ipykernel": ipykernel.__version__,
        "ipython": IPython.__version__,
        "jupyter_client": jupyter_client.__version__,
        "quick": params.quick,
    })
    started = time.perf_counter()
    try:
        bench.run()
    except KeyboardInterrupt:
        log("interrupted")
        bench.cleanup()
        return 130
    finally:
        bench.meta["duration_s"] = time.perf_counter() - started
    bench.cleanup()
    if args.plot:
        write_plot(bench, args.plot)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(bench.results(), f, indent=1)
        log(f"raw results written to {args.json}")
    return report(bench, args)


def load_results(path: str) -> Bench:
    """A Bench rebuilt from a --json file, for printing and plotting only."""
    with open(path) as f:
        data = json.load(f)
    bench = Bench.__new__(Bench)
    bench.p = Params(**data["params"])
    bench.meta, bench.notes, bench.stage_order = data["meta"], data["notes"], data["stage_order"]
    bench.configs = []
    for key, d in data["configs"].items():
        d = dict(d)
        head = {k: d.pop(k) for k in ("label", "kernel", "setup", "error")}
        expect = d.pop("expect_reload", key not in ("plain", "plain-control"))
        control = d.pop("control", key == "plain-control")
        bench.configs.append(Config(key, head["label"], head["kernel"], head["setup"], expect,
                                    control=control, error=head["error"], data=d))
    return bench


def report(bench: Bench, args) -> int:
    """Print the table and notes; return the exit status."""
    params = bench.p
    failed = [c for c in bench.configs if c.error]
    start_errors = [(c.label, e) for c in bench.configs for e in c.data.get("start_errors", [])]
    cell_errors = [(c.label, k, e) for c in bench.configs for k, d in c.data.get("edit", {}).items()
                   for e in d["errors"]]
    table, all_pass = build_table(bench)
    m = bench.meta
    print(f"\n## autoreload-kernel benchmark{' (--quick: smoke run, times not judged)' if params.quick else ''}\n")
    print(f"{m['date']}, commit {m['commit']}, Python {m['python']}, ipykernel {m['ipykernel']}, "
          f"IPython {m['ipython']}, jupyter_client {m['jupyter_client']}, {m['cpus']} CPUs, {m['platform']}. "
          f"Round trips are client-side (execute_request sent → execute_reply received). "
          f"Run took {m['duration_s'] / 60:.1f} min.\n")
    print(table)
    print()
    if any(c.control for c in bench.configs):
        print("- C vs A on the empty-cell and start rows also shows A′/A: A′ is a second, identical plain kernel "
              "measured in the same interleaving, so A′/A is the noise floor of these ratios on this machine.")
    for cfg in bench.configs:
        if cfg.control:
            continue
        if "probe_reloaded" in cfg.data:
            print(f"- {cfg.label}: one-off probe edit {'picked up' if cfg.data['probe_reloaded'] else 'not picked up'}"
                  f"{'' if cfg.expect_reload or cfg.data['probe_reloaded'] else ' (expected: no reloading)'}.")
        go = cfg.data.get("gc_objects", {})
        if go.get("big_heap"):
            print(f"- {cfg.label}: gc-tracked objects {go.get('edit_setup', 0):,} → {go['big_heap']:,} with the big heap.")
    for note in bench.notes:
        print(f"- NOTE: {note}")
    for cfg in failed:
        print(f"- ERROR: {cfg.label} errored out: {cfg.error.splitlines()[0]}")
    for label, key, e in cell_errors[:10]:
        print(f"- ERROR: {label}: edit cell ({key}) raised {e}")
    for label, e in start_errors:
        print(f"- ERROR: {label}: a kernel start failed: {e.splitlines()[0]}")

    if failed or start_errors or any(lbl != "A: plain" for lbl, _, _ in cell_errors):
        for cfg in failed:
            print(f"\n{cfg.label} error details:\n{cfg.error}", file=sys.stderr)
        for label, e in start_errors:
            print(f"\n{label} start error details:\n{e}", file=sys.stderr)
        return 1
    if args.strict and not params.quick and not all_pass:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
