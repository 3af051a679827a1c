"""Plans built right after a save (prepared.py), through a real kernel.

The kernel's event loop wakes on the inotify event of a save and builds the
reload plan between cells, on the shell thread; the next cell only runs it.  These tests
check that the prepared plan is used and gives the new code, that a later save
wins over a plan prepared for an earlier one, that a save during a running cell
leaves the cell alone, and that a syntax error met in the background is
reported once, at the next cell, as it always was.

"Used" is read from ``%autoreload --status`` ("plans built right after the
save: N used of M").
"""

from __future__ import annotations

import ast
import os
import queue
import re
import time

from driver import ev, kernel_with_config, run, settle

V1 = """\
class C:
    def m(self):
        return 'm1'

def f():
    return 'v1'
"""

#: long enough for the preparer (20 ms settling, then a parse of a tiny module)
#: on a loaded machine, short next to the kernel's own timeouts
WAIT = 1.0


def _version(n: int) -> str:
    return V1.replace("'v1'", f"'v{n}'").replace("'m1'", f"'m{n}'")


def _used(k) -> int:
    res = run(k, "%autoreload --status")
    found = re.search(r"plans built right after the save: (\d+) used of (\d+)", res.stdout)
    assert found, res.stdout
    return int(found.group(1))


def _import(k, m):
    k.write(f"{m}.py", V1)
    run(k, f"import {m}\ng = {m}.f; inst = {m}.C()")
    settle(k, f"{m}.py")


def _stray_output(k) -> list[str]:
    """Stream output the kernel sent outside any request of ours (say, from a
    background thread) since the last cell."""
    texts = []
    while True:
        try:
            msg = k.kc.get_iopub_msg(timeout=0.5)
        except queue.Empty:
            return texts
        if msg["msg_type"] == "stream":
            texts.append(msg["content"]["text"])


def test_save_then_run_uses_the_prepared_plan(kernel, modname):
    m = modname
    _import(kernel, m)
    before = _used(kernel)
    kernel.write(f"{m}.py", _version(2))
    time.sleep(WAIT)
    res = run(kernel, f"print(g(), inst.m(), {m}.f is g)")
    assert res.stdout == "v2 m2 True\n", (res.stdout, res.stderr)
    assert "[autoreload]" not in res.stderr, res.stderr
    assert _used(kernel) == before + 1


def test_a_second_save_after_preparing_wins(kernel, modname):
    m = modname
    _import(kernel, m)
    kernel.write(f"{m}.py", _version(2))
    time.sleep(WAIT)  # the plan for v2 is ready now
    kernel.write(f"{m}.py", _version(3))
    res = run(kernel, f"print(g(), inst.m())")  # sent at once: maybe before v3 is prepared
    assert res.stdout == "v3 m3\n", (res.stdout, res.stderr)
    # and when the second save's plan had time to be prepared, that one is used
    before = _used(kernel)
    kernel.write(f"{m}.py", _version(4))
    time.sleep(WAIT)
    kernel.write(f"{m}.py", _version(5))
    time.sleep(WAIT)
    res = run(kernel, f"print(g(), inst.m())")
    assert res.stdout == "v5 m5\n", (res.stdout, res.stderr)
    assert _used(kernel) == before + 1


def test_a_save_during_a_running_cell_leaves_it_alone(kernel, modname):
    m = modname
    _import(kernel, m)
    before = _used(kernel)
    msg_id = kernel.kc.execute(
        f"import time\nseen = []\nfor _ in range(20):\n"
        f"    seen.append((g(), inst.m(), {m}.f()))\n    time.sleep(0.05)\n")
    time.sleep(0.3)
    kernel.write(f"{m}.py", _version(2))
    reply = kernel._reply(msg_id, timeout=60)
    assert reply["content"]["status"] == "ok", reply["content"]
    time.sleep(WAIT)  # the plan is built once the cell is over, between cells
    # the cell kept running the version it started with, to its end
    assert kernel.value("set(seen)") == "{('v1', 'm1', 'v1')}"
    res = run(kernel, f"print(g(), inst.m())")
    assert res.stdout == "v2 m2\n", (res.stdout, res.stderr)
    assert _used(kernel) == before + 1


