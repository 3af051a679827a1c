"""Large edits of function bodies only, told from the bytecode, through a real kernel.

When a save changes most of a module but only inside function bodies (a
formatter run, a branch switch), the engine compiles the new source once and
moves each function's new code into the live function
(:mod:`autoreload_kernel.code_diff`).  These tests make such an edit to a
module with the usual kinds of definitions, and check what the next cell
sees: new code in objects held from before (methods using ``super()``,
properties, class and static methods, an ``lru_cache`` whose old results must
go, closures made before the edit), new docstrings, and tracebacks that show
the new line numbers.  An edit that changes a decorator of the module's own
must run the decorated definitions again, as a fresh import would.

Each runs twice: in a kernel whose background preparer builds the plan right
after the save (the default), and in one that polls (no preparer; the cell
builds the plan).  Each test also checks, inside the kernel, that the
functions carry code from the whole-module compile (so the bytecode path, not
the statement diff, did the reload).
"""

from __future__ import annotations

import os
import re
import time

import pytest
from driver import KernelDriver, ev, run

#: padding: the edits below must change most of the file for the bytecode path
FILLERS = 40

TEMPLATE = '''\
import functools
{top}

class Base:
    def hello(self):
        return "base"


class Child(Base):
    """Child."""

    def hello(self):
        return super().hello() + " child {v}"

    @property
    def size(self):
        return {v} * 10

    @classmethod
    def make(cls):
        return ("made", {v})

    @staticmethod
    def plain():
        return "plain {v}"


@functools.lru_cache(maxsize=None)
def cached(x):
    return x + {v}


def make_adder(n):
    def add(x):
        return x + n + {v}
    return add


REGISTRY = []


def register(func):
    REGISTRY.append(func)
    return func


@register
def registered():
    return "registered {v}"


def fails():
    x = {v}
    raise ValueError("fails at version %d" % x)


def still():
    raise ValueError("unchanged")


DIVIDE = lambda x: x / 0  # noqa: E731
'''


def filler(i: int, v: int) -> str:
    return f'''

def filler_{i:03d}(x):
    """Filler {i}."""
    y = x * {i} + {v}
    return y
'''


def source(v: int, top: str = "") -> str:
    return TEMPLATE.format(v=v, top=top) + "".join(filler(i, v) for i in range(FILLERS))


@pytest.fixture(scope="module", params=["prepared", "poll"])
def k(request, tmp_path_factory):
    driver = KernelDriver(tmp_path_factory.mktemp("kernel"))
    if request.param == "poll":
        driver.start(extra_arguments=["--AutoreloadKernel.poll=True"])
    else:
        driver.start()
    yield driver
    driver.shutdown()


def save(k: KernelDriver, m: str, text: str) -> None:
    before = (k.workdir / f"{m}.py").stat().st_mtime_ns
    k.write(f"{m}.py", text)
    path = k.workdir / f"{m}.py"
    if path.stat().st_mtime_ns <= before:  # a coarse clock: make the change visible
        bump = before + 10_000_000
        os.utime(path, ns=(bump, bump))
    time.sleep(0.5)  # the preparer (when there is one) has the plan ready


BY_BYTECODE = """
import inspect
from autoreload_kernel import code_diff as _cd
_whole = _cd._codes[{m}.__file__][1]
def _consts(code):
    for c in code.co_consts:
        if hasattr(c, "co_code"):
            yield c
            yield from _consts(c)
_made = {{id(c) for c in _consts(_whole)}}
print(all(id(f.__code__) in _made for f in [{m}.filler_000, {m}.Child.hello, {m}.fails,
                                            {m}.Child.__dict__["size"].fget]))
"""


def test_every_body_changed_reaches_held_objects(k, modname):
    m = modname
    k.write(f"{m}.py", source(1))
    run(k, f"""
        import {m}
        child = {m}.Child()
        hello = child.hello
        adder = {m}.make_adder(100)
        filler = {m}.filler_007
        first = {m}.cached(1)
        """)
    assert ev(k, "(hello(), child.size, first, adder(1), filler(1))") == (
        "base child 1", 10, 2, 102, 8)
    save(k, m, source(2))
    assert ev(k, f"""(hello(), child.size, {m}.Child.make(), {m}.Child.plain(),
                    {m}.cached(1), adder(1), filler(1), {m}.registered(),
                    [f() for f in {m}.REGISTRY], {m}.Child.__doc__,
                    {m}.filler_003.__doc__)""") == (
        "base child 2", 20, ("made", 2), "plain 2", 3, 103, 9, "registered 2",
        ["registered 2"], "Child.", "Filler 3.")
    res = run(k, BY_BYTECODE.format(m=m))
    assert res.stdout.strip() == "True", res.stdout


def test_tracebacks_show_the_moved_lines(k, modname):
    m = modname
    k.write(f"{m}.py", source(1))
    run(k, f"import {m}\nimport inspect")
    # lines added at the top move every definition down; most bodies change too
    top = "\n".join(f"# comment line {i}" for i in range(12))
    text = source(2, top=top)
    save(k, m, text)
    res = k.execute(f"{m}.fails()")
    assert not res.ok and "fails at version 2" in res.error, res.error
    want = text.splitlines().index('    raise ValueError("fails at version %d" % x)') + 1
    shown = re.sub(r"\x1b\[[0-9;]*m", "", res.traceback)
    assert f"{m}.py:{want}" in shown, shown
    # a function and a lambda the edit did not change, only moved
    res = k.execute(f"{m}.still()")
    want = text.splitlines().index('    raise ValueError("unchanged")') + 1
    assert f"{m}.py:{want}" in re.sub(r"\x1b\[[0-9;]*m", "", res.traceback), res.traceback
    res = k.execute(f"{m}.DIVIDE(1)")
    want = text.splitlines().index("DIVIDE = lambda x: x / 0  # noqa: E731") + 1
    assert f"{m}.py:{want}" in re.sub(r"\x1b\[[0-9;]*m", "", res.traceback), res.traceback
    lines = text.splitlines()
    for obj, first in ((f"{m}.filler_010", "def filler_010(x):"),
                       (f"{m}.Base.hello", "    def hello(self):")):
        line = ev(k, f"inspect.getsourcelines({obj})[1]")
        assert lines[line - 1] == first, (obj, line)
    assert run(k, BY_BYTECODE.format(m=m)).stdout.strip() == "True"


def test_a_changed_decorator_of_the_module_decorates_again(k, modname):
    """`register`'s body changes: a fresh import registers with the new code, so
    the decorated definitions run again (the statement diff does it)."""
    m = modname
    k.write(f"{m}.py", source(1))
    run(k, f"import {m}")
    text = source(2).replace("    REGISTRY.append(func)\n",
                             "    REGISTRY.append(func)\n    func.tagged = True\n")
    save(k, m, text)
    assert ev(k, f"(getattr({m}.registered, 'tagged', False), {m}.registered())") == (
        True, "registered 2")
