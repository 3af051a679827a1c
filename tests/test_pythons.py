"""Every supported CPython (3.10 to 3.13), and IPython 8, through a real kernel.

The full suite runs on the Python that runs pytest.  For each *other* version
found on this machine (pyenv's interpreters, then ``pythonX.Y`` on PATH), a
fresh venv gets this project's wheel from a plain ``pip install`` (on 3.10 that
brings IPython 8, since IPython 9 needs 3.11) and runs the reload scenarios,
the smoke test, the encryption tests and the compiler-warning tests there, with kernels started through
that venv's own ``python-autoreload`` kernelspec.  A version that is not
installed is skipped, and the skip says so.
"""

from __future__ import annotations

import glob
import json
import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
VERSIONS = ("3.10", "3.11", "3.12", "3.13")
HERE = f"{sys.version_info[0]}.{sys.version_info[1]}"
SUBSET = ["tests/test_smoke.py", "tests/test_scenarios.py", "tests/test_encryption.py",
          "tests/test_compile_warnings.py"]

#: Started in the venv: the kernel reports the Python and IPython it runs on.
KERNEL_REPORT = """
import json, sys
from jupyter_client.manager import start_new_kernel
km, kc = start_new_kernel(kernel_name="python-autoreload")
try:
    code = "import sys, IPython, ipykernel; print(sys.version_info[:2], IPython.version_info[0], ipykernel.__version__)"
    out = []
    kc.execute_interactive(code, timeout=60, output_hook=lambda m: out.append(m["content"].get("text", "")))
    print(json.dumps({"spec": km.kernel_spec.resource_dir, "out": "".join(out)}))
finally:
    kc.stop_channels()
    km.shutdown_kernel(now=True)
"""


def _version_key(name: str) -> tuple[int, ...]:
    return tuple(int(p) for p in re.findall(r"\d+", name))


def find_python(version: str) -> str | None:
    """The newest CPython `version` on this machine, or None."""
    candidates = []
    pyenv = shutil.which("pyenv")
    roots = [os.environ.get("PYENV_ROOT"), os.path.expanduser("~/.pyenv")]
    if pyenv:
        proc = subprocess.run([pyenv, "root"], capture_output=True, text=True)
        roots.insert(0, proc.stdout.strip() if proc.returncode == 0 else None)
    for root in filter(None, roots):
        found = glob.glob(os.path.join(root, "versions", f"{version}.*", "bin", f"python{version}"))
        found = [p for p in found if re.fullmatch(rf"{re.escape(version)}\.\d+", Path(p).parents[1].name)]
        candidates += sorted(found, key=lambda p: _version_key(Path(p).parents[1].name), reverse=True)
    on_path = shutil.which(f"python{version}")
    if on_path:
        candidates.append(on_path)
    for exe in candidates:
        proc = subprocess.run([exe, "-c", "import sys, venv; print('%d.%d' % sys.version_info[:2])"],
                              capture_output=True, text=True)
        if proc.returncode == 0 and proc.stdout.strip() == version:
            return exe
    return None


def make_venv(version: str, wheel: Path, base: Path) -> tuple[Path, dict] | None:
    """A venv of `version` with the wheel and pytest installed, or None if absent."""
    exe = find_python(version)
    if exe is None:
        return None
    venv = base / "venv"
    subprocess.run([exe, "-m", "venv", str(venv)], check=True, timeout=300)
    python = venv / "bin" / "python"
    proc = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--no-compile", str(wheel), "pytest",
         "pytest-timeout"],
        capture_output=True, text=True, timeout=900,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PYTHON", "JUPYTER", "IPYTHON", "VIRTUAL_ENV"))}
    env.update(
        PATH=f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}",
        # Only that venv's kernelspecs, and no user profile or data dir.
        JUPYTER_PATH=str(venv / "share" / "jupyter"),
        JUPYTER_DATA_DIR=str(base / "jupyter-data"),
        IPYTHONDIR=str(base / "ipython"),
    )
    return python, env


@pytest.fixture(scope="session")
def venvs(tmp_path_factory):
    """version -> (venv python, environment).  The wheel is built once, and all the
    venvs are made at the same time (mostly waiting on pip) on first use."""
    import hatchling.build

    futures = {}
    pool = ThreadPoolExecutor(max_workers=len(OTHERS))

    def get(version: str):
        if not futures:
            dist = tmp_path_factory.mktemp("wheel")
            cwd = os.getcwd()
            os.chdir(ROOT)
            try:
                wheel = dist / hatchling.build.build_wheel(str(dist))
            finally:
                os.chdir(cwd)
            for v in OTHERS:
                futures[v] = pool.submit(make_venv, v, wheel, tmp_path_factory.mktemp(f"py{v}"))
        made = futures[version].result()
        if made is None:
            pytest.skip(f"Python {version} is not installed here (pyenv versions, PATH): skipped")
        return made

    yield get
    pool.shutdown(wait=True)


OTHERS = [v for v in VERSIONS if v != HERE]


@pytest.mark.parametrize("version", OTHERS)
def test_kernel_runs_on(version, venvs):
    python, env = venvs(version)
    proc = subprocess.run([str(python), "-c", KERNEL_REPORT], capture_output=True, text=True,
                          timeout=180, env=env, cwd=python.parents[2])
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert Path(report["spec"]).is_relative_to(python.parents[1])
    major, minor = (int(x) for x in version.split("."))
    assert report["out"].startswith(f"({major}, {minor}) "), report
    ipython, ipykernel = report["out"].split()[2:4]
    if version == "3.10":
        assert ipython == "8", "IPython 8 was expected on 3.10"
    print(f"Python {version}: the kernel runs there, on IPython {ipython}, ipykernel {ipykernel}")


@pytest.mark.parametrize("version", OTHERS)
def test_scenarios_and_smoke_on(version, venvs):
    python, env = venvs(version)
    proc = subprocess.run(
        [str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", *SUBSET],
        capture_output=True, text=True, timeout=1200, env=env, cwd=ROOT,
    )
    summary = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else ""
    print(f"Python {version}: {summary}")
    assert proc.returncode == 0, (proc.stdout[-6000:], proc.stderr[-2000:])
    assert re.search(r"\b\d+ passed\b", summary) and "failed" not in summary
