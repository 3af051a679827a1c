"""User modules whose ``sys.modules`` entry or ``__file__`` the user's code
changes, through a real kernel: they are reloaded as any other.

- A module taken out of ``sys.modules`` and put back (the same object, no new
  import: a test fixture, a plugin system that swaps modules) still runs the
  version it was imported with; a save made while it was out is applied at
  the first cell after it is back, not taken as what it runs.
- A module whose ``__file__`` was deleted is still its file's: its spec says
  where it was loaded from.
"""

from driver import run


def test_module_put_back_in_sys_modules_gets_the_save_made_while_out(kernel, modname):
    m = modname
    kernel.write(f"{m}.py", "def f():\n    return 1\n")
    run(kernel, f"import sys, {m}\ng = {m}.f")
    # (no file event since the import: the module is kept as the bytes it ran)
    assert kernel.value(f"type(get_ipython().kernel.reloader.store.kept[{m!r}])") == "<class 'bytes'>"
    run(kernel, f"_out = sys.modules.pop({m!r})")
    kernel.write(f"{m}.py", "def f():\n    return 2\n")
    run(kernel, "pass")  # checks run while it is out: nothing of it is reloaded
    assert kernel.value("g()") == "1"
    run(kernel, f"sys.modules[{m!r}] = _out")
    assert kernel.value(f"({m}.f(), g(), {m}.f is g)") == "(2, 2, True)"
    kernel.write(f"{m}.py", "def f():\n    return 3\n")
    assert kernel.value("g()") == "3"


def test_module_without_file_is_still_reloaded(kernel, modname):
    m = modname
    kernel.write(f"{m}.py", "def f():\n    return 1\n")
    # deleted in the cell that imports it, before any check looked at it
    run(kernel, f"import {m}\ndel {m}.__file__\ng = {m}.f")
    kernel.write(f"{m}.py", "def f():\n    return 2\n")
    assert kernel.value(f"({m}.f(), g(), {m}.f is g)") == "(2, 2, True)"
    # and after sys.modules changed (every module is looked at again)
    run(kernel, "import types, sys\nsys.modules['_odd_extra'] = types.ModuleType('_odd_extra')")
    kernel.write(f"{m}.py", "def f():\n    return 3\n")
    assert kernel.value("g()") == "3"
