"""The main job, end to end: edit a module, the next cell sees it."""


def test_edit_is_seen_in_next_cell(kernel, modname):
    kernel.write(f"{modname}.py", "def f():\n    return 1\n")
    assert kernel.execute(f"import {modname}; print({modname}.f())").stdout == "1\n"
    kernel.write(f"{modname}.py", "def f():\n    return 2\n")
    res = kernel.execute(f"print({modname}.f())")
    assert res.ok, res.traceback
    assert res.stdout == "2\n"
