"""An edit reaches every Dask worker and the scheduler (issue 11), through a
real python-autoreload kernel and real Dask clusters on 127.0.0.1."""

from __future__ import annotations

import ast
import platform
import sys

import pytest

pytest.importorskip("distributed")

from clusterkit import (Processes, bin_of, clean_env, edit, ok, wait_for_file,  # noqa: E402
                        write_package)

CALC = "shop/calc.py"

#: a --preload for `dask worker`: this worker refuses the autoreload-kernel plugin
REFUSE_PLUGIN = """
def dask_setup(worker):
    add = worker.handlers["plugin-add"]

    async def refuse(*args, name=None, **kwargs):
        if name == "autoreload-kernel":
            raise RuntimeError("this worker refuses the plugin")
        return await add(*args, name=name, **kwargs)

    worker.handlers["plugin-add"] = refuse
"""


def platform_version() -> str:
    return platform.python_version().rsplit(".", 1)[0]


def values(res) -> list:
    """The printed Python literal of the cell's last line of stdout."""
    return ast.literal_eval(res.stdout.strip().splitlines()[-1])


def test_local_cluster_processes(kernel, tmp_path):
    """(a) LocalCluster(processes=True); (e) state kept; (g) held future;
    worker failure reported once and listed by --status; the next good save
    brings the workers back."""
    k = kernel
    write_package(k.workdir)
    ok(k, """
        from dask.distributed import Client, LocalCluster
        import shop.calc
        cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                               host="127.0.0.1", dashboard_address=None)
        client = Client(cluster)
    """)
    res = ok(k, """
        held = client.submit(shop.calc.f, 1)
        client.run(shop.calc.remember, 7)
        print([held.result()])
    """)
    assert values(res) == [2]

    edit(k.workdir / CALC, "return x + 1", "return x + 100")
    res = ok(k, """
        print([client.submit(shop.calc.f, 1).result(), held.result(),
               sorted(client.run(shop.calc.f, 1).values()),
               sorted(client.run(shop.calc.recall).values()),
               get_ipython().kernel.cluster_room.timings[-1]["resent"]])
    """)
    new, old, everywhere, state, resent = values(res)
    assert resent == [], "the edit went as a change, and every worker could apply it"
    assert new == 101, "a fresh task must run the new code"
    assert old == 2, "the held future keeps the result it had"
    assert everywhere == [101, 101]
    assert state == [[7], [7]], "worker-side module state must survive a function edit"

    # An edit of another module that f reads (through `from . import FACTOR`):
    # the workers update that binding too, and f's task key changes with it.
    same = ok(k, "print([client.submit(shop.calc.f, 1).key])")
    edit(k.workdir / "shop/__init__.py", "FACTOR = 1", "FACTOR = 3")
    res = ok(k, """
        print([client.submit(shop.calc.f, 1).result(), client.submit(shop.calc.f, 1).key,
               sorted(client.run(shop.calc.f, 1).values())])
    """)
    new, key, everywhere = values(res)
    assert (new, everywhere) == (303, [303, 303])
    assert key != values(same)[0], "a task key must change with the code it runs"

    # A new top-level statement that only fails outside the kernel (no ipykernel
    # on a worker): the kernel reloads, the workers fail and keep the previous
    # version.
    edit(k.workdir / CALC, "def f(x):",
         "import sys\nPROBE = 1 if 'ipykernel' in sys.modules else 1 / 0\n\ndef f(x):")
    edit(k.workdir / CALC, "return x + 100", "return x + 1000")
    res = ok(k, "print(sorted(client.run(shop.calc.f, 1).values()))")
    assert values(res) == [303, 303], "failed workers keep the previous version"
    lines = [line for line in res.stderr.splitlines() if "shop.calc" in line]
    assert len(lines) == 1, res.stderr
    assert "2 of 2 Dask workers" in lines[0] and "tcp://127.0.0.1:" in lines[0]
    assert "calc.py:" in lines[0] and "ZeroDivisionError" in lines[0]
    status = ok(k, "%autoreload --status").stdout
    assert "out-of-date workers" in status and status.count("): shop.calc: ") == 2, status

    edit(k.workdir / CALC, "1 if 'ipykernel' in sys.modules else 1 / 0", "2")
    res = ok(k, """
        print([sorted(client.run(shop.calc.f, 1).values()),
               get_ipython().kernel.cluster_room.timings[-1]["resent"]])
    """)
    assert values(res) == [[3003, 3003], ["shop.calc"]], \
        "the next good save reaches the failed workers (whole: they hold an older version)"
    assert "could not apply" not in res.stderr
    status = ok(k, "%autoreload --status").stdout
    assert "every worker runs the kernel's versions" in status, status
    ok(k, "client.close(); cluster.close()")


