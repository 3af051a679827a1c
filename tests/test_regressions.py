"""Reload cases found in review, each through a real kernel: after the edit the
module must equal a fresh import, and nothing outside the module may change."""

import os
import re
import shutil
import textwrap

import pytest
from driver import settle


def check(kernel, code):
    res = kernel.execute(code)
    assert res.ok, f"{res.error}\n{res.traceback}\n{res.stderr}"
    return res


_SINGLEDISPATCH = """
    from functools import singledispatch

    @singledispatch
    def show(x):
        return 'base'

    @show.register
    def _(x: int):
        return 'int1'

    @show.register
    def _(x: str):
        return 'str'
"""
_ALIAS = "def on_a():\n    return 'a'\n\ndef on_b():\n    return 'b'\n\nhandler = on_a\n"
_CLASS_LIMIT = "LIMIT = 10\n\nclass C:\n    limit = LIMIT\n"

# (id, source before, source after, cell after the import, check after the edit);
# {m} is the module's name.
EDITS = [
    ("alias-rebinding-leaves-the-old-function", _ALIAS,
     _ALIAS.replace("handler = on_a", "handler = on_b"), "import {m}",
     "assert {m}.handler() == 'b'\nassert {m}.on_a() == 'a', {m}.on_a()"),
    ("changing-an-import-leaves-the-library-alone",
     "from shutil import copy\nfrom string import Template\n",
     "from copy import copy\n\nclass Template:\n    pass\n", "import {m}, shutil, string",
     """
        import copy as copymod
        assert {m}.copy is copymod.copy
        assert shutil.copy.__code__.co_filename.endswith('shutil.py')
        assert string.Template('$x').substitute(x=1) == '1'
        assert {m}.Template.__module__ == {m!r}
     """),
    ("repeated-handler-names-are-not-crossed", _SINGLEDISPATCH,
     _SINGLEDISPATCH.replace("'int1'", "'int2'"), "from {m} import show",
     "assert (show(1), show('a'), show(1.5)) == ('int2', 'str', 'base'), (show(1), show('a'))"),
    ("augmented-assignment-follows-its-base", "X = 1\nX += 10\n", "X = 2\nX += 10\n",
     "import {m}", "assert {m}.X == 12, {m}.X"),
    ("class-attribute-reading-a-changed-constant", _CLASS_LIMIT,
     _CLASS_LIMIT.replace("10", "20"), "import {m}; old = {m}.C()",
     "assert {m}.C.limit == 20 and old.limit == 20, {m}.C.limit"),
    ("method-gains-super-call",
     "class B:\n    def __init__(self):\n        self.tag = 'base'\n\n"
     "class C(B):\n    def __init__(self):\n        self.tag = 'own'\n",
     "class B:\n    def __init__(self):\n        self.tag = 'base'\n\n"
     "class C(B):\n    def __init__(self):\n        super().__init__()\n",
     "import {m}; old = {m}.C",
     "assert {m}.C is old and {m}.C().tag == 'base'"),
    ("intenum-value-change",
     "import enum\n\nclass I(enum.IntEnum):\n    X = 5\n",
     "import enum\n\nclass I(enum.IntEnum):\n    X = 7\n",
     "import {m}",
     "assert {m}.I.X == 7 and int({m}.I.X) == 7 and {m}.I(7) is {m}.I.X"),
    ("enum-missing-hook-edited",
     "import enum\n\nclass E(enum.Enum):\n    A = 1\n    B = 2\n\n"
     "    @classmethod\n    def _missing_(cls, value):\n        return cls.A\n",
     "import enum\n\nclass E(enum.Enum):\n    A = 1\n    B = 2\n\n"
     "    @classmethod\n    def _missing_(cls, value):\n        return cls.B\n",
     "import {m}", "assert {m}.E(99) is {m}.E.B"),
    ("removed-class-attributes-are-gone",
     "class Base:\n    x = 'base'\n\nclass Sub(Base):\n    x = 'sub'\n\n"
     "    def __eq__(self, other):\n        return True\n",
     "class Base:\n    x = 'base'\n\nclass Sub(Base):\n    pass\n",
     "import {m}; s = {m}.Sub()",
     "assert (s.x, {m}.Sub().x) == ('base', 'base')\nhash(s)"),
    ("decorator-registry-holds-the-patched-objects",
     "REG = {}\n\ndef reg(obj):\n    REG[obj.__name__] = obj\n    return obj\n\n"
     "@reg\nclass C:\n    def v(self):\n        return 1\n",
     "REG = {}\n\ndef reg(obj):\n    REG[obj.__name__] = obj\n    return obj\n\n"
     "@reg\nclass C:\n    def v(self):\n        return 2\n",
     "import {m}; old = {m}.C()",
     "assert {m}.REG['C'] is {m}.C and isinstance({m}.REG['C'](), {m}.C) and old.v() == 2"),
    ("function-gains-a-decorator",
     "def f():\n    return 'one'\n",
     "def deco(g):\n    def w():\n        return 'w:' + g()\n    return w\n\n"
     "@deco\ndef f():\n    return 'two'\n",
     "import {m}\nfrom {m} import f as early",
     "assert early() == 'w:two' and {m}.f() == 'w:two', early()"),
    ("notebook-name-from-another-module-is-left-alone",
     "DEBUG = None\n", "DEBUG = True\n",
     "import {m}\nimport types, sys\nsys.modules['{m}_other'] = types.ModuleType('{m}_other')\n"
     "sys.modules['{m}_other'].DEBUG = None\nfrom {m} import DEBUG\nfrom {m}_other import DEBUG",
     "assert DEBUG is None and {m}.DEBUG is True"),
    # Found by the differential fuzzer (tests/fuzzing), issue 8 section 2:
    ("comment-lines-inside-a-function-body",
     "def f():\n    x = 1\n    raise ValueError(x)\n",
     "def f():\n    # one\n\n    # two\n    x = 1\n    raise ValueError(x)\n",
     "import {m}",
     """
        import inspect, traceback
        try:
            {m}.f()
        except ValueError as err:
            line = traceback.extract_tb(err.__traceback__)[-1].lineno
        lines, start = inspect.getsourcelines({m}.f)
        assert (line, start, len(lines)) == (6, 1, 6), (line, start, len(lines))
     """),
    ("function-with-an-alias-moves-once",
     "def f():\n    return 1\n\ng = f\n",
     "# one\n# two\n\ndef f():\n    return 1\n\ng = f\n",
     "import {m}",
     "assert {m}.f.__code__.co_firstlineno == 4, {m}.f.__code__.co_firstlineno"),
    ("def-gaining-a-decorator-is-the-decorated-object",
     "import functools\n\ndef deco(fn):\n    @functools.wraps(fn)\n    def w(*a):\n"
     "        return ('w', fn(*a))\n    return w\n\ndef f(x):\n    return x\n",
     "import functools\n\ndef deco(fn):\n    @functools.wraps(fn)\n    def w(*a):\n"
     "        return ('w', fn(*a))\n    return w\n\n@deco\ndef f(x):\n    return x\n",
     "import {m}\nfrom {m} import f as early",
     "assert ({m}.f(1), {m}.f.__wrapped__(1), early(1)) == (('w', 1), 1, ('w', 1))"),
    ("class-gaining-a-decorator-keeps-its-instances",
     "def tag(cls):\n    cls.tagged = True\n    return cls\n\nclass C:\n    def v(self):\n"
     "        return 1\n",
     "def tag(cls):\n    cls.tagged = True\n    return cls\n\n@tag\nclass C:\n    def v(self):\n"
     "        return 2\n",
     "import {m}; old = {m}.C()",
     "assert isinstance(old, {m}.C) and {m}.C.tagged and old.v() == 2"),
    ("class-losing-a-decorator-loses-what-it-added",
     "def tag(cls):\n    cls.tagged = True\n    return cls\n\n@tag\nclass C:\n    pass\n",
     "def tag(cls):\n    cls.tagged = True\n    return cls\n\nclass C:\n    pass\n",
     "import {m}; old = {m}.C()",
     "assert isinstance(old, {m}.C) and not hasattr({m}.C, 'tagged')"),
    ("dataclass-base-gains-a-field",
     "from dataclasses import dataclass, fields\n\n@dataclass\nclass B:\n    x: int = 1\n\n"
     "@dataclass\nclass E(B):\n    y: int = 2\n",
     "from dataclasses import dataclass, fields\n\n@dataclass\nclass B:\n    x: int = 1\n"
     "    w: int = 0\n\n@dataclass\nclass E(B):\n    y: int = 2\n",
     "import {m}; old = {m}.E",
     "assert {m}.E is old and repr({m}.E()) == 'E(x=1, w=0, y=2)', repr({m}.E())"),
    ("abc-base-gains-an-abstract-method",
     "import abc\n\nclass A(abc.ABC):\n    @abc.abstractmethod\n    def run(self):\n"
     "        pass\n\nclass I(A):\n    def run(self):\n        return 1\n",
     "import abc\n\nclass A(abc.ABC):\n    @abc.abstractmethod\n    def run(self):\n"
     "        pass\n\n    @abc.abstractmethod\n    def stop(self):\n        pass\n\n"
     "class I(A):\n    def run(self):\n        return 1\n",
     "import {m}",
     """
        assert {m}.I.__abstractmethods__ == frozenset({'stop'}), {m}.I.__abstractmethods__
        try:
            {m}.I()
        except TypeError:
            pass
        else:
            raise AssertionError('I() should fail: stop is abstract')
     """),
    ("rerun-statement-keeps-the-patched-def",
     "def f():\n    return 1\n\nH = {'f': f, 'x': None}\n",
     "def f():\n    return 2\n\nH = {'f': f, 'x': 1}\n",
     "import {m}; old = {m}.f",
     "assert {m}.H['f'] is {m}.f is old and {m}.H['f']() == 2"),
    ("closure-made-before-the-edit-runs-the-new-code",
     "def make_adder(n):\n    def add(x):\n        return x + n\n    return add\n",
     "def make_adder(n):\n    def add(x):\n        return x + n + 100\n    return add\n",
     "import {m}; add1 = {m}.make_adder(1)",
     "assert add1(1) == 102 and {m}.make_adder(1)(1) == 102, add1(1)"),
    ("statements-sharing-a-line", "a = 1; b = 2 + \\\n3\nc = 4\n",
     "a = 1; b = 2 + \\\n4\nc = 4\n", "import {m}",
     "assert ({m}.a, {m}.b, {m}.c) == (1, 6, 4), ({m}.a, {m}.b, {m}.c)"),
]


