"""IPython's shell-level %autoreload tests, re-told for our engine and run in a real kernel.

Source: ipython/ipython, ``tests/test_zzz_autoreload.py``. Each test names the
IPython test it adapts in a one-line comment; the shared rules and helpers are
in ``ipython_adapted.py``.
"""

from __future__ import annotations

from driver import ev, run
from ipython_adapted import autoreload_mode, edit, load, module, raises


# IPython: test_zzz_autoreload.py::test_reload_enums
def test_ipy_reload_enums(kernel, modname):
    m = modname
    kernel.write(f"{m}.py", """
        import enum

        class Shade(enum.Enum):
            LIGHT = 'light'
            DARK = 'dark'
    """)
    run(kernel, "%autoreload 2")
    run(kernel, f"%aimport {m}")
    assert ev(kernel, f"'{m}' in dir()") is True
    res = edit(kernel, m, """
        import enum

        class Shade(enum.Enum):
            LIGHT = 'light'
            DARK = 'dark'
            DIM = 'dim'
    """)
    assert res.stderr == "", "adding an enum member must reload without complaint"
    assert ev(kernel, f"{m}.Shade.DIM.value") == "dim"
    assert ev(kernel, f"[s.name for s in {m}.Shade]") == ["LIGHT", "DARK", "DIM"]


# IPython: test_zzz_autoreload.py::test_reload_class_type
def test_ipy_reload_class_type(kernel, modname):
    m = modname
    kernel.write(f"{m}.py", """
        class Gadget:
            def version(self):
                return 'first'
    """)
    raises(kernel, "gadget", "NameError")
    run(kernel, f"from {m} import Gadget")
    run(kernel, "gadget = Gadget()")
    edit(kernel, m, """
        class Gadget:
            def version(self):
                return 'second'
    """)
    # The instance made before the edit is still an instance of the class the
    # module now holds (so pickle, which looks the class up by name, accepts it).
    run(kernel, "import sys, pickle")
    assert ev(kernel, f"isinstance(gadget, sys.modules['{m}'].Gadget)") is True
    assert ev(kernel, f"type(gadget) is sys.modules['{m}'].Gadget") is True
    run(kernel, "clone = pickle.loads(pickle.dumps(gadget))")
    assert ev(kernel, "(gadget.version(), clone.version())") == ("second", "second")


# IPython: test_zzz_autoreload.py::test_reload_class_attributes
def test_ipy_reload_class_attributes(kernel, modname):
    m = modname
    load(kernel, m, """
        class Cell:
            def __init__(self, side=10):
                self.side = side
                self.extra = 22

            def area(self):
                return self.side * self.side
    """, f"from {m} import Cell")
    run(kernel, "early = Cell(5)")
    assert ev(kernel, "early.area()") == 25
    assert ev(kernel, "early.extra") == 22
    raises(kernel, "early.volume()", "AttributeError")
    raises(kernel, "early.power(3)", "AttributeError")
    raises(kernel, "early.missing", "AttributeError")

    # area() goes, power() comes, and __init__ now sets extra = 11.
    kernel.write(f"{m}.py", """
        class Cell:
            def __init__(self, side=10):
                self.side = side
                self.extra = 11

            def power(self, p):
                return self.side ** p
    """)
    run(kernel, "late = Cell(5)")
    for obj in ("early", "late"):
        assert ev(kernel, f"{obj}.power(3)") == 125, obj
        raises(kernel, f"{obj}.area()", "AttributeError")
        raises(kernel, f"{obj}.volume()", "AttributeError")
        raises(kernel, f"{obj}.missing", "AttributeError")
        assert ev(kernel, f"{obj}.side") == 5, obj
    # Instance data is not code: the object made before the edit keeps what its
    # (old) __init__ stored; only new objects run the new __init__.
    assert ev(kernel, "early.extra") == 22
    assert ev(kernel, "late.extra") == 11


