"""Behaviours the README promises that no other test pinned (issue 12), each
through a real kernel, each written to fail when the engine stops doing it
(`benchmarks/mutate.py` breaks the engine that way and checks that it does).
"""

from __future__ import annotations

import mmap
import os
import shutil
import time

from driver import ev, kernel_with_config, run, settle


def _f_module(value):
    return f"def f():\n    return {value!r}\n"


# 1. --hide-errors ----------------------------------------------------------------------
def test_hide_errors_flag_hides_failures_but_keeps_the_record(kernel, modname):
    k, m = kernel, modname
    k.write(f"{m}.py", _f_module(1))
    run(k, f"import {m}")
    try:
        run(k, "%autoreload --hide-errors")
        k.write(f"{m}.py", "def f(:\n    return 2\n")
        res = run(k, f"print({m}.f())")
        assert res.stdout == "1\n"
        assert "[autoreload]" not in res.stderr, res.stderr
        assert "SyntaxError" in run(k, "%autoreload --status").stdout
    finally:
        run(k, "%autoreload 2")  # the flags go back to their defaults
    # Without the flag, the next broken version is shown.
    k.write(f"{m}.py", "def f(:\n    return 3\n")
    assert f"could not reload {m}" in run(k, "pass").stderr
    k.write(f"{m}.py", _f_module(4))
    assert ev(k, f"{m}.f()") == 4


# 2. --full and 2- ------------------------------------------------------------------------
def test_full_flag_and_trailing_dash_rerun_whole_modules(kernel, modname):
    k, m = kernel, modname
    log = k.workdir / f"{m}.log"
    top = f"open({str(log)!r}, 'a').write('x')\n"
    k.write(f"{m}.py", top + _f_module(1))
    run(k, f"import {m}; f0 = {m}.f")
    assert log.read_text() == "x"
    try:
        run(k, "%autoreload 2-")
        k.write(f"{m}.py", top + _f_module(2))
        assert ev(k, f"(f0(), {m}.f is f0)") == (2, True)
        assert log.read_text() == "xx", "2-: the unchanged top-level statement did not run again"
        run(k, "%autoreload 2")
        k.write(f"{m}.py", top + _f_module(3))
        assert ev(k, "f0()") == 3
        assert log.read_text() == "xx", "2: the unchanged statement ran again"
        run(k, "%autoreload --full")
        k.write(f"{m}.py", top + _f_module(4))
        assert ev(k, "f0()") == 4
        assert log.read_text() == "xxx", "--full: the unchanged statement did not run again"
    finally:
        run(k, "%autoreload 2")


# 3. reload notes -----------------------------------------------------------------------
def test_reload_notes_are_shown_once(kernel, modname):
    k, m = kernel, modname
    k.write(f"{m}.py", "class P:\n    __slots__ = ('a',)\n")
    run(k, f"import {m}; old = {m}.P()")
    k.write(f"{m}.py", "class P:\n    __slots__ = ('a', 'b')\n")
    res = run(k, "pass")
    assert "[autoreload] note: " in res.stderr and "__slots__" in res.stderr, res.stderr
    assert "[autoreload] note" not in run(k, "pass").stderr
    assert ev(k, f"({m}.P.__slots__, type(old).__slots__)") == (("a", "b"), ("a",))


# 4. include / exclude prefixes -------------------------------------------------------
def test_exclude_prefix_and_name_cover_submodules_only(kernel, modname):
    k, m = kernel, modname
    for rel in (f"{m}_pkg/__init__.py", f"{m}_pkg/sub.py", f"{m}_pkgx.py", f"{m}_one/__init__.py",
                f"{m}_one/sub.py"):
        k.write(rel, _f_module("v1"))
    run(k, f"import {m}_pkg.sub, {m}_pkgx, {m}_one.sub")
    try:
        run(k, f"%config AutoreloadKernel.exclude = [{m + '_pkg.'!r}, {m + '_one'!r}]")
        for rel in (f"{m}_pkg/__init__.py", f"{m}_pkg/sub.py", f"{m}_pkgx.py",
                    f"{m}_one/__init__.py", f"{m}_one/sub.py"):
            k.write(rel, _f_module("v2"))
        got = ev(k, f"({m}_pkg.f(), {m}_pkg.sub.f(), {m}_pkgx.f(), {m}_one.f(), {m}_one.sub.f())")
        # 'pkg.' excludes pkg and pkg.*, not pkgx; 'one' excludes one and one.*
        assert got == ("v1", "v1", "v2", "v1", "v1"), got
    finally:
        run(k, "%config AutoreloadKernel.exclude = []")


