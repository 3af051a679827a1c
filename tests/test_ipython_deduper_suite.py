"""IPython's deduper reloader tests (what changed is patched), re-told for our engine.

Source: ipython/ipython, ``IPython/extensions/tests/test_deduperreload.py``:
its "detection" tests check which definitions DeduperReloader *plans* to patch;
here the same edits are saved for real and we check the outcome: changed
definitions behave anew (old references included), unchanged ones keep their
state, and unchanged top-level code does not run again. Each test names the
IPython test it adapts in a one-line comment; the shared rules and helpers are
in ``ipython_adapted.py``.
"""

from __future__ import annotations

import pytest
from driver import ev, run
from ipython_adapted import COUNTING_FACTORIAL, edit, load, module, raises, tally


# IPython: test_deduperreload.py::test_autoreload_no_changes
def test_ipy_autoreload_no_changes(kernel, modname):
    m = modname
    line, runs = tally(kernel, m)
    src = module(COUNTING_FACTORIAL, line, "x = 1212121")
    load(kernel, m, src, f"import {m}; before = {m}.factorial")
    assert ev(kernel, f"{m}.factorial(1)") == 1
    run(kernel, f"{m}.x = 5")  # state the user changed
    kernel.write(f"{m}.py", src)  # saved again, unchanged
    run(kernel, "pass")
    assert ev(kernel, runs) == 1
    assert ev(kernel, f"({m}.x, {m}.factorial(2), before is {m}.factorial)") == (5, 2, True)


# IPython: test_deduperreload.py::test_autoreload_static_assign_change_outside_function
def test_ipy_autoreload_static_assign_change_outside_function(kernel, modname):
    m = modname
    line, runs = tally(kernel, m)
    load(kernel, m, module(COUNTING_FACTORIAL, line))
    assert ev(kernel, f"{m}.factorial(1)") == 1
    edit(kernel, m, module(COUNTING_FACTORIAL, line, "x = 1212121"))
    assert ev(kernel, f"{m}.x") == 1212121  # the new statement ran...
    assert ev(kernel, runs) == 1  # ...the unchanged one did not
    assert ev(kernel, f"{m}.factorial(2)") == 2  # and the unchanged def kept its state


# IPython: test_deduperreload.py::test_autoreload_changes_inside_function
def test_ipy_autoreload_changes_inside_function(kernel, modname):
    m = modname
    line, runs = tally(kernel, m)
    src = f"""
        def factorial(n):
            return n
        {line}
    """
    load(kernel, m, src, f"import {m}; old = {m}.factorial")
    kernel.write(f"{m}.py", src.replace("return n", "return n * 10"))
    assert ev(kernel, f"(old(2), {m}.factorial(2))") == (20, 20)
    assert ev(kernel, runs) == 1


# IPython: test_deduperreload.py::test_autoreload_changes_inside_and_outside_function
def test_ipy_autoreload_changes_inside_and_outside_function(kernel, modname):
    # IPython gives up on patching here and re-runs the whole module (resetting
    # `cache`, re-running every statement).  We apply the changed statement and
    # the changed function only; untouched state keeps its value.
    m = modname
    line, runs = tally(kernel, m)
    src = f"""
        def factorial(n):
            return n
        {line}
        label = 'one'
        cache = []
    """
    load(kernel, m, src, f"import {m}; old = {m}.factorial; {m}.cache.append('kept')")
    kernel.write(f"{m}.py", src.replace("return n", "return n * 10").replace("'one'", "'two'"))
    assert ev(kernel, f"(old(2), {m}.factorial(2))") == (20, 20)
    assert ev(kernel, f"{m}.label") == "two"
    assert ev(kernel, f"{m}.cache") == ["kept"]
    assert ev(kernel, runs) == 1


# IPython: test_deduperreload.py::test_autoreload_changes_inner_function
def test_ipy_autoreload_changes_inner_function(kernel, modname):
    m = modname
    src = """
        def factorial(n):
            def inner():
                k = 3
                return k
            return inner
    """
    load(kernel, m, src, f"import {m}; old = {m}.factorial")
    assert ev(kernel, "old(1)()") == 3
    kernel.write(f"{m}.py", src.replace("k = 3", "k = 4"))
    assert ev(kernel, f"(old(1)(), {m}.factorial(1)())") == (4, 4)


