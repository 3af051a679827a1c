#!/usr/bin/env python
"""Benchmark: how long an edit takes to reach Dask workers and ipyparallel engines.

    python benchmarks/clusters.py            # full run, prints a markdown table
    python benchmarks/clusters.py --quick    # fewer edits and cells

Everything runs through real python-autoreload kernels and real clusters on
127.0.0.1.  Each edit is saved *inside* a cell, which then runs the kernel's
reload check and the cluster sync itself, so the kernel's own timestamps give:

- local reload: the reload check that found and applied the edit;
- propagation: from the end of the local reload until every worker and the
  scheduler (or every engine) replied that it applied the edit (the Dask
  plugin that serves workers joining later is registered after that, without
  waiting);
- no-op round trip: the same cluster running a no-op on every worker
  (``client.run(len, '')``, ``view.apply_sync(len, '')``) right after each
  edit: the floor that the cluster's own messaging sets on this machine.

The empty-cell row compares a kernel with a Dask client attached (2 workers)
with an identical kernel without one, cells interleaved, plus a second
client-less kernel to show the machine's noise, and (info) a kernel with the
same client but sending turned off, which separates Dask's own cost from ours.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _kernel import Kernel  # noqa: E402

KERNEL = "python-autoreload"

# In the kernel: write the module `name` of about `size` bytes whose target()
# returns `version`, as an editor would save it.
MAKE = '''
def _make(name, size, version):
    body, i = [], 0
    while sum(map(len, body)) < size:
        body.append(f"def f{i}(x):\\n    y = x * {i} + 1\\n    return y - {i} if y > 0 else {i}\\n\\n")
        i += 1
    half = len(body) // 2
    text = "".join(body[:half]) + f"def target(x):\\n    return x + {version}\\n\\n" + "".join(body[half:])
    with open(name + ".py", "w") as fh:
        fh.write(text)
'''

# In the kernel: save the edit, reload, sync, and return the timestamps.
EDIT = '''
_make({name!r}, {size}, {version})
_k = get_ipython().kernel
_t0 = time.perf_counter(); _k.reloader.check(); _t1 = time.perf_counter()
_k.cluster_room.sync()
_tm = _k.cluster_room.timings[-1]
_t2 = time.perf_counter(); {noop}; _t3 = time.perf_counter()
_bench = (_t1 - _t0, _tm["applied"] - _tm["reloaded"], _t3 - _t2)
'''

DASK_SETUP = '''
import time
from dask.distributed import Client, LocalCluster
cluster = LocalCluster(n_workers={n}, threads_per_worker=1, processes=True,
                       host="127.0.0.1", dashboard_address=None)
client = Client(cluster)
'''
DASK_CHECK = "sorted(set(client.run({name}.target, 0).values()))"
DASK_NOOP = "client.run(len, '')"
DASK_CLOSE = "client.close(); cluster.close()"

IPP_SETUP = '''
import time, os
import ipyparallel as ipp
_here = os.getcwd(); os.chdir({engines!r})
try:
    cluster = ipp.Cluster(n={n}, controller_ip="127.0.0.1", profile_dir={profile!r})
    client = cluster.start_and_connect_sync(); client.wait_for_engines({n}, timeout=120)
finally:
    os.chdir(_here)
'''
IPP_CHECK = "sorted(set(client[:].apply_sync({name}.target, 0)))"
IPP_NOOP = "client[:].apply_sync(len, '')"
IPP_CLOSE = "cluster.stop_cluster_sync()"


def env() -> dict:
    e = dict(os.environ)
    e.pop("PYTHONPATH", None)
    return e


def start(cwd: str) -> Kernel:
    k = Kernel(KERNEL, cwd, env(), os.path.join(cwd, "kernel.log"))
    k.start()
    k.run(MAKE)
    return k


def edits(k: Kernel, name: str, size: int, count: int, check: str, noop: str) -> list[tuple]:
    """Save `count` edits of module `name`; return (local reload, propagation, no-op
    round trip) for each, in seconds."""
    k.run(f"_make({name!r}, {size}, 0)\nimport {name}")
    k.run("pass")  # first contact for the new module
    out = []
    for version in range(1, count + 1):
        k.run(EDIT.format(name=name, size=size, version=version, noop=noop))
        out.append(k.query("_bench"))
        seen = k.query(check.format(name=name))
        assert seen == [version], f"workers run {seen}, expected [{version}]"
    return out


def median_ms(values) -> float:
    return statistics.median(values) * 1000


def cluster_rows(kind: str, workers: int, count: int, root: str) -> list[dict]:
    cwd = tempfile.mkdtemp(dir=root)
    k = start(cwd)
    try:
        if kind == "Dask":
            k.run(DASK_SETUP.format(n=workers), timeout=300)
            check, noop, close = DASK_CHECK, DASK_NOOP, DASK_CLOSE
        else:
            engines = tempfile.mkdtemp(dir=root)
            k.run(IPP_SETUP.format(n=workers, engines=engines,
                                   profile=os.path.join(cwd, "profile")), timeout=300)
            check, noop, close = IPP_CHECK, IPP_NOOP, IPP_CLOSE
        rows = []
        for size, label in ((1024, "1 KB"), (200 * 1024, "200 KB")):
            name = f"bench_{size}"
            runs = edits(k, name, size, count, check, noop)
            local = [r[0] for r in runs]
            applied = [r[1] for r in runs]
            over_local = [r[1] - r[0] for r in runs]
            rows.append(dict(kind=kind, workers=workers, size=label, n=count,
                             local=median_ms(local), applied=median_ms(applied),
                             applied_max=max(applied) * 1000,
                             over_local=median_ms(over_local),
                             noop=median_ms([r[2] for r in runs])))
        k.run(close, timeout=120)
        return rows
    finally:
        k.shutdown()


def empty_cells(cells: int, root: str) -> dict:
    kernels = {}
    try:
        for label in ("client", "client_off", "plain", "plain2"):
            kernels[label] = start(tempfile.mkdtemp(dir=root))
        for label in ("client", "client_off"):
            kernels[label].run(DASK_SETUP.format(n=2), timeout=300)
        # The same client with sending turned off: what Dask's own client costs
        # a cell, apart from this project's work.
        kernels["client_off"].run("%autoreload --clusters off")
        kernels["client"].run("import time")
        times = {label: [] for label in kernels}
        for _ in range(20):  # warm up
            for k in kernels.values():
                k.execute("pass")
        for _ in range(cells):
            for label, k in kernels.items():
                times[label].append(k.execute("pass")[0])
        for label in ("client", "client_off"):
            kernels[label].run(DASK_CLOSE, timeout=120)
        return {label: median_ms(v) for label, v in times.items()}
    finally:
        for k in kernels.values():
            k.shutdown()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    count = 3 if args.quick else 7
    cells = 60 if args.quick else 300
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True, cwd=os.path.dirname(os.path.abspath(__file__))).stdout.strip()
    with tempfile.TemporaryDirectory() as root:
        rows = cluster_rows("Dask", 2, count, root)
        rows += cluster_rows("Dask", 8, count, root)
        rows += cluster_rows("ipyparallel", 2, count, root)
        empty = empty_cells(cells, root)

    import dask
    import ipyparallel

    print(f"Cluster propagation ({time.strftime('%Y-%m-%d %H:%M')}, commit {commit}; "
          f"Python {sys.version.split()[0]}, dask {dask.__version__}, "
          f"ipyparallel {ipyparallel.__version__}; {os.cpu_count()} cores)\n")
    print("| Cluster | Module | Local reload, median ms | Propagation (end of local reload "
          "→ every worker applied), median / max ms (n) | No-op on every worker, median ms "
          "| Target | Result |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        who = f"{r['kind']}, {r['workers']} {'workers' if r['kind'] == 'Dask' else 'engines'}"
        if r["size"] == "1 KB" and r["kind"] == "Dask" and r["workers"] == 8:
            target, ok = "≤ 50 ms", r["applied"] <= 50
        elif r["size"] == "200 KB":
            target, ok = "≤ local reload + 100 ms", r["over_local"] <= 100
        else:
            target, ok = "(info)", None
        result = "" if ok is None else ("PASS" if ok else "MISS")
        print(f"| {who} | {r['size']} | {r['local']:.1f} | {r['applied']:.1f} / "
              f"{r['applied_max']:.1f} ({r['n']}) | {r['noop']:.1f} | {target} | "
              f"{result} |")
    ratio = empty["client"] / empty["plain"]
    noise = empty["plain2"] / empty["plain"]
    print(f"\nEmpty cell (`pass`) round trip, median of {cells}: with a Dask client "
          f"(2 workers) {empty['client']:.2f} ms, without {empty['plain']:.2f} ms "
          f"→ {ratio:.3f}x (second client-less kernel: {noise:.3f}x). Target ≤ 1.05x: "
          f"{'PASS' if ratio <= 1.05 else 'MISS'}")
    print(f"\n(info) The same kernel and client with sending turned off "
          f"(`%autoreload --clusters off`): {empty['client_off']:.2f} ms, "
          f"{empty['client_off'] / empty['plain']:.3f}x the client-less kernel; with "
          f"sending on vs off: {empty['client'] / empty['client_off']:.3f}x.")


if __name__ == "__main__":
    main()
