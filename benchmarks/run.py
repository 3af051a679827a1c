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
import json
import os
import platform
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import engine_rows  # noqa: E402
from _stats import log  # noqa: E402
from kernel_rows import ALL_CONFIGS, Bench, Config, Params, make_params  # noqa: E402
from plot import write_plot  # noqa: E402
from table import build_table  # noqa: E402


#: the engine rows of the smoke run (the package rows with IPython take minutes)
QUICK_ENGINE = ["all_defs", "one_def", "one_class", "large_first", "pkg_one"]


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
    ap.add_argument("--no-engine", action="store_true", dest="no_engine",
                    help="leave out the in-process engine rows (engine_rows.py)")
    ap.add_argument("--engine-only", action="store_true", dest="engine_only",
                    help="only the in-process engine rows: start no kernels")
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
        if not args.no_engine:
            log("in-process engine rows (each case in fresh interpreters)")
            bench.engine = engine_rows.collect(params.quick, log, QUICK_ENGINE if params.quick else None)
        if not args.engine_only:
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
    bench.engine = data.get("engine", {})
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
