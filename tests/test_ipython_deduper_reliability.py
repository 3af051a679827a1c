"""IPython's deduper reloader tests, continued: its reliability suite and its decorator tests.

Source: ipython/ipython, ``IPython/extensions/tests/test_deduperreload.py``.
Each test names the IPython test it adapts in a one-line comment; the shared
rules and helpers are in ``ipython_adapted.py``.
"""

from __future__ import annotations

from driver import ev, run
from ipython_adapted import edit, load


# -- reliability suite ---------------------------------------------------------------


_CLASS_V1 = """
    x = 9

    class C:
        def foo():
            return 1
"""


# IPython: test_deduperreload.py::test_autoreload_class_basic
def test_ipy_autoreload_class_basic(kernel, modname):
    m = modname
    load(kernel, m, _CLASS_V1, f"import {m}; C_before = {m}.C")
    kernel.write(f"{m}.py", _CLASS_V1)  # touched, unchanged: nothing reloads
    run(kernel, "pass")
    assert ev(kernel, f"'{m}' in dir()") is True
    assert ev(kernel, f"({m}.C.foo(), C_before is {m}.C)") == (1, True)


# IPython: test_deduperreload.py::test_remove_overridden_method
def test_ipy_remove_overridden_method(kernel, modname):
    m = modname
    load(kernel, m, """
        class A:
            def foo(self):
                return 1

        class B(A):
            def foo(self):
                return 42
    """, f"from {m} import B; b = B()")
    assert ev(kernel, "b.foo()") == 42
    kernel.write(f"{m}.py", """
        class A:
            def foo(self):
                return 1

        class B(A):
            pass
    """)
    assert ev(kernel, "b.foo()") == 1  # the override is gone: A's foo shows through


# IPython: test_deduperreload.py::test_autoreload_class_use_outside_func
def test_ipy_autoreload_class_use_outside_func(kernel, modname):
    m = modname
    load(kernel, m, _CLASS_V1)
    edit(kernel, m, _CLASS_V1.replace("return 1", "return 1 + x"))
    assert ev(kernel, f"{m}.C.foo()") == 10


_CLASS_MEMBER_V2 = """
    class C:
        x = 9
        def foo():
            return 1 + C.x
"""


# IPython: test_deduperreload.py::test_autoreload_class_use_class_member
def test_ipy_autoreload_class_use_class_member(kernel, modname):
    m = modname
    load(kernel, m, _CLASS_V1)
    edit(kernel, m, _CLASS_MEMBER_V2)
    assert ev(kernel, f"{m}.C.foo()") == 10
    # Not asserted upstream; our rule: a fresh import has no module-level x.
    assert ev(kernel, f"hasattr({m}, 'x')") is False


# IPython: test_deduperreload.py::test_autoreload_class_pass
def test_ipy_autoreload_class_pass(kernel, modname):
    m = modname
    load(kernel, m, "x = 9\n\nclass C:\n    pass\n", f"import {m}; c = {m}.C()")
    edit(kernel, m, _CLASS_MEMBER_V2)
    assert ev(kernel, f"({m}.C.foo(), c.x)") == (10, 9)


# IPython: test_deduperreload.py::test_autoreload_class_ellipsis
def test_ipy_autoreload_class_ellipsis(kernel, modname):
    m = modname
    load(kernel, m, "x = 9\n\nclass C:\n    ...\n")
    edit(kernel, m, _CLASS_MEMBER_V2)
    assert ev(kernel, f"{m}.C.foo()") == 10


# IPython: test_deduperreload.py::test_autoreload_class_default_autoreload
def test_ipy_autoreload_class_default_autoreload(kernel, modname):
    m = modname
    load(kernel, m, _CLASS_MEMBER_V2, f"import {m}; c = {m}.C()")
    edit(kernel, m, _CLASS_MEMBER_V2.replace("x = 9", "x = 20"))
    assert ev(kernel, f"({m}.C.foo(), c.x)") == (21, 20)


# IPython: test_deduperreload.py::test_autoreload_class_nested
def test_ipy_autoreload_class_nested(kernel, modname):
    m = modname
    src = """
        class C:
            x = 9
            class D:
                def foo():
                    BODY
    """
    load(kernel, m, src.replace("BODY", "pass"), f"import {m}; D_before = {m}.C.D")
    edit(kernel, m, src.replace("BODY", "return 10"))
    assert ev(kernel, f"({m}.C.D.foo(), D_before.foo())") == (10, 10)


