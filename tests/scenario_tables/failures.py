"""Reload scenarios: the old module stays, one clear message, real files and lines."""

from scenario_steps import COUNT, COUNTER, Cell, F1, F2, F3, S, Scenario, Write, line
from scenario_tables.classes import CLS1, CLS2


FAILURES = [
    Scenario("syntax_error_keeps_old_module", [
        Write({"{m}.py": "X = 1\n\ndef f():\n    return 1\n"}),
        Cell("import {m}\nf0 = {m}.f"),
        # line 6 is broken; f and X changed above it, NEW added
        Write({"{m}.py": "X = 2\nNEW = 1\n\ndef f():\n    return 2\ndef g(:\n    pass\n"}),
        Cell(
            "assert {m}.f() == 1\nassert f0() == 1\nassert {m}.X == 1\nassert not hasattr({m}, 'NEW')",
            err=(r"{m}\.py", line(6)),
        ),
        # shown once: the next cell (no further edit) does not repeat it
        Cell("assert {m}.f() == 1", lacks=(r"{m}\.py", "SyntaxError")),
        Write({"{m}.py": "X = 3\n\ndef f():\n    return 3\n"}),
        Cell("assert {m}.f() == 3\nassert f0() == 3\nassert {m}.X == 3", lacks=("SyntaxError",)),
    ]),
    Scenario("syntax_error_each_new_bad_save_reported", [
        Write({"{m}.py": F1}),
        Cell("import {m}"),
        Write({"{m}.py": "def f():\n    return 2\n\n\nx = (\n"}),
        Cell("assert {m}.f() == 1", err=(r"{m}\.py",)),
        Write({"{m}.py": "def f(:\n    return 2\n"}),
        Cell("assert {m}.f() == 1", err=(r"{m}\.py", line(1))),
        Cell("assert {m}.f() == 1", lacks=(r"{m}\.py",)),
        Write({"{m}.py": F3}),
        Cell("assert {m}.f() == 3"),
    ]),
    Scenario("exception_at_top_level_no_half_patch", [
        Write({"{m}.py": "X = 1\n\ndef f():\n    return 1\n"}),
        Cell("import {m}\nf0 = {m}.f\nfrom {m} import X"),
        Write({"{m}.py": "X = 2\n\ndef f():\n    return 2\n\nraise RuntimeError('boom_{m}')\n"}),
        Cell(
            "assert {m}.f() == 1, {m}.f()\nassert f0() == 1\nassert {m}.X == 1\nassert X == 1",
            err=("boom_{m}", r"{m}\.py", line(6)),
        ),
        Cell("assert {m}.f() == 1", lacks=("boom_{m}",)),
        Write({"{m}.py": "X = 3\n\ndef f():\n    return 3\n"}),
        Cell("assert {m}.f() == 3\nassert f0() == 3\nassert X == 3", lacks=("boom_{m}",)),
    ]),
    S(
        "traceback_points_at_real_file_and_line",
        {"{m}.py": F1},
        "import inspect, traceback\nf0 = {m}.f\nassert 'return 1' in inspect.getsource({m}.f)",
        {"{m}.py": "def other():\n    return 0\n\n\ndef f():\n    raise ValueError('v2_boom')\n"},
        """
        try:
            f0()
        except ValueError as e:
            fr = traceback.extract_tb(e.__traceback__)[-1]
        else:
            raise AssertionError('f did not raise')
        assert fr.filename.endswith('{m}.py'), fr.filename
        assert fr.lineno == 6, fr.lineno
        assert fr.line == "raise ValueError('v2_boom')", fr.line
        assert 'v2_boom' in inspect.getsource({m}.f)
        assert 'v2_boom' in inspect.getsource(f0)
        assert {m}.f.__code__.co_filename.endswith('{m}.py')
        """,
    ),
    S(
        "uncaught_traceback_shows_file_and_line",
        {"{m}.py": F1},
        "import inspect\ninspect.getsource({m}.f)",  # puts v1 into linecache
        {"{m}.py": "X = 0\n\n\ndef f():\n    raise ValueError('v2_boom')\n"},
        Cell(
            "{m}.f()",
            ok=False,
            tb=(r"{m}\.py", line(5), r"raise ValueError\('v2_boom'\)"),
            tb_lacks=("<string>",),
        ),
    ),
    S(
        "getsource_class_after_edit",
        {"{m}.py": CLS1},
        "import inspect\nassert 'return 1' in inspect.getsource({m}.C)",
        {"{m}.py": "import os\n\n\n" + CLS2 + "    def added(self):\n        return 'added'\n"},
        """
        src = inspect.getsource({m}.C)
        assert src.startswith('class C:'), src
        assert 'def added' in src, src
        assert 'return 2' in inspect.getsource({m}.C.f)
        assert {m}.C().added() == 'added'
        """,
    ),
    Scenario("getsource_of_a_class_another_module_imports", [
        # b's statements move down; the class b imported keeps the lines of
        # its own file (Python 3.13's inspect reads them from the class)
        Write({"{m}.py": "\n\n\n\nclass C:\n    def f(self):\n        return 1\n",
               "{m}_b.py": "from {m} import C\n\n\ndef g():\n    x = 1\n    return C\n"}),
        Cell("import inspect, {m}, {m}_b"),
        Write({"{m}_b.py": "Z = 0\n\n\n\nfrom {m} import C\n\n\ndef g():\n    x = 1\n"
                           "    return C\n"}),
        Cell("src = inspect.getsource({m}.C)\nassert src.startswith('class C:'), src\n"
             "assert {m}_b.Z == 0"),
    ]),
    Scenario("autoreload_false_is_not_reloaded", [
        Write({"{m}.py": "__autoreload__ = False\n" + COUNTER + F1, "{m}_b.py": F1}),
        Cell("import {m}, {m}_b"),
        Write({"{m}.py": "__autoreload__ = False\n" + COUNTER + F2, "{m}_b.py": F2}),
        Cell(f"assert {{m}}_b.f() == 2\nassert {{m}}.f() == 1, {{m}}.f()\nassert {COUNT} == 1"),
    ]),
    Scenario("c_extensions_cause_no_errors", [
        Write({"{m}.py": F1}),
        Cell("import math, array, _json, _datetime, {m}"),
        Write({"{m}.py": F2}),
        Cell("assert {m}.f() == 2\nassert math.sqrt(4) == 2", lacks=("Traceback", "math", "_json")),
    ]),
    Scenario("sourceless_pyc_module_causes_no_errors", [
        Write({"{m}_src.txt": "def f():\n    return 'pyc'\n", "{m}_b.py": F1}),
        Cell("""
            import importlib, py_compile
            py_compile.compile('{m}_src.txt', cfile='{m}.pyc', doraise=True)
            importlib.invalidate_caches()
            import {m}, {m}_b
            assert {m}.__file__.endswith('.pyc'), {m}.__file__
            assert {m}.f() == 'pyc'
        """),
        Write({"{m}_b.py": F2}),
        Cell("assert {m}_b.f() == 2\nassert {m}.f() == 'pyc'", lacks=("Traceback", r"{m}\.pyc")),
    ]),
]