# IPython: test_deduperreload.py::test_autoreload_changes_multiple_function
def test_ipy_autoreload_changes_multiple_function(kernel, modname):
    m = modname
    src = """
        def factorial(n):
            def inner():
                return 3
            return inner

        def bar():
            return 1
    """
    load(kernel, m, src, f"from {m} import factorial, bar")
    kernel.write(f"{m}.py", src.replace("return 3", "return 4").replace("return 1", "return 2"))
    assert ev(kernel, "(factorial(0)(), bar())") == (4, 2)


# IPython: test_deduperreload.py::test_autoreload_change_one_function_of_multiple
def test_ipy_autoreload_change_one_function_of_multiple(kernel, modname):
    m = modname
    src = """
        def factorial(n):
            def inner():
                return K
            return inner

        def bar(seen=[]):
            seen.append(1)
            return len(seen)
    """
    load(kernel, m, src.replace("K", "3"), f"from {m} import factorial, bar")
    assert ev(kernel, "(bar(), bar())") == (1, 2)
    kernel.write(f"{m}.py", src.replace("K", "4"))
    assert ev(kernel, "factorial(0)()") == 4
    assert ev(kernel, "bar()") == 3  # bar was not redefined: its default kept its state


def _moves(kernel, m, v1, v2):
    """Shared body of the three "only moved" tests: nothing is redefined or re-run.

    v1, v2: the module's top-level statements before and after the edit, the
    same ones in another order ("TALLY" stands for the tally line).
    """
    line, runs = tally(kernel, m)
    load(kernel, m, module(*v1).replace("TALLY", line))
    assert ev(kernel, f"{m}.factorial(0)") == 1
    edit(kernel, m, module(*v2).replace("TALLY", line))
    assert ev(kernel, f"{m}.factorial(0)") == 2  # same def, same (stateful) default
    assert ev(kernel, runs) == 1


# IPython: test_deduperreload.py::test_autoreload_handling_moves
def test_ipy_autoreload_handling_moves(kernel, modname):
    _moves(kernel, modname,
           ["TALLY", COUNTING_FACTORIAL, "x = 1"],
           ["TALLY", "x = 1", COUNTING_FACTORIAL])
    assert ev(kernel, f"{modname}.x") == 1


# IPython: test_deduperreload.py::test_autoreload_handling_function_moves_success
def test_ipy_autoreload_handling_function_moves_success(kernel, modname):
    foo = "def foo():\n    return 23"
    _moves(kernel, modname,
           ["TALLY", COUNTING_FACTORIAL, "x = 1", foo, "x = 2"],
           ["TALLY", "x = 1", "x = 2", foo, COUNTING_FACTORIAL])
    assert ev(kernel, f"({modname}.x, {modname}.foo())") == (2, 23)


# IPython: test_deduperreload.py::test_autoreload_handling_function_moves_only
def test_ipy_autoreload_handling_function_moves_only(kernel, modname):
    _moves(kernel, modname,
           [COUNTING_FACTORIAL, "TALLY", "x = 1", "x = 2"],
           ["TALLY", "x = 1", "x = 2", COUNTING_FACTORIAL])
    assert ev(kernel, f"{modname}.x") == 2


# IPython: test_deduperreload.py::test_autoreload_handles_new_imports
def test_ipy_autoreload_handles_new_imports(kernel, modname):
    m = modname
    line, runs = tally(kernel, m)
    src = module(COUNTING_FACTORIAL, "x = 1", line)
    load(kernel, m, src)
    assert ev(kernel, f"{m}.factorial(0)") == 1
    kernel.write(f"{m}.py", module("import ast", src))
    assert ev(kernel, f"type({m}.ast.parse('1')).__name__") == "Module"
    assert ev(kernel, f"({m}.factorial(0), {m}.x)") == (2, 1)
    assert ev(kernel, runs) == 1


# IPython: test_deduperreload.py::test_autoreload_async_function
def test_ipy_autoreload_async_function(kernel, modname):
    m = modname
    src = """
        import asyncio

        async def nap():
            await asyncio.sleep(0)
            return DELAY
    """
    load(kernel, m, src.replace("DELAY", "1"), f"import {m}; old_nap = {m}.nap")
    assert ev(kernel, "await old_nap()") == 1
    kernel.write(f"{m}.py", src.replace("DELAY", "10"))
    assert ev(kernel, f"(await old_nap(), await {m}.nap())") == (10, 10)