# IPython: test_zzz_autoreload.py::test_comparing_numpy_structures
def test_ipy_comparing_numpy_structures(kernel, modname):
    import numpy  # noqa: F401 - a test dependency; the kernel shares this environment
    m = modname
    load(kernel, m, """
        import numpy as np

        class Grid:
            corners = (np.array((.1, .2)), np.array((.2, .3)))
    """, f"from {m} import Grid")
    run(kernel, "grid = Grid()")
    # Class attribute holding arrays changes: comparing old and new values must
    # not trip over numpy's "truth value of an array is ambiguous".
    res = edit(kernel, m, """
        import numpy as np

        class Grid:
            corners = (np.array((.3, .4)), np.array((.5, .6)))
    """)
    assert res.stderr == "", "reloading a class holding numpy arrays must not fail"
    assert ev(kernel, "[a.tolist() for a in grid.corners]") == [[.3, .4], [.5, .6]]
    # And an edit elsewhere that leaves equal arrays in place is just as quiet.
    res = edit(kernel, m, """
        import numpy as np

        class Grid:
            corners = (np.array((.3, .4)), np.array((.5, .6)))

            def total(self):
                return float(sum(a.sum() for a in self.corners))
    """)
    assert res.stderr == ""
    assert ev(kernel, "round(grid.total(), 6)") == 1.8


# IPython: test_zzz_autoreload.py::test_autoload_newly_added_objects
def test_ipy_autoload_newly_added_objects(kernel, modname):
    m, ext = modname, f"{modname}_ext"
    with autoreload_mode(kernel, "3"):
        load(kernel, m, """
            def first():
                return 'first'
        """, f"from {m} import *")
        assert ev(kernel, "first()") == "first"
        raises(kernel, "second()", "NameError")
        raises(kernel, "w = Widget()", "NameError")
        raises(kernel, "counter", "NameError")

        # New names appear in the notebook, as re-running the star import would give.
        kernel.write(f"{m}.py", """
            def first():
                return 'first'

            def second():
                return 'second'

            class Widget:
                pass

            counter = 0

            from enum import Enum

            class Level(Enum):
                LOW = 'low'
        """)
        assert ev(kernel, "second()") == "second"
        run(kernel, "import sys")
        assert ev(kernel, f"sys.modules['{m}'].second()") == "second"
        run(kernel, "w = Widget()")
        assert ev(kernel, "counter") == 0
        assert ev(kernel, "Level.LOW.value") == "low"

        # ...and those new names follow later edits like any other.
        kernel.write(f"{m}.py", """
            def first():
                return 'first, edited'

            def second():
                return 'second, edited'

            class Widget:
                def hello(self):
                    return 'hi'

            counter = 1

            from enum import Enum

            class Level(Enum):
                LOW = 'low'
                HIGH = 'high'
        """)
        assert ev(kernel, "first()") == "first, edited"
        assert ev(kernel, "second()") == "second, edited"
        assert ev(kernel, "Widget().hello()") == "hi"
        assert ev(kernel, "w.hello()") == "hi"  # made before the edit: follows the new code
        assert ev(kernel, "counter") == 1
        # IPython checks this only below Python 3.12; we hold it on every version.
        assert ev(kernel, "Level.HIGH.value") == "high"

        # The module now re-exports another (new) module's names: they reach the
        # notebook through the star import too.
        kernel.write(f"{ext}.py", """
            from enum import Enum

            class Origin(Enum):
                X = 'ext'

            def ext_func():
                return 'ext'

            class ExtThing:
                def meth(self):
                    return 'ext'

            ext_number = 2
        """)
        kernel.write(f"{m}.py", f"from {ext} import *\n")
        assert ev(kernel, "Origin.X.value") == "ext"
        assert ev(kernel, "ext_func()") == "ext"
        assert ev(kernel, "ExtThing().meth()") == "ext"
        assert ev(kernel, "ext_number") == 2


_V1_N = """
    def func1():
        return 'f1'

    n = 1
"""

_V2_N = """
    n = 100

    def func2():
        return 'f2'

    def func1():
        return 'f1'

    m = 5
"""


