"""Small edits inside one definition, told from its bytecode, through a real kernel.

When a save changes only code inside one top-level definition, the engine
compiles just that definition's lines and moves the new code into the live
functions; the definitions after it only shift by the lines the edit added or
removed (:mod:`autoreload_kernel.local_edit`).  These tests make such edits
(a function body that grows, a closure, methods of every kind, decorated
functions, a docstring, a comment) and check what the next cell sees: the
new code in objects held from before, and tracebacks and ``inspect`` lines of
the edited function and of every definition after it.  Each also checks,
inside the kernel, that the edited functions carry the code of that one
definition's compile (the local path did the reload, not the statement
diff), and some edits must not take it (a decorator of the module's own whose
body changed, a function bound twice), where the result must still be a fresh
import's.

The kernel polls: with inotify, the background preparer builds the plan right
after the save with the statement diff instead (tests/test_prepared.py).
"""

from __future__ import annotations

import os
import re
import time

import pytest
from driver import KernelDriver, ev, run
from test_body_edits import TEMPLATE as BODY_TEMPLATE

#: test_body_edits' module (classes of every kind, a cached function, a closure,
#: a decorator of the module's own), with ``first`` in front and, after it, the
#: function the edits grow and definitions that must move with it
TEMPLATE = BODY_TEMPLATE.replace("{top}", """

def first(x):
    return x + {v}
""") + '''

def grows(x):
    """Grows {g}."""
    if x is None:
        raise ValueError("grows")
{extra}    return x * {g}


def later():
    raise ValueError("later")


class After:
    def method(self):
        raise ValueError("after")


AFTER = lambda x: x / 0  # noqa: E731
'''


def source(v: int, extra: int = 0, g: int = 1) -> str:
    """Version ``v`` of everything but ``grows``, which is at version ``g`` with
    ``extra`` lines more."""
    return TEMPLATE.format(v=v, g=g,
                           extra="".join(f"    x = x + 0  # {i}\n" for i in range(extra)))


@pytest.fixture(scope="module")
def k(tmp_path_factory):
    driver = KernelDriver(tmp_path_factory.mktemp("kernel"))
    driver.start(extra_arguments=["--AutoreloadKernel.poll=True"])
    yield driver
    driver.shutdown()


def save(k: KernelDriver, m: str, text: str) -> None:
    path = k.workdir / f"{m}.py"
    before = path.stat().st_mtime_ns if path.exists() else 0
    k.write(f"{m}.py", text)
    if path.stat().st_mtime_ns <= before:  # a coarse clock: make the change visible
        os.utime(path, ns=(before + 10_000_000,) * 2)


#: prints whether the given functions run code of the local path's last compile
LOCAL = """
from autoreload_kernel import local_edit as _le
_kept = _le._chunks.get({m}.__file__)
def _consts(code):
    for c in code.co_consts:
        if hasattr(c, "co_code"):
            yield c
            yield from _consts(c)
print(_kept is not None and all(
    any(f.__code__ is c for c in _consts(_kept[2])) for f in [{funcs}]))
"""


def local(k: KernelDriver, m: str, funcs: str) -> bool:
    res = run(k, LOCAL.format(m=m, funcs=funcs))
    return res.stdout.strip() == "True"


def line_of(text: str, line: str) -> int:
    return text.splitlines().index(line) + 1


def shown(res) -> str:
    return re.sub(r"\x1b\[[0-9;]*m", "", res.traceback)


def raised_at(k: KernelDriver, call: str, m: str, text: str, line: str) -> None:
    """``call`` raises, and its traceback names the line of ``text`` that reads ``line``."""
    res = k.execute(call)
    where = f"{m}.py:{line_of(text, line)}"
    assert not res.ok and where in shown(res), (where, shown(res))


def test_a_function_that_grows_moves_what_follows(k, modname):
    """Lines added inside one function: its own traceback and those of every
    definition after it show the new lines; nothing before it moves."""
    m = modname
    save(k, m, source(1))
    run(k, f"import {m}\nimport inspect\nlater = {m}.later\nafter = {m}.After()")
    for extra in (3, 1, 0):  # grow, shrink, back
        text = source(1, extra, 2 + extra)
        save(k, m, text)
        assert ev(k, f"({m}.grows(2), {m}.grows.__doc__)") == (2 * (2 + extra),
                                                               f"Grows {2 + extra}.")
        assert local(k, m, f"{m}.grows"), extra
        raised_at(k, f"{m}.grows(None)", m, text, '        raise ValueError("grows")')
        raised_at(k, "later()", m, text, '    raise ValueError("later")')
        raised_at(k, "after.method()", m, text, '        raise ValueError("after")')
        raised_at(k, f"{m}.AFTER(1)", m, text, "AFTER = lambda x: x / 0  # noqa: E731")
        for obj, first in ((f"{m}.later", "def later():"), (f"{m}.After", "class After:"),
                           (f"{m}.After.method", "    def method(self):"),
                           (f"{m}.grows", "def grows(x):"),
                           (f"{m}.register", "def register(func):")):
            got = ev(k, f"inspect.getsourcelines({obj})[1]")
            assert got == line_of(text, first), (extra, obj, got)


