"""Reload scenarios: from-imports, dependency order, cycles, packages."""

from scenario_steps import Cell, S, Scenario, Write


NAMES = [
    S(
        "from_import_constant_in_notebook",
        {"{m}.py": "X = 1\n"},
        "from {m} import X",
        {"{m}.py": "X = 2\n"},
        "assert X == 2, X",
    ),
    # Imports run by %time / %%time reach the tree IPython transforms too.
    Scenario("from_import_constant_in_time_magic", [
        Write({"{m}.py": "X = 1\nZ = 1\n"}),
        Cell("%time from {m} import X"),
        Cell("%%time\nfrom {m} import Z as W"),
        Write({"{m}.py": "X = 2\nZ = 2\n"}),
        Cell("assert X == 2, X\nassert W == 2, W"),
    ]),
    # Cells are watched without an AST transformer: with one registered, IPython
    # runs ast.fix_missing_locations over every cell (as long as compiling it).
    S(
        "cells_watched_without_an_ast_transformer",
        {"{m}.py": "X = 1\n"},
        "from {m} import X",
        {"{m}.py": "X = 2\n"},
        "assert X == 2, X\nassert get_ipython().ast_transformers == [], get_ipython().ast_transformers",
    ),
    S(
        "from_import_constant_as_alias",
        {"{m}.py": "X = 1\n"},
        "from {m} import X as Y",
        {"{m}.py": "X = 2\n"},
        "assert Y == 2, Y",
    ),
    S(
        "from_import_constant_in_other_module",
        {"{m}.py": "X = 1\n", "{m}_user.py": "from {m} import X\n\ndef get():\n    return X\n"},
        "import {m}_user",
        {"{m}.py": "X = 2\n"},
        "assert {m}_user.X == 2, {m}_user.X\nassert {m}_user.get() == 2",
    ),
    S(
        "user_rebound_name_not_clobbered",
        {"{m}.py": "X = 1\nZ = 1\n"},
        "from {m} import X, Z\nX = 'mine'",
        {"{m}.py": "X = 2\nZ = 2\n"},
        "assert X == 'mine', X\nassert {m}.X == 2\nassert Z == 2, Z",
    ),
    S(
        "dependency_order",
        {"{m}_b.py": "NAME = 1\n", "{m}.py": "import {m}_b\n\nVAL = {m}_b.NAME + 1\n"},
        "assert {m}.VAL == 2",
        # the dependent module is saved first: the engine must still reload b first
        {"{m}.py": "import {m}_b\n\nVAL = {m}_b.NEW + 1\n", "{m}_b.py": "NAME = 1\nNEW = 10\n"},
        "assert {m}.VAL == 11, {m}.VAL",
        then=[Cell("assert {m}.VAL == 11", lacks=("Error",))],
    ),
    S(
        "dependency_order_from_import",
        {"{m}_b.py": "def g():\n    return 1\n", "{m}.py": "from {m}_b import g\n\nVAL = g()\n"},
        "assert {m}.VAL == 1",
        {"{m}.py": "from {m}_b import g, h\n\nVAL = g() + h()\n",
         "{m}_b.py": "def g():\n    return 1\n\ndef h():\n    return 100\n"},
        "assert {m}.VAL == 101, {m}.VAL",
    ),
    S(
        "circular_imports",
        {
            "{m}.py": "import {m}_b\n\ndef fa():\n    return 'a1'\n\ndef call_b():\n    return {m}_b.fb()\n",
            "{m}_b.py": "import {m}\n\ndef fb():\n    return 'b1+' + {m}.fa()\n",
        },
        "assert {m}.call_b() == 'b1+a1'",
        {
            "{m}.py": "import {m}_b\n\ndef fa():\n    return 'a2'\n\ndef call_b():\n    return {m}_b.fb()\n\ndef const():\n    return {m}_b.B_CONST\n",
            "{m}_b.py": "import {m}\n\nB_CONST = 5\n\ndef fb():\n    return 'b2+' + {m}.fa()\n",
        },
        "assert {m}.call_b() == 'b2+a2', {m}.call_b()\nassert {m}.const() == 5",
    ),
    S(
        "package_relative_import_function",
        {
            "{m}/__init__.py": "from .sub import g\n",
            "{m}/sub.py": "def g():\n    return 1\n",
        },
        "from {m} import g\nfrom {m}.sub import g as g2",
        {"{m}/sub.py": "def g():\n    return 2\n"},
        "assert {m}.g() == 2\nassert g() == 2, g()\nassert g2() == 2\nassert {m}.sub.g() == 2",
    ),
    S(
        "package_relative_import_constant",
        {
            "{m}/__init__.py": "from .sub import X\n",
            "{m}/sub.py": "X = 1\n",
        },
        "from {m} import X",
        {"{m}/sub.py": "X = 2\n"},
        "assert {m}.sub.X == 2\nassert {m}.X == 2, {m}.X\nassert X == 2, X",
    ),
    S(
        "package_init_edited",
        {"{m}/__init__.py": "def h():\n    return 1\n", "{m}/sub.py": "Y = 1\n"},
        "import {m}.sub\nfrom {m} import h",
        {"{m}/__init__.py": "def h():\n    return 2\n"},
        "assert h() == 2\nassert {m}.h() == 2\nassert {m}.sub.Y == 1\nassert {m}.sub is __import__('sys').modules['{m}.sub']",
    ),
    S(
        "package_sibling_relative_import",
        {
            "{m}/__init__.py": "",
            "{m}/a.py": "from .b import helper\n\ndef f():\n    return helper()\n",
            "{m}/b.py": "def helper():\n    return 1\n",
        },
        "from {m}.a import f",
        {"{m}/b.py": "def helper():\n    return 2\n"},
        "assert f() == 2, f()",
    ),
]