@pytest.mark.parametrize("before, after, setup, expect",
                         [pytest.param(*case[1:], id=case[0]) for case in EDITS])
def test_edit_gives_a_fresh_import(kernel, modname, before, after, setup, expect):
    m = modname
    kernel.write(f"{m}.py", textwrap.dedent(before))
    check(kernel, setup.format(m=m))
    kernel.write(f"{m}.py", textwrap.dedent(after))
    check(kernel, textwrap.dedent(expect).replace("{m!r}", repr(m)).replace("{m}", m))


def test_coding_comment_inside_the_changed_lines(kernel, modname):
    m = modname
    kernel.write(f"{m}.py", "A = 1\n\nB = 2\n")
    check(kernel, f"import {m}")
    with open(os.path.join(kernel.workdir, f"{m}.py"), "w", encoding="utf-8") as fh:
        fh.write("A = 1\n\n# coding: latin-1\nS = 'é'\nB = 2\n")
    check(kernel, f"assert {m}.S == 'é', repr({m}.S)")


def test_functions_inside_if_blocks_keep_true_line_numbers(kernel, modname):
    m = modname
    src = "import sys\n\nif sys:\n    def g():\n        raise ValueError('g')\n"
    kernel.write(f"{m}.py", src)
    check(kernel, f"import {m}")
    kernel.write(f"{m}.py", "# one\n# two\n" + src)
    res = kernel.execute(f"{m}.g()")
    assert res.error.startswith("ValueError")
    plain = re.sub(r"\x1b\[[0-9;]*m", "", res.traceback)
    assert f"{m}.py:7, in g" in plain, plain


