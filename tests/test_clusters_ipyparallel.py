"""An edit reaches every ipyparallel engine (issue 11), through a real
python-autoreload kernel and a real ipyparallel cluster on 127.0.0.1, whose
engines run outside the module's folder."""

from __future__ import annotations

import ast

import pytest

pytest.importorskip("ipyparallel")

from clusterkit import edit, ok, write_package  # noqa: E402

CALC = "shop/calc.py"


def values(res) -> list:
    return ast.literal_eval(res.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module", autouse=True)
def _other_python_early(other_python):
    """Start making the other Python's venv (if no test before did)."""


def test_engines_direct_and_load_balanced(fresh_kernel, tmp_path, other_python):
    """(c) ipyparallel.Cluster(n=2): first contact ships the package, direct and
    load-balanced views run the new code with the engine's module patched in
    place (state kept, new helpers); (d) an engine started after the edit;
    (f) a syntax error stays in the kernel."""
    k = fresh_kernel
    write_package(k.workdir)
    engines_dir = tmp_path / "engines"
    engines_dir.mkdir()
    try:
        res = ok(k, f"""
            import os
            import ipyparallel as ipp
            import shop.calc
            here = os.getcwd()
            os.chdir({str(engines_dir)!r})  # the engines start outside the module's folder
            try:
                cluster = ipp.Cluster(n=2, controller_ip="127.0.0.1",
                                      profile_dir={str(tmp_path / "profile")!r})
                rc = cluster.start_and_connect_sync()
                rc.wait_for_engines(2, timeout=60)
            finally:
                os.chdir(here)
            dview, lview = rc[:], rc.load_balanced_view()
            print([dview.apply_sync(shop.calc.f, 1)])  # in the cell that made the client
        """, timeout=180)
        assert values(res) == [[2, 2]]
        res = ok(k, """
            def where():
                import importlib.util, os
                return os.getcwd(), importlib.util.find_spec("shop").origin
            print([dview.apply_sync(shop.calc.f, 1), lview.apply_sync(shop.calc.f, 1),
                   [w[0] for w in dview.apply_sync(where)],
                   [w[1].startswith(here) for w in dview.apply_sync(where)]])
            dview.apply_sync(shop.calc.remember, 3)
        """)
        direct, balanced, cwds, from_kernel_folder = values(res)
        assert (direct, balanced) == ([2, 2], 2)
        assert cwds == [str(engines_dir)] * 2
        assert from_kernel_folder == [False, False], "engines get the package from the kernel"

        edit(k.workdir / CALC, "return x + 1", "return x + 50")
        res = ok(k, """
            print([dview.apply_sync(shop.calc.f, 1), lview.apply_sync(shop.calc.f, 1),
                   dview.apply_sync(shop.calc.recall)])
        """)
        assert values(res) == [[51, 51], 51, [[3], [3]]]

        edit(k.workdir / CALC, "return x + 50", "return x + 60")
        res = ok(k, """
            os.chdir({engines!r})
            try:
                cluster.start_engines_sync(n=1)
            finally:
                os.chdir(here)
            rc.wait_for_engines(3, timeout=60)
            print([rc[:].apply_sync(shop.calc.f, 1), rc[-1].apply_sync(shop.calc.recall)])
        """.replace("{engines!r}", repr(str(engines_dir))), timeout=120)
        assert values(res) == [[61, 61, 61], []]

        edit(k.workdir / CALC, "return x + 60", "return x +")
        res = ok(k, "print(rc[:].apply_sync(shop.calc.f, 1))")
        assert values(res) == [61, 61, 61]
        assert "could not reload shop.calc" in res.stderr and "could not apply" not in res.stderr
        edit(k.workdir / CALC, "return x +", "return x + 70")
        res = ok(k, "print(rc[:].apply_sync(shop.calc.f, 1))")
        assert values(res) == [71, 71, 71]

        # A statement that fails only where the marker file is missing: on the
        # engines (their own folder), not in the kernel.
        (k.workdir / "marker").write_text("")
        edit(k.workdir / CALC, "def f(x):",
             "import os\nPROBE = 1 if os.path.exists('marker') else 1 / 0\n\ndef f(x):")
        edit(k.workdir / CALC, "return x + 70", "return x + 80")
        res = ok(k, "print([shop.calc.f(1), rc[:].apply_sync(shop.calc.f, 1)])")
        assert values(res) == [81, [71, 71, 71]]
        lines = [line for line in res.stderr.splitlines() if "could not apply" in line]
        assert len(lines) == 1 and "3 of 3 ipyparallel engines" in lines[0], res.stderr
        assert "engine " in lines[0] and "calc.py:" in lines[0] and "ZeroDivisionError" in lines[0]
        status = ok(k, "%autoreload --status").stdout
        assert status.count("): shop.calc: ") == 3, status
        edit(k.workdir / CALC, "1 if os.path.exists('marker') else 1 / 0", "1")
        edit(k.workdir / CALC, "return x + 80", "return x + 90")
        res = ok(k, "print(rc[:].apply_sync(shop.calc.f, 1))")
        assert values(res) == [91, 91, 91] and "could not apply" not in res.stderr

        # An engine that joins later and already runs the package: it imports a
        # stale copy at startup from its own folder, where the kernel's version
        # fails (that folder holds a file the statement refuses).
        stale = tmp_path / "stale"
        write_package(stale)
        (stale / "stale-marker").write_text("")
        edit(k.workdir / CALC, "PROBE = 1\n",
             "PROBE = 1 / 0 if os.path.exists('stale-marker') else 1\n")
        edit(k.workdir / CALC, "return x + 90", "return x + 100")
        res = ok(k, """
            os.chdir({stale!r})
            try:
                cluster.start_engines_sync(
                    n=1, engine_args=["--IPEngine.startup_command=import shop.calc"])
            finally:
                os.chdir(here)
            rc.wait_for_engines(4, timeout=60)
            print(rc[:].apply_sync(shop.calc.f, 1))
        """.replace("{stale!r}", repr(str(stale))), timeout=120)
        assert values(res) == [101, 101, 101, 2], "the late engine keeps the version it had"
        lines = [line for line in res.stderr.splitlines() if line.startswith("[autoreload]")]
        assert len(lines) == 1, res.stderr
        assert "shop.calc: 1 of 1 ipyparallel engines that joined later" in lines[0], lines
        assert "engine 3: " in lines[0] and "calc.py:" in lines[0], lines
        assert "ZeroDivisionError" in lines[0], lines
        status = ok(k, "%autoreload --status").stdout
        assert "engine 3 (ipyparallel client): shop.calc: " in status, status

        edit(k.workdir / CALC, "1 / 0 if os.path.exists('stale-marker') else 1", "2")
        edit(k.workdir / CALC, "return x + 100", "return x + 110")
        res = ok(k, "print(rc[:].apply_sync(shop.calc.f, 1))")
        assert values(res) == [111, 111, 111, 111], "the next good save reaches it"
        assert "[autoreload]" not in res.stderr, res.stderr
        status = ok(k, "%autoreload --status").stdout
        assert "every worker runs the kernel's versions" in status, status

        # An engine on another Python joins (ipyparallel sends functions as
        # bytecode, so the user's own functions cannot run there): it is named
        # once with the fix, it stays up, and it got the package (as source).
        venv, version = other_python.result()
        res = ok(k, f"""
            os.chdir({str(engines_dir)!r})
            try:
                cluster.start_engines_sync(
                    n=1, engine_cmd=[{str(venv / "bin" / "python")!r}, "-m", "ipyparallel.engine"])
            finally:
                os.chdir(here)
            rc.wait_for_engines(5, timeout=90)
            print([rc[4].apply_sync(eval, "__import__('platform').python_version()"),
                   rc[4].apply_sync(eval, "__import__('shop.calc').calc.f(1)")])
        """, timeout=180)
        python, value = values(res)
        assert python.rsplit(".", 1)[0] == version and value == 111
        said = [line for line in res.stderr.splitlines() if line.startswith("[autoreload]")]
        assert len(said) == 1 and f"engine 4 runs Python {version}" in said[0], res.stderr
        assert "start the engines with Python" in said[0], said
    finally:  # also when a check failed: no controller or engine outlives the test
        k.execute("if 'cluster' in globals(): cluster.stop_cluster_sync()", timeout=60)
