"""`autoreload-kernel doctor`, with each thing it checks broken on purpose.

Every test gets its own Jupyter search path (JUPYTER_PATH first, a private
data dir) and IPython dir, writes kernelspecs there, and runs the real command.
Where a fix is a local command, the test runs it and checks the doctor is
then satisfied.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from autoreload_kernel import __version__

ARGV_TAIL = ["-m", "autoreload_kernel", "-f", "{connection_file}"]


@pytest.fixture
def iso(tmp_path):
    """An environment whose Jupyter path and IPython dir are ours alone."""
    prefix = tmp_path / "prefix"
    (prefix / "share" / "jupyter" / "kernels").mkdir(parents=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "IPYTHON"))}
    env.pop("PYTHONPATH", None)
    env.update(JUPYTER_PATH=str(prefix / "share" / "jupyter"),
               JUPYTER_DATA_DIR=str(tmp_path / "data"), IPYTHONDIR=str(tmp_path / "ipython"))
    return env


def kernels_of(env) -> Path:
    return Path(env["JUPYTER_PATH"]) / "kernels"


def add_spec(env, name, python, extra=None) -> Path:
    spec_dir = kernels_of(env) / name
    spec_dir.mkdir()
    spec = {"argv": [str(python), *ARGV_TAIL], "display_name": name, "language": "python"}
    spec.update(extra or {})
    (spec_dir / "kernel.json").write_text(json.dumps(spec))
    return spec_dir


def doctor(env) -> tuple[int, dict[str, str]]:
    """Exit status, and the report's block for each spec directory."""
    proc = subprocess.run([sys.executable, "-m", "autoreload_kernel", "doctor"],
                          capture_output=True, text=True, timeout=180, env=env)
    assert proc.stderr == "", proc.stderr
    blocks = {}
    for block in proc.stdout.split("\n\n"):
        m = re.search(r"kernel\.json  (\S+)/kernel\.json", block)
        if m:
            blocks[m.group(1)] = block
    blocks["_all"] = proc.stdout
    return proc.returncode, blocks


def fixes(block: str) -> list[str]:
    return re.findall(r"^    fix: (.+)$", block, re.M)


def profile(env) -> Path:
    path = Path(env["IPYTHONDIR"]) / "profile_default"
    (path / "startup").mkdir(parents=True, exist_ok=True)
    return path


def test_healthy_spec_and_which_one_wins(iso):
    mine = add_spec(iso, "python-autoreload", sys.executable)
    status, blocks = doctor(iso)
    assert status == 0, blocks["_all"]
    block = blocks[str(mine)]
    assert "python-autoreload  (used: Jupyter starts this one)" in block
    assert f"autoreload_kernel  {__version__} (same as this one" in block
    assert re.search(r"runs on      ipykernel \d", block)
    assert "changes      inotify" in block
    assert "does not load IPython's autoreload: good" in block
    # This environment's own spec has the same name, later on the path: hidden.
    own = Path(sys.prefix, "share", "jupyter", "kernels", "python-autoreload")
    if (own / "kernel.json").is_file():
        assert "hidden by an earlier one of that name" in blocks[str(own)]
    assert "everything looks right" in blocks["_all"]


def test_missing_python_and_its_fix(iso):
    broken = add_spec(iso, "ar-missing", "/nonexistent/bin/python3")
    status, blocks = doctor(iso)
    assert status == 1
    block = blocks[str(broken)]
    assert "PROBLEM: /nonexistent/bin/python3 does not exist or cannot be run" in block
    (fix,) = fixes(block)
    assert "autoreload_kernel install --prefix" in fix and "--name ar-missing" in fix
    subprocess.run(fix, shell=True, check=True, env=iso, capture_output=True, timeout=120)
    status, blocks = doctor(iso)
    assert status == 0, blocks["_all"]
    assert f"starts       {sys.executable}" in blocks[str(broken)]


def test_python_without_the_package(iso, tmp_path):
    bare = tmp_path / "bare"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(bare)], check=True)
    spec_dir = add_spec(iso, "ar-bare", bare / "bin" / "python")
    status, blocks = doctor(iso)
    assert status == 1
    block = blocks[str(spec_dir)]
    assert "cannot import autoreload_kernel" in block
    assert "ModuleNotFoundError" in block
    (fix,) = fixes(block)
    assert fix.startswith(f"{bare / 'bin' / 'python'} -m pip install --upgrade ")