def test_failure_caused_by_another_module_is_retried(kernel, modname):
    a, b = f"{modname}_a", f"{modname}_b"
    kernel.write(f"{b}.py", "OLD = 1\n")
    kernel.write(f"{a}.py", "def f():\n    return 1\n")
    check(kernel, f"import {a}, {b}")
    kernel.write(f"{a}.py", f"from {b} import NEW\n\ndef f():\n    return NEW\n")
    first = check(kernel, "pass")
    assert "ImportError" in first.stderr and f"{a}.py" in first.stderr
    kernel.write(f"{b}.py", "OLD = 1\nNEW = 42\n")
    check(kernel, "pass")
    check(kernel, f"assert {a}.f() == 42, {a}.f()")


def test_failed_import_is_retried_in_the_same_check(kernel, modname):
    a, b = f"{modname}_a", f"{modname}_b"
    kernel.write(f"{a}.py", "def f():\n    return 1\n")
    kernel.write(f"{b}.py", f"from {a} import f\n")
    check(kernel, f"import {a}, {b}")
    kernel.write(f"{b}.py", f"from {a} import f, g\n")
    first = check(kernel, "pass")
    assert "ImportError" in first.stderr and f"{b}.py" in first.stderr
    kernel.write(f"{a}.py", "def f():\n    return 1\n\ndef g():\n    return 2\n")
    check(kernel, f"assert {b}.g() == 2")  # the very next cell, not the one after


