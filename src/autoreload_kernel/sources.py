"""Capture, at import time, the exact source each user module executed.

IPython's reloader takes its baseline when it first *looks* at a module, so an
edit saved between ``import m`` and the next cell is never seen.  We hook the
standard source loader instead: for the user's modules we read the file once,
keep those bytes as the baseline, and compile exactly those bytes.  What ran is
what we diff against later.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from importlib.machinery import SourceFileLoader


#: A file whose mtime is this close to the moment we read it may be written
#: again within the same timestamp tick (coarse clocks, 1-2 s on some file
#: systems), so an unchanged stamp does not prove unchanged content yet.
RACY_NS = 2_500_000_000


def stamp_of(st: os.stat_result) -> tuple:
    """What we compare to decide whether a file may have changed."""
    return (st.st_mtime_ns, st.st_size, st.st_ino, st.st_ctime_ns)


def settled(st: os.stat_result, read_at_ns: int) -> bool:
    """True when a later write must change the stamp (the mtime tick has passed)."""
    return read_at_ns - st.st_mtime_ns > RACY_NS


@dataclass(slots=True)
class Baseline:
    """The source a module is running now, and the file stamp it was read at."""

    path: str
    source: bytes
    stamp: tuple | None
    settled: bool = False
    #: the parsed statements of ``source``, made when first needed
    parsed: object = None

    def statements(self):
        """``source`` parsed into statements (cached; SyntaxError propagates)."""
        if self.parsed is None:
            from .statements import ParsedModule

            self.parsed = ParsedModule.parse(self.source, self.path)
        return self.parsed


class SourceStore:
    """Baselines by module name, fed by the loader hook and by reloads."""

    def __init__(self, wants):
        self.wants = wants
        self.baselines: dict[str, Baseline] = {}
        #: module names recorded by the hook since the change finder last looked
        self.fresh: list[str] = []

    def record(self, name: str, path: str, source: bytes, st: os.stat_result, read_at: int) -> None:
        self.baselines[name] = Baseline(path, source, stamp_of(st), settled(st, read_at))
        self.fresh.append(name)

    def read_now(self, name: str, path: str) -> Baseline | None:
        """Baseline for a module imported before the hook existed: read it now."""
        try:
            read_at = time.time_ns()
            st = os.stat(path)
            with open(path, "rb") as fh:
                data = fh.read()
        except OSError:
            return None
        base = Baseline(path, data, stamp_of(st), settled(st, read_at))
        self.baselines[name] = base
        return base

    # -- the loader hook ---------------------------------------------------
    def install(self) -> None:
        global _active
        _active = self
        if SourceFileLoader.get_code is not _hooked_get_code:
            SourceFileLoader.get_code = _hooked_get_code


_active: SourceStore | None = None
_original_get_code = SourceFileLoader.get_code


def _hooked_get_code(self, fullname):
    store = _active
    if store is None:
        return _original_get_code(self, fullname)
    path = self.get_filename(fullname)
    if not store.wants(fullname, path):
        return _original_get_code(self, fullname)
    try:
        read_at = time.time_ns()
        st = os.stat(path)
        data = self.get_data(path)
    except OSError:
        return _original_get_code(self, fullname)
    # Compiling these bytes (not a cached .pyc) makes the baseline exact.
    code = self.source_to_code(data, path)
    store.record(fullname, path, data, st, read_at)
    return code
