"""A long session through a real kernel: what the engine keeps does not grow
with the number of edits.

After a first round, two more rounds of the same kinds of edits (function bodies, a class method, a
constant read through ``from m import X`` in the notebook and in another
module, a closure factory whose nested def changes, defs added and removed, a
syntax error and its fix, a module that raises and its fix) must leave the
engine's records, the kernel's threads, and the live functions, classes,
syntax-tree nodes and objects of the engine's own classes (counted after a
garbage collection) no larger after the third round than after the second.
Timing is not judged here: that is benchmarks/soak.py.
"""

from __future__ import annotations

import time

from autoreload_kernel.prepared import RETIRE_MAX
from driver import ev, run

#: edits per round; more than the 32 versions of a nested def's code the
#: engine keeps for closures made from older versions
EDITS = 40

SIZES = r'''
def _long_session_sizes():
    import ast, gc, sys, threading, time, types
    r = get_ipython().kernel.reloader
    nested_codes = sys.modules["autoreload_kernel.nested_codes"]
    prep = r.preparer
    # The preparer thread holds, for a while, a plan made ahead (one per module
    # at most) and what recent reloads replaced (a few batches at most, freed
    # on its thread).  Their sizes are bounded and returned; what they hold
    # depends on timing, so it is let go of before the live objects are counted.
    time.sleep(0.6)
    held = {"plans made ahead": len(prep._ready), "replaced versions not yet freed":
            len(prep._retired)} if prep is not None else {}
    if prep is not None:
        prep._ready.clear()
        prep._retired.clear()
    gc.collect()
    objects = gc.get_objects()
    return held, {
        "failure records": len(r.report.failures),
        "shown-message keys": len(r.report._shown),
        "history lines": len(r.report.history),
        "baselines": len(r.store.baselines),
        "import records": len(r.index._cache),
        "suspected files": len(r.finder._suspects),
        "watched modules": len(r.finder.watched),
        "nested codes kept": sum(map(len, nested_codes._NESTED_SEEN.values())),
        "threads": threading.active_count(),
        "live functions": sum(type(o) is types.FunctionType for o in objects),
        "live classes": sum(isinstance(o, type) for o in objects),
        # what the engine builds per version: parsed statements, trees, plans
        "live objects of the engine's classes": sum(
            str(type(o).__module__).startswith("autoreload_kernel") for o in objects),
        "live syntax tree nodes": sum(isinstance(o, ast.AST) for o in objects),
    }
'''


def _module(i: int, broken: str = "") -> str:
    extra = f"\n\ndef added_{i % 3}():\n    return {i}\n" if i % 4 == 1 else ""
    raise_line = "raise RuntimeError('failing import')\n" if broken == "raises" else ""
    syntax = "def oops(:\n" if broken == "syntax" else ""
    return (f"LIMIT = {i}\n\n"
            f"def f():\n    return {i}\n\n"
            "def make_adder(n):\n"
            f"    def add(x):\n        return x + n + {i}\n"
            "    return add\n\n"
            "class C:\n"
            f"    def m(self):\n        return 'm{i}'\n"
            f"{extra}{raise_line}{syntax}")


def _round(k, m: str, start: int) -> dict:
    """Edits ``start`` ... ``start + EDITS - 1``; the engine's sizes after them."""
    for i in range(start, start + EDITS):
        broken = "syntax" if i % 10 == 3 else "raises" if i % 10 == 7 else ""
        k.write(f"{m}.py", _module(i, broken))
        if broken:
            res = k.execute("pass")
            assert res.ok and f"could not reload {m}" in res.stderr, (i, res.stderr)
            continue
        expect = (i, i, f"m{i}", 1 + 10 + i)
        got = ev(k, f"({m}.f(), {m}_user.limit(), obj.m(), adder(1))")
        assert got == expect, (i, got, expect)
        assert ev(k, "LIMIT") == i
    held, sizes = ev(k, "_long_session_sizes()")
    assert held.get("plans made ahead", 0) <= 2, held  # one per watched module at most
    assert held.get("replaced versions not yet freed", 0) <= RETIRE_MAX, held
    return sizes


def test_engine_records_and_live_objects_do_not_grow_with_edits(fresh_kernel, modname):
    k, m = fresh_kernel, modname
    k.write(f"{m}.py", _module(0))
    k.write(f"{m}_user.py", f"from {m} import LIMIT\n\ndef limit():\n    return LIMIT\n")
    run(k, f"import {m}, {m}_user\nfrom {m} import LIMIT\nobj = {m}.C()\n"
           f"adder = {m}.make_adder(10)\n" + SIZES)
    _round(k, m, 1)  # warm-up: the engine imports its parts when first needed
    first = _round(k, m, 1 + EDITS)
    second = _round(k, m, 1 + 2 * EDITS)
    grew = {key: (first[key], second[key]) for key in first if second[key] > first[key]}
    assert not grew, f"grew from edit {2 * EDITS} to edit {3 * EDITS}: {grew}"
    assert first["failure records"] == 0 and first["watched modules"] >= 2, first


PREPARER = "get_ipython().kernel.reloader.preparer"


def test_the_preparer_keeps_working_after_idle_pauses(fresh_kernel, modname):
    """Pauses longer than the preparer's wait for freeing (0.5 s) between
    saves: each save still gets its plan built in the background, and what a
    reload replaced is freed during the pause, without a save."""
    k, m = fresh_kernel, modname
    k.write(f"{m}.py", "def f():\n    return 0\n")
    run(k, f"import {m}")
    for i in range(1, 4):
        built = ev(k, f"{PREPARER}.built")
        k.write(f"{m}.py", f"def f():\n    return {i}\n")
        time.sleep(2.0)  # no request meanwhile: its check would reload the file itself
        assert ev(k, f"{PREPARER}.built") == built + 1, f"save {i}: no plan built in 2 s"
        assert ev(k, f"{m}.f()") == i
        run(k, "import time; time.sleep(1.5)")  # idle: longer than the wait before freeing
        assert ev(k, f"len({PREPARER}._retired)") == 0, f"save {i}: not freed while idle"
