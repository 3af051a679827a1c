"""The kernel also runs on ipykernel 6 (6.29 and later), not only on 7.x.

A throwaway venv gets ``ipykernel>=6.29,<7`` and this project, and a kernel
started from it must pick up edits before execute, complete and inspect
requests, exactly as on ipykernel 7.  ipykernel 6 itself ignores provisioned
CurveZMQ keys; our kernel app applies them (encryption.py), so the spec the
installer writes there may declare curve too.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager

from driver import KernelDriver
from test_encryption import check_encrypted_kernel

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def venv6(tmp_path_factory):
    """A function starting kernels from the ipykernel 6 venv's installed spec."""
    base = tmp_path_factory.mktemp("ipykernel6")
    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    proc = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "ipykernel>=6.29,<7", str(ROOT)],
        capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    # The spec is the one that venv's installer writes.
    proc = subprocess.run(
        [str(python), "-m", "autoreload_kernel", "install", "--prefix", str(base), "--name", "ar6"],
        capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    kernels = base / "share" / "jupyter" / "kernels"
    spec = json.loads((kernels / "ar6" / "kernel.json").read_text())
    assert spec["argv"][0] == str(python)
    assert spec["metadata"]["supported_encryption"] == ["curve"]
    drivers = []

    def start(**launch):
        work = base / f"work{len(drivers)}"
        work.mkdir()
        driver = KernelDriver(work, kernel_name="ar6")
        driver.km = KernelManager(kernel_name="ar6",
                                  kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(kernels)]))
        drivers.append(driver)
        driver.km.start_kernel(cwd=str(work), **launch)
        driver._connect()
        return driver

    yield start
    for driver in drivers:
        driver.shutdown()


@pytest.fixture(scope="module")
def kernel6(venv6):
    return venv6()


def test_runs_on_ipykernel_6(kernel6):
    res = kernel6.execute("import ipykernel; print(ipykernel.version_info[0])")
    assert res.stdout.strip() == "6"
    info = kernel6.kc.kernel_info(reply=True)["content"]
    assert info["implementation"] == "autoreload_kernel"


def test_edit_seen_by_execute_complete_and_inspect(kernel6):
    kernel6.write("mod6.py", "def f():\n    return 1\n")
    assert kernel6.execute("import mod6").ok
    kernel6.write("mod6.py", 'def f():\n    """after the edit"""\n    return 2\n\ndef g_new():\n    pass\n')
    assert "g_new" in kernel6.complete("mod6.g_")["matches"]
    assert "after the edit" in kernel6.inspect("mod6.f")["data"]["text/plain"]
    assert kernel6.value("mod6.f()") == "2"


def test_broken_engine_still_replies(kernel6):
    assert kernel6.execute("get_ipython().kernel.reloader.check = lambda *a, **k: 1 / 0").ok
    res = kernel6.execute("print('still here')")
    assert res.ok and res.stdout == "still here\n"
    assert "[autoreload] the reload check failed" in res.stderr


@pytest.mark.parametrize("policy", ["required", "auto"])
def test_encrypted_on_ipykernel_6(venv6, policy):
    k = venv6(transport_encryption=policy)
    assert k.value("__import__('ipykernel').version_info[0]") == "6"
    check_encrypted_kernel(k)
