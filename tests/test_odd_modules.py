"""User modules whose ``sys.modules`` entry or ``__file__`` the user's code
changes, through a real kernel: they are reloaded as any other.

- A module taken out of ``sys.modules`` and put back (the same object, no new
  import: a test fixture, a plugin system that swaps modules) still runs the
  version it was imported with; a save made while it was out is applied at
  the first cell after it is back, not taken as what it runs.
- A module put back in ``sys.modules`` after a re-import made and reloaded
  another module of the same file runs an earlier version: the next save
  runs the whole file in it.
- A module whose ``__file__`` was deleted is still its file's: its spec (or,
  without one, its source loader) says where it was loaded from.
- An object with no file put in sys.modules under a user module's name: the
  module that ran the code keeps being reloaded when it is known, else one
  message says the module is no longer reloaded and why.
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


def test_module_without_file_nor_spec_is_found_through_its_loader(kernel, modname):
    m = modname
    kernel.write(f"{m}.py", "def f():\n    return 1\n")
    run(kernel, f"import {m}\ndel {m}.__file__\n{m}.__spec__ = None\ng = {m}.f")
    kernel.write(f"{m}.py", "def f():\n    return 2\n")
    res = run(kernel, f"print({m}.f(), g(), {m}.f is g)")
    assert res.stdout == "2 2 True\n", (res.stdout, res.stderr)
    assert "[autoreload]" not in res.stderr, res.stderr


#: a module that puts an object of its own in its place in sys.modules
WRAPPED = ("import sys, types\n"
           "def f():\n    return {}\n"
           "class _W(types.SimpleNamespace):\n    pass\n"
           "sys.modules[__name__] = _W(f=f)\n")


def test_module_replaced_by_an_object_without_file_is_reported_once(kernel, modname):
    # A module that puts a wrapper of itself in sys.modules (a pattern for
    # module-level properties): the object there has no file, and the module
    # that ran the code is no longer reachable, so it cannot be reloaded.
    m = modname
    kernel.write(f"{m}.py", WRAPPED.format(1))
    run(kernel, f"import {m}\ng = {m}.f")
    kernel.write(f"{m}.py", WRAPPED.format(2))
    res = run(kernel, "print(g())")
    assert res.stdout == "1\n", (res.stdout, res.stderr)  # the cell ran, old code kept
    assert res.stderr.count("[autoreload]") == 2, res.stderr  # what, then "no longer reloaded"
    for part in (f"cannot reload {m}:", f"{m}.py", "_W object", "no longer reloaded"):
        assert part in res.stderr, (part, res.stderr)
    kernel.write(f"{m}.py", "def f():\n    return 3\n")
    res = run(kernel, "print(g())")
    assert res.stdout == "1\n" and "[autoreload]" not in res.stderr, (res.stdout, res.stderr)


def _imported_then_reloaded(kernel, m):
    """Import ``m`` (f() returns 1) as ``g = m.f``, then reload it once (2)."""
    kernel.write(f"{m}.py", "def f():\n    return 1\n")
    run(kernel, f"import sys, types, {m}\ng = {m}.f")
    kernel.write(f"{m}.py", "def f():\n    return 2\n")
    assert kernel.value("g()") == "2"
    return m


def test_module_put_back_after_a_reload_gets_the_save_made_while_out(kernel, modname):
    # as the first test, once the module was reloaded (its baseline is made)
    m = _imported_then_reloaded(kernel, modname)
    run(kernel, f"_out = sys.modules.pop({m!r})")
    kernel.write(f"{m}.py", "def f():\n    return 3\n")
    run(kernel, "pass")
    assert kernel.value("g()") == "2"
    run(kernel, f"sys.modules[{m!r}] = _out")
    assert kernel.value(f"({m}.f(), g(), {m}.f is g)") == "(3, 3, True)"


def test_module_replaced_by_a_wrapper_after_a_reload_is_still_reloaded(kernel, modname):
    # Once reloaded, the module that runs the code is known: it keeps being
    # reloaded from its file, whatever sys.modules holds under its name.
    m = _imported_then_reloaded(kernel, modname)
    run(kernel, f"sys.modules[{m!r}] = types.SimpleNamespace(f={m}.f)")
    # the user's filter changes: every loaded module is looked at again
    run(kernel, "get_ipython().kernel.exclude = ['_no_such_module_']")
    kernel.write(f"{m}.py", "def f():\n    return 3\n")
    res = run(kernel, f"print(g(), {m}.f())")
    assert res.stdout == "3 3\n" and "[autoreload]" not in res.stderr, (res.stdout, res.stderr)


def test_module_put_back_after_a_re_import_runs_the_saved_file(kernel, modname):
    # A re-import made another module of the file, which was then reloaded;
    # the first module is put back (as unittest.mock.patch.dict(sys.modules)
    # does on exit).  It runs an earlier version: the next save runs the
    # whole file in it, and its old functions take the new code.
    m = modname
    kernel.write(f"{m}.py", "def f():\n    return 1\n\ndef g():\n    return 'g1'\n")
    run(kernel, f"import sys, {m}\nfirst = {m}\nheld = {m}.f")
    run(kernel, f"del sys.modules[{m!r}]\nimport {m}\nsecond = {m}")
    kernel.write(f"{m}.py", "def f():\n    return 2\n\ndef g():\n    return 'g2'\n")
    assert kernel.value("(second.f(), second.g(), first.f(), first is second)") \
        == "(2, 'g2', 1, False)"
    run(kernel, f"sys.modules[{m!r}] = first\n{m} = first")
    kernel.write(f"{m}.py", "def f():\n    return 3\n\ndef g():\n    return 'g2'\n")
    run(kernel, f"import {m}")
    assert kernel.value(f"({m} is first, {m}.f(), {m}.g(), held(), held is {m}.f)") \
        == "(True, 3, 'g2', 3, True)"
    # from then on it is reloaded as any module
    kernel.write(f"{m}.py", "def f():\n    return 4\n\ndef g():\n    return 'g4'\n")
    assert kernel.value(f"({m}.f(), {m}.g(), held())") == "(4, 'g4', 4)"
