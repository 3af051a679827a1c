"""Warnings of the compiler for a saved file, through real kernels.

A saved file's plan is built between cells (prepared.py); compiling it can
warn.  The cell that reloads it must show exactly what the same reload shows
when the check builds the plan itself -- a kernel that polls has no preparer
and is the oracle -- under the user's filters as they are at that cell.  Runs
on every Python of tests/test_pythons.py: 3.12 turned invalid escapes into a
SyntaxWarning.
"""

from __future__ import annotations

import time

from driver import kernel_with_config, run
from test_prepared import V1, WAIT, _import, _used, _version


def _warns(n: int, line: int) -> str:
    """V1 at version ``n`` plus a function whose code makes the compiler warn,
    on line ``line`` of the file: ``is`` with a literal (a SyntaxWarning on
    every Python we support) and an invalid escape (a DeprecationWarning up to
    3.11, a SyntaxWarning from 3.12); ``w`` changes with ``n``, so it is
    compiled again."""
    head = _version(n)
    pad = "\n" * (line - head.count("\n") - 1)
    return head + pad + f"def w(x):\n    return x is {n}, '\\d'\n"


#: (filter set before the save, whether the save happens while a cell runs
#: under ``catch_warnings`` with "ignore")
_WARNING_STEPS = [
    ("once", False),  # shown: the first time this text is seen under "once"
    ("once", False),  # not shown: the same text again under "once"
    ("default", False),  # shown
    ("default", True),  # shown at the next cell: the "ignore" was that cell's only
    ("error", False),  # the reload fails with the warning as its error
    ("ignore", False),  # nothing shown, the new code runs
]


def _warning_session(k, m) -> list[tuple[str, str]]:
    """Run the steps above in ``k``; per step, what the next cell printed
    (stdout, and stderr with the module's path cut down to its name)."""
    run(k, "import warnings\n_saved_filters = warnings.filters[:]")
    seen, current = [], None
    try:
        for n, (action, during_cell) in enumerate(_WARNING_STEPS, start=2):
            if action != current:  # (setting one again empties the "once" registry)
                run(k, f"warnings.simplefilter({action!r})")
                current = action
            if during_cell:
                msg_id = k.kc.execute(
                    "import time\nwith warnings.catch_warnings():\n"
                    "    warnings.simplefilter('ignore')\n    time.sleep(1.5)\n")
                time.sleep(0.5)
                k.write(f"{m}.py", _warns(n, 10 + n))
                assert k._reply(msg_id, timeout=60)["content"]["status"] == "ok"
            else:
                k.write(f"{m}.py", _warns(n, 10 + n))
            time.sleep(WAIT)
            res = k.execute(f"print(g(), inst.m())")
            assert res.ok, res.traceback
            seen.append((res.stdout, res.stderr.replace(str(k.workdir / f"{m}.py"), f"{m}.py")))
    finally:
        run(k, "warnings.filters[:] = _saved_filters")
    return seen


def test_compiler_warnings_are_what_a_reload_on_the_shell_thread_shows(kernel, modname,
                                                                       tmp_path):
    """A saved file whose compilation warns: the cell that reloads it shows
    what the same reload made by the check itself shows (a kernel that polls
    has no preparer), under the user's filters as they are at that cell --
    the preparer neither uses up a "once" nor follows a filter that a cell
    running at save time had set for itself."""
    m = modname
    _import(kernel, m)
    polled = kernel_with_config(tmp_path, "c.AutoreloadKernel.poll = True\n")
    try:
        polled.write(f"{m}.py", V1)
        run(polled, f"import {m}\ng = {m}.f; inst = {m}.C()")
        expected = _warning_session(polled, m)
    finally:
        polled.shutdown()
    # the oracle itself: shown where the plain path shows it, with file:line
    warning = '"is" with '  # a literal (3.12: with 'int' literal)
    assert [warning in err for _, err in expected] == [True, False, True, True, False, False]
    assert ["invalid escape sequence" in err for _, err in expected] == [
        True, False, True, True, True, False], expected  # the error: the first one met
    assert f"{m}.py:13: SyntaxWarning: {warning}" in expected[0][1], expected[0]
    assert expected[4][0] == "v5 m5\n" and "could not reload" in expected[4][1], expected[4]
    assert expected[5][0] == "v7 m7\n", expected[5]
    assert _warning_session(kernel, m) == expected


FILTERS = "[(a, getattr(m, 'pattern', m), c.__name__, mod, ln) for a, m, c, mod, ln in __import__('warnings').filters]"


def test_warnings_filters_are_the_users_between_builds(kernel, modname, tmp_path):
    """The kernel's own filter is in ``warnings.filters`` only while a plan is
    built: a cell sees the list a plain kernel has, after start and after
    reloads whose plans were built between cells (with and without a
    compiler warning), and a user's ``resetwarnings()`` keeps it empty."""
    from driver import KernelDriver

    plain = KernelDriver(tmp_path, kernel_name="python3").start()
    try:
        expected = plain.value(FILTERS)
    finally:
        plain.shutdown()
    assert kernel.value(FILTERS) == expected
    m = modname
    _import(kernel, m)
    used = _used(kernel)
    kernel.write(f"{m}.py", _version(2))
    time.sleep(WAIT)
    assert kernel.value(f"{m}.f()") == "'v2'"
    assert _used(kernel) == used + 1, "the plan was not built between cells"
    assert kernel.value(FILTERS) == expected
    kernel.write(f"{m}.py", _warns(3, 12))  # its build warns: dropped, the cell warns
    time.sleep(WAIT)
    res = kernel.execute(f"print({m}.f())")
    assert res.ok and res.stdout == "v3\n" and "SyntaxWarning" in res.stderr, res
    assert kernel.value(FILTERS) == expected
    run(kernel, "import warnings\nwarnings.resetwarnings()")
    kernel.write(f"{m}.py", _version(4))
    time.sleep(WAIT)
    assert kernel.value(f"{m}.f()") == "'v4'"
    assert kernel.value(FILTERS) == "[]"
    assert _used(kernel) == used + 2