_NESTED2 = """
    class C:
        x = 9
        def c():
            return C_RESULT
        class D:
            def foo():
                D_BODY
"""


def _nested2(c_result: str, d_body: str) -> str:
    return _NESTED2.replace("C_RESULT", c_result).replace("D_BODY", d_body)


# IPython: test_deduperreload.py::test_autoreload_class_nested2
def test_ipy_autoreload_class_nested2(kernel, modname):
    m = modname
    load(kernel, m, _nested2("1", "pass"))
    edit(kernel, m, _nested2("1", "return 10"))
    assert ev(kernel, f"({m}.C.D.foo(), {m}.C.c())") == (10, 1)


# IPython: test_deduperreload.py::test_autoreload_class_nested3
def test_ipy_autoreload_class_nested3(kernel, modname):
    m = modname
    load(kernel, m, _nested2("1", "pass"))
    edit(kernel, m, _nested2("13", "return 10"))
    assert ev(kernel, f"({m}.C.D.foo(), {m}.C.c())") == (10, 13)


# IPython: test_deduperreload.py::test_autoreload_new_class_added
def test_ipy_autoreload_new_class_added(kernel, modname):
    m = modname
    load(kernel, m, "class C:\n    x = 9\n    def c():\n        return 1\n")
    edit(kernel, m, """
        class C:
            x = 9
            def c():
                return 13

        class D:
            def c():
                return 1
    """)
    assert ev(kernel, f"({m}.C.c(), {m}.D.c())") == (13, 1)


# IPython: test_deduperreload.py::test_autoreload_class_nested_default
def test_ipy_autoreload_class_nested_default(kernel, modname):
    m = modname
    load(kernel, m, "class C:\n    pass\n")
    edit(kernel, m, _nested2("13", "return 10"))
    assert ev(kernel, f"({m}.C.D.foo(), {m}.C.c(), {m}.C.x)") == (10, 13, 9)


# IPython: test_deduperreload.py::test_autoreload_class_nested_using_members
def test_ipy_autoreload_class_nested_using_members(kernel, modname):
    m = modname
    load(kernel, m, _nested2("13", "return 10"))
    edit(kernel, m, _nested2("13", "return 10 + C.x"))
    assert ev(kernel, f"({m}.C.D.foo(), {m}.C.c())") == (19, 13)


# IPython: test_deduperreload.py::test_autoreload_class_nested_using_members_ellipsis
def test_ipy_autoreload_class_nested_using_members_ellipsis(kernel, modname):
    m = modname
    load(kernel, m, _nested2("13", "..."))
    edit(kernel, m, _nested2("13", "return 10 + C.x"))
    assert ev(kernel, f"({m}.C.D.foo(), {m}.C.c())") == (19, 13)


_CLASSMETHODS = """
    class Foo:
        @classmethod
        def bar(cls):
            return BAR

        @classmethod
        def foo(cls):
            return 42 + cls.bar()

    foo = Foo.foo
"""


# IPython: test_deduperreload.py::test_method_decorators_no_changes
def test_ipy_method_decorators_no_changes(kernel, modname):
    m = modname
    load(kernel, m, _CLASSMETHODS.replace("BAR", "0"))
    assert ev(kernel, f"{m}.foo()") == 42
    kernel.write(f"{m}.py", _CLASSMETHODS.replace("BAR", "0"))
    assert ev(kernel, f"{m}.foo()") == 42


# IPython: test_deduperreload.py::test_method_decorators_no_changes1
def test_ipy_method_decorators_no_changes1(kernel, modname):
    m = modname
    load(kernel, m, _CLASSMETHODS.replace("BAR", "0"), f"from {m} import foo")
    assert ev(kernel, "foo()") == 42
    kernel.write(f"{m}.py", _CLASSMETHODS.replace("BAR", "0"))
    assert ev(kernel, "foo()") == 42


# IPython: test_deduperreload.py::test_method_classmethod_one_change
def test_ipy_method_classmethod_one_change(kernel, modname):
    m = modname
    src = _CLASSMETHODS.replace("foo", "func")
    load(kernel, m, src.replace("BAR", "0"))
    assert ev(kernel, f"{m}.func()") == 42
    kernel.write(f"{m}.py", src.replace("BAR", "1"))
    assert ev(kernel, f"{m}.func()") == 43