def test_task_keys_of_methods_instances_and_partials(kernel):
    """(g) for more than plain functions: a bound method, a callable instance of
    a user class, a functools.partial of a user function and a user class
    change their task key with their module's version, so a held future with
    the same arguments does not hand the old result to the new code."""
    k = kernel
    k.write("keyed.py", """
        class Scaler:
            def __init__(self, k=2):
                self.k = k

            def scale(self, x):
                return x * self.k

            def __call__(self, x):
                return x * self.k

        def add(x, y):
            return x + y
    """)
    ok(k, """
        import functools
        from dask.distributed import Client, LocalCluster
        import keyed
        cluster = LocalCluster(n_workers=1, processes=False, dashboard_address=None)
        client = Client(cluster)
        s = keyed.Scaler()
        calls = lambda: [client.submit(s.scale, 3), client.submit(s, 3),
                         client.submit(functools.partial(keyed.add, 1), 3),
                         client.submit(keyed.Scaler, 5)]
        held = calls()
        print([f.result() if i < 3 else f.result().k for i, f in enumerate(held)])
    """)
    edit(k.workdir / "keyed.py", "return x * self.k\n\n    def __call__",
         "return x * self.k + 100\n\n    def __call__")
    edit(k.workdir / "keyed.py", "return x * self.k\n\ndef", "return x * self.k + 200\n\ndef")
    edit(k.workdir / "keyed.py", "return x + y", "return x + y + 300")
    edit(k.workdir / "keyed.py", "self.k = k", "self.k = k + 400")
    res = ok(k, """
        fresh = calls()
        print([[f.result() if i < 3 else f.result().k for i, f in enumerate(fresh)],
               [f.result() if i < 3 else f.result().k for i, f in enumerate(held)],
               [a.key != b.key for a, b in zip(fresh, held)]])
        client.close(); cluster.close()
    """)
    new, old, changed = values(res)
    assert new == [106, 206, 304, 405], "fresh tasks must run the new code"
    assert old == [6, 6, 4, 5], "held futures keep the results they had"
    assert changed == [True] * 4


def test_in_process_workers_are_not_reloaded_twice(fresh_kernel):
    """LocalCluster(processes=False): the kernel's own reload is the workers'."""
    k = fresh_kernel
    k.write("solo.py", "LOG = []\n\ndef f(x):\n    return x + 1\n")
    ok(k, """
        import os, sys
        from dask.distributed import Client, LocalCluster
        import solo
        cluster = LocalCluster(n_workers=1, processes=False, dashboard_address=None)
        client = Client(cluster)
        print([client.submit(solo.f, 1).result()])
    """)
    edit(k.workdir / "solo.py", "LOG = []\n", "LOG = []\nLOG.append('ran')\n")
    edit(k.workdir / "solo.py", "x + 1", "x + 2")
    res = ok(k, """
        print([client.submit(solo.f, 1).result(), solo.LOG,
               [p for p in sys.path if os.path.basename(p).startswith('autoreload-kernel-')]])
    """)
    assert values(res) == [3, ["ran"], []]
    ok(k, "client.close(); cluster.close()")


