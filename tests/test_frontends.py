"""Real frontends run notebooks on the python-autoreload kernel and see edits.

Every test here starts real kernel processes through a real frontend:
`jupyter execute`, nbclient, papermill, `jupyter nbconvert --execute`,
`jupyter console` (driven through a pty with pexpect), and a KernelManager
restart.  No magic is ever typed: the kernel alone must pick up the edits.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pexpect
import pytest
from driver import KERNEL_NAME, write_f_and_call, write_f_and_import
from nbformat.v4 import new_code_cell, new_notebook

BIN = Path(sys.executable).parent
JUPYTER = str(BIN / "jupyter")

# Cells of the edit-then-call notebook.  The module is written by the notebook
# itself (as a user would from a cell), imported, rewritten in one cell and
# called again in the next one.  No %autoreload anywhere.
KERNEL_CELL = "print('kernel:', type(get_ipython().kernel).__name__)"
WRITE_V1 = r'from pathlib import Path' + "\n" + r'Path("mymod.py").write_text("def f():\n    return 1\n")'
CALL_IMPORT = "import mymod\nprint('f() ->', mymod.f())"
WRITE_V2 = r'Path("mymod.py").write_text("def f():\n    return 2\n")'
CALL_AGAIN = "print('f() ->', mymod.f())"


def _notebook(cells: list) -> nbformat.NotebookNode:
    """A notebook for the python-autoreload kernel with these cells."""
    nb = new_notebook()
    nb.metadata["kernelspec"] = {
        "name": KERNEL_NAME,
        "display_name": "Python (autoreload)",
        "language": "python",
    }
    nb.metadata["language_info"] = {"name": "python"}
    nb.cells = cells
    return nb


def _edit_notebook() -> nbformat.NotebookNode:
    return _notebook(
        [new_code_cell(src) for src in (KERNEL_CELL, WRITE_V1, CALL_IMPORT, WRITE_V2, CALL_AGAIN)]
    )


def _env() -> dict:
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    # Like on a user's machine, let the kernel write .pyc files (this checkout's
    # environment sets PYTHONDONTWRITEBYTECODE=1, which hides the classic trap of
    # a same-size edit within the same second being served from a stale .pyc;
    # `return 1` -> `return 2` below is exactly such an edit).
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    # The `jupyter` launcher finds `jupyter-execute` etc. on PATH: use the venv's.
    env["PATH"] = str(BIN) + os.pathsep + env.get("PATH", "")
    return env


def _stdout(nb) -> str:
    """All stdout text of all code cells, in order; fails on any error output."""
    parts = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for out in cell.get("outputs", []):
            assert out["output_type"] != "error", (
                f"cell {cell.source!r} failed: {out.get('ename')}: {out.get('evalue')}\n"
                + "\n".join(out.get("traceback", []))
            )
            if out["output_type"] == "stream" and out["name"] == "stdout":
                parts.append(out["text"])
    return "".join(parts)


def _f_values(nb) -> list[str]:
    return [
        line.split("->", 1)[1].strip()
        for line in _stdout(nb).splitlines()
        if line.startswith("f() ->")
    ]


def _assert_edit_seen(nb) -> None:
    out = _stdout(nb)
    assert "kernel: AutoreloadKernel" in out, out
    assert _f_values(nb) == ["1", "2"], out


def _run(cmd: list[str], cwd: Path) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        cmd, cwd=cwd, env=_env(), capture_output=True, text=True, timeout=180
    )
    assert proc.returncode == 0, f"{cmd} exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    return proc


def test_jupyter_execute(tmp_path):
    nbformat.write(_edit_notebook(), tmp_path / "nb.ipynb")
    _run(
        [JUPYTER, "execute", "--kernel_name", KERNEL_NAME, "nb.ipynb", "--output", "nb_out"],
        cwd=tmp_path,
    )
    out = tmp_path / "nb_out.ipynb"
    assert out.exists(), sorted(p.name for p in tmp_path.iterdir())
    _assert_edit_seen(nbformat.read(out, as_version=4))


@pytest.fixture
def user_env(monkeypatch):
    """In-process frontends start kernels with os.environ: make it a user's one."""
    monkeypatch.delenv("PYTHONPATH", raising=False)
    monkeypatch.delenv("PYTHONDONTWRITEBYTECODE", raising=False)  # see _env()