# IPython: test_deduperreload.py::test_method_staticmethod_one_change
def test_ipy_method_staticmethod_one_change(kernel, modname):
    m = modname
    src = """
        class Foo:
            @staticmethod
            def bar():
                return BAR

            @staticmethod
            def func():
                return 42 + Foo.bar()

        func = Foo.func
    """
    load(kernel, m, src.replace("BAR", "0"), f"from {m} import func")
    assert ev(kernel, "func()") == 42
    kernel.write(f"{m}.py", src.replace("BAR", "1"))
    assert ev(kernel, "func()") == 43


# IPython: test_deduperreload.py::test_autoreload_class_default_args
def test_ipy_autoreload_class_default_args(kernel, modname):
    m = modname
    load(kernel, m, "x = 42\n\nclass Foo:\n    def foo(self, y):\n        return y\n", f"import {m}; early = {m}.Foo()")
    edit(kernel, m, "x = 42\n\nclass Foo:\n    def foo(self, y=x):\n        return y\n")
    run(kernel, f"late = {m}.Foo()")
    assert ev(kernel, "(late.foo(2), late.foo())") == (2, 42)
    assert ev(kernel, "early.foo()") == 42  # made before the edit, follows it


# IPython: test_deduperreload.py::test_autoreload_class_change_default_args
def test_ipy_autoreload_class_change_default_args(kernel, modname):
    m = modname
    load(kernel, m, "x = 42\n\nclass Foo:\n    def foo(y):\n        return y\n")
    edit(kernel, m, "x = 44\n\nclass Foo:\n    def foo(y=x):\n        return y\n")
    assert ev(kernel, f"({m}.Foo.foo(), {m}.x)") == (44, 44)


# IPython: test_deduperreload.py::test_autoreload_class_new_class
def test_ipy_autoreload_class_new_class(kernel, modname):
    m = modname
    src = "x = 42\n\nclass Foo:\n    def foo(y=x):\n        return y\n"
    load(kernel, m, src, f"import {m}; prev_foo = {m}.Foo.foo")
    edit(kernel, m, src + "\nclass C:\n    def foo():\n        return 200\n")
    assert ev(kernel, f"prev_foo is {m}.Foo.foo") is True  # untouched: not redefined
    assert ev(kernel, f"({m}.Foo.foo(), {m}.C.foo())") == (42, 200)


# IPython: test_deduperreload.py::test_autoreload_overloaded_vars
def test_ipy_autoreload_overloaded_vars(kernel, modname):
    m = modname
    load(kernel, m, "x = 42\n\nclass Foo:\n    pass\n")
    edit(kernel, m, """
        x = 44

        class Foo:
            def foo():
                x = 2
                return x
    """)
    assert ev(kernel, f"({m}.Foo.foo(), {m}.x)") == (2, 44)


# IPython: test_deduperreload.py::test_autoreload_overloaded_vars2
def test_ipy_autoreload_overloaded_vars2(kernel, modname):
    m = modname
    load(kernel, m, "x = 42\n\ndef foo():\n    return x\n")
    assert ev(kernel, f"{m}.foo()") == 42
    edit(kernel, m, "x = 44\n\ndef foo():\n    x = 2\n    return x\n")
    assert ev(kernel, f"({m}.foo(), {m}.x)") == (2, 44)


# -- decorators -----------------------------------------------------------------------


# IPython: test_deduperreload.py::test_modify_property
def test_ipy_modify_property(kernel, modname):
    m = modname
    src = "class Foo:\n    @property\n    def foo(self):\n        return VALUE\n"
    load(kernel, m, src.replace("VALUE", "42"), f"from {m} import Foo")
    run(kernel, "foo = Foo()")
    assert ev(kernel, "foo.foo") == 42
    edit(kernel, m, src.replace("VALUE", "43"))
    assert ev(kernel, "foo.foo") == 43


_INCREMENTED_CLASSMETHOD = """
    def incremented(f):
        return lambda *args: f(*args) + 1

    class Foo:
        @classmethod
        @incremented
        def foo(cls):
            return 42

    foo = Foo.foo
"""


def _edit_decorated_classmethod(kernel, m, old, new):
    """Shared body of the two decorator-edit tests: `foo`, bound before the edit
    (`old` -> `new` in _INCREMENTED_CLASSMETHOD), must follow it."""
    load(kernel, m, _INCREMENTED_CLASSMETHOD, f"from {m} import foo")
    assert ev(kernel, "foo()") == 43
    kernel.write(f"{m}.py", _INCREMENTED_CLASSMETHOD.replace(old, new))
    assert ev(kernel, "foo()") == 42


