"""The steps of a reload scenario, and the helpers its tables share.

Every scenario is a list of steps:

* ``Write({relpath: source})`` saves files from the test process, between cells,
  the way an editor does (``atomic=True``: temp file + ``os.replace``;
  ``same_mtime=True``: the file's previous mtime is put back after the write);
* ``Cell(code, ...)`` runs one cell in the kernel and checks what it produced
  (by default: the cell must run, ``res.ok``; most checks are plain ``assert``
  statements inside the cell);
* ``Touch``/``Delete`` act on a file without changing its content.

``{m}`` in file names, sources, cell code and expected patterns stands for a
module name unique to the test (the ``modname`` fixture).  The tables are in
``scenario_tables/``, one module per group; ``test_scenarios.py`` runs them.
"""

from __future__ import annotations

import os
import re
import textwrap
from dataclasses import dataclass, field

import pytest


_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def _clean(text: str) -> str:
    return _ANSI.sub("", text or "")


def _sub(text: str, m: str) -> str:
    return text.replace("{m}", m)


@dataclass
class Write:
    """Save files (relpath -> source) from the test process."""

    files: dict
    atomic: bool = False
    same_mtime: bool = False  # put the file's previous mtime back (same mtime tick)

    def run(self, kernel, m, log):
        for rel, text in self.files.items():
            path = kernel.workdir / _sub(rel, m)
            path.parent.mkdir(parents=True, exist_ok=True)
            data = _sub(textwrap.dedent(text), m)
            before = path.stat() if path.exists() else None
            if self.atomic:
                tmp = path.with_name(f".{path.name}.~tmp")
                tmp.write_text(data)
                os.replace(tmp, path)
            else:
                path.write_text(data)
            if self.same_mtime:
                assert before is not None, f"same_mtime needs an existing file: {path}"
                os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
                after = path.stat()
                assert after.st_mtime_ns == before.st_mtime_ns
            log.append(f"write {path.name}{' (atomic)' if self.atomic else ''}"
                       f"{' (same mtime)' if self.same_mtime else ''}")


@dataclass
class Touch:
    """Bump a file's mtime without changing its content."""

    rel: str

    def run(self, kernel, m, log):
        path = kernel.workdir / _sub(self.rel, m)
        st = path.stat()
        new = st.st_mtime_ns + 2_000_000_000  # two seconds later: surely a new stamp
        os.utime(path, ns=(new, new))
        log.append(f"touch {path.name}")


@dataclass
class Delete:
    rel: str

    def run(self, kernel, m, log):
        path = kernel.workdir / _sub(self.rel, m)
        path.unlink()
        log.append(f"delete {path.name}")


@dataclass
class Cell:
    """Run one cell; check it ran (or failed, with ok=False) and what it printed.

    out:    regexes that must occur in stdout+stderr
    err:    regexes that must occur in stderr
    lacks:  regexes that must NOT occur in stdout+stderr
    tb:     regexes that must occur in the error traceback (for ok=False)
    tb_lacks: regexes that must NOT occur in the error traceback
    count:  {regex: n} exact number of occurrences in stdout
    """

    code: str
    ok: bool = True
    out: tuple = ()
    err: tuple = ()
    lacks: tuple = ()
    tb: tuple = ()
    tb_lacks: tuple = ()
    count: dict = field(default_factory=dict)

    def run(self, kernel, m, log):
        code = _sub(textwrap.dedent(self.code), m)
        res = kernel.execute(code)
        stdout, stderr = _clean(res.stdout), _clean(res.stderr)
        both = stdout + stderr
        tbtext = _clean(res.traceback)
        log.append(f"cell:\n{textwrap.indent(code, '    | ')}")

        def fail(why):
            history = "\n".join(log)
            pytest.fail(
                f"{why}\n--- steps so far ---\n{history}\n"
                f"--- status: {res.status} {res.error}\n"
                f"--- stdout ---\n{stdout}\n--- stderr ---\n{stderr}\n"
                f"--- traceback ---\n{tbtext}",
                pytrace=False,
            )

        if self.ok and not res.ok:
            fail("cell failed")
        if not self.ok and res.ok:
            fail("cell was expected to raise but ran")
        for pat in self.out:
            if not re.search(_sub(pat, m), both):
                fail(f"output lacks {_sub(pat, m)!r}")
        for pat in self.err:
            if not re.search(_sub(pat, m), stderr):
                fail(f"stderr lacks {_sub(pat, m)!r}")
        for pat in self.lacks:
            if re.search(_sub(pat, m), both):
                fail(f"output must not contain {_sub(pat, m)!r}")
        for pat in self.tb:
            if not re.search(_sub(pat, m), tbtext):
                fail(f"traceback lacks {_sub(pat, m)!r}")
        for pat in self.tb_lacks:
            if re.search(_sub(pat, m), tbtext):
                fail(f"traceback must not contain {_sub(pat, m)!r}")
        for pat, n in self.count.items():
            got = len(re.findall(_sub(pat, m), stdout))
            if got != n:
                fail(f"stdout has {_sub(pat, m)!r} {got} times, expected {n}")


@dataclass
class Scenario:
    id: str
    steps: list


def S(id, v1, setup="", v2=None, check="", *, imports="import {m}", then=()):
    """The common shape: write v1, import (+ setup) in one cell, write v2, check."""
    first = textwrap.dedent(imports).strip() + "\n" + textwrap.dedent(setup)
    steps = [Write(v1), Cell(first), Write(v2) if isinstance(v2, dict) else v2]
    steps.append(check if isinstance(check, Cell) else Cell(check))
    steps.extend(then)
    return Scenario(id, steps)


def run_scenario(kernel, m, scenario):
    log: list[str] = [f"scenario {scenario.id}, module {m}"]
    for step in scenario.steps:
        step.run(kernel, m, log)


def params(table):
    ids = [s.id for s in table]
    assert len(ids) == len(set(ids)), "duplicate scenario ids"
    return [pytest.param(s, id=s.id) for s in table]


# A module-level counter that survives reloads: how many times the module's
# top-level code ran.
COUNTER = "import builtins; builtins._ar_count_{m} = getattr(builtins, '_ar_count_{m}', 0) + 1\n"
COUNT = "__import__('builtins')._ar_count_{m}"

F1 = "def f():\n    return 1\n"
F2 = "def f():\n    return 2\n"
F3 = "def f():\n    return 3\n"

LINE = r"(line {n}\b|\.py:{n}\b)"


def line(n):
    return LINE.format(n=n)