# IPython: test_zzz_autoreload.py::test_autoload3_import_Y_as_Z
def test_ipy_autoload3_import_Y_as_Z(kernel, modname):
    with autoreload_mode(kernel, "3"):
        load(kernel, modname, _V1_N, f"from {modname} import n as alias")
        assert ev(kernel, "alias") == 1
        raises(kernel, "func1()", "NameError")
        kernel.write(f"{modname}.py", _V2_N)
        assert ev(kernel, "alias") == 100  # what `from m import n as alias` gives now
        raises(kernel, "n", "NameError")  # the alias is tracked, not the original name
        raises(kernel, "func2()", "NameError")


# IPython: test_zzz_autoreload.py::test_autoload3_import_Y_as_Z_overloading
def test_ipy_autoload3_import_Y_as_Z_overloading(kernel, modname):
    with autoreload_mode(kernel, "3"):
        load(kernel, modname, _V1_N, f"from {modname} import n as alias")
        assert ev(kernel, "alias") == 1
        raises(kernel, "func1()", "NameError")
        # The module grows a name equal to the notebook's alias: the alias still
        # follows `n`, until the user imports the new name itself.
        kernel.write(f"{modname}.py", module(_V2_N, "alias = 45"))
        assert ev(kernel, "alias") == 100
        run(kernel, f"from {modname} import alias")
        assert ev(kernel, "alias") == 45


# IPython: test_zzz_autoreload.py::test_autoload3_normalimport
def test_ipy_autoload3_normalimport(kernel, modname):
    m = modname
    with autoreload_mode(kernel, "3"):
        load(kernel, m, _V1_N)
        assert ev(kernel, f"({m}.func1(), {m}.n)") == ("f1", 1)
        kernel.write(f"{m}.py", _V2_N)
        assert ev(kernel, f"({m}.func1(), {m}.n, {m}.func2(), {m}.m)") == ("f1", 100, "f2", 5)
        run(kernel, f"from {m} import n")
        assert ev(kernel, f"({m}.func1(), n)") == ("f1", 100)


# IPython: test_zzz_autoreload.py::test_autoload3_normalimport_2
def test_ipy_autoload3_normalimport_2(kernel, modname):
    m = modname
    with autoreload_mode(kernel, "3"):
        load(kernel, m, _V1_N, f"from {m} import n")
        raises(kernel, "func1()", "NameError")
        assert ev(kernel, "n") == 1
        run(kernel, f"import {m}")
        kernel.write(f"{m}.py", _V2_N)
        assert ev(kernel, f"({m}.func1(), {m}.n, {m}.func2(), {m}.m)") == ("f1", 100, "f2", 5)
        assert ev(kernel, "n") == 100


# IPython: test_zzz_autoreload.py::test_autoload_3_does_not_add_all
def test_ipy_autoload_3_does_not_add_all(kernel, modname):
    m = modname
    with autoreload_mode(kernel, "3"):
        load(kernel, m, _V1_N, f"from {m} import n")
        assert ev(kernel, "n") == 1
        raises(kernel, "func1()", "NameError")
        # `from m import n` is not `from m import *`: new names stay in the module.
        kernel.write(f"{m}.py", _V2_N.replace("n = 100", "n = 1"))
        assert ev(kernel, "n") == 1
        for expr in ("func1()", "func2()", "m"):
            raises(kernel, expr, "NameError")
        run(kernel, f"from {m} import m")
        assert ev(kernel, "(n, m)") == (1, 5)
        raises(kernel, "func1()", "NameError")
        raises(kernel, "func2()", "NameError")
        run(kernel, f"from {m} import func1, func2")
        assert ev(kernel, "(n, m, func1(), func2())") == (1, 5, "f1", "f2")


# IPython: test_zzz_autoreload.py::test_verbose_names
def test_ipy_verbose_names(fresh_kernel):
    kernel = fresh_kernel

    def status(mode):
        run(kernel, f"%autoreload {mode}")
        return run(kernel, "%autoreload --status").text

    assert status("0") == status("off") == status("OFF")  # names are case-insensitive
    assert status("1") == status("explicit")
    assert status("2") == status("all")
    assert status("3") == status("complete")
    # (otherwise the equalities above would prove nothing)
    assert len({status("off"), status("explicit"), status("all")}) == 3

    before = status("all")
    raises(kernel, "%autoreload 4", "UsageError", "ValueError")
    assert run(kernel, "%autoreload --status").text == before, "a bad mode must change nothing"


