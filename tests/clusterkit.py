"""Shared steps of the cluster tests: a user package that lives only beside the
kernel, edits to it, and cluster processes bound to 127.0.0.1."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

# A package whose __init__ holds data the module uses, and a module with state
# (STATE) that an edit of a function must not wipe.
PACKAGE = {
    "shop/__init__.py": "FACTOR = 1\n",
    "shop/calc.py": (
        "from . import FACTOR\n"
        "STATE = []\n\n"
        "def helper(x):\n"
        "    return x + 1\n\n"
        "def f(x):\n"
        "    return helper(x) * FACTOR\n\n"
        "def remember(v):\n"
        "    STATE.append(v)\n\n"
        "def recall():\n"
        "    return list(STATE)\n"
    ),
}


def write_package(workdir: Path) -> None:
    for rel, text in PACKAGE.items():
        path = workdir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, (old, text)
    path.write_text(text.replace(old, new))


def ok(kernel, code: str, timeout: float = 120):
    res = kernel.execute(code, timeout=timeout)
    assert res.ok, f"{res.error}\n{res.traceback}\n{res.stderr}"
    return res


def clean_env() -> dict:
    """The environment of a process that must not see the kernel's folder."""
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    return env


def bin_of(name: str) -> str:
    return str(Path(sys.executable).with_name(name))


class Processes:
    """Cluster processes started by a test, each in its own empty folder; all
    stopped at the end."""

    def __init__(self, root: Path):
        self.root = root
        self.procs: list[subprocess.Popen] = []

    def start(self, name: str, argv: list[str], env: dict | None = None) -> subprocess.Popen:
        cwd = self.root / name
        cwd.mkdir(parents=True)
        log = open(cwd / "log.txt", "wb")
        proc = subprocess.Popen(argv, cwd=cwd, env=env or clean_env(), stdout=log,
                                stderr=subprocess.STDOUT)
        self.procs.append(proc)
        return proc

    def stop(self) -> None:
        for proc in self.procs:
            proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


def other_python_venv(base: Path) -> tuple[Path, str]:
    """A venv of another CPython than the kernel's (pyenv's, see test_pythons) with
    this distributed, this ipyparallel and this project in it; skips when none
    is installed."""
    import distributed
    import ipyparallel
    import pytest
    from test_pythons import VERSIONS, find_python

    here = "%d.%d" % sys.version_info[:2]
    for version in sorted(VERSIONS, key=lambda v: v != "3.12"):
        exe = version != here and find_python(version)
        if exe:
            break
    else:
        pytest.skip(f"no CPython other than {here} on this machine")
    venv = base / "venv"
    subprocess.run([exe, "-m", "venv", str(venv)], check=True, timeout=300)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--no-compile"]
    for args in ([f"distributed=={distributed.__version__}",
                  f"ipyparallel=={ipyparallel.__version__}"],
                 ["--no-deps", str(Path(__file__).resolve().parents[1])]):
        proc = subprocess.run(pip + args, capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, proc.stderr[-3000:]
    return venv, version


def wait_for_file(path: Path, timeout: float = 60, text: str = "", count: int = 1) -> None:
    """Until ``path`` exists (and holds ``text`` ``count`` times: a log line)."""
    end = time.monotonic() + timeout
    while not path.exists() or text and path.read_text(errors="replace").count(text) < count:
        assert time.monotonic() < end, f"{path} never appeared (or never said {text!r})"
        time.sleep(0.05)