def test_decorated_def_takes_later_docstring_edits(kernel, modname):
    m = modname
    deco = "import functools\n\ndef deco(fn):\n    @functools.wraps(fn)\n    def w():\n" \
           "        return ('w', fn())\n    return w\n\n"
    kernel.write(f"{m}.py", deco + "def f():\n    'one'\n    return 1\n")
    check(kernel, f"import {m}")
    kernel.write(f"{m}.py", deco + "@deco\ndef f():\n    'one'\n    return 1\n")
    check(kernel, f"assert {m}.f() == ('w', 1) and {m}.f.__wrapped__() == 1")
    kernel.write(f"{m}.py", deco + "@deco\ndef f():\n    'two'\n    return 2\n")
    check(kernel, f"assert ({m}.f.__doc__, {m}.f()) == ('two', ('w', 2)), {m}.f.__doc__")


def test_alias_of_a_redecorated_def_is_renumbered_once(kernel, modname):
    # f runs again (its decorator changed) and lands in lines where h used to
    # be; the alias g must not renumber the new code a second time.
    m = modname
    src = ("import functools\n\ndef deco(fn):\n    @functools.wraps(fn)\n    def w():\n"
           "        return ('TAG', fn())\n    return w\n\nX = 1\n\n\ndef h():\n    a = 1\n"
           "    b = 2\n    return a + b\n\n\n@deco\ndef f():\n    raise ValueError('f')\n"
           "\ng = f\n")
    kernel.write(f"{m}.py", src)
    check(kernel, f"import {m}")
    kernel.write(f"{m}.py", src.replace("'TAG'", "'NEW'").replace("X = 1\n\n\n", ""))
    check(kernel, f"""
import traceback
try:
    {m}.g()
except ValueError as err:
    line = traceback.extract_tb(err.__traceback__)[-1].lineno
assert line == 17 and {m}.g is {m}.f, line
""")