def test_cli_cluster_without_shared_files(fresh_kernel, tmp_path):
    """(b) `dask scheduler` + `dask worker` processes in empty folders: first
    contact, in the cell that makes the client, ships the package; (d) a worker started after the edit; (f) a
    syntax error never leaves the kernel, its fix does; a worker without
    autoreload-kernel is named once and its tasks still run."""
    k = fresh_kernel
    write_package(k.workdir)
    procs = Processes(tmp_path / "procs")
    sched_file = tmp_path / "scheduler.json"
    worker = [bin_of("dask"), "worker", "--scheduler-file", str(sched_file),
              "--host", "127.0.0.1", "--nthreads", "1", "--no-nanny",
              "--no-dashboard"]
    try:
        procs.start("scheduler", [bin_of("dask"), "scheduler", "--host", "127.0.0.1",
                                  "--port", "0", "--no-dashboard",
                                  "--scheduler-file", str(sched_file)])
        wait_for_file(sched_file)
        procs.start("w1", worker)
        procs.start("w2", worker)
        # Connected with propagation off: the workers cannot import the package.
        ok(k, "%autoreload --clusters off")
        res = ok(k, f"""
            from dask.distributed import Client
            import shop.calc
            client = Client(scheduler_file={str(sched_file)!r})
            client.wait_for_workers(2, timeout=60)
            def importable():
                import importlib.util
                return importlib.util.find_spec("shop") is not None
            print([sorted(client.run(importable).values()),
                   client.run_on_scheduler(importable)])
        """)
        assert values(res) == [[False, False], False]

        # On again, and a client made in a cell can run the package in that cell.
        ok(k, "client.close()\n%autoreload --clusters on")
        res = ok(k, f"""
            client = Client(scheduler_file={str(sched_file)!r})
            held = client.submit(shop.calc.f, 1)
            client.run(shop.calc.remember, 5)
            print([held.result(), sorted(client.run(shop.calc.f, 1).values())])
        """)
        assert values(res) == [2, [2, 2]]
        res = ok(k, """
            def private_dirs():
                import os, sys
                # the dir itself, not any path that merely contains the name
                # (CI's venv is /tmp/autoreload-kernel-ci-venv)
                return [oct(os.stat(p).st_mode & 0o777) for p in sys.path
                        if os.path.basename(p).startswith("autoreload-kernel-")]
            print(sorted(client.run(private_dirs).values()))
        """)
        assert values(res) == [["0o700"], ["0o700"]], "worker files live in a private dir"

        edit(k.workdir / CALC, "return x + 1", "return x + 10")
        procs.start("w3", worker)  # joins after the edit
        res = ok(k, """
            client.wait_for_workers(3, timeout=60)
            print([client.submit(shop.calc.f, 1).result(), held.result(),
                   sorted(client.run(shop.calc.f, 1).values()),
                   sorted(map(len, client.run(shop.calc.recall).values())),
                   client.run_on_scheduler(lambda: __import__("shop.calc").calc.f(1))])
        """)
        new, old, everywhere, state, scheduler = values(res)
        assert (new, old, everywhere, scheduler) == (11, 2, [11, 11, 11], 11)
        assert state == [0, 1, 1], "the two first workers kept their state"

        edit(k.workdir / CALC, "return x + 10", "return x +")
        res = ok(k, "print(sorted(client.run(shop.calc.f, 1).values()))")
        assert values(res) == [11, 11, 11]
        assert "could not reload shop.calc" in res.stderr
        assert "could not apply" not in res.stderr, "a syntax error must not reach the workers"
        edit(k.workdir / CALC, "return x +", "return x + 20")
        res = ok(k, "print(sorted(client.run(shop.calc.f, 1).values()))")
        assert values(res) == [21, 21, 21]

        # Storing the plugin for late workers fails: a real worker whose
        # plugin-add handler refuses ours (a stand-in for a worker that cannot
        # load it; no real worker fails that way on demand).  Said once; the
        # edits still reach every worker, that one too, and the tasks run.
        refuse = tmp_path / "refuse_plugin.py"
        refuse.write_text(REFUSE_PLUGIN)
        procs.start("w5", worker + ["--preload", str(refuse)])
        ok(k, "client.wait_for_workers(4, timeout=60)")
        stderr = ""
        for before, value in ((20, 22), (22, 23)):
            edit(k.workdir / CALC, f"return x + {before}", f"return x + {value}")
            res = ok(k, """
                print([client.submit(shop.calc.f, 1).result(),
                       sorted(client.run(shop.calc.f, 1).values())])
            """)
            assert values(res) == [value + 1, [value + 1] * 4]
            stderr += ok(k, "pass").stderr + res.stderr  # the registration ends meanwhile
        said = [line for line in stderr.splitlines() if line.startswith("[autoreload]")]
        assert len(said) == 1, stderr
        assert "storing your modules with the Dask client of tcp://127.0.0.1:" in said[0]
        assert "this worker refuses the plugin" in said[0] and "tasks still run" in said[0]
        status = ok(k, "%autoreload --status").stdout
        assert "every worker runs the kernel's versions" in status, status
        edit(k.workdir / CALC, "return x + 23", "return x + 20")

        # A worker whose environment lacks autoreload-kernel (emulated: a module of
        # that name that fails to import shadows the installed one).
        blocker = tmp_path / "blocker"
        blocker.mkdir()
        (blocker / "autoreload_kernel.py").write_text(
            "raise ModuleNotFoundError(\"No module named 'autoreload_kernel'\")\n")
        env = dict(__import__("os").environ, PYTHONPATH=str(blocker))
        procs.start("w4", worker, env=env)
        ok(k, "client.wait_for_workers(5, timeout=60)")
        edit(k.workdir / CALC, "return x + 20", "return x + 30")
        res = ok(k, "print(sorted(client.run(lambda: 1).values()))")
        assert values(res) == [1] * 5, "every worker still runs the user's tasks"
        assert res.stderr.count("has no autoreload-kernel") == 1, res.stderr
        assert "pip install autoreload-kernel" in res.stderr
        edit(k.workdir / CALC, "return x + 30", "return x + 40")
        res = ok(k, "print(len(client.run(lambda: 1)))")
        assert "autoreload-kernel" not in res.stderr, "said once"
        ok(k, "client.close()")
    finally:
        procs.stop()