def test_a_syntax_error_met_in_the_background_is_reported_once_at_the_next_cell(kernel,
                                                                               modname):
    m = modname
    _import(kernel, m)
    kernel.write(f"{m}.py", V1.replace("return 'v1'", "return 'v1' +"))
    time.sleep(WAIT)
    stray = _stray_output(kernel)
    assert not any("[autoreload]" in text for text in stray), stray
    res = run(kernel, "print(g())")
    assert res.stdout == "v1\n"
    assert res.stderr.count("[autoreload]") == 2, res.stderr  # the error, "keeps running"
    assert f"{m}.py, line 6" in res.stderr, res.stderr
    assert "    return 'v1' +\n" in res.stderr and "^" in res.stderr, res.stderr
    res = run(kernel, "print(g())")
    assert "[autoreload]" not in res.stderr, f"shown again: {res.stderr!r}"
    kernel.write(f"{m}.py", _version(2))
    time.sleep(WAIT)
    res = run(kernel, "print(g(), inst.m())")
    assert res.stdout == "v2 m2\n" and "[autoreload]" not in res.stderr, (res.stdout,
                                                                           res.stderr)


def _threads(k) -> list[str]:
    return ast.literal_eval(k.value("sorted(t.name for t in __import__('threading').enumerate())"))


def test_the_preparer_adds_no_thread_and_is_off_when_polling(kernel, modname, tmp_path):
    """The preparer watches inotify from the kernel's event loop once the
    first user module is imported, with no thread of its own; with ``poll``
    (no inotify) it never starts, and edits are still found and applied."""
    _import(kernel, modname)
    assert ev(kernel, "get_ipython().kernel.reloader.preparer.running") is True
    assert not [t for t in _threads(kernel) if "autoreload" in t], _threads(kernel)
    polled = kernel_with_config(tmp_path, "c.AutoreloadKernel.poll = True\n")
    try:
        polled.write("polled_prep.py", V1)
        run(polled, "import polled_prep\ng = polled_prep.f")
        polled.write("polled_prep.py", _version(2))
        time.sleep(WAIT)
        assert polled.value("g()") == "'v2'"
        assert ev(polled, "get_ipython().kernel.reloader.preparer") is None
        assert "plans built right after the save" not in run(polled, "%autoreload --status").stdout
    finally:
        polled.shutdown()


def test_the_kernel_shuts_down_with_the_thread_running(fresh_kernel, modname):
    """A graceful shutdown (what a front end asks for) ends the kernel process
    at once, while the preparer waits for events or frees a version."""
    k = fresh_kernel
    _import(k, modname)
    k.write(f"{modname}.py", _version(2))
    time.sleep(WAIT)
    assert run(k, "print(g())").stdout == "v2\n"
    k.write(f"{modname}.py", _version(3))  # the thread is woken once more
    process = k.km.provisioner.process  # the kernel's Popen
    k.kc.stop_channels()
    k.km.shutdown_kernel(now=False)
    assert not k.km.is_alive()
    # it exited by itself (a kernel that hangs at exit is killed: a signal's code)
    assert process.wait(timeout=10) == 0


# -- finalizers ------------------------------------------------------------------------
#: a class whose instances note the thread that finalizes them (``__del__``, and
#: for some a weakref callback), and a loop that makes garbage cycles of them
#: (only the cyclic collector frees those)
_FINALIZED = """\
import threading, time, weakref
where = []

def note():
    where.append(threading.current_thread().name)

class D:
    def __del__(self):
        note()

def churn(seconds):
    end = time.monotonic() + seconds
    n = 0
    while time.monotonic() < end:
        a = D()
        a.me = a
        n += 1
        if n % 10 == 0:
            weakref.finalize(a, note)  # a weakref callback too
        del a
"""


def _many_defs(n: int) -> str:
    """A module whose parse and compile allocate many objects (each save's plan)."""
    return "".join(f"def f{i}(x):\n    return [x, {{'k': x * {n}}}, ({i}, x)]\n\n"
                   for i in range(300))


