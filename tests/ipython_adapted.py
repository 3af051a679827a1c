"""Helpers shared by the adaptations of IPython's own autoreload tests.

The adaptations are ``test_ipython_shell_suite.py`` (IPython's
``tests/test_zzz_autoreload.py``), ``test_ipython_deduper_suite.py`` and
``test_ipython_deduper_reliability.py`` (its
``IPython/extensions/tests/test_deduperreload.py``).

Nothing here is copied: each test reads what the IPython test asserts and checks
the same behaviour through a `python-autoreload` kernel, with module files saved
from this process between cells (as an editor would) and without sleeping for
mtimes.  Every test names the IPython test it adapts in a one-line comment.

IPython re-runs a whole module whenever its mtime changes (and the deduper falls
back to that whenever a top-level statement changes).  We promise something
else, and where the two differ the tests follow *our* rule and say so:

    After any save, the next cell must see what a fresh import of the edited
    files would give; objects made before the edit follow the new code; module
    state that the edit did not touch keeps its value; a touched-but-unchanged
    file reloads nothing.

Two observables stand in for "was this re-run / redefined?":
  * a *tally* module (never edited) that the edited module appends to from its
    top level: the tally grows only if that unchanged statement runs again;
  * a function with a mutable default (`def f(seen=[])`): its count survives
    only if the unchanged `def` was not redefined.

IPython tests left out (they inspect DeduperReloader/ImportFromTracker
internals, or are duplicates of a shell-level test adapted here) are listed in
``SKIPPED`` below.
"""

from __future__ import annotations

import contextlib
import textwrap

from driver import run


# -- helpers -----------------------------------------------------------------------------
def raises(kernel, code: str, *exc_names: str) -> None:
    """Run a cell that must fail with one of `exc_names`."""
    res = kernel.execute(code)
    assert not res.ok, f"{code!r} ran, but should have raised {' or '.join(exc_names)}"
    assert res.error.split(":")[0] in exc_names, res.error


def load(kernel, m: str, source: str, cell: str | None = None):
    """Save `source` as module `m`, then run `cell` (by default `import m`)."""
    kernel.write(f"{m}.py", source)
    return run(kernel, cell or f"import {m}")


def edit(kernel, m: str, source: str):
    """Save `source` as module `m`, then run one cell (`pass`) that must succeed."""
    kernel.write(f"{m}.py", source)
    return run(kernel, "pass")


def module(*statements: str) -> str:
    """A module's source: its top-level statements (each dedented) in this order."""
    return "\n".join(textwrap.dedent(s).strip("\n") for s in statements) + "\n"


# A def whose mutable default counts its calls: the count goes on across an edit
# only if this (unchanged) def is not run again.
COUNTING_FACTORIAL = """
    def factorial(n, seen=[]):
        seen.append(n)
        return len(seen)
"""


def tally(kernel, modname: str) -> tuple[str, str]:
    """A never-edited module counting runs of a statement.

    Returns (the line to put at the top level of an edited module, an expression
    giving how many times that line has run).
    """
    name = f"{modname}_tally"
    kernel.write(f"{name}.py", "runs = []\n")
    return (
        f"import {name} as _tally; _tally.runs.append(1)",
        f"len(__import__('{name}').runs)",
    )


@contextlib.contextmanager
def autoreload_mode(kernel, mode: str):
    """Switch the shared kernel's mode for one test, then back to the default (2)."""
    run(kernel, f"%autoreload {mode}")
    try:
        yield
    finally:
        kernel.execute("%autoreload 2")


# =======================================================================================
# IPython tests deliberately not adapted
# =======================================================================================
SKIPPED = {
    # test_zzz_autoreload.py: unit tests of ImportFromTracker's dictionaries
    "test_import_from_tracker_unloaded_module":
        "tracks a module that does not exist (a Mock in sys.modules); nothing a kernel can observe",
    "test_import_from_tracker_conflict_resolution":
        "its observable behaviour is test_import_from_tracker_integration's (adapted)",
    "test_import_from_tracker_multiple_resolved_names":
        "its observable behaviour is test_autoreload3_double_import's (adapted)",
    # test_deduperreload.py: pure internals
    "test_compare_ast": "compare_ast() helper on two ASTs",
    "test_compare_ast2": "compare_ast() helper on two ASTs",
}
