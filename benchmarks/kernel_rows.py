"""Kernel rows: plain ipykernel, `%autoreload 2` and python-autoreload side by side.

Real kernels started with jupyter_client; each configuration measured in turns
(see benchmarks/README.md for how every row is measured).
"""

from __future__ import annotations

import gc
import importlib.util
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field

import fresh_imports
import kernel_starts
from _kernel import Kernel, KernelError, kernel_env
from _stats import log, summary
from _synth import (
    MODULES_PER_PKG,
    EditTarget,
    import_packages_code,
    write_probe,
    write_synthetic_packages,
)
from turns import turn_order

SCI_MODULES = ("pandas", "scipy.stats", "scipy.optimize", "scipy.signal", "sympy")
SCI_IMPORT = "import pandas, scipy.stats, scipy.optimize, scipy.signal, sympy"
AUTORELOAD2_SETUP = "%load_ext autoreload\n%autoreload 2"

# In-kernel expressions (evaluated as user_expressions; Linux /proc only).
#: packages (of 100 modules) imported per cell at the synthetic stages
IMPORT_CHUNK = 10

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
    fresh_pairs: int = 0  # fresh plain + python-autoreload pairs for the import-cost target


def make_params(args) -> Params:
    if args.quick:
        p = Params(quick=True, empty_main=10, empty_minor=5, block=5, warmup=2, edits=3,
                   edits_many=2, edit_warmup=1, edit_gap=0.05, starts=1, start_warmup=0,
                   heap_objects=100_000, fresh_pairs=1, stages=[1, 3], budget_s=10.0)
    else:
        p = Params(quick=False, empty_main=300, empty_minor=60, block=10, warmup=10, edits=50,
                   edits_many=10, edit_warmup=2, edit_gap=0.2, starts=20, start_warmup=1,
                   heap_objects=3_000_000, fresh_pairs=16, stages=[20, 50, 100, 200], budget_s=120.0)
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
    edit_all: EditTarget | None = None  # the same module, every definition edited
    data: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.error is None