def test_methods_closures_and_caches_take_the_new_code(k, modname):
    m = modname
    save(k, m, source(1))
    run(k, f"""
        import {m}
        child = {m}.Child()
        hello = child.hello
        adder = {m}.make_adder(100)
        first = {m}.cached(1)
        """)
    assert ev(k, "(hello(), child.size, first, adder(1))") == ("base child 1", 10, 2, 102)
    text = source(1)
    for before, after, funcs in (
            ('" child 1"', '" child 2"', f"{m}.Child.hello"),
            ("return 1 * 10", "return 2 * 10", f"{m}.Child.__dict__['size'].fget"),
            ('("made", 1)', '("made", 2)', f"{m}.Child.make.__func__"),
            ('"plain 1"', '"plain 2"', f"{m}.Child.plain"),
            ("return x + n + 1\n", "return x + n + 2\n", f"{m}.make_adder"),
            ("def cached(x):\n    return x + 1", "def cached(x):\n    return x + 2",
             f"{m}.cached.__wrapped__"),
            ('"registered 1"', '"registered 2"', f"{m}.registered")):
        if before not in text:
            continue
        text = text.replace(before, after, 1)
        save(k, m, text)
        assert ev(k, f"{m}.REGISTRY == [{m}.registered]") is True
        assert local(k, m, funcs), before
    assert ev(k, f"""(hello(), child.size, {m}.Child.make(), {m}.Child.plain(),
                    {m}.cached(1), adder(1), {m}.registered(), [f() for f in {m}.REGISTRY],
                    {m}.Child.__doc__)""") == (
        "base child 2", 20, ("made", 2), "plain 2", 3, 103, "registered 2",
        ["registered 2"], "Child.")


def test_a_comment_inside_a_function_only_renumbers(k, modname):
    m = modname
    save(k, m, source(1))
    run(k, f"import {m}\nlater = {m}.later")
    text = source(1).replace("def first(x):\n", "def first(x):\n    # a\n    # b\n")
    save(k, m, text)
    assert ev(k, f"{m}.first(1)") == 2
    raised_at(k, "later()", m, text, '    raise ValueError("later")')
    assert local(k, m, f"{m}.first, {m}.later") is False  # only first was compiled
    assert local(k, m, f"{m}.first")


def test_edits_the_local_path_must_leave_to_the_statement_diff(k, modname):
    """A decorator of the module's own whose body changed decorates again; a
    function bound by two definitions is rebound; a function a later
    decorator reads decorates again; a def in a loop runs again.  Each as
    the statement diff does it."""
    m = modname
    text = source(1) + '''

def twice():
    return "first"


def twice():
    return "second 1"


def tagger(func):
    func.tag = "t1"
    return func


@tagger
def tagged():
    return "tagged"


HANDLERS = []
for _i in range(2):
    def handler(x, _i=_i):
        return ("h1", _i)
    HANDLERS.append(globals()["handler"])  # (by name, module code would read it)
'''
    save(k, m, text)
    run(k, f"import {m}")
    assert ev(k, f"({m}.twice(), {m}.tagged.tag)") == ("second 1", "t1")
    text = text.replace("    REGISTRY.append(func)\n",
                        "    REGISTRY.append(func)\n    func.tagged = True\n")
    save(k, m, text)
    assert ev(k, f"(getattr({m}.registered, 'tagged', False), {m}.registered())") == (
        True, "registered 1")
    text = text.replace('"second 1"', '"second 2"')
    save(k, m, text)
    assert ev(k, f"{m}.twice()") == "second 2"
    text = text.replace('func.tag = "t1"', 'func.tag = "t2"')
    save(k, m, text)
    assert ev(k, f"({m}.tagged.tag, {m}.tagged())") == ("t2", "tagged")
    assert not local(k, m, f"{m}.tagger")
    # a def in a loop made several functions from one code object
    text = text.replace('"h1"', '"h2"')
    save(k, m, text)
    assert ev(k, f"({m}.handler(0), {m}.HANDLERS[-1](0))") == (("h2", 1), ("h2", 1))
    assert not local(k, m, f"{m}.handler")