def _add_function(kernel, m, body):
    """Shared body of the two "add a function" tests: a def with `body` is added
    beside a coroutine function whose mutable default counts its calls."""
    coroutine = """
        import asyncio

        async def nap(seen=[]):
            seen.append(1)
            await asyncio.sleep(0)
            return len(seen)
    """
    load(kernel, m, coroutine)
    assert ev(kernel, f"await {m}.nap()") == 1
    kernel.write(f"{m}.py", module(coroutine, f"def add(x, y):\n    {body}"))
    assert ev(kernel, f"{m}.add(1, 2)") is None
    assert ev(kernel, f"await {m}.nap()") == 2  # the untouched coroutine function kept its state


# IPython: test_deduperreload.py::test_autoreload_add_function
def test_ipy_autoreload_add_function(kernel, modname):
    _add_function(kernel, modname, "pass")


# IPython: test_deduperreload.py::test_autoreload_add_function_ellipsis
def test_ipy_autoreload_add_function_ellipsis(kernel, modname):
    _add_function(kernel, modname, "...")


# IPython: test_deduperreload.py::test_patching
def test_ipy_patching(kernel, modname):
    m = modname
    load(kernel, m, "def foo():\n    return 1\n", f"from {m} import foo")
    assert ev(kernel, "foo()") == 1
    kernel.write(f"{m}.py", "def foo():\n    return 2\n")
    assert ev(kernel, "foo()") == 2


# IPython: test_deduperreload.py::test_patching_parameters
def test_ipy_patching_parameters(kernel, modname):
    m = modname
    load(kernel, m, "def foo(n, s):\n    return n + s\n", f"from {m} import foo")
    assert ev(kernel, "foo(2, 3)") == 5
    kernel.write(f"{m}.py", "def foo(n):\n    return n\n")
    assert ev(kernel, "foo(2)") == 2  # the old reference takes the new signature
    raises(kernel, "foo(2, 3)", "TypeError")


# IPython: test_deduperreload.py::test_add_function
def test_ipy_add_function(kernel, modname):
    m = modname
    load(kernel, m, "def foo2(n):\n    return n\n")
    kernel.write(f"{m}.py", "def foo2(n):\n    return n\n\ndef foo(n):\n    return 55\n")
    assert ev(kernel, f"({m}.foo(2), {m}.foo2(2))") == (55, 2)


# IPython: test_deduperreload.py::test_two_operations
def test_ipy_two_operations(kernel, modname):
    m = modname
    load(kernel, m, "def foo(n):\n    return 1\n", f"import {m}; old = {m}.foo")
    assert ev(kernel, "old(2)") == 1
    kernel.write(f"{m}.py", "def foo(n):\n    return 55\n")
    assert ev(kernel, "old(2)") == 55
    kernel.write(f"{m}.py", """
        def goo():
            return -1

        def foo(n):
            x = 2
            return x + n

        def bar():
            return 200
    """)
    assert ev(kernel, f"(old(2), {m}.foo(2), {m}.goo(), {m}.bar())") == (4, 4, -1, 200)


# IPython: test_deduperreload.py::test_using_outside_param
def test_ipy_using_outside_param(kernel, modname):
    m = modname
    load(kernel, m, "x = 1\n\ndef foo(n):\n    return 1\n", f"from {m} import foo")
    assert ev(kernel, "foo(2)") == 1
    kernel.write(f"{m}.py", "x = 1\n\ndef foo(n):\n    return 55 + x\n")
    assert ev(kernel, "foo(2)") == 56


# IPython: test_deduperreload.py::test_importing_func
def test_ipy_importing_func(kernel, modname):
    m = modname
    load(kernel, m, "from os import path\n\ndef foo(n):\n    pass\n", f"from {m} import foo")
    kernel.write(f"{m}.py", "from os import path\n\ndef foo():\n    return path.basename('/a/b')\n")
    assert ev(kernel, "foo()") == "b"


_BASIC_V1 = """
    x = 9

    def foo(y):
        return y + 3
"""


# IPython: test_deduperreload.py::test_deduperreloader_basic (parametrized)
@pytest.mark.parametrize("autoreload_when", ["before_import", "after_import", "after_first_pass"])
def test_ipy_deduperreloader_basic(fresh_kernel, modname, autoreload_when):
    # IPython's reloader starts disabled; ours starts on, so switch it off first:
    # a module imported while reloading was off must be reloaded once it is on.
    kernel = fresh_kernel
    m = modname
    run(kernel, "%autoreload off")
    if autoreload_when == "before_import":
        run(kernel, "%autoreload 2")
    load(kernel, m, _BASIC_V1)
    if autoreload_when == "after_import":
        run(kernel, "%autoreload 2")
    run(kernel, "pass")
    if autoreload_when == "after_first_pass":
        run(kernel, "%autoreload 2")
    run(kernel, "pass")
    edit(kernel, m, _BASIC_V1.replace("y + 3", "y + 5"))
    assert ev(kernel, f"'{m}' in dir()") is True
    assert ev(kernel, f"{m}.foo(0)") == 5