# IPython: test_zzz_autoreload.py::test_aimport_parsing
def test_ipy_aimport_parsing(fresh_kernel, modname):
    kernel = fresh_kernel
    a, b = f"{modname}_a", f"{modname}_b"
    for name in (a, b):
        kernel.write(f"{name}.py", "value = 1\n")
    run(kernel, "%autoreload explicit")
    run(kernel, f"%aimport {a}")  # imports it and marks it for reloading
    assert ev(kernel, f"'{a}' in dir()") is True
    run(kernel, f"import {b}")
    for name in (a, b):
        kernel.write(f"{name}.py", "value = 2\n")
    assert ev(kernel, f"({a}.value, {b}.value)") == (2, 1)

    # One line can exclude one module and include another.
    run(kernel, f"%aimport -{a}, {b}")
    for name in (a, b):
        kernel.write(f"{name}.py", "value = 3\n")
    assert ev(kernel, f"({a}.value, {b}.value)") == (2, 3)
    listing = run(kernel, "%aimport").stdout
    assert f"Modules to reload:\n{b}" in listing
    assert f"Modules to skip:\n{a}" in listing

    # An excluded module stays excluded when every module is reloaded.
    run(kernel, "%autoreload all")
    kernel.write(f"{a}.py", "value = 4\n")
    kernel.write(f"{b}.py", "value = 4\n")
    assert ev(kernel, f"({a}.value, {b}.value)") == (2, 4)


# IPython: test_zzz_autoreload.py::test_aimport_as
def test_ipy_aimport_as(fresh_kernel, modname):
    kernel = fresh_kernel
    m = modname
    kernel.write(f"{m}.py", "value = 1\n")
    run(kernel, "%autoreload explicit")
    run(kernel, f"%aimport {m} as alias")
    assert ev(kernel, f"('alias' in dir(), '{m}' in dir())") == (True, False)
    run(kernel, "import sys")
    assert ev(kernel, f"alias is sys.modules['{m}']") is True
    # It is marked for reloading under its real name.
    kernel.write(f"{m}.py", "value = 2\n")
    assert ev(kernel, "alias.value") == 2


# IPython: test_zzz_autoreload.py::test_autoreload_output
def test_ipy_autoreload_output(fresh_kernel, modname):
    kernel = fresh_kernel
    m = modname
    version = iter(range(1, 100))

    def edit():
        kernel.write(f"{m}.py", f"def func1():\n    return {next(version)}\n")

    edit()
    run(kernel, "%autoreload complete")
    run(kernel, f"import {m}")
    edit()
    assert run(kernel, "pass").stdout == ""  # silent by default
    assert ev(kernel, f"{m}.func1()") == 2

    run(kernel, "%autoreload complete --print")
    edit()
    assert m in run(kernel, "pass").stdout
    # IPython reloads (and prints) on any mtime change; we don't: saving the same
    # text again reloads nothing, so there is nothing to print.
    kernel.write(f"{m}.py", "def func1():\n    return 3\n")
    assert run(kernel, "pass").stdout == ""

    run(kernel, "%autoreload complete -p")
    edit()
    assert m in run(kernel, "pass").stdout

    run(kernel, """
        import logging, logging.handlers
        _ar_log = logging.getLogger('autoreload')
        _ar_log.setLevel(logging.INFO)
        _ar_buf = logging.handlers.MemoryHandler(capacity=100, flushLevel=logging.CRITICAL)
        _ar_log.addHandler(_ar_buf)
    """)
    run(kernel, "%autoreload complete --print --log")
    edit()
    assert m in run(kernel, "pass").stdout
    assert ev(kernel, f"any('{m}' in r.getMessage() for r in _ar_buf.buffer)") is True

    run(kernel, "%autoreload complete -l")
    run(kernel, "_ar_buf.buffer.clear()")
    edit()
    assert m not in run(kernel, "pass").stdout  # --log alone logs, it does not print
    assert ev(kernel, f"any('{m}' in r.getMessage() for r in _ar_buf.buffer)") is True
    assert ev(kernel, f"{m}.func1()") == 6


