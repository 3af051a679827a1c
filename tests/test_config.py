"""Which modules are the user's, and the traits that change it, through a real kernel."""

import mmap
import os
import textwrap
import time

import pytest
from driver import kernel_with_config


def _module_in(kernel, folder, name, value):
    kernel.write(f"{folder}/{name}.py", f"VALUE = {value!r}\n\ndef value():\n    return VALUE\n")


def _setup_path(kernel, folder, name):
    res = kernel.execute(
        f"import sys, os\nsys.path.insert(0, os.path.abspath({folder!r}))\nimport {name}\n"
        f"print({name}.value())"
    )
    assert res.ok, res.traceback
    return res.stdout.strip()


@pytest.mark.parametrize(
    "folder, after_edit, watched",
    [
        # A directory named site-packages is the system's, as in a real install.
        pytest.param("env/lib/site-packages", "v1", False, id="site-packages-not-reloaded"),
        # What `pip install -e` puts on sys.path: the project's own src/ folder.
        pytest.param("proj/src", "v2", True, id="editable-src-tree-reloaded"),
    ],
)
def test_whose_modules_are_reloaded(kernel, modname, folder, after_edit, watched):
    folder = f"{modname}_{folder}"
    _module_in(kernel, folder, modname, "v1")
    assert _setup_path(kernel, folder, modname) == "v1"
    _module_in(kernel, folder, modname, "v2")
    assert kernel.value(f"{modname}.value()") == repr(after_edit)
    assert (modname in kernel.execute("%autoreload --status").stdout) is watched


def test_include_trait_watches_a_site_packages_module(kernel, modname):
    folder = f"{modname}_env/lib/site-packages"
    _module_in(kernel, folder, modname, "v1")
    assert _setup_path(kernel, folder, modname) == "v1"
    res = kernel.execute(f"%config AutoreloadKernel.include = [{modname!r}]")
    assert res.ok, res.traceback
    _module_in(kernel, folder, modname, "v2")
    assert kernel.value(f"{modname}.value()") == "'v2'"
    kernel.execute("%config AutoreloadKernel.include = []")


def test_exclude_trait_stops_reloading_a_module(kernel, modname):
    kernel.write(f"{modname}.py", "def value():\n    return 'v1'\n")
    assert kernel.execute(f"import {modname}").ok
    res = kernel.execute(f"%config AutoreloadKernel.exclude = [{modname!r}]")
    assert res.ok, res.traceback
    kernel.write(f"{modname}.py", "def value():\n    return 'v2'\n")
    assert kernel.value(f"{modname}.value()") == "'v1'"
    kernel.execute("%config AutoreloadKernel.exclude = []")
    kernel.write(f"{modname}.py", "def value():\n    return 'v3'\n")
    assert kernel.value(f"{modname}.value()") == "'v3'"


def test_mode_trait_at_runtime(kernel, modname):
    kernel.write(f"{modname}.py", "def value():\n    return 'v1'\n")
    assert kernel.execute(f"import {modname}").ok
    assert kernel.execute("%config AutoreloadKernel.mode = 'off'").ok
    kernel.write(f"{modname}.py", "def value():\n    return 'v2'\n")
    assert kernel.value(f"{modname}.value()") == "'v1'"
    assert kernel.execute("%config AutoreloadKernel.mode = 'all'").ok
    # The edit saved while reloading was off is applied once it is back on.
    assert kernel.value(f"{modname}.value()") == "'v2'"


def test_status_view_shows_mode_watch_list_and_failure(kernel, modname):
    kernel.write(f"{modname}.py", "def value():\n    return 1\n")
    assert kernel.execute(f"import {modname}").ok
    kernel.write(f"{modname}.py", "def value(:\n    return 2\n")
    first = kernel.execute("pass")
    assert first.ok
    assert f"{modname}.py, line 1" in first.stderr
    status = kernel.execute("%autoreload --status").stdout
    assert "mode all (2)" in status
    assert modname in status
    assert textwrap.dedent(f"  {modname}: ") in status and "SyntaxError" in status
    kernel.write(f"{modname}.py", "def value():\n    return 3\n")
    assert kernel.value(f"{modname}.value()") == "3"
    assert "no failed reloads" in kernel.execute("%autoreload --status").stdout


def test_poll_trait_finds_edits_without_inotify(tmp_path):
    k = kernel_with_config(tmp_path, "c.AutoreloadKernel.poll = True\n")
    work = k.workdir
    try:
        k.write("polled.py", "def f():\n    return 1\n")
        assert k.execute("import polled").ok
        assert "changes found by stat polling" in k.execute("%autoreload --status").stdout
        k.write("polled.py", "def f():\n    return 2\n")
        assert k.value("polled.f()") == "2"
        past = time.time() - 100
        os.utime(work / "polled.py", (past, past))
        assert k.execute("pass").ok  # the stamp is now old enough to trust
        # A write through a shared mmap moves the mtime but sends no inotify
        # event (until the file is closed): only a kernel that stats the file
        # sees it.
        fd = os.open(work / "polled.py", os.O_RDWR)
        try:
            with mmap.mmap(fd, 0) as mm:
                at = mm.find(b"2")
                mm[at:at + 1] = b"3"
                assert (work / "polled.py").read_text() == "def f():\n    return 3\n"
                assert k.value("polled.f()") == "3"
        finally:
            os.close(fd)
    finally:
        k.shutdown()


def test_exclude_prefix_covers_the_package_and_its_submodules_only(kernel, modname):
    """`pkg.` in exclude: the package and every submodule; not a sibling whose
    name merely starts the same way."""
    kernel.write(f"{modname}/__init__.py", "def value():\n    return 'p1'\n")
    kernel.write(f"{modname}/sub.py", "def value():\n    return 's1'\n")
    kernel.write(f"{modname}x.py", "def value():\n    return 'x1'\n")
    assert kernel.execute(f"import {modname}, {modname}.sub, {modname}x").ok
    res = kernel.execute(f"%config AutoreloadKernel.exclude = [{modname + '.'!r}]")
    assert res.ok, res.traceback
    kernel.write(f"{modname}/__init__.py", "def value():\n    return 'p2'\n")
    kernel.write(f"{modname}/sub.py", "def value():\n    return 's2'\n")
    kernel.write(f"{modname}x.py", "def value():\n    return 'x2'\n")
    got = kernel.value(f"({modname}.value(), {modname}.sub.value(), {modname}x.value())")
    assert got == "('p1', 's1', 'x2')", got
    kernel.execute("%config AutoreloadKernel.exclude = []")