def test_finalizers_run_on_the_shell_thread_while_saves_are_prepared(kernel, modname):
    """Building a plan allocates; a collection that this triggers runs the
    ``__del__`` and weakref callbacks of the user's garbage cycles.  Those run on the kernel's
    shell thread, as in plain Python -- never on a thread of ours, in the
    middle of the user's running cell.  Saves come while a cell makes such
    garbage, and while the kernel is idle."""
    m = modname
    kernel.write(f"{m}.py", _many_defs(1))
    kernel.write(f"{m}_fin.py", _FINALIZED)
    run(kernel, f"import {m}, {m}_fin")
    settle(kernel, f"{m}.py", f"{m}_fin.py")
    msg_id = kernel.kc.execute(f"{m}_fin.churn(4)")
    for n in range(2, 8):  # saves while the cell runs
        time.sleep(0.4)
        kernel.write(f"{m}.py", _many_defs(n))
    assert kernel._reply(msg_id, timeout=60)["content"]["status"] == "ok"
    for n in range(8, 11):  # saves while the kernel is idle, garbage waiting
        run(kernel, f"{m}_fin.churn(0.2)")
        kernel.write(f"{m}.py", _many_defs(n))
        time.sleep(WAIT)
    run(kernel, "import gc; gc.collect()")
    assert kernel.value(f"{m}.f0(1)") == "[1, {'k': 10}, (0, 1)]"
    threads = ev(kernel, f"sorted(set({m}_fin.where))")
    assert "MainThread" in threads, threads
    # A collection set off by the allocations of one of ipykernel's own threads
    # (IOPub's, say) runs them there, as in a plain kernel; none may run on a
    # thread of ours (the preparer builds on the shell thread's event loop).
    ours = ev(kernel, "[t.name for t in __import__('threading').enumerate() "
                      "if 'autoreload_kernel' in (type(t).__module__ + ' ' + "
                      "getattr(getattr(t, '_target', None), '__module__', '') or '')]")
    assert ours == [], ours
    assert set(threads) <= {"MainThread"} | set(ev(
        kernel, "[t.name for t in __import__('threading').enumerate()]")), threads


COUNT_PATHS = """
import autoreload_kernel.local_edit as _le, autoreload_kernel.plan as _pl
_paths = {'finished between': 0, 'local on the shell': 0, 'statement diff': 0}
_plain = (_le.LocalFound.finish, _pl.local_edit, _pl.plan_reload)
def _finish(self, ns):
    _paths['finished between'] += 1
    return _plain[0](self, ns)
def _local(*a, **k):
    _paths['local on the shell'] += 1
    return _plain[1](*a, **k)
def _statements(*a, **k):
    _paths['statement diff'] += 1
    return _plain[2](*a, **k)
_le.LocalFound.finish, _pl.local_edit, _pl.plan_reload = _finish, _local, _statements
"""
STOP_COUNTING = "_le.LocalFound.finish, _pl.local_edit, _pl.plan_reload = _plain"


def _prepared_run(k, m, text, cell) -> tuple[str, dict]:
    """Save ``text`` as module ``m``, wait for the preparer, run ``cell``: its
    output, and the plan-building paths taken so far (``COUNT_PATHS``); the
    cell's check used the prepared plan."""
    before = _used(k)
    k.write(f"{m}.py", text)
    time.sleep(WAIT)
    res = run(k, cell)
    assert _used(k) == before + 1, res.stderr
    return res.stdout, ev(k, "_paths")


def test_a_small_edit_is_prepared_from_its_one_statement(kernel, modname):
    """The plan built between cells for an edit inside one function is the one
    the shell thread builds (local_edit.py: that statement compiled alone, no
    statement diff), matched to the live functions in the cell that uses it."""
    m = modname
    _import(kernel, m)
    run(kernel, COUNT_PATHS)
    try:
        out, paths = _prepared_run(kernel, m, V1.replace("'v1'", "'v2'"),  # f's body only
                                   f"print(g(), inst.m(), g is {m}.f)")
        assert out == "v2 m1 True\n"
        assert paths == {"finished between": 1, "local on the shell": 0, "statement diff": 0}
        # a line added inside a method: what follows it moves, still no diff
        out, paths = _prepared_run(kernel, m, V1.replace("'v1'", "'v2'").replace(
            "        return 'm1'", "        x = 1\n        return 'm3'"),
            f"print(g(), inst.m(), {m}.f.__code__.co_firstlineno)")
        assert out == "v2 m3 6\n"
        assert paths == {"finished between": 2, "local on the shell": 0, "statement diff": 0}
    finally:
        run(kernel, STOP_COUNTING)


def test_an_edit_the_local_path_declines_is_prepared_by_the_statement_diff(kernel, modname):
    """A save that adds a module-level statement is no edit inside one
    statement: local_edit.py declines it between cells, and the plan prepared
    is the statement diff's, as before; the old function keeps its identity."""
    m = modname
    _import(kernel, m)
    run(kernel, COUNT_PATHS)
    try:
        out, paths = _prepared_run(
            kernel, m, V1.replace("'v1'", "'v2'") + "\ndef h():\n    return 'h'\n",
            f"print(g(), {m}.h(), g is {m}.f)")
        assert out == "v2 h True\n"
        assert paths == {"finished between": 0, "local on the shell": 0, "statement diff": 1}
    finally:
        run(kernel, STOP_COUNTING)