# IPython: test_deduperreload.py::test_method_decorator
def test_ipy_method_decorator(kernel, modname):
    # The decorator is taken off.
    _edit_decorated_classmethod(kernel, modname, "@incremented", "")


# IPython: test_deduperreload.py::test_method_modified_decorator
def test_ipy_method_modified_decorator(kernel, modname):
    # The decorator's own body changes: what it decorated follows.
    _edit_decorated_classmethod(kernel, modname, "f(*args) + 1", "f(*args) + 0")


# IPython: test_deduperreload.py::test_function_decorators
def test_ipy_function_decorators(kernel, modname):
    m = modname
    load(kernel, m, """
        def incremented(f):
            return lambda *args: f(*args) + 1

        @incremented
        def foo():
            return 42
    """)
    assert ev(kernel, f"{m}.foo()") == 43
    edit(kernel, m, """
        def incremented(f):
            return lambda *args: f(*args) + 1

        def foo():
            return 42
    """)
    assert ev(kernel, f"{m}.foo()") == 42
    edit(kernel, m, """
        def incremented(v):
            def deco(f):
                return lambda *args: f(*args) + v
            return deco

        @incremented(2)
        def foo():
            return 43
    """)
    assert ev(kernel, f"{m}.foo()") == 45


# IPython: test_deduperreload.py::test_method_decorators_again
def test_ipy_method_decorators_again(kernel, modname):
    m = modname
    load(kernel, m, _CLASSMETHODS.replace("BAR", "0"))
    assert ev(kernel, f"{m}.foo()") == 42
    edit(kernel, m, _CLASSMETHODS.replace("BAR", "1"))
    assert ev(kernel, f"({m}.Foo.foo(), {m}.foo())") == (43, 43)


# IPython: test_deduperreload.py::test_function_decorator_from_other_module
def test_ipy_function_decorator_from_other_module(kernel, modname):
    # The decorated function's globals are its own module's, never the
    # decorator module's (which is what the wrapper's __globals__ would give).
    m, deco = modname, f"{modname}_deco"
    kernel.write(f"{deco}.py", """
        import functools

        def incremented(f):
            @functools.wraps(f)
            def wrapper(*args, **kwargs):
                return f(*args, **kwargs) + 1
            return wrapper
    """)
    src = f"from {deco} import incremented as deco\n\n@deco\ndef foo():\n    return VALUE\n"
    load(kernel, m, src.replace("VALUE", "42"), f"from {m} import foo")
    assert ev(kernel, "foo()") == 43
    kernel.write(f"{m}.py", src.replace("VALUE", "43"))
    assert ev(kernel, "foo()") == 44


# IPython: test_deduperreload.py::test_decorators_with_freevars
def test_ipy_decorators_with_freevars(kernel, modname):
    m = modname
    load(kernel, m, """
        def decorate(func):
            free_x = 'x'
            free_y = 'y'
            def wrapper(*args, **kwargs):
                return func(*args, **kwargs), free_x, free_y
            return wrapper

        @decorate
        def f():
            return 'v1'
    """, f"import {m}; from {m} import f")
    assert ev(kernel, "f()") == ("v1", "x", "y")
    # The wrapper's closure changes: other free variables, other values.
    edit(kernel, m, """
        def decorate(func):
            free_ax = 'ax'
            free_by = 'by'
            def wrapper(*args, **kwargs):
                return func(*args, **kwargs), free_ax, free_by
            return wrapper

        @decorate
        def f():
            return 'v2'
    """)
    assert ev(kernel, f"({m}.f(), f())") == (("v2", "ax", "by"), ("v2", "ax", "by"))


# IPython: test_deduperreload.py::test_reload_enums
def test_ipy_reload_enums_deduper(kernel, modname):
    m = modname
    src = """
        from enum import Enum

        class MyEnum(Enum):
            A = 'A'
            B = 'B'
    """
    load(kernel, m, src)
    edit(kernel, m, src.replace("B = 'B'", "B = 'B'\n            C = 'C'"))
    assert ev(kernel, f"{m}.MyEnum.C.value") == "C"
    assert ev(kernel, f"{m}.MyEnum.A.value") == "A"
