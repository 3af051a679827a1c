"""What importing the user's modules leaves behind for the cells after it.

A module the import hook read after watching its directory needs no further
read until inotify reports a write, even when its mtime is too recent to prove
that a same-tick save would move it (the window stat polling needs).  The
tests count the change finder's file reads inside a real kernel.
"""

import os
import time

from driver import run, ev

COUNT_READS = """
import autoreload_kernel.changes as _ch
_reads = []
_plain_read = _ch._read
def _counting_read(path, *a, **kw):
    _reads.append(str(path))
    return _plain_read(path, *a, **kw)
_ch._read = _counting_read
"""
STOP_COUNTING = "_ch._read = _plain_read"


def test_fresh_files_under_watch_are_not_read_again_after_import(kernel, modname):
    names = [f"{modname}_{i}" for i in range(30)]
    future = time.time() + 120  # inside the same-tick window for the whole test
    for n in names:
        path = kernel.write(f"{n}.py", f"X = {n!r}\n")
        os.utime(path, (future, future))
    run(kernel, COUNT_READS)
    try:
        run(kernel, "\n".join(f"import {n}" for n in names))
        run(kernel, "pass")
        run(kernel, "pass")
        assert ev(kernel, "_reads") == []
        # a save now, as recent as can be, is an event: seen, and read once
        path = kernel.write(f"{names[0]}.py", "X = 'saved'\n")
        os.utime(path, (future, future))
        assert ev(kernel, f"{names[0]}.X") == "saved"
        run(kernel, "pass")
        assert ev(kernel, "len(_reads)") == 1
    finally:
        run(kernel, STOP_COUNTING)


KEPT = """
_store = get_ipython().kernel.reloader.store
_kinds = {{n: type(_store.kept.get(n)).__name__ for n in {names!r}}}
"""


def test_imported_modules_are_kept_as_bytes_until_edited(kernel, modname):
    """Each imported module keeps its bytes and nothing else of its own (no
    object the garbage collector tracks): 20,000 of them cost memory and
    collector work.  The one edited gets its full baseline, and only it."""
    names = [f"{modname}.m{i}" for i in range(40)]
    kernel.write(f"{modname}/__init__.py", "")
    for i in range(40):
        kernel.write(f"{modname}/m{i}.py", f"X = {i}\n")
    run(kernel, "\n".join(f"import {n}" for n in names))
    run(kernel, "pass")
    run(kernel, KEPT.format(names=names))
    assert set(ev(kernel, "_kinds").values()) == {"bytes"}
    kernel.write(f"{modname}/m7.py", "X = 'edited'\n")
    assert ev(kernel, f"{modname}.m7.X") == "edited"
    run(kernel, KEPT.format(names=names))
    kinds = ev(kernel, "_kinds")
    assert kinds.pop(f"{modname}.m7") == "Baseline"
    assert set(kinds.values()) == {"bytes"}
    # the others are still watched: a save of one is seen
    kernel.write(f"{modname}/m31.py", "X = 'edited too'\n")
    assert ev(kernel, f"{modname}.m31.X") == "edited too"


def test_module_loaded_under_a_name_its_file_does_not_spell(kernel, modname):
    """A module loaded by hand under another name (spec_from_file_location) is
    still found from the file inotify reports, and so is each of two names
    for one file."""
    kernel.write(f"{modname}_file.py", "X = 1\n")
    kernel.write(f"{modname}_pkg/__init__.py", "")
    kernel.write(f"{modname}_pkg/inner.py", "Y = 1\n")
    time.sleep(0.5)  # the writes' events reach the preparer before the modules exist
    run(kernel, "pass")
    run(kernel, f"""
import importlib.util, sys, os
sys.path.append(os.path.abspath({modname + '_pkg'!r}))
_spec = importlib.util.spec_from_file_location("{modname}_alias",
                                               os.path.abspath("{modname}_file.py"))
{modname}_alias = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = {modname}_alias
_spec.loader.exec_module({modname}_alias)
import {modname}_pkg.inner, inner as {modname}_inner
""")
    run(kernel, "pass")
    run(kernel, KEPT.format(names=[f"{modname}_alias", f"{modname}_pkg.inner", "inner"]))
    assert set(ev(kernel, "_kinds").values()) == {"bytes"}  # no stat polling for them
    kernel.write(f"{modname}_file.py", "X = 2\n")
    assert ev(kernel, f"{modname}_alias.X") == 2
    kernel.write(f"{modname}_pkg/inner.py", "Y = 2\n")
    assert ev(kernel, f"({modname}_pkg.inner.Y, {modname}_inner.Y)") == (2, 2)


def test_a_module_imported_on_another_thread_is_watched_from_the_next_cell(kernel, modname):
    """The hook queues each new module for the change finder, which places the
    queue on the shell thread: a module a worker thread imported is watched
    like any other (the queue is empty after the next cell, and a save of the
    module is seen there), and so is one the cell's own thread imported."""
    kernel.write(f"{modname}_t.py", "X = 'thread'\n")
    kernel.write(f"{modname}_m.py", "X = 'main'\n")
    run(kernel, f"""
import threading
_t = threading.Thread(target=__import__, args=({modname + '_t'!r},))
_t.start(); _t.join()
import {modname}_m
_queued = len(get_ipython().kernel.reloader.store.kept_new)
""")
    assert ev(kernel, "_queued") >= 2  # both kept as bytes and queued, not yet placed
    assert ev(kernel, "len(get_ipython().kernel.reloader.store.kept_new)") == 0
    kernel.write(f"{modname}_t.py", "X = 'thread, saved'\n")
    kernel.write(f"{modname}_m.py", "X = 'main, saved'\n")
    assert ev(kernel, f"(__import__({modname + '_t'!r}).X, {modname}_m.X)") == (
        "thread, saved", "main, saved")


def test_modules_a_cell_imported_are_placed_after_its_reply(kernel, modname):
    """The queue of new modules is placed in the shell loop's turn after the
    importing cell's reply, not by the next cell's check: the next check
    finds it empty, and a save to one of those modules is seen there."""
    for i in range(20):
        kernel.write(f"{modname}_q{i}.py", f"X = {i}\n")
    run(kernel, f"""
import sys as _sys
_finder = get_ipython().kernel.reloader.finder
_placed = []
def _recording(_real=_finder.place_kept_new):
    _placed.append((_sys._getframe(1).f_code.co_name, len(_finder.store.kept_new)))
    _real()
_finder.place_kept_new = _recording
{'; '.join(f'import {modname}_q{i}' for i in range(20))}
""")
    kernel.write(f"{modname}_q7.py", "X = 'saved'\n")
    assert ev(kernel, f"{modname}_q7.X") == "saved"
    placed = ev(kernel, "_placed")
    run(kernel, "del _finder.place_kept_new")
    assert placed[0][0] == "between_cells" and placed[0][1] >= 20, placed
    assert [p for p in placed[1:] if p[1]] == [], placed  # nothing left for the check
