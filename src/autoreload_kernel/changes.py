"""Find what changed: which of the user's module files now differ from what runs.

Cheap when nothing changed, which is almost every cell:
- the list of candidate modules (``watch_list.py``) is rebuilt only when
  ``sys.modules`` grows or the import hook saw a new user module;
- with inotify, only files the OS reported as written are looked at; without
  it, one ``stat`` per user module;
- a file is read only when its stamp (mtime, size, inode, ctime) moved, or,
  when polled, while its mtime is too recent to trust (two saves in one
  timestamp tick); a watched file's later writes are events, however recent;
- a file whose bytes equal the running source (touched, saved unchanged) is
  not a change.
"""

from __future__ import annotations

import errno
import os
import stat
import sys
import time
from types import ModuleType

from .sources import Baseline, _read, file_of, settled, stamp_of
from .watch_list import WatchList


class Read:
    """A user module file we had to read: its bytes and whether they differ."""

    __slots__ = ("name", "module", "path", "source", "differs", "problem", "hint")

    def __init__(self, name: str, module: ModuleType, path: str, source: bytes,
                 differs: bool, problem: str | None = None, hint: str | None = None):
        self.name = name
        self.module = module
        self.path = path
        self.source = source
        self.differs = differs
        #: why the file could not be read as this module's source (then source is b"")
        self.problem = problem
        #: what the user can do about ``problem``, when waiting for the file is not it
        self.hint = hint


class ChangeFinder(WatchList):
    """Reports the user's module files that changed (the list of them, and
    what may have changed, is the :class:`WatchList`'s)."""

    def invalidate(self) -> None:
        """Distrust every stamp: the next check re-reads every user module once."""
        for w in list(self.store.kept.values()):
            if type(w) is not bytes:  # kept as bytes: no stamp to distrust
                w.settled = False
        self._suspects.update(self.watched)

    def recheck(self, name: str) -> None:
        """Read this file again at the next check, even if nothing touched it."""
        if name in self.watched:
            self.invalidate_one(name)
            self._suspects.add(name)

    def invalidate_one(self, name: str) -> None:
        """Forget one file's stamp: it is read again when next suspected."""
        w = self.watched.get(name)
        if w is not None:
            w.stamp = None

    # -- the check ---------------------------------------------------------------
    def _suspected(self) -> set[str]:
        if self.watcher is None:
            return set(self.watched)
        touched, overflow, lost = self.watcher.drain()
        if overflow:
            self._suspects.update(self.watched)
        for path in touched:
            self._suspects.update(self.names_at(path))
        if lost:
            path_of = self.store.path_of
            for name in self.watched:
                if os.path.dirname(path_of(name)) in lost and name not in self._polled:
                    self._polled.add(name)
                    self._rewatch.add(name)
        for name in list(self._rewatch):
            directory = os.path.dirname(self.store.path_of(name))
            if os.path.isdir(directory) and self.watcher.watch(directory):
                self._rewatch.discard(name)
                self._polled.discard(name)
                self._suspects.add(name)
        if self._polled:
            return self._suspects | self._polled
        return self._suspects

    def reads(self) -> list[Read]:
        """Read the files that may have changed; say which differ from what runs."""
        self.refresh()
        suspects = self._suspected()
        if not suspects:
            return []
        out: list[Read] = []
        for name in list(suspects):
            w = self.watched.get(name)
            if w is None:
                self._suspects.discard(name)
                out.extend(self._lost_file(name))
                continue
            try:
                st = os.stat(w.path)
                if not stat.S_ISREG(st.st_mode):  # never open a FIFO: it would block
                    raise IsADirectoryError(errno.EISDIR, "") if stat.S_ISDIR(st.st_mode) \
                        else OSError(errno.EINVAL, "not a regular file")
                stamp = stamp_of(st)
                if stamp == w.stamp and w.settled:
                    self.missing.discard(name)
                    self._suspects.discard(name)
                    continue
                read_at = time.time_ns()
                data = _read(w.path, st.st_size)  # no buffered file object
            except OSError as err:
                out.extend(self._unreadable(name, w, err))
                continue
            self.missing.discard(name)
            current = sys.modules.get(name)
            if current is not w.module and w.module is not None and current is not None \
                    and file_of(current) == w.path:
                _adopt(w, current)
            w.stamp = stamp
            w.settled = settled(st, read_at)
            if w.settled or (self.watcher is not None and name not in self._polled):
                # a watched file's later writes are events, even in the same tick
                self._suspects.discard(name)
            else:
                self._suspects.add(name)  # look again next time: same-tick saves
            out.append(Read(name, w.module, w.path, data, data != w.source))
        return out

    def _lost_file(self, name: str) -> list[Read]:
        """``name`` is watched, but ``sys.modules`` now holds under it an object
        with no file (a wrapper put there by hand, its ``__file__`` and spec
        taken away): the module that ran the kept bytes is gone, so nothing can
        be reloaded into it.  Said once; the name is no longer watched."""
        path = self._fileless.pop(name, None)
        mod = sys.modules.get(name)
        if mod is None or name not in self.watched:
            return []  # left sys.modules: ``refresh`` forgets it, quietly
        self._forget(name)
        what = type(mod).__name__
        why = (f"sys.modules[{name!r}] now holds a {what} object that names no file "
               "(no __file__, nor a spec or source loader naming one): the module "
               "imported from this file cannot be found")
        hint = (f"it is no longer reloaded (import it again, after `del sys.modules"
                f"[{name!r}]`, to reload it)")
        return [Read(name, mod, path or "<file unknown>", b"", False, why, hint)]

    def _unreadable(self, name: str, w: Baseline, err: OSError) -> list[Read]:
        """A Read saying why the file cannot be read; the module is kept as it is."""
        if isinstance(err, FileNotFoundError):
            # Deleted (or deleted between the stat and the read): the module is
            # kept, quietly (a branch switch deletes files too), unless a package
            # took the file's place, which a fresh import would load instead.
            # The watcher (or polling) notices the file coming back.
            self._suspects.discard(name)
            if name in self.missing:
                return []
            self.missing.add(name)
            package = os.path.join(os.path.dirname(w.path), name.rpartition(".")[2])
            if not os.path.isdir(package):
                return []
            why = (f"the file was deleted and a directory {package}{os.sep} took its "
                   "place; a fresh import would load that, so restart the kernel to use it")
        else:
            # Unreadable, a directory, a symlink loop: looked at again every check.
            self._suspects.add(name)
            if isinstance(err, IsADirectoryError):
                why = "it is now a directory, not a file"
            else:
                why = f"cannot read it ({err.strerror or err})"
        return [Read(name, w.module, w.path, b"", False, why)]


def _adopt(base: Baseline, module) -> None:
    """``module``, another module of the same file, now stands in
    ``sys.modules`` where the one ``base`` was reloaded into stood: put back
    after a re-import, as ``unittest.mock.patch.dict(sys.modules)`` does on
    exit.  Which version of the file it runs is not known, so the next reload
    runs the whole file in it, as a fresh import would give it; the module it
    replaced is left as it is, like any module object a fresh import drops."""
    base.module = module
    base.source = b""
    base.parsed = None
    base.executed = False