# IPython: test_deduperreload.py::test_super
def test_ipy_super(kernel, modname):
    m = modname
    src = """
        class Base:
            def value(self):
                return 1

        class Child(Base):
            def bumped(self):
                return super().value() + STEP
    """
    load(kernel, m, src.replace("STEP", "1"), f"from {m} import Child; child = Child()")
    assert ev(kernel, "child.bumped()") == 2
    kernel.write(f"{m}.py", src.replace("STEP", "2"))
    assert ev(kernel, "child.bumped()") == 3  # zero-argument super() still works


# IPython: test_deduperreload.py::test_deduperreloader_need_to_default_back
def test_ipy_deduperreloader_need_to_default_back(kernel, modname):
    m = modname
    load(kernel, m, _BASIC_V1)
    edit(kernel, m, _BASIC_V1.replace("x = 9", "x = 200").replace("y + 3", "y + 5"))
    assert ev(kernel, f"({m}.foo(0), {m}.x)") == (5, 200)


# IPython: test_deduperreload.py::test_deduperreloader_failure
def test_ipy_deduperreloader_failure(kernel, modname):
    m = modname
    load(kernel, m, _BASIC_V1)
    kernel.write(f"{m}.py", "broken broken broken\n")
    run(kernel, "pass")  # the cell itself still runs
    assert ev(kernel, f"'{m}' in dir()") is True
    assert ev(kernel, f"({m}.foo(0), {m}.x)") == (3, 9)


# IPython: test_deduperreload.py::test_deduperreloader_imported_mod
def test_ipy_deduperreloader_imported_mod(kernel, modname):
    m = modname
    load(kernel, m, "from os import environ\n\ndef foo(n):\n    pass\n")
    edit(kernel, m, """
        from os import environ

        def foo():
            environ.get('PATH')
            return 1
    """)
    assert ev(kernel, f"{m}.foo()") == 1


# -- class-level detection tests, told by their outcome ------------------------------


# IPython: test_deduperreload.py::test_autoreload_method
def test_ipy_autoreload_method(kernel, modname):
    m = modname
    line, runs = tally(kernel, m)
    load(kernel, m, f"""
        {line}
        class C:
            def foo():
                pass
    """, f"import {m}; C_before = {m}.C")
    kernel.write(f"{m}.py", f"""
        {line}
        class C:
            def foo():
                x = 1
                return x
    """)
    assert ev(kernel, f"({m}.C.foo(), C_before.foo(), C_before is {m}.C)") == (1, 1, True)
    assert ev(kernel, runs) == 1


# IPython: test_deduperreload.py::test_autoreload_no_changes_class
def test_ipy_autoreload_no_changes_class(kernel, modname):
    m = modname
    line, runs = tally(kernel, m)
    src = f"""
        {line}
        class D:
            def foo():
                pass

        def foo(seen=[]):
            seen.append(1)
            return len(seen)
    """
    load(kernel, m, src, f"import {m}; D_before = {m}.D")
    assert ev(kernel, f"{m}.foo()") == 1
    edit(kernel, m, src)
    assert ev(kernel, f"(D_before is {m}.D, {m}.foo())") == (True, 2)
    assert ev(kernel, runs) == 1


# IPython: test_deduperreload.py::test_autoreload_add_function_class
def test_ipy_autoreload_add_function_class(kernel, modname):
    m = modname
    load(kernel, m, """
        class C:
            def foo():
                pass

        def foo(seen=[]):
            seen.append(1)
            return len(seen)
    """)
    assert ev(kernel, f"{m}.foo()") == 1
    kernel.write(f"{m}.py", """
        class C:
            def foo():
                x = 1
                return x

            def bar():
                return -1

        def foo(seen=[]):
            seen.append(1)
            return len(seen)
    """)
    assert ev(kernel, f"({m}.C.foo(), {m}.C.bar(), {m}.foo())") == (1, -1, 2)