_SMOKE_V1 = """
    base = 9

    doomed = 123  # gone in the next version

    def shift(y):
        return y + 3

    class Acc:
        def __init__(self, start):
            self.start = start

        def add(self, y):
            return self.start + y

        @property
        def answer(self):
            return 42

        def gone(self):
            return 99  # gone in the next version

    class Plain:
        def one(self):
            return 1
"""

_SMOKE_V2 = """
    base = 10

    def shift(y):
        return y + 4

    class Acc:
        def __init__(self, start):
            self.start = start

        def add(self, y):
            return self.start + y + 1

        @property
        def answer(self):
            return 43

    class Plain:
        def one(self):
            return 2
"""


def _smoketest(kernel, m, use_aimport):
    kernel.write(f"{m}.py", _SMOKE_V1)
    if use_aimport:
        run(kernel, "%autoreload 1")
        run(kernel, f"%aimport {m}")
        assert f"Modules to reload:\n{m}" in run(kernel, "%aimport").stdout
        raises(kernel, "%aimport no_such_module_xq7", "ModuleNotFoundError", "ImportError")
    else:
        run(kernel, "%autoreload 2")
        run(kernel, f"import {m}")
        assert "Modules to reload:\nall-except-skipped" in run(kernel, "%aimport").stdout
    assert ev(kernel, f"'{m}' in dir()") is True
    run(kernel, f"old_shift = {m}.shift; old_acc = {m}.Acc(9); old_plain = {m}.Plain()")

    def v1_state():
        assert ev(kernel, f"({m}.base, {m}.doomed)") == (9, 123)
        assert ev(kernel, f"(old_shift(0), {m}.shift(0))") == (3, 3)
        run(kernel, f"acc = {m}.Acc(9)")
        assert ev(kernel, "(old_acc.add(1), acc.add(1), acc.answer, acc.gone())") == (10, 10, 42, 99)
        assert ev(kernel, f"(old_plain.one(), {m}.Plain().one())") == (1, 1)

    v1_state()

    # A broken save: nothing is reloaded, and the failure is told exactly once.
    first = edit(kernel, m, "this is not python\n")
    assert m in first.stderr, "a failed reload must be reported"
    second = run(kernel, "pass")
    assert m not in second.stderr, "...but only once"
    v1_state()

    # A good save: old references and old instances follow the new code.
    edit(kernel, m, _SMOKE_V2)

    def v2_state():
        assert ev(kernel, f"{m}.base") == 10
        assert ev(kernel, f"hasattr({m}, 'doomed')") is False
        assert ev(kernel, f"(old_shift(0), {m}.shift(0))") == (4, 4)
        run(kernel, f"acc = {m}.Acc(9)")
        assert ev(kernel, "(old_acc.add(1), acc.add(1))") == (11, 11)
        assert ev(kernel, "(old_acc.answer, acc.answer)") == (43, 43)
        assert ev(kernel, "(hasattr(old_acc, 'gone'), hasattr(acc, 'gone'))") == (False, False)
        assert ev(kernel, f"(old_plain.one(), {m}.Plain().one())") == (2, 2)

    v2_state()

    # The file goes away: the module keeps what it has.
    (kernel.workdir / f"{m}.py").unlink()
    run(kernel, "pass")
    v2_state()

    # Reloading turned off for this module (or altogether): edits are not applied.
    if use_aimport:
        run(kernel, f"%aimport -{m}")
        assert f"Modules to skip:\n{m}" in run(kernel, "%aimport").stdout
        run(kernel, "%aimport -no_such_module_xq7")  # excluding an unknown name is fine
    else:
        run(kernel, "%autoreload 0")
    edit(kernel, m, "base = -99\n")
    run(kernel, "pass")
    v2_state()

    # ...and turned back on: the pending edit is applied.
    if use_aimport:
        run(kernel, f"%aimport {m}")
    else:
        run(kernel, "%autoreload")  # bare: reload now
    run(kernel, "pass")
    assert ev(kernel, f"{m}.base") == -99