@pytest.fixture(scope="module", autouse=True)
def _other_python_early(other_python):
    """Start making the other Python's venv while the tests before it run."""


def test_worker_on_another_python(fresh_kernel, tmp_path, other_python):
    """A worker that runs another Python (a pyenv interpreter with distributed
    and autoreload-kernel in a venv of its own): said once, with the fix; the
    user's tasks run and edits reach it, also when such a worker joins after an
    edit (the plugin for late workers must load on that Python)."""
    venv, version = other_python.result()
    k = fresh_kernel
    write_package(k.workdir)
    procs = Processes(tmp_path / "procs")
    sched_file = tmp_path / "scheduler.json"
    worker = ["worker", "--scheduler-file", str(sched_file), "--host", "127.0.0.1",
              "--nthreads", "1", "--no-nanny", "--no-dashboard"]
    other_env = clean_env()
    other_env["PATH"] = f"{venv / 'bin'}:{other_env.get('PATH', '')}"
    try:
        procs.start("scheduler", [bin_of("dask"), "scheduler", "--host", "127.0.0.1",
                                  "--port", "0", "--no-dashboard",
                                  "--scheduler-file", str(sched_file)])
        wait_for_file(sched_file)
        procs.start("same", [bin_of("dask")] + worker)
        procs.start("other", [str(venv / "bin" / "dask")] + worker, env=other_env)
        # both running before the client is made: its first contact meets them
        wait_for_file(tmp_path / "procs" / "scheduler" / "log.txt", text="Register worker",
                      count=2)
        res = ok(k, f"""
            import sys
            from dask.distributed import Client
            import shop.calc
            client = Client(scheduler_file={str(sched_file)!r})
            client.wait_for_workers(2, timeout=60)
        """)
        said = [line for line in res.stderr.splitlines() if line.startswith("[autoreload]")]
        assert len(said) == 1, res.stderr
        assert f"runs Python {version}" in said[0] and "tcp://127.0.0.1:" in said[0], said
        assert "start the workers with" in said[0], said  # the fix
        res = ok(k, """
            import platform  # by reference: a notebook function would carry its bytecode
            print([sorted(client.run(platform.python_version).values()),
                   client.submit(shop.calc.f, 1).result(),
                   sorted(client.run(shop.calc.f, 1).values())])
        """)
        pythons, submitted, everywhere = values(res)
        assert [p.rsplit(".", 1)[0] for p in pythons] == sorted([version, platform_version()])
        assert (submitted, everywhere) == (2, [2, 2])

        edit(k.workdir / CALC, "return x + 1", "return x + 10")
        procs.start("late", [str(venv / "bin" / "dask")] + worker, env=other_env)
        res = ok(k, """
            client.wait_for_workers(3, timeout=60)
            print([client.submit(shop.calc.f, 2).result(),
                   sorted(client.run(shop.calc.f, 1).values())])
        """)
        assert values(res) == [12, [11, 11, 11]], "the late worker on the other Python too"
        assert "[autoreload]" not in res.stderr, "said once"
        edit(k.workdir / CALC, "return x + 10", "return x + 20")
        res = ok(k, "print(sorted(client.run(shop.calc.f, 1).values()))")
        assert values(res) == [21, 21, 21] and "[autoreload]" not in res.stderr
        ok(k, "client.close()")
    finally:
        procs.stop()