def test_dataclass_subclass_that_lost_its_fields_follows_its_base(kernel, modname):
    m = modname
    head = "from dataclasses import dataclass\n\n@dataclass\nclass B:\n    x: int = 1\n"
    kernel.write(f"{m}.py", head + "\n@dataclass\nclass S(B):\n    y: int = 2\n")
    check(kernel, f"import {m}; B0 = {m}.B; s0 = {m}.S()")
    kernel.write(f"{m}.py", head + "\n@dataclass\nclass S(B):\n    pass\n")
    check(kernel, f"assert repr({m}.S()) == 'S(x=1)', repr({m}.S())")
    kernel.write(f"{m}.py", head + "    w: int = 0\n\n@dataclass\nclass S(B):\n    pass\n")
    res = check(kernel, f"assert {m}.B is B0 and isinstance(s0, {m}.B)\n"
                        f"assert repr({m}.S()) == 'S(x=1, w=0)', repr({m}.S())")
    assert "could not patch" not in res.stderr, res.stderr


def test_directory_deleted_and_recreated_is_watched_again(kernel, modname):
    pkg = f"{modname}_pkg"
    kernel.write(f"{pkg}/__init__.py", "")
    kernel.write(f"{pkg}/mod.py", "X = 1\n")
    check(kernel, f"import {pkg}.mod as pm")
    shutil.rmtree(kernel.workdir / pkg)
    check(kernel, "assert pm.X == 1")  # the module stays as it was
    kernel.write(f"{pkg}/__init__.py", "")
    kernel.write(f"{pkg}/mod.py", "X = 2\n")
    check(kernel, "assert pm.X == 2, pm.X")
    settle(kernel, f"{pkg}/mod.py")
    kernel.write(f"{pkg}/mod.py", "X = 3\n")
    check(kernel, "assert pm.X == 3, pm.X")


@pytest.mark.parametrize("first", ["link", "real"])
def test_directory_reached_through_a_symlink(kernel, modname, first):
    real = kernel.workdir / f"{modname}_real"
    link = kernel.workdir / f"{modname}_link"
    kernel.write(f"{real.name}/{modname}_x.py", "X = 1\n")
    kernel.write(f"{real.name}/{modname}_y.py", "Y = 1\n")
    os.symlink(real, link)
    one, two = (link, real) if first == "link" else (real, link)
    check(kernel, f"import sys\nsys.path[:0] = [{str(one)!r}]\nimport {modname}_x\n"
                  f"sys.path[:0] = [{str(two)!r}]\nimport {modname}_y")
    settle(kernel, f"{real.name}/{modname}_x.py", f"{real.name}/{modname}_y.py")
    kernel.write(f"{real.name}/{modname}_x.py", "X = 2\n")
    kernel.write(f"{real.name}/{modname}_y.py", "Y = 2\n")
    check(kernel, f"assert ({modname}_x.X, {modname}_y.Y) == (2, 2)")


def test_future_import_after_code_is_rejected_like_a_fresh_import(kernel, modname):
    m = modname
    kernel.write(f"{m}.py", "X = 1\n")
    check(kernel, f"import {m}")
    kernel.write(f"{m}.py", "X = 2\nfrom __future__ import annotations\n")
    res = check(kernel, f"assert {m}.X == 1, {m}.X")  # the old module stays
    assert "SyntaxError" in res.stderr and f"{m}.py, line 2" in res.stderr, res.stderr


def test_failed_aimport_registers_nothing(fresh_kernel):
    res = fresh_kernel.execute("%aimport no_such_module_zz9")
    assert res.error.startswith("ModuleNotFoundError"), res.error
    listing = fresh_kernel.execute("%aimport").stdout
    assert "no_such_module_zz9" not in listing
    assert "no_such_module_zz9" not in fresh_kernel.execute("%autoreload --status").stdout
