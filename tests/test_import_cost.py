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