ALL_CONFIGS = [
    ("plain", "A: plain", "python3", "", False),
    ("autoreload2", "B: %autoreload 2", "python3", AUTORELOAD2_SETUP, True),
    ("python-autoreload", "C: python-autoreload", "python-autoreload", "", True),
]
ALL_DEFS_ALIAS, ALL_DEFS_OBJS = "bench_alledit", "_bench_objs_all"
CONTROL = ("plain-control", "A′: plain (control)", "python3", "", False)



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
        self.engine: dict = {}  # in-process engine rows, by case (engine_rows.collect)
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

    def env_for(self, cfg: Config) -> dict:
        return kernel_env(os.environ, os.path.join(self.tmp, "ipython", cfg.key))

    # ------------------------------------------------------------ phases
    def prepare(self) -> None:
        n_pkgs = max(self.p.stages) if self.p.stages else 0
        log(f"writing {n_pkgs * MODULES_PER_PKG} synthetic modules to {self.work}")
        write_synthetic_packages(self.work, n_pkgs)
        for cfg in self.live(control=False):
            cfg.edit = EditTarget(self.work, f"bench_edit_{cfg.key.replace('-', '_')}")
            cfg.edit_all = EditTarget(self.work, f"bench_alledit_{cfg.key.replace('-', '_')}", every=True)
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

    def first_cell(self, cfg: Config, stage: str) -> None:
        gc.disable()
        try:
            secs, content, _ = cfg.k.execute("pass")
        finally:
            gc.enable()
        if content.get("status") != "ok":
            raise KernelError(f"empty cell failed: {content.get('evalue')}")
        cfg.data.setdefault("first_cell_ms", {})[stage] = secs * 1000.0

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

    def measure_empty(self, key: str, reps: int, control: bool = True) -> None:
        """Interleaved rounds of ``block`` empty cells per configuration."""
        p = self.p
        for cfg in self.live(control):
            def warm(cfg):
                for _ in range(p.warmup):
                    secs, content, _ = cfg.k.execute("pass")
                    if content.get("status") != "ok":
                        raise KernelError(f"empty cell failed: {content.get('evalue')}")
            self.guarded(cfg, warm)
        spent = {c.key: 0.0 for c in self.configs}
        rounds = math.ceil(reps / p.block)
        for r in range(rounds):
            for cfg in turn_order(self.live(control), r):
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
        target = cfg.edit_all if key == "all_defs" else cfg.edit
        target.edit()
        time.sleep(self.p.edit_gap)
        code = (EditTarget.cell_code(ALL_DEFS_ALIAS, ALL_DEFS_OBJS) if key == "all_defs"
                else EditTarget.cell_code())
        gc.disable()
        try:
            secs, content, outputs = cfg.k.execute(code, user_expressions={"r": "_bench_r"})
        finally:
            gc.enable()
        expected = repr((target.expected, target.expected))
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
            for cfg in turn_order(self.live(control=False), i):
                self.guarded(cfg, self._edit_once, key, i >= self.p.edit_warmup)
        for cfg in self.live(control=False):
            d = cfg.data["edit"][key]
            s = summary(d["ms"])
            log(f"   edit[{key}] {cfg.label}: median {s['median']:.2f} ms, seen {sum(d['seen'])}/{len(d['seen'])}"
                + (f", {len(d['errors'])} errors" if d["errors"] else ""))

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
            self.measure_empty("sci", p.empty_main)
        self.meta["base_stage"] = base

        # -- cell after edit, small heap
        log("edit benchmark: importing the 70-definition module and creating instances")
        for cfg in self.live(control=False):
            self.guarded(cfg, lambda c: c.k.run(c.edit.setup_code()))
            self.guarded(cfg, self.snapshot, "edit_setup", True)
        log(f"cell after edit ({p.edits} edits per config, {p.edit_gap:.2f}s between save and cell)")
        self.measure_edit("small_heap", p.edits)
        log("cell after editing every definition of the module")
        for cfg in self.live(control=False):
            self.guarded(cfg, lambda c: c.k.run(c.edit_all.setup_code(ALL_DEFS_ALIAS, 1, ALL_DEFS_OBJS)))
        self.measure_edit("all_defs", p.edits)

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
            # Cells of IMPORT_CHUNK packages, the kernels taking turns (in a
            # rotating order) cell by cell: a stage is seconds long, and a
            # machine that slows for part of it then slows every kernel alike.
            chunks = [(a, min(a + IMPORT_CHUNK, n_pkgs)) for a in range(prev, n_pkgs, IMPORT_CHUNK)]
            for i, (a, b) in enumerate(chunks):
                for cfg in turn_order(self.live(), i):
                    self.guarded(cfg, self.timed_setup_cell, f"import_{stage}#{i}", import_packages_code(a, b))
                    if b == n_pkgs:
                        # The first cell after the import, timed for real: a reloader
                        # that indexes new modules pays for it here, not in the import.
                        self.guarded(cfg, self.first_cell, stage)
                        self.guarded(cfg, self.snapshot, stage)
            prev = n_pkgs
            last = n_pkgs == p.stages[-1]
            log(f"empty cells, {stage} synthetic modules")
            self.measure_empty(stage, p.empty_main if last else p.empty_minor)
        self.meta["many_stage"] = self.stage_order[-1] if p.stages else None
        if p.stages:
            log("cell after edit with all synthetic modules loaded")
            self.measure_edit("many_modules", p.edits_many)

        for cfg in self.configs:
            if cfg.k is not None:
                cfg.k.shutdown()
                cfg.k = None

        # -- importing in fresh kernels, many pairs (the import-cost target)
        if p.stages:
            fresh_imports.measure(self, p.fresh_pairs, p.stages[-1], IMPORT_CHUNK)

        # -- kernel start
        time.sleep(1.0)
        kernel_starts.measure(self)

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
        out = {"meta": self.meta, "params": self.p.__dict__, "notes": self.notes, "engine": self.engine,
               "stage_order": self.stage_order, "configs": {}}
        for cfg in self.configs:
            out["configs"][cfg.key] = {"label": cfg.label, "kernel": cfg.kernel, "setup": cfg.setup,
                                       "expect_reload": cfg.expect_reload, "control": cfg.control,
                                       "error": cfg.error, **cfg.data}
        return out