def test_include_prefix_watches_an_installed_package(kernel, modname):
    k, m = kernel, modname
    site = f"{m}_env/lib/site-packages"
    k.write(f"{site}/{m}_sp/__init__.py", _f_module("v1"))
    k.write(f"{site}/{m}_sp/sub.py", _f_module("v1"))
    run(k, f"import sys, os; sys.path.insert(0, os.path.abspath({site!r})); import {m}_sp.sub")
    try:
        run(k, f"%config AutoreloadKernel.include = [{m + '_sp.'!r}]")
        k.write(f"{site}/{m}_sp/__init__.py", _f_module("v2"))
        k.write(f"{site}/{m}_sp/sub.py", _f_module("v2"))
        assert ev(k, f"({m}_sp.f(), {m}_sp.sub.f())") == ("v2", "v2")
    finally:
        run(k, "%config AutoreloadKernel.include = []")


# 5. from m import * ---------------------------------------------------------------------
def test_star_import_updates_public_names_only(kernel, modname):
    k, m = kernel, modname
    k.write(f"{m}.py", "X = 1\n_state = None\n")
    # The notebook's own _state happens to be the same object as the module's.
    run(k, f"from {m} import *\n_state = None")
    k.write(f"{m}.py", "X = 2\n_state = {}\nY = 3\n_new = 4\n")
    assert ev(k, "(X, _state, Y, '_new' in globals())") == (2, None, 3, False)


# 6. the same-tick window -----------------------------------------------------------
def test_change_with_an_unchanged_stamp_is_seen_while_the_mtime_is_recent(tmp_path):
    """Bytes written through a shared mmap after its page is already dirty change
    the file without touching mtime, ctime, size or inode, and send no inotify
    event: exactly what two saves within one timestamp tick look like.  Only the
    engine's "too recent to trust" re-read can see it; the kernel polls, so
    inotify plays no part, and the test checks that the stamp did not move.
    Tracebacks and ``inspect`` must show the new lines too: linecache, which
    judges by size and mtime, would keep the old ones."""
    k = kernel_with_config(tmp_path, "c.AutoreloadKernel.poll = True\n")
    try:
        path = k.write("tick.py", "def f():\n    return 'aaaa'\n")
        run(k, "import inspect, tick")
        at = path.read_bytes().index(b"aaaa")
        fd = os.open(path, os.O_RDWR)
        try:
            mm = mmap.mmap(fd, 0)
            for _attempt in range(5):
                mm[at:at + 4] = b"bbbb"  # the first write to the page: the stamp moves
                assert ev(k, "(tick.f(), inspect.getsource(tick.f))") == (
                    "bbbb", "def f():\n    return 'bbbb'\n")
                before = os.stat(path)
                mm[at:at + 4] = b"cccc"  # the page is dirty already: no stamp change
                after = os.stat(path)
                same = [(s.st_mtime_ns, s.st_ctime_ns, s.st_size, s.st_ino) for s in (before, after)]
                if same[0] == same[1]:
                    break
                mm.flush()  # written back meanwhile (rare): try again
                time.sleep(0.1)
            else:
                raise AssertionError("could not change the file without moving its stamp")
            assert path.read_bytes() == b"def f():\n    return 'cccc'\n"
            assert ev(k, "(tick.f(), inspect.getsource(tick.f))") == (
                "cccc", "def f():\n    return 'cccc'\n")
            mm.close()
        finally:
            os.close(fd)
    finally:
        k.shutdown()


# the module docstring ------------------------------------------------------------------
def test_module_docstring_follows_the_edit(kernel, modname):
    k, m = kernel, modname
    k.write(f"{m}.py", '"""First words."""\nX = 1\n')
    run(k, f"import {m}")
    k.write(f"{m}.py", '"""Second words."""\nX = 1\n')
    assert ev(k, f"{m}.__doc__") == "Second words."


# 7. a function's __dict__ ---------------------------------------------------------------
def test_function_attributes_are_copied_onto_the_old_function(kernel, modname):
    k, m = kernel, modname
    k.write(f"{m}.py", "def f():\n    return 1\n\nf.route = 'a'\n")
    run(k, f"import {m}; g = {m}.f")
    k.write(f"{m}.py", "def f():\n    return 2\n\nf.route = 'b'\nf.extra = True\n")
    assert ev(k, f"(g(), g.route, g.extra, {m}.f is g)") == (2, "b", True, True)


