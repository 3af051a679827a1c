"""Reload scenarios: what counts as an edit, and when the baseline is taken."""

from scenario_steps import COUNT, COUNTER, Cell, Delete, F1, F2, F3, S, Scenario, Touch, Write


DETECTION = [
    Scenario("edit_after_import_in_same_cell", [
        Write({"{m}.py": F1}),
        Cell('''
            import {m}
            assert {m}.f() == 1
            src = """
            def f():
                return 22222
            """
            with open('{m}.py', 'w') as fh:
                fh.write(src)
        '''),
        Cell("assert {m}.f() == 22222, {m}.f()"),
    ]),
    Scenario("edit_after_import_in_same_cell_same_size_same_mtime", [
        Write({"{m}.py": F1}),
        Cell('''
            import os, {m}
            assert {m}.f() == 1
            st = os.stat('{m}.py')
            text = open('{m}.py').read().replace('return 1', 'return 7')
            with open('{m}.py', 'w') as fh:
                fh.write(text)
            os.utime('{m}.py', ns=(st.st_atime_ns, st.st_mtime_ns))
            st2 = os.stat('{m}.py')
            assert (st2.st_size, st2.st_mtime_ns) == (st.st_size, st.st_mtime_ns)
        '''),
        Cell("assert {m}.f() == 7, {m}.f()"),
    ]),
    Scenario("touch_reloads_nothing", [
        Write({"{m}.py": COUNTER + F1}),
        Cell(f"import {{m}}\nassert {COUNT} == 1"),
        Touch("{m}.py"),
        Cell(f"assert {COUNT} == 1, {COUNT}\nassert {{m}}.f() == 1"),
        # and a real edit afterwards is still seen (without re-running the counter)
        Write({"{m}.py": COUNTER + F2}),
        Cell(f"assert {{m}}.f() == 2\nassert {COUNT} == 1, {COUNT}"),
    ]),
    Scenario("same_content_resave_reloads_nothing", [
        Write({"{m}.py": COUNTER + F1}),
        Cell(f"import {{m}}\nf0 = {{m}}.f\nassert {COUNT} == 1"),
        Write({"{m}.py": COUNTER + F1}),
        Cell(f"assert {COUNT} == 1, {COUNT}\nassert {{m}}.f is f0"),
        Write({"{m}.py": COUNTER + F1}, atomic=True),
        Cell(f"assert {COUNT} == 1, {COUNT}\nassert {{m}}.f is f0"),
        Write({"{m}.py": COUNTER + F2}),
        Cell(f"assert f0() == 2\nassert {COUNT} == 1, {COUNT}"),
    ]),
    Scenario("two_saves_between_cells_last_wins", [
        Write({"{m}.py": F1}),
        Cell("import {m}"),
        Write({"{m}.py": F2}),
        Write({"{m}.py": F3}),
        Cell("assert {m}.f() == 3, {m}.f()"),
    ]),
    Scenario("quick_resave_same_size", [
        Write({"{m}.py": F1}),
        Cell("import {m}"),
        Write({"{m}.py": F2}),
        Cell("assert {m}.f() == 2, {m}.f()"),
        Write({"{m}.py": F3}),  # right after the cell: same size, likely the same tick
        Cell("assert {m}.f() == 3, {m}.f()"),
    ]),
    Scenario("resave_same_size_same_mtime", [
        Write({"{m}.py": F1}),
        Cell("import {m}"),
        Write({"{m}.py": F2}),
        Cell("assert {m}.f() == 2, {m}.f()"),
        Write({"{m}.py": F3}, same_mtime=True),  # identical size AND mtime
        Cell("assert {m}.f() == 3, {m}.f()"),
    ]),
    S(
        "atomic_save_new_inode",
        {"{m}.py": F1},
        "import os\nf0 = {m}.f\nino = os.stat('{m}.py').st_ino",
        Write({"{m}.py": "def f():\n    return 'atomic'\n"}, atomic=True),
        """
        assert os.stat('{m}.py').st_ino != ino
        assert {m}.f() == 'atomic'
        assert f0() == 'atomic'
        """,
    ),
    Scenario("deleted_file_keeps_module", [
        Write({"{m}.py": F1, "{m}_b.py": F1}),
        Cell("import {m}, {m}_b"),
        Delete("{m}.py"),
        Write({"{m}_b.py": F2}),
        Cell("assert {m}.f() == 1\nassert {m}_b.f() == 2", lacks=("Traceback", "{m}\\.py")),
        Cell("assert {m}.f() == 1", lacks=("Traceback", "{m}\\.py")),
    ]),
    Scenario("deleted_then_recreated", [
        Write({"{m}.py": F1}),
        Cell("import {m}\nf0 = {m}.f"),
        Delete("{m}.py"),
        Cell("assert {m}.f() == 1", lacks=("Traceback",)),
        Write({"{m}.py": F2}),
        Cell("assert {m}.f() == 2\nassert f0() == 2"),
    ]),
    Scenario("module_created_after_kernel_start", [
        Write({"{m}_first.py": "A = 1\n"}),
        Cell("import {m}_first"),  # the directory listing is now cached by the import system
        Write({"{m}.py": F1}),  # a brand-new file, right away
        Cell("import {m}\nassert {m}.f() == 1"),
        Write({"{m}.py": F2}),
        Cell("assert {m}.f() == 2, {m}.f()"),
    ]),
    Scenario("writefile_magic", [
        Write({"{m}.py": F1}),
        Cell("import {m}\nf0 = {m}.f"),
        Cell("%%writefile {m}.py\ndef f():\n    return 'from writefile'\n"),
        Cell("assert {m}.f() == 'from writefile'\nassert f0() == 'from writefile'"),
    ]),
    Scenario("writefile_magic_new_module", [
        Cell("%%writefile {m}.py\nX = 1\n"),
        Cell("import {m}\nassert {m}.X == 1"),
        Cell("%%writefile {m}.py\nX = 2\n"),
        Cell("assert {m}.X == 2, {m}.X"),
    ]),
]
