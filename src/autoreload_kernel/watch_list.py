"""Which of the loaded modules are the user's, watched for changes.

The list is rebuilt only when ``sys.modules`` grows or the import hook saw a
new user module, so a cell that imports nothing pays nothing here.  A user
module's directory is watched with inotify (opened with the first user
module, since ctypes costs start time); a written file is traced back to its
module names through one package prefix per directory.  What changed is
found by the :class:`~autoreload_kernel.changes.ChangeFinder` built on it.
"""

from __future__ import annotations

import os
import sys
import threading
from _thread import get_ident
from types import ModuleType

from .sources import Baselines, SourceStore, file_of
from .userpaths import ModuleFilter


class WatchList:
    """Keeps the list of the user's modules (``watched``) and their files'
    directories under watch; marks as suspect what may differ from its file."""

    def __init__(self, store: SourceStore, modfilter: ModuleFilter, use_inotify: bool = True):
        self.store = store
        self.filter = modfilter
        self.use_inotify = use_inotify
        self.watcher = None  # opened with the first user module (ctypes costs start time)
        #: the user's modules: ``name -> Baseline`` (``.module``, ``.path``,
        #: ``.stamp``), over the store's kept sources (made when asked for)
        self.watched = Watched(store)
        self.missing: set[str] = set()
        #: directory -> the package prefix(es) of the modules watched there
        #: ("pkg." or "" for top level): a written file's module is prefix + stem
        self._prefixes: dict[str, str | tuple[str, ...]] = {}
        #: path -> the names watched there that no prefix spells
        self._odd: dict[str, list[str]] = {}
        #: the modules of sys.modules that are not the user's, as last looked at
        self._others: dict[str, ModuleType] = {}
        #: len(sys.modules) when ``watched`` and ``_others`` last covered it (-1: look at all)
        self._known_len = -1
        self._suspects: set[str] = set()
        self._polled: set[str] = set()
        #: polled only until their directory (deleted, moved) can be watched again
        self._rewatch: set[str] = set()
        #: watched names written at a path while ``sys.modules`` holds, under
        #: that name, an object with no file of its own (told once, see :meth:`reads`)
        self._fileless: dict[str, str] = {}
        # The hook asks for a file's directory to be watched before it reads the
        # file, so a save right after the import is an event, not a guess.
        store.before_read = self._watch_dir_of
        store.on_record = self._recorded
        #: called with the inotify watcher once it is opened (the engine's preparer)
        self.on_watcher = None
        self._main = threading.main_thread().ident

    @property
    def how(self) -> str:
        if self.watcher is not None or (self.use_inotify and not self.watched):
            return "inotify"
        return "stat polling"
    def refresh(self) -> None:
        modules = sys.modules
        self.place_kept_new()
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
            names = modules.keys() - self.store.kept.keys() - others.keys()
            if self.store.unwatched:  # kept, not watched, and back in sys.modules
                names |= {n for n in self.store.unwatched if n in modules and n not in others}
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

    def place_kept_new(self) -> None:
        """Watch the new modules the import hook kept as bytes since the last
        look (``store.kept_new``: almost every import), in one loop rather
        than a call per import.  Each is found from writes to its file through
        its directory's package prefix, and sys.modules grew by each: if nothing
        else came in, the next check need not compare sys.modules with ours.

        Run on the main thread: between cells (the kernel asks once a cell
        that imported replied), else before anything reads what it keeps (the
        check, a file event).  An import on another thread may append
        meanwhile: only the first ``n`` are taken out, and only once placed.
        """
        pending = self.store.kept_new
        n = len(pending)
        if not n:
            return
        batch = pending[:n]
        others = self._others
        grew = 0
        for name, _ in batch:
            if name in others:
                del others[name]
            else:
                grew += 1
        self._watch_new(batch)
        del pending[:n]
        if self._known_len >= 0:
            self._known_len += grew

    def _recorded(self, name: str, mod, path: str, polled: bool, was_watched: bool) -> None:
        """The import hook just read ``name`` (``mod``, from ``path``) and kept
        it as a Baseline (only a stat tells its changes, or its module names
        another file), or a baseline of it was watched already (a re-import):
        watch it now, not in the next cell.

        Only on the main thread, where checks run; other threads leave it to
        the next check (through ``store.fresh``).
        """
        if mod is None or get_ident() != self._main:
            self.store.fresh.append(name)
            return
        if not was_watched and self._known_len >= 0 and name not in self._others:
            self._known_len += 1  # sys.modules grew by it (see place_kept_new)
        self._consider(name, mod, hooked=True, polled=polled)
        self._place(name, mod)

    def _consider(self, name: str, mod, hooked: bool = False, polled: bool = True) -> None:
        """Watch ``mod`` if it is the user's.  ``hooked``: the import hook just
        recorded it, so the filter and the symlink test already ran there and
        ``polled`` says whether only a stat can see its changes."""
        path = file_of(mod)
        store = self.store
        known = store.path_of(name) if name in store.kept else None
        if hooked and known is not None and known == path:
            self._watch(name, mod, path)
            if polled:
                self._polled.add(name)
                self._suspects.add(name)
            # else any write after the hook's read is an inotify event, however
            # recent the file's mtime: no need to read it again until one comes
            return
        if not isinstance(path, str) or not self.filter.wants(name, path):
            if path is None and name in self.watched:
                self._lost_file_of(name)
                return
            self._forget(name)
            return
        if known is None or known != path:
            if store.read_now(name, path) is None:
                return
        self._watch(name, mod, path)
        if os.path.islink(path) or not self._watch_dir_of(path):
            self._polled.add(name)
        # The file may have been saved between the import and now.
        self._suspects.add(name)

    def _watch(self, name: str, mod, path: str) -> None:
        """Watch ``name`` (kept in the store, its file ``path``)."""
        self._forget(name, keep=True)
        self.store.unwatched.discard(name)
        kept = self.store.kept[name]
        if type(kept) is not bytes:
            kept.module = mod
        self._watch_new(((name, path),))

    def _watch_new(self, pairs) -> None:
        """Find each ``name`` from writes to its ``path`` (``(name, path)``
        pairs; nothing else about them is known)."""
        prefixes, sep = self._prefixes, os.sep
        for name, path in pairs:
            directory, _, file = path.rpartition(sep)
            have = prefixes.get(directory)
            if type(have) is str and have + file == name + ".py" and file != "__init__.py":
                continue  # the common case: the directory's package spells it already
            prefix = _prefix(name, file)
            if prefix is None:
                odd = self._odd.setdefault(path, [])
                if name not in odd:
                    odd.append(name)
            elif have is None:
                prefixes[directory] = prefix
            elif have != prefix and (type(have) is str or prefix not in have):
                prefixes[directory] = (have, prefix) if type(have) is str else (*have, prefix)

    def names_at(self, path: str) -> tuple[str, ...]:
        """The watched module names whose file is ``path``."""
        self.place_kept_new()
        directory, _, file = path.rpartition(os.sep)
        watched, path_of = self.watched, self.store.path_of
        # (a name left here by a module that went away is no longer watched)
        found = [n for n in self._odd.get(path, ()) if n in watched and path_of(n) == path]
        have = self._prefixes.get(directory)
        if have is not None and file.endswith(".py"):
            stem = file[:-3]
            for prefix in (have,) if type(have) is str else have:
                name = prefix[:-1] if stem == "__init__" else prefix + stem
                if name and name in watched and name not in found:
                    known = path_of(name)
                    if known == path:
                        found.append(name)
                    elif known is None and name in sys.modules:
                        self._fileless[name] = path  # its entry lost its file: say so
                        found.append(name)
        return tuple(found)

    def _watch_dir_of(self, path: str) -> bool:
        """Watch ``path``'s directory with inotify; False if that is not possible."""
        watcher = self.watcher
        if watcher is not None:  # asked by the hook for every import: os.path.dirname, faster
            directory = path.rpartition(os.sep)[0]
            if directory in watcher.wd_of:  # the common case: watched already
                return True
            if not directory or directory.endswith(os.sep):
                directory = os.path.dirname(path)
            return watcher.watch(directory)
        if not self.use_inotify:
            return False
        from .inotify import open_watcher  # with the first user module, not at start

        self.watcher = open_watcher()
        self.use_inotify = self.watcher is not None
        if self.watcher is None:
            return False
        self.store.watched_dirs = self.watcher.wd_of
        if self.on_watcher is not None:
            self.on_watcher(self.watcher)
        return self.watcher.watch(os.path.dirname(path))

    def _forget(self, name: str, keep: bool = False) -> None:
        """Stop watching ``name``; its baseline stays (kept as bytes alone when
        its module left ``sys.modules``: should that module be put back, it
        is still the version it ran).  ``keep``: about to be watched again."""
        store = self.store
        if name in self.watched:
            path = store.path_of(name)
            odd = self._odd.get(path)
            if odd is not None and name in odd:
                odd.remove(name)
                if not odd:
                    del self._odd[path]
            if not keep:
                base = store.baseline(name)
                if base is not None:
                    base.module = None  # a baseline kept after its module left must not keep it alive
                store.unwatched.add(name)
        self._polled.discard(name)
        self._rewatch.discard(name)
        self._suspects.discard(name)

    def reconsider(self) -> None:
        """The filter changed: look at every loaded module again on the next check."""
        self._known_len = -1

    def _lost_file_of(self, name: str) -> None:
        """The object ``sys.modules`` holds under the watched ``name`` has no
        file.  If the module that ran the baseline is known, it keeps being
        reloaded from the file the import read; else :meth:`reads` says, once,
        that it no longer is."""
        kept = self.store.kept.get(name)
        if type(kept) is bytes or kept is None or kept.module is None:
            self._suspects.add(name)


