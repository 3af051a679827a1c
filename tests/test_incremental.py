"""A first edit parses only what it touched, and still gives what a fresh import gives.

In process (like test_fuzz): the engine's ``Reloader`` runs here, as the kernel
runs it, so the test can look at what was parsed.  The module's source is
built so that text outside the edit *looks* like code (a column-0 ``def``
inside a string) or is read by a later statement, where parsing only the
touched lines would go wrong.
"""

from __future__ import annotations

import importlib
import os
import sys
import textwrap
import time

import pytest

from autoreload_kernel.engine import Reloader
from autoreload_kernel.statements import Span


def _write(path, text):
    before = os.stat(path).st_mtime_ns if os.path.exists(path) else 0
    with open(path, "w") as fh:
        fh.write(textwrap.dedent(text))
    if os.stat(path).st_mtime_ns <= before:
        os.utime(path, ns=(before + 10_000_000,) * 2)


@pytest.fixture
def env(tmp_path):
    sys.path.insert(0, str(tmp_path))
    r = Reloader(shell=None, prepare=False)  # plans made here, in this thread
    r.start()
    names = []

    def load(name, text):
        _write(tmp_path / f"{name}.py", text)
        names.append(name)
        return importlib.import_module(name)

    def edit(name, text):
        _write(tmp_path / f"{name}.py", text)
        time.sleep(0.01)
        return r.check()

    yield r, load, edit
    sys.path.remove(str(tmp_path))
    for name in names:
        sys.modules.pop(name, None)


BASE = '''
    """Doc."""
    from __future__ import annotations

    def a(x: Later) -> int:
        return 1

    TEXT = """
    def b():
        return 'in a string'
    """

    @staticmethod
    def b():
        return 2

    def c():
        return 3

    TOTAL = c()
'''


def test_first_edit_parses_only_the_touched_statements(env):
    r, load, edit = env
    m = load("inc_touch", BASE)
    assert edit("inc_touch", BASE.replace("return 2", "return 20")) == ["inc_touch"]
    assert m.b() == 20 and m.a.__annotations__ == {"x": "Later", "return": "int"}
    items = r.store.baselines["inc_touch"].parsed.items
    assert any(type(item) is Span for item in items)  # the rest was never parsed


def test_edit_that_a_later_statement_reads_runs_it_again(env):
    r, load, edit = env
    m = load("inc_read", BASE)
    assert m.TOTAL == 3
    edit("inc_read", BASE.replace("return 3", "return 30"))
    assert m.c() == 30 and m.TOTAL == 3  # a def's body change rebinds nothing
    edit("inc_read", BASE.replace("def c():\n        return 3", "c = lambda: 31"))
    assert m.TOTAL == 31  # c rebound: `TOTAL = c()` runs again


def test_edit_inside_a_string_that_looks_like_a_def(env):
    r, load, edit = env
    m = load("inc_str", BASE)
    edit("inc_str", BASE.replace("return 'in a string'", "return 'edited'"))
    assert "edited" in m.TEXT and m.b() == 2


def test_first_edit_with_a_syntax_error_names_its_line(env):
    r, load, edit = env
    m = load("inc_bad", BASE)
    edit("inc_bad", BASE.replace("return 3", "return (3"))
    failure = r.report.failures["inc_bad"]
    assert failure.lineno == 18 and m.c() == 3
    edit("inc_bad", BASE.replace("return 3", "return 4"))
    assert m.c() == 4 and "inc_bad" not in r.report.failures