def test_old_version(iso, tmp_path):
    old = tmp_path / "old" / "autoreload_kernel"
    old.mkdir(parents=True)
    (old / "__init__.py").write_text('__version__ = "0.0.1"\n')
    spec_dir = add_spec(iso, "ar-old", sys.executable, {"env": {"PYTHONPATH": str(old.parent)}})
    status, blocks = doctor(iso)
    assert status == 1
    block = blocks[str(spec_dir)]
    assert f"autoreload_kernel  0.0.1 (older than this one, {__version__})" in block
    assert f"PROBLEM: it runs autoreload_kernel 0.0.1, older than {__version__}" in block
    assert "-m pip install --upgrade" in fixes(block)[0]


def test_profile_loading_ipython_autoreload_directly(iso):
    spec_dir = add_spec(iso, "ar-profile", sys.executable)
    startup = profile(iso) / "startup" / "10-reload.py"
    startup.write_text("import os\nfrom IPython.extensions import autoreload\n"
                       "autoreload.load_ipython_extension(get_ipython())\n")
    status, blocks = doctor(iso)
    assert status == 1
    block = blocks[str(spec_dir)]
    assert f"PROBLEM: {startup} line 2, 3 loads IPython's autoreload directly" in block
    (fix,) = fixes(block)
    subprocess.run(fix, shell=True, check=True, timeout=30)
    assert startup.read_text().splitlines()[0] == "import os"  # the rest is kept
    status, blocks = doctor(iso)
    assert status == 0, blocks["_all"]


def test_profile_load_ext_is_reported_as_harmless(iso):
    spec_dir = add_spec(iso, "ar-loadext", sys.executable)
    (profile(iso) / "ipython_kernel_config.py").write_text(
        'c.InteractiveShellApp.extensions = ["autoreload"]\n'
        'c.InteractiveShellApp.exec_lines = ["%autoreload 2"]\n'
        "c.AutoreloadKernel.poll = True\n"
    )
    (profile(iso) / "startup" / "00-ext.ipy").write_text("%load_ext autoreload\n")
    status, blocks = doctor(iso)
    block = blocks[str(spec_dir)]
    assert status == 0, block
    assert "c.InteractiveShellApp.extensions includes 'autoreload'" in block
    assert "00-ext.ipy:1: %load_ext autoreload  (harmless here" in block
    assert "changes      stat polling before every cell (AutoreloadKernel.poll = True" in block


def test_no_spec_at_all(iso, tmp_path):
    """With only an empty search path, the doctor says how to install one."""
    env = dict(iso, JUPYTER_PATH=str(tmp_path / "empty"))
    # Hide the environment's own spec too: a prefix Jupyter doesn't search.
    env["JUPYTER_PREFER_ENV_PATH"] = "0"
    proc = subprocess.run(
        [sys.executable, "-c",
         "import sys, jupyter_core.paths as p; p.ENV_JUPYTER_PATH[:] = []; p.SYSTEM_JUPYTER_PATH[:] = [];"
         "from autoreload_kernel.doctor import main; sys.exit(main([]))"],
        capture_output=True, text=True, timeout=120, env=env,
    )
    assert proc.returncode == 1, proc.stdout
    assert "PROBLEM: Jupyter sees no python-autoreload kernelspec" in proc.stdout
    assert "-m autoreload_kernel install" in proc.stdout


def test_cli_help_and_unknown_command():
    script = Path(sys.executable).with_name("autoreload-kernel")

    def run(*args):
        return subprocess.run([str(script), *args], capture_output=True, text=True, timeout=60)

    help_ = run("--help")
    assert help_.returncode == 0 and "--version" in help_.stdout and "doctor" in help_.stdout
    unknown = run("frobnicate")
    assert unknown.returncode == 2 and unknown.stdout == ""
    assert unknown.stderr.count("\n") == 1 and "unknown command 'frobnicate'" in unknown.stderr
    assert run("doctor", "--bogus").returncode == 2