# IPython: test_zzz_autoreload.py::test_smoketest_aimport
def test_ipy_smoketest_aimport(fresh_kernel, modname):
    _smoketest(fresh_kernel, modname, use_aimport=True)


# IPython: test_zzz_autoreload.py::test_smoketest_autoreload
def test_ipy_smoketest_autoreload(fresh_kernel, modname):
    _smoketest(fresh_kernel, modname, use_aimport=False)


# IPython: test_zzz_autoreload.py::test_autoreload_with_user_defined_In_variable
def test_ipy_autoreload_with_user_defined_In_variable(kernel, modname):
    m = modname
    load(kernel, m, "def greet():\n    return 'Hello'\n")
    run(kernel, f"res = {m}.greet()")
    assert ev(kernel, "res") == "Hello"
    run(kernel, "In = 'some_value'")
    try:
        kernel.write(f"{m}.py", "def greet():\n    return 'Changed'\n")
        run(kernel, f"res = {m}.greet()")
        assert ev(kernel, "res") == "Changed"
    finally:
        kernel.execute("In = _ih")


_FOO_BAR_V1 = """
    foo = 'original_foo'
    bar = 'original_bar'
"""
_FOO_BAR_V2 = """
    foo = 'modified_foo'
    bar = 'modified_bar'
"""


# IPython: test_zzz_autoreload.py::test_import_from_tracker_integration
# (also the behaviour unit-tested by test_import_from_tracker_conflict_resolution)
def test_ipy_import_from_tracker_integration(kernel, modname):
    with autoreload_mode(kernel, "3"):
        load(kernel, modname, _FOO_BAR_V1, f"from {modname} import foo as bar")
        assert ev(kernel, "bar") == "original_foo"
        run(kernel, f"from {modname} import bar")  # the later import wins
        assert ev(kernel, "bar") == "original_bar"
        kernel.write(f"{modname}.py", _FOO_BAR_V2)
        run(kernel, "x = 1")
        assert ev(kernel, "bar") == "modified_bar"


# IPython: test_zzz_autoreload.py::test_import_from_tracker_reverse_conflict
# (a unit test of ImportFromTracker; here: its observable consequence)
def test_ipy_import_from_tracker_reverse_conflict(kernel, modname):
    with autoreload_mode(kernel, "3"):
        load(kernel, modname, _FOO_BAR_V1, f"from {modname} import bar")
        run(kernel, f"from {modname} import foo as bar")  # the later import wins
        assert ev(kernel, "bar") == "original_foo"
        edit(kernel, modname, _FOO_BAR_V2)
        assert ev(kernel, "bar") == "modified_foo"


# IPython: test_zzz_autoreload.py::test_import_from_tracker_invalid_import
# (a unit test of ImportFromTracker; here: an alias re-pointed at a name that an
# edit added must follow that name from then on)
def test_ipy_import_from_tracker_invalid_import(kernel, modname):
    m = modname
    with autoreload_mode(kernel, "3"):
        load(kernel, m, "foo = 'foo v1'\n", f"from {m} import foo as bar")
        kernel.write(f"{m}.py", "foo = 'foo v2'\nfoo2 = 'foo2 v2'\n")
        assert ev(kernel, "bar") == "foo v2"
        run(kernel, f"from {m} import foo2 as bar")
        assert ev(kernel, "bar") == "foo2 v2"
        kernel.write(f"{m}.py", "foo = 'foo v3'\nfoo2 = 'foo2 v3'\n")
        assert ev(kernel, "bar") == "foo2 v3"


# IPython: test_zzz_autoreload.py::test_autoreload3_double_import
# (also the behaviour unit-tested by test_import_from_tracker_multiple_resolved_names)
def test_ipy_autoreload3_double_import(kernel, modname):
    with autoreload_mode(kernel, "3"):
        load(kernel, modname, _FOO_BAR_V1, f"from {modname} import foo as bar")
        run(kernel, f"from {modname} import foo")
        assert ev(kernel, "(bar, foo)") == ("original_foo", "original_foo")
        edit(kernel, modname, _FOO_BAR_V2)
        assert ev(kernel, "(bar, foo)") == ("modified_foo", "modified_foo")