# IPython: test_deduperreload.py::test_autoreload_remove_method
def test_ipy_autoreload_remove_method(kernel, modname):
    m = modname
    load(kernel, m, """
        class C:
            def foo(self):
                pass

        def foo():
            return 'module foo'
    """, f"import {m}; c = {m}.C()")
    kernel.write(f"{m}.py", """
        class C:
            pass

        def foo():
            return 'module foo'
    """)
    assert ev(kernel, f"(hasattr({m}.C, 'foo'), hasattr(c, 'foo'))") == (False, False)
    assert ev(kernel, f"{m}.foo()") == "module foo"


# IPython: test_deduperreload.py::test_autoreload_remove_class
def test_ipy_autoreload_remove_class(kernel, modname):
    m = modname
    load(kernel, m, """
        class C:
            def foo():
                pass

        def foo():
            return 'module foo'
    """)
    kernel.write(f"{m}.py", "def foo():\n    return 'module foo'\n")
    assert ev(kernel, f"(hasattr({m}, 'C'), {m}.foo())") == (False, "module foo")


_NESTED_V1 = """
    class C:
        class D:
            BODY

    def foo():
        pass
"""

_NESTED_V2 = """
    class C:
        C_BODY
        class D:
            D_BODY
            def foo():
                return 1

    def foo():
        pass
"""


def _nested_v2(c_body: str = "", d_body: str = "") -> str:
    """The edit of the nested tests below: D gains foo(), beside what else C and D hold."""
    return _NESTED_V2.replace("C_BODY", c_body).replace("D_BODY", d_body)


# IPython: test_deduperreload.py::test_autoreload_add_class_in_class
def test_ipy_autoreload_add_class_in_class(kernel, modname):
    m = modname
    load(kernel, m, "class C:\n    pass\n\ndef foo():\n    pass\n", f"import {m}; c = {m}.C()")
    kernel.write(f"{m}.py", _NESTED_V1.replace("BODY", "pass"))
    assert ev(kernel, f"({m}.C.D.__name__, c.D is {m}.C.D)") == ("D", True)


# IPython: test_deduperreload.py::test_autoreload_add_method_in_class_in_class
def test_ipy_autoreload_add_method_in_class_in_class(kernel, modname):
    m = modname
    load(kernel, m, _NESTED_V1.replace("BODY", "x = 1"), f"import {m}; D_before = {m}.C.D")
    kernel.write(f"{m}.py", _nested_v2(d_body="x = 1"))
    assert ev(kernel, f"({m}.C.D.foo(), {m}.C.D.x, D_before.foo())") == (1, 1, 1)


# IPython: test_deduperreload.py::test_autoreload_add_var_and_method_in_class_in_class
def test_ipy_autoreload_add_var_and_method_in_class_in_class(kernel, modname):
    m = modname
    load(kernel, m, _NESTED_V1.replace("BODY", "pass"))
    kernel.write(f"{m}.py", _nested_v2(d_body="x = 1"))
    assert ev(kernel, f"({m}.C.D.x, {m}.C.D.foo())") == (1, 1)


# IPython: test_deduperreload.py::test_autoreload_add_method_in_class_in_class_pass
def test_ipy_autoreload_add_method_in_class_in_class_pass(kernel, modname):
    m = modname
    load(kernel, m, _NESTED_V1.replace("BODY", "pass"))
    kernel.write(f"{m}.py", _nested_v2())
    assert ev(kernel, f"{m}.C.D.foo()") == 1


# IPython: test_deduperreload.py::test_autoreload_add_method_in_class_in_class_more
def test_ipy_autoreload_add_method_in_class_in_class_more(kernel, modname):
    m = modname
    load(kernel, m, _NESTED_V1.replace("BODY", "pass"))
    kernel.write(f"{m}.py", _nested_v2(c_body="def bar(): return -1"))
    assert ev(kernel, f"({m}.C.bar(), {m}.C.D.foo())") == (-1, 1)


# IPython: test_deduperreload.py::test_autoreload_add_method_in_class_in_class_with_members
def test_ipy_autoreload_add_method_in_class_in_class_with_members(kernel, modname):
    m = modname
    load(kernel, m, _NESTED_V1.replace("BODY", "pass"))
    kernel.write(f"{m}.py", _nested_v2(c_body="def bar(): return -1", d_body="s = 2"))
    assert ev(kernel, f"({m}.C.bar(), {m}.C.D.s, {m}.C.D.foo())") == (-1, 2, 1)
