"""Shared fixtures.  The reload tests talk to real kernel processes; the
installer, packaging and man-page tests (and the fuzz test, for speed) run
in this process or in subprocesses it starts, as the README says."""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from driver import KernelDriver  # noqa: E402

_counter = itertools.count()


@pytest.fixture(scope="module")
def kernel(tmp_path_factory):
    """One python-autoreload kernel per test module, in its own directory.

    Tests that share it must use module names of their own (see `modname`).
    """
    driver = KernelDriver(tmp_path_factory.mktemp("kernel")).start()
    yield driver
    driver.shutdown()


@pytest.fixture
def fresh_kernel(tmp_path):
    """A kernel for one test alone."""
    driver = KernelDriver(tmp_path).start()
    yield driver
    driver.shutdown()


@pytest.fixture
def modname(request):
    """A module name no other test in the session uses."""
    base = "".join(ch if ch.isalnum() else "_" for ch in request.node.name)[:40]
    return f"m{next(_counter)}_{base}".lower()


@pytest.fixture(scope="session")
def other_python(tmp_path_factory):
    """A venv of another CPython with distributed, ipyparallel and this project
    (see clusterkit), made in the background: the cluster test modules ask for it
    as they start and use it in their last tests."""
    from concurrent.futures import ThreadPoolExecutor

    # Imported here, on the main thread: the pool's thread importing them (and
    # IPython, through ipyparallel) while a kernel manager on the main thread
    # imported IPython.paths made that import fail with KeyError: 'IPython'.
    import distributed  # noqa: F401
    import ipyparallel  # noqa: F401
    from clusterkit import other_python_venv

    pool = ThreadPoolExecutor(1)
    yield pool.submit(other_python_venv, tmp_path_factory.mktemp("other-python"))
    pool.shutdown()