def _prefix(name: str, file: str) -> str | None:
    """What goes before the file's stem to spell ``name`` ("pkg." or ""), or
    None when the name is not spelled so (a module loaded under another name)."""
    if not file.endswith(".py"):
        return None
    stem = file[:-3]
    if stem == "__init__":
        return name + "."
    if name == stem:
        return ""
    if name.endswith(stem) and name[-len(stem) - 1] == ".":
        return name[: -len(stem)]
    return None


class Watched(Baselines):
    """``name -> Baseline`` for the modules the change finder watches: the
    names the store keeps, less its ``unwatched``.  A Baseline is made only
    when asked for (:meth:`get`); names and modules come without making any."""

    def __contains__(self, name) -> bool:
        store = self._store
        return name in store.kept and not (store.unwatched and name in store.unwatched)

    def __len__(self) -> int:
        return len(self._store.kept) - len(self._store.unwatched)

    def __iter__(self):
        store = self._store
        names = list(store.kept)  # in one step: an import on another thread may add one
        if not store.unwatched:
            return iter(names)
        return iter([n for n in names if n not in store.unwatched])

    def __bool__(self) -> bool:
        return len(self) > 0

    def get(self, name: str, default=None):
        return super().get(name, default) if name in self else default

    def modules(self) -> dict[str, ModuleType]:
        """``name -> module`` for every watched module (no Baseline made)."""
        module_of = self._store.module_of
        return {name: module_of(name) for name in self}

    def items(self):
        """(name, Baseline) pairs: makes every Baseline (prefer :meth:`modules`)."""
        return [(name, base) for name in self if (base := self.get(name)) is not None]
