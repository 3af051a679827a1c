"""Find what changed: which of the user's module files now differ from what runs.

Cheap when nothing changed, which is almost every cell:
- the list of candidate modules is rebuilt only when ``sys.modules`` grows or
  the import hook saw a new user module;
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
import threading
import time
from dataclasses import dataclass
from types import ModuleType

from .inotify import open_watcher
from .sources import Baseline, SourceStore, _read, settled, stamp_of
from .userpaths import ModuleFilter


@dataclass(slots=True)
class Read:
    """A user module file we had to read: its bytes and whether they differ."""

    name: str
    module: ModuleType
    path: str
    source: bytes
    differs: bool
    #: why the file could not be read as this module's source (then source is b"")
    problem: str | None = None


class ChangeFinder:
    """Keeps the list of the user's modules and reports the files that changed."""

    def __init__(self, store: SourceStore, modfilter: ModuleFilter, use_inotify: bool = True):
        self.store = store
        self.filter = modfilter
        self.use_inotify = use_inotify
        self.watcher = None  # opened with the first user module (ctypes costs start time)
        #: the user's modules, each through its baseline (``.module``, ``.path``, ``.stamp``)
        self.watched: dict[str, Baseline] = {}
        self.missing: set[str] = set()
        #: path -> the name watched there, or a list when several names share it
        self._names_at: dict[str, str | list[str]] = {}
        #: the modules of sys.modules that are not the user's, as last looked at
        self._others: dict[str, ModuleType] = {}
        #: len(sys.modules) when ``watched`` and ``_others`` last covered it (-1: look at all)
        self._known_len = -1
        self._suspects: set[str] = set()
        self._polled: set[str] = set()
        #: polled only until their directory (deleted, moved) can be watched again
        self._rewatch: set[str] = set()
        # The hook asks for a file's directory to be watched before it reads the
        # file, so a save right after the import is an event, not a guess.
        store.before_read = self._watch_dir_of
        store.on_record = self._recorded
        #: called with the inotify watcher once it is opened (the engine's preparer)
        self.on_watcher = None

    @property
    def how(self) -> str:
        if self.watcher is not None or (self.use_inotify and not self.watched):
            return "inotify"
        return "stat polling"

    # -- the candidate list ---------------------------------------------------
    def refresh(self) -> None:
        modules = sys.modules
        fresh = self.store.fresh
        if len(modules) == self._known_len and not fresh:
            return
        # recorded by the hook on another thread: considered afresh (read once)
        hooked = set(fresh)
        fresh.clear()
        watched, others = self.watched, self._others
        if self._known_len < 0:  # the first time, or the filter changed: all again
            others.clear()
            names = set(modules)
        else:
            names = modules.keys() - watched.keys() - others.keys()
            if len(watched) + len(others) + len(names) > len(modules):
                for gone in [n for n in watched if n not in modules]:
                    self._forget(gone)
                for gone in [n for n in others if n not in modules]:
                    del others[gone]
            names |= hooked
        for name in names:
            mod = modules.get(name)
            if mod is not None:
                self._consider(name, mod)
                self._place(name, mod)
        self._known_len = len(modules)

    def _place(self, name: str, mod) -> None:
        """Remember a considered module: in ``watched`` if it is the user's, else
        among the others (so neither is looked at again until sys.modules changes)."""
        if name in self.watched:
            self._others.pop(name, None)
        else:
            self._others[name] = mod

    def _recorded(self, name: str, polled: bool) -> None:
        """The import hook just read ``name``: watch it now, not in the next cell.

        Only on the main thread, where checks run; other threads leave it to
        the next check (through ``store.fresh``).
        """
        mod = sys.modules.get(name)
        if mod is None or threading.current_thread() is not threading.main_thread():
            self.store.fresh.append(name)
            return
        if self._known_len >= 0 and name not in self.watched and name not in self._others:
            # sys.modules grew by this module and we know it: if nothing else
            # came in, the next check need not compare sys.modules with ours.
            self._known_len += 1
        self._consider(name, mod, hooked=True, polled=polled)
        self._place(name, mod)

    def _consider(self, name: str, mod, hooked: bool = False, polled: bool = True) -> None:
        """Watch ``mod`` if it is the user's.  ``hooked``: the import hook just
        recorded it, so the filter and the symlink test already ran there and
        ``polled`` says whether only a stat can see its changes."""
        path = getattr(mod, "__file__", None)
        base = self.store.baselines.get(name)
        if hooked and base is not None and base.path == path:
            self._watch(name, mod, base)
            if polled:
                self._polled.add(name)
                self._suspects.add(name)
            # else any write after the hook's read is an inotify event, however
            # recent the file's mtime: no need to read it again until one comes
            return
        if not isinstance(path, str) or not self.filter.wants(name, path):
            self._forget(name)
            return
        if base is None or base.path != path:
            base = self.store.read_now(name, path)
            if base is None:
                return
        self._watch(name, mod, base)
        if os.path.islink(path) or not self._watch_dir_of(path):
            self._polled.add(name)
        # The file may have been saved between the import and now.
        self._suspects.add(name)

    def _watch(self, name: str, mod, base: Baseline) -> None:
        self._forget(name)
        base.module = mod
        self.watched[name] = base
        names = self._names_at.get(base.path)
        if names is None:
            self._names_at[base.path] = name  # one name per path: no list
        elif isinstance(names, str):
            self._names_at[base.path] = [names, name]
        else:
            names.append(name)

    def names_at(self, path: str) -> tuple[str, ...]:
        """The watched module names whose file is ``path``."""
        names = self._names_at.get(path)
        if names is None:
            return ()
        return (names,) if isinstance(names, str) else tuple(names)

    def _watch_dir_of(self, path: str) -> bool:
        """Watch ``path``'s directory with inotify; False if that is not possible."""
        if self.watcher is None:
            if not self.use_inotify:
                return False
            self.watcher = open_watcher()
            self.use_inotify = self.watcher is not None
            if self.watcher is None:
                return False
            if self.on_watcher is not None:
                self.on_watcher(self.watcher)
        return self.watcher.watch(os.path.dirname(path))

    def _forget(self, name: str) -> None:
        old = self.watched.pop(name, None)
        if old is not None:
            old.module = None  # a baseline kept after its module left must not keep it alive
            names = self._names_at.get(old.path)
            if names == name:
                del self._names_at[old.path]
            elif isinstance(names, list) and name in names:
                names.remove(name)
                if len(names) == 1:
                    self._names_at[old.path] = names[0]
        self._polled.discard(name)
        self._rewatch.discard(name)
        self._suspects.discard(name)

    def reconsider(self) -> None:
        """The filter changed: look at every loaded module again on the next check."""
        self._known_len = -1

    def invalidate(self) -> None:
        """Distrust every stamp: the next check re-reads every user module once."""
        for w in self.watched.values():
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
            for name, w in self.watched.items():
                if os.path.dirname(w.path) in lost and name not in self._polled:
                    self._polled.add(name)
                    self._rewatch.add(name)
        for name in list(self._rewatch):
            w = self.watched[name]
            if os.path.isdir(os.path.dirname(w.path)) and self.watcher.watch(
                os.path.dirname(w.path)
            ):
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
        baselines = self.store.baselines
        for name in list(suspects):
            w = self.watched.get(name)
            if w is None:
                self._suspects.discard(name)
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
            w.stamp = stamp
            w.settled = settled(st, read_at)
            if w.settled or (self.watcher is not None and name not in self._polled):
                # a watched file's later writes are events, even in the same tick
                self._suspects.discard(name)
            else:
                self._suspects.add(name)  # look again next time: same-tick saves
            base = baselines.get(name)
            if base is None:
                continue
            out.append(Read(name, w.module, w.path, data, data != base.source))
        return out

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