def test_nbclient(tmp_path, user_env):
    from nbclient import NotebookClient

    nb = _edit_notebook()
    client = NotebookClient(
        nb,
        timeout=60,
        startup_timeout=60,
        kernel_name=KERNEL_NAME,
        resources={"metadata": {"path": str(tmp_path)}},
    )
    client.execute()
    _assert_edit_seen(nb)
    # The kernel ran in the notebook's directory (where the module was written).
    assert (tmp_path / "mymod.py").read_text() == "def f():\n    return 2\n"


def test_papermill(tmp_path, user_env):
    import papermill

    params = new_code_cell("first = 1\nsecond = 1")
    params.metadata["tags"] = ["parameters"]
    nb = _notebook([
        new_code_cell(KERNEL_CELL),
        params,
        new_code_cell(
            r'from pathlib import Path' + "\n"
            + r'Path("mymod.py").write_text(f"def f():\n    return {first}\n")'
        ),
        new_code_cell(CALL_IMPORT),
        new_code_cell(r'Path("mymod.py").write_text(f"def f():\n    return {second}\n")'),
        new_code_cell(CALL_AGAIN),
    ])
    src, dst = tmp_path / "params.ipynb", tmp_path / "params_out.ipynb"
    nbformat.write(nb, src)

    papermill.execute_notebook(
        str(src),
        str(dst),
        parameters={"second": 2},
        kernel_name=KERNEL_NAME,
        cwd=str(tmp_path),
        progress_bar=False,
        log_output=False,
        start_timeout=60,
    )
    out = nbformat.read(dst, as_version=4)
    injected = [c for c in out.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(injected) == 1 and "second = 2" in injected[0].source, injected
    assert out.metadata["papermill"]["parameters"] == {"second": 2}
    _assert_edit_seen(out)


def test_nbconvert_execute(tmp_path):
    nbformat.write(_edit_notebook(), tmp_path / "nb.ipynb")
    _run(
        [
            JUPYTER,
            "nbconvert",
            "--to",
            "notebook",
            "--execute",
            f"--ExecutePreprocessor.kernel_name={KERNEL_NAME}",
            "--ExecutePreprocessor.timeout=60",
            "--output",
            "nb_converted",
            "nb.ipynb",
        ],
        cwd=tmp_path,
    )
    out = tmp_path / "nb_converted.ipynb"
    assert out.exists(), sorted(p.name for p in tmp_path.iterdir())
    _assert_edit_seen(nbformat.read(out, as_version=4))


def test_jupyter_console(tmp_path):
    (tmp_path / "cmod.py").write_text("def f():\n    return 6\n")
    env = _env()
    env["TERM"] = "dumb"
    child = pexpect.spawn(
        JUPYTER,
        ["console", "--kernel", KERNEL_NAME, "--simple-prompt"],
        cwd=str(tmp_path),
        env=env,
        encoding="utf-8",
        timeout=60,
    )
    try:
        # The banner is the kernel's own: proves the console runs our kernel.
        child.expect(r"Python \(autoreload\)")
        child.expect(r"In \[1\]: ")
        # Printed values are products, so the echoed input never matches them.
        child.sendline("import cmod; print('got', cmod.f() * 7)")
        child.expect(r"got (\d+)")
        assert child.match.group(1) == "42"
        child.expect(r"In \[2\]: ")

        # The user edits the module in an editor between two inputs.
        (tmp_path / "cmod.py").write_text("def f():\n    return 5\n")

        child.sendline("print('got', cmod.f() * 7)")
        child.expect(r"got (\d+)")
        assert child.match.group(1) == "35", "the console's second input did not see the edit"
        child.expect(r"In \[3\]: ")
        child.sendline("exit")
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    assert child.exitstatus == 0, (child.exitstatus, child.signalstatus)


def test_restart_keeps_autoreload_on(fresh_kernel, modname):
    k = fresh_kernel
    assert k.execute("before_restart = 1").ok
    k.restart()
    # It really is a new process...
    res = k.execute("before_restart")
    assert res.error.startswith("NameError"), res.error
    assert k.value("type(get_ipython().kernel).__name__") == "'AutoreloadKernel'"

    # ...and it reloads edited modules with no magic.
    write_f_and_import(k, modname, "before edit")
    res = write_f_and_call(k, modname, "after the edit")
    assert res.stdout == "after the edit\n", "restarted kernel did not pick up the edit"
