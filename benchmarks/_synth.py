"""Synthetic user modules for the benchmark.

Everything written here lives in a temporary directory that becomes the kernels'
working directory, so (through IPython's '' entry on sys.path) these are the
*user's* modules, not site-packages: a reloader has to watch them.
"""

from __future__ import annotations

import compileall
import os

PKG_FMT = "bsyn{:03d}"
MOD_FMT = "m{:02d}"
MODULES_PER_PKG = 100


def write_synthetic_packages(root: str, n_packages: int) -> int:
    """Write ``n_packages`` packages of 100 tiny modules each; return module count.

    Each module is a couple of lines: a constant and a function.  The files are
    byte-compiled here, once, so that no kernel pays the compile cost for the
    others (import time is only reported for information anyway).
    """
    for p in range(n_packages):
        pkg = os.path.join(root, PKG_FMT.format(p))
        os.makedirs(pkg, exist_ok=True)
        with open(os.path.join(pkg, "__init__.py"), "w") as f:
            f.write(f'"""Synthetic user package {p}."""\n')
        for m in range(MODULES_PER_PKG):
            with open(os.path.join(pkg, MOD_FMT.format(m) + ".py"), "w") as f:
                f.write(f"VALUE = {p * MODULES_PER_PKG + m}\n\n\ndef func(x):\n    return x + VALUE\n")
    if n_packages:
        compileall.compile_dir(root, quiet=1, workers=2, maxlevels=1)
    return n_packages * MODULES_PER_PKG


def import_packages_code(start: int, stop: int) -> str:
    """Cell code importing every module of packages ``start`` .. ``stop - 1``."""
    return (
        "import importlib as _bench_il\n"
        f"for _bench_p in range({start}, {stop}):\n"
        f"    for _bench_m in range({MODULES_PER_PKG}):\n"
        f"        _bench_il.import_module('{PKG_FMT}.{MOD_FMT}'.format(_bench_p, _bench_m))\n"
        "del _bench_il, _bench_p, _bench_m\n"
    )


# --------------------------------------------------------------------------- edit target

#: The two bodies the edited function alternates between.  Each edit also bumps a
#: serial number inside the body, so a kernel that is stale by an even number of
#: edits cannot pass the check by luck.  The two strings differ in length by more
#: than a serial can grow, so the file size changes with every edit (a .pyc is
#: validated by mtime in whole seconds *and* size: a size change always
#: invalidates a stale .pyc).
EDIT_VALUES = ("edit-A", "edit-BBBB")
N_FUNCTIONS = 50  # including f_target
N_CLASSES = 20


def render_edit_module(version: int, every: bool = False) -> str:
    """A user module with 70 top-level definitions: 50 functions and 20 classes.

    ``every``: each edit changes every function and method, not only f_target
    (as a formatter or a branch switch does).
    """
    value = (EDIT_VALUES[version % 2], version)
    bump = version if every else 0
    out = [
        '"""Synthetic user module for the edit benchmark: 50 functions, 20 classes."""',
        "",
        "import math",
        "",
        "",
        "def f_target():",
        "    # the body of this function is what the benchmark edits",
        f"    return {value!r}",
        "",
    ]
    for i in range(1, N_FUNCTIONS):
        out += [
            "",
            f"def f{i:02d}(x, y={i}):",
            f"    z = x * {i} + y + {bump}",
            "    return math.sqrt(abs(z)) + z",
            "",
        ]
    for c in range(N_CLASSES):
        out += [
            "",
            f"class C{c:02d}:",
            f"    kind = {c}",
            "",
            "    def __init__(self, x):",
            "        self.x = x",
            f"        self.items = [x] * 3 + [{bump}] * 0",
            "",
            "    def total(self):",
            f"        return sum(self.items) + self.kind + {bump}",
            "",
            "    def scaled(self, k=2):",
            f"        return f{(c % (N_FUNCTIONS - 1)) + 1:02d}(self.x * k) + {bump}",
            "",
            "    def uses_target(self):",
            "        return f_target()",
            "",
            "    def __repr__(self):",
            f"        return 'C{c:02d}(%r, {bump})' % (self.x,)",
            "",
        ]
    return "\n".join(out)


class EditTarget:
    """One edit-benchmark module file (one per configuration: kernels never share it)."""

    def __init__(self, root: str, modname: str, every: bool = False):
        self.modname = modname
        self.every = every
        self.path = os.path.join(root, modname + ".py")
        self.version = 0
        self._last_mtime_ns = 0
        self._write(0)

    @property
    def expected(self) -> tuple:
        """What f_target() returns once the latest edit has been picked up."""
        return (EDIT_VALUES[self.version % 2], self.version)

    def _write(self, version: int) -> None:
        text = render_edit_module(version, self.every)
        with open(self.path, "w") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        st = os.stat(self.path)
        if st.st_mtime_ns <= self._last_mtime_ns:
            # Coarse file-system timestamps: make sure the mtime really moves.
            bumped = self._last_mtime_ns + 10_000_000
            os.utime(self.path, ns=(bumped, bumped))
            st = os.stat(self.path)
        assert st.st_mtime_ns > self._last_mtime_ns, "mtime did not change"
        self._last_mtime_ns = st.st_mtime_ns
        self.version = version

    def edit(self) -> None:
        """Rewrite the file with the other body of f_target (size and mtime change)."""
        old_size = os.path.getsize(self.path)
        self._write(self.version + 1)
        assert os.path.getsize(self.path) != old_size, "size did not change"

    def setup_code(self, alias: str = "bench_edit", per_class: int = 5,
                   objs: str = "_bench_objs") -> str:
        return (
            f"import {self.modname} as {alias}\n"
            f"{objs} = [getattr({alias}, 'C%02d' % _i)(_i) "
            f"for _i in range({N_CLASSES}) for _ in range({per_class})]\n"
        )

    @staticmethod
    def cell_code(alias: str = "bench_edit", objs: str = "_bench_objs") -> str:
        # Calls the edited function directly and through a method of an instance
        # created before the edit.
        return f"_bench_r = ({alias}.f_target(), {objs}[0].uses_target())"


def write_probe(root: str, modname: str, value: str) -> None:
    """A one-line module used to check once that a configuration reloads at all."""
    path = os.path.join(root, modname + ".py")
    before = os.stat(path).st_mtime_ns if os.path.exists(path) else 0
    with open(path, "w") as f:
        f.write(f"VALUE = {value!r}\n")
    if os.stat(path).st_mtime_ns <= before:
        bumped = before + 10_000_000
        os.utime(path, ns=(bumped, bumped))