# 8. a deleted and recreated directory, after it was watched ----------------------------
def test_directory_deleted_and_recreated_after_a_check_is_watched_again(kernel, modname):
    k, pkg = kernel, f"{modname}_dir"
    k.write(f"{pkg}/__init__.py", "")
    k.write(f"{pkg}/mod.py", _f_module(1))
    run(k, f"import {pkg}.mod")
    settle(k, f"{pkg}/__init__.py", f"{pkg}/mod.py")  # watched, read, trusted
    shutil.rmtree(k.workdir / pkg)
    run(k, "pass")  # a check while the directory is gone: its watch is lost
    k.write(f"{pkg}/__init__.py", "")
    k.write(f"{pkg}/mod.py", _f_module(2))
    assert ev(k, f"{pkg}.mod.f()") == 2
    # and edits after that are seen through the new watch
    settle(k, f"{pkg}/__init__.py", f"{pkg}/mod.py")
    k.write(f"{pkg}/mod.py", _f_module(3))
    assert ev(k, f"{pkg}.mod.f()") == 3


# 9. a module file that is itself a symlink ------------------------------------------------
def test_symlinked_module_file_is_polled(kernel, modname):
    """inotify watches the link's directory; the target lives elsewhere, so a
    write to it sends no event there.  The engine stats such files instead."""
    k, m = kernel, modname
    target = k.write(f"{m}_elsewhere/real.py", _f_module(1))
    os.symlink(target, k.workdir / f"{m}.py")
    run(k, f"import {m}")
    settle(k, f"{m}_elsewhere/real.py")
    target.write_text(_f_module(2))
    assert ev(k, f"{m}.f()") == 2


# 10. class attributes keep runtime values ------------------------------------------------
def test_class_attributes_with_unchanged_statements_keep_runtime_values(kernel, modname):
    k, m = kernel, modname
    k.write(f"{m}.py", "class C:\n    count = 0\n    limit = 5\n\n    def m(self):\n        return 1\n")
    run(k, f"import {m}; K = {m}.C; {m}.C.count = 7")
    # A data statement changes, so the class body runs again.
    k.write(f"{m}.py", "class C:\n    count = 0\n    limit = 6\n\n    def m(self):\n        return 2\n")
    assert ev(k, f"({m}.C is K, K.count, K.limit, K().m())") == (True, 7, 6, 2)


# 11. a notebook name another module's star import bound -------------------------------
def test_name_rebound_by_another_star_import_is_left_alone(kernel, modname):
    k, m = kernel, modname
    k.write(f"{m}_a.py", "X = 1\n")
    k.write(f"{m}_b.py", "X = 1\n")  # the same int object as a's X
    run(k, f"from {m}_a import X\nfrom {m}_b import *")
    k.write(f"{m}_a.py", "X = 2\n")
    assert ev(k, f"(X, __import__({m + '_a'!r}).X)") == (1, 2)


def test_name_rebound_by_a_named_import_after_a_star_import_is_left_alone(kernel, modname):
    k, m = kernel, modname
    k.write(f"{m}_a.py", "X = 1\n")
    k.write(f"{m}_b.py", "X = 1\n")
    run(k, f"from {m}_a import *\nfrom {m}_b import X")
    k.write(f"{m}_a.py", "X = 2\n")
    assert ev(k, f"(X, __import__({m + '_a'!r}).X)") == (1, 2)


# Modules reload in dependency order ------------------------------------------------------
def test_modules_saved_together_reload_in_dependency_order(kernel, modname):
    """A chain m0 <- m1 <- ... <- m5, each deriving its V from the one before, all
    saved before one cell.  Only the order of dependencies gives every module
    the value a fresh import would (a derived value is not recomputed later);
    a chance order gets it right once in 720."""
    k, m = kernel, modname
    n = 6

    def save(step):
        k.write(f"{m}0.py", f"V = {10 * step}\n")
        for i in range(1, n):
            k.write(f"{m}{i}.py", f"from {m}{i - 1} import V as P\nV = P + {step}\n")

    save(1)
    run(k, f"import {m}{n - 1}")
    assert ev(k, f"{m}{n - 1}.V") == 10 + (n - 1)
    save(2)
    got = ev(k, f"[__import__('{m}%d' % i).V for i in range({n})]")
    assert got == [20 + 2 * i for i in range(n)], got
