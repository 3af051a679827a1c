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
from _thread import get_ident
from types import ModuleType

from .sources import Baseline, Baselines, SourceStore, _read, file_of, settled, stamp_of
from .userpaths import ModuleFilter


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


class ChangeFinder:
    """Keeps the list of the user's modules and reports the files that changed."""

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

    def _recorded(self, name: str, mod, path: str, polled: bool, was_watched: bool) -> None:
        """The import hook just read ``name`` (``mod``, from ``path``): watch it
        now, not in the next cell.

        Only on the main thread, where checks run; other threads leave it to
        the next check (through ``store.fresh``).  Run for every module the
        user imports, so the common case (a new module kept as bytes) takes
        the shortest way.
        """
        if mod is None or get_ident() != self._main:
            self.store.fresh.append(name)
            return
        others = self._others
        if not was_watched:
            if self._known_len >= 0 and name not in others:
                # sys.modules grew by this module and we know it: if nothing else
                # came in, the next check need not compare sys.modules with ours.
                self._known_len += 1
            if type(self.store.kept[name]) is bytes:  # its file is path, not polled
                self._watch_new(name, path)
                if others:
                    others.pop(name, None)
                return
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
        self._watch_new(name, path)

    def _watch_new(self, name: str, path: str) -> None:
        """Find ``name`` from writes to ``path`` (nothing else about it is known)."""
        directory, _, file = path.rpartition(os.sep)
        have = self._prefixes.get(directory)
        if type(have) is str and have + file == name + ".py" and file != "__init__.py":
            return  # the common case: the directory's package spells it already
        prefix = _prefix(name, file)
        if prefix is None:
            odd = self._odd.setdefault(path, [])
            if name not in odd:
                odd.append(name)
            return
        if have is None:
            self._prefixes[directory] = prefix
        elif have != prefix and (type(have) is str or prefix not in have):
            self._prefixes[directory] = (have, prefix) if type(have) is str else (*have, prefix)

    def names_at(self, path: str) -> tuple[str, ...]:
        """The watched module names whose file is ``path``."""
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

    def _lost_file_of(self, name: str) -> None:
        """The object ``sys.modules`` holds under the watched ``name`` has no
        file.  If the module that ran the baseline is known, it keeps being
        reloaded from the file the import read; else :meth:`reads` says, once,
        that it no longer is."""
        kept = self.store.kept.get(name)
        if type(kept) is bytes or kept is None or kept.module is None:
            self._suspects.add(name)

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