def test_config_turns_it_off(tmp_path):
    """`c.AutoreloadKernel.clusters = False`: no client is contacted."""
    from driver import kernel_with_config

    k = kernel_with_config(tmp_path, "c.AutoreloadKernel.clusters = False\n")
    try:
        k.write("quiet.py", "def f(x):\n    return x\n")
        ok(k, """
            import quiet
            from dask.distributed import Client, LocalCluster
            cluster = LocalCluster(n_workers=1, processes=False, dashboard_address=None)
            client = Client(cluster)
        """)
        status = ok(k, "%autoreload --status").stdout
        assert "clusters: off" in status, status
        assert ok(k, "print(get_ipython().kernel.cluster_room.adapters)").stdout == "{}\n"
        ok(k, "%autoreload --clusters on")
        status = ok(k, "%autoreload --status").stdout
        assert "sending edits to: Dask client of" in status, status
        ok(k, "client.close(); cluster.close()")
    finally:
        k.shutdown()


def test_client_made_in_the_cell_that_imports_dask(fresh_kernel):
    """The cell that first imports dask and makes a client already has it
    contacted (the hook that notices it is a path hook, asked once per new
    directory: nothing is added to ``sys.meta_path``, which every import asks)."""
    k = fresh_kernel
    res = ok(k, """
        import sys
        from dask.distributed import Client, LocalCluster
        cluster = LocalCluster(n_workers=1, processes=False, dashboard_address=None)
        client = Client(cluster)
        room = get_ipython().kernel.cluster_room
        ours = [f for f in sys.meta_path if type(f).__module__.startswith("autoreload_kernel")]
        print([ours, len(room.adapters),
               hasattr(Client.__init__, "__wrapped__")])
    """)
    assert values(res) == [[], 1, True]
    ok(k, "client.close(); cluster.close()")
