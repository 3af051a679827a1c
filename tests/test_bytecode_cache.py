"""Imports of the user's modules use a cached .pyc only when it is provably the
source's own compilation (so importing many modules costs what plain Python
does), and never a stale one (a second save in the same second, same size).

Each test builds the source and the .pyc with exact timestamps, then imports
in a real kernel.
"""

import importlib.util
import os
import py_compile

from driver import KernelDriver, run

T = 1_700_000_000  # a whole second, far in the past


def _set_mtime(path, seconds: float) -> None:
    ns = int(seconds * 1e9)
    os.utime(path, ns=(ns, ns))


def _pyc(kernel, relpath: str, compiled_from: str, source_mtime: float, pyc_mtime: float):
    """Write ``relpath`` with ``compiled_from``, byte-compile it, set both mtimes."""
    src = kernel.write(relpath, compiled_from)
    _set_mtime(src, source_mtime)
    pyc = importlib.util.cache_from_source(str(src))
    py_compile.compile(str(src), cfile=pyc, doraise=True)
    _set_mtime(pyc, pyc_mtime)
    return src


def test_stale_pyc_from_a_same_second_same_size_save_is_not_used(kernel, modname):
    # v1 at T+0.1 is compiled at T+0.2; v2 (same size) is saved at T+0.5: the
    # .pyc header (mtime T in whole seconds, size) matches v2, but it is v1's.
    src = _pyc(kernel, f"{modname}.py", "VALUE = 'one'\n", T + 0.1, T + 0.2)
    src.write_text("VALUE = 'two'\n")
    _set_mtime(src, T + 0.5)
    assert kernel.value(f"__import__({modname!r}).VALUE") == "'two'"


def test_pyc_written_after_the_source_is_loaded_not_recompiled(kernel, modname):
    # A .pyc written after the source's last change is that source's compilation,
    # as plain Python trusts it.  To see which one ran, the .pyc here holds other
    # code of the same size, header valid: only a loader that uses it shows 'pyc!'.
    src = _pyc(kernel, f"{modname}.py", "VALUE = 'pyc!'\n", T + 0.1, T + 5)
    src.write_text("VALUE = 'src!'\n")
    _set_mtime(src, T + 0.1)
    pyc = importlib.util.cache_from_source(str(src))
    _set_mtime(pyc, T + 5)
    assert kernel.value(f"__import__({modname!r}).VALUE") == "'pyc!'"
    # and the baseline is still the source's bytes: the next save is diffed against them
    kernel.write(f"{modname}.py", "VALUE = 'edited'\n")
    assert kernel.value(f"__import__({modname!r}).VALUE") == "'edited'"


def test_import_writes_a_pyc_a_later_import_can_use(tmp_path, modname):
    # as on a user's machine: this checkout's environment turns .pyc writing off
    k = KernelDriver(tmp_path, env={"PYTHONDONTWRITEBYTECODE": ""}).start()
    try:
        src = k.write(f"{modname}.py", "VALUE = 3\n")
        _set_mtime(src, T)
        pyc = importlib.util.cache_from_source(str(src))
        assert not os.path.exists(pyc)
        assert k.value(f"__import__({modname!r}).VALUE") == "3"
        assert os.path.exists(pyc), "the kernel compiled the source but cached nothing"
        with open(pyc, "rb") as fh:
            assert fh.read(4) == importlib.util.MAGIC_NUMBER
    finally:
        k.shutdown()


def test_pyc_copied_with_its_source_names_the_new_path(kernel, modname):
    # A project directory copied (or moved) with its __pycache__: the .pyc was
    # compiled at the old path.  As with plain Python, the code must name the
    # file it was loaded from: tracebacks and getsource read the new file, and
    # an edit of the new file reloads the functions defined there.
    old = _pyc(kernel, f"old_place/{modname}.py",
               "def where():\n    raise ValueError('from the copy')\n", T + 0.1, T + 5)
    new = kernel.workdir / f"{modname}.py"
    new.write_bytes(old.read_bytes())
    _set_mtime(new, T + 0.1)
    copied = importlib.util.cache_from_source(str(new))
    os.makedirs(os.path.dirname(copied), exist_ok=True)
    with open(importlib.util.cache_from_source(str(old)), "rb") as fh:
        blob = fh.read()
    with open(copied, "wb") as fh:
        fh.write(blob)
    _set_mtime(copied, T + 5)
    old.unlink()  # the old place is gone, as after a move
    run(kernel, f"import {modname}")
    assert kernel.value(f"{modname}.where.__code__.co_filename") == repr(str(new))
    assert kernel.value(f"__import__('inspect').getsource({modname}.where).splitlines()[0]") \
        == repr("def where():")
    run(kernel, f"_f = {modname}.where")
    kernel.write(f"{modname}.py", "def where():\n    return 'edited copy'\n")
    assert kernel.value("_f()") == repr("edited copy")
