"""The reload engine: find what changed, order it, apply it, report it.

:class:`Reloader` is what the kernel calls before every request.  It owns the
pipeline's pieces (see the modules named below) and the user's choices
(``%autoreload`` mode, ``%aimport`` lists).  Everything here runs on the
kernel's shell thread, under the kernel's lock; the plans of saved files may
be built ahead of time there, between cells (:mod:`.prepared`).
"""

from __future__ import annotations

import functools
import gc
import linecache
import threading

from .bindings import ImportIndex, NotebookImports, imports_in, propagate
from .changes import ChangeFinder, Read
from .interrupts import InterruptGate
from .modes import MODE_NUMBER, MODES
from .report import ERROR, Reporter, digest
from .sources import SourceStore
from .userpaths import ModuleFilter


def _gc_paused(method):
    """No garbage collection while a reload builds its trees.

    Parsing allocates many small objects that hold no cycles; each collection
    they trigger walks the whole heap (a large module's tree included), which
    once cost a first edit more than the parse itself.  (A plain wrapper: a
    generator-based context manager costs a one-def reload several per cent.)
    """
    @functools.wraps(method)
    def paused(*args):
        enabled = gc.isenabled()
        gc.disable()
        try:
            return method(*args)
        finally:
            if enabled:
                gc.enable()
    return paused


#: the pipeline's heavy half (diff, plan, patch), imported by the first reload
#: (or the preparer's first plan), not at kernel start: see :func:`_load_heavy`
_heavy: tuple | None = None


def _load_heavy() -> tuple:
    global _heavy
    from .applying import MISSING, apply_source
    from .ordering import reload_order
    from .plan import ReloadFailed, ReloadInterrupted, plan_for

    _heavy = (MISSING, apply_source, reload_order, ReloadFailed, ReloadInterrupted, plan_for)
    return _heavy


def _blank(source: bytes) -> bool:
    """Only white space?  (Stops at the first other byte; ``strip`` copies.)"""
    return not source or source.isspace()


class Reloader:
    def __init__(self, shell=None, mode: str = "all", verbose: bool = False, include=(),
                 exclude=(), use_inotify: bool = True, prepare: bool = True):
        self.shell = shell
        self.mode = MODES.get(str(mode), mode)
        self.full = False  # `%autoreload 2-` / `--full`: re-run whole modules
        self.explicit: set[str] = set()  # %aimport m
        self.skipped: set[str] = set()  # %aimport -m
        self.filter = ModuleFilter(include, exclude)
        self.store = SourceStore(self.filter.wants)
        self.finder = ChangeFinder(self.store, self.filter, use_inotify=use_inotify)
        self.index = ImportIndex(self.store)
        self.notebook = NotebookImports()
        self.report = Reporter(verbose=verbose)
        #: Called as ``listener(name, path, old_source, new_source)`` after each
        #: successful reload; an exception in one never breaks the reload.
        self.listeners: list = []
        #: Callables returning extra lines for the status view.
        self.status_parts: list = []
        #: Held while checking or reloading.  Re-entrant, so a check started by
        #: `%autoreload` inside a cell or by the kernel nests; the kernel's
        #: subshell threads only try it and go on if it is taken.
        self.lock = threading.RLock()
        self.gate = InterruptGate()
        self._stopped = False
        #: builds the plans of saved files in the background (with inotify only):
        #: made when the change finder opens its watcher, at the first user
        #: module, so a kernel that imports none pays nothing for it;
        #: ``prepare=False`` makes every check build its plans itself
        self.preparer = None
        if prepare:
            self.finder.on_watcher = self._start_preparer

    # -- life cycle -----------------------------------------------------------------
    def start(self) -> None:
        """Hook imports and learn about the modules already loaded."""
        self.store.install()
        self.finder.refresh()
        if self.shell is not None:
            self.notebook.watch(self.shell)

    def _start_preparer(self, watcher) -> None:
        from .prepared import Preparer

        if self.preparer is None:
            self.preparer = Preparer(self.finder, self.store, self)
        self.preparer.start(watcher)

    def stop(self) -> None:
        """End the background preparer (the kernel is shutting down)."""
        if self.preparer is not None:
            self.preparer.stop()

    # -- policy ---------------------------------------------------------------------
    def set_mode(self, mode: str) -> None:
        mode = MODES.get(str(mode), str(mode))
        if mode not in MODE_NUMBER:
            raise ValueError(f"unknown autoreload mode {mode!r}")
        with self.lock:
            if mode != self.mode:
                self.finder.invalidate()  # edits made while off are applied now
            self.mode = mode

    def set_filters(self, include, exclude) -> None:
        """New include/exclude lists: decide again which modules are the user's."""
        with self.lock:
            self.filter.include, self.filter.exclude = tuple(include), tuple(exclude)
            self.finder.reconsider()
            self.finder.refresh()  # newly included modules get their baseline now

    def wants(self, name: str, module) -> bool:
        if getattr(module, "__autoreload__", True) is False:
            return False
        if name in self.skipped:
            return False
        if self.mode == "explicit":
            return name in self.explicit
        return True

    # -- between cells ------------------------------------------------------------------
    def has_idle_work(self) -> bool:
        """Is there work :meth:`between_cells` would do?"""
        return bool(self.store.kept_new)

    def between_cells(self) -> bool:
        """Put the modules the last cell imported on the watch list now, after
        its reply, not in the next cell's check (about half a millisecond per
        1,000 modules).  The caller holds :attr:`lock`.  An interrupt meanwhile
        waits for the end: True says one came, for the caller to pass on."""
        with self.gate.held():
            self.finder.place_kept_new()
        return self.gate.take()

    # -- the check ------------------------------------------------------------------------
    def check(self, show_errors: bool = True, force: bool = False) -> list[str]:
        """Reload every changed module the policy allows; return their names."""
        if self.preparer is not None:
            self.preparer.attach()  # once a loop runs (no-op after)
        with self.lock, self.gate.held():
            done = self._check(show_errors, force)
        if self.gate.take():
            # Pressed while the engine was patching: that finished first, so
            # nothing is half-applied; the interrupt goes on to the caller.
            raise KeyboardInterrupt
        return done

    def _check(self, show_errors: bool, force: bool) -> list[str]:
        if self.mode == "off" and not force:
            if show_errors:
                self.report.show_pending()
            return []
        done: list[str] = []
        self._stopped = False  # set when the user interrupts a module's code
        while True:
            batch = self._apply(changed) if (changed := self._changed(force)) else []
            done += batch
            # A module that failed on another one (`from a import g` before a had
            # g) is tried again in this same check once something else reloaded.
            if not batch or self._stopped or not self._retry_failed():
                break
        if show_errors:
            self.report.show_pending()
        return done

    def _changed(self, force: bool = False) -> list:
        """The reads of files that differ and should be applied now."""
        changed = []
        for read in self.finder.reads():
            if read.problem is not None:
                self.report.unreadable(read.name, read.path, read.problem, read.hint)
                continue
            if not read.differs:
                self.report.recovered(read.name)
                continue
            if _blank(read.source) and not _blank(self.store.baselines[read.name].source):
                # An editor that truncates before writing: wait for the content.
                self.report.unreadable(read.name, read.path, "the file is empty (a save "
                                       "in progress?); an empty module is not loaded")
                self.finder.recheck(read.name)
                continue
            failure = self.report.failures.get(read.name)
            if (failure is not None and not failure.retry and not force
                    and failure.digest == digest(read.source)):
                # This version already failed (or was interrupted); it is not tried
                # again until the file changes or `%autoreload` asks for it.
                continue
            if not self.wants(read.name, read.module):
                self.finder.invalidate_one(read.name)
                continue
            changed.append(read)
        return changed

    @_gc_paused
    def _apply(self, changed) -> list[str]:
        MISSING, apply_source, reload_order, ReloadFailed, ReloadInterrupted, plan_for = (
            _heavy or _load_heavy())
        self.index.end_batch()  # star importers are looked up once per batch
        by_name = {read.name: read for read in changed}
        plans, deps, compiled = {}, {}, {}
        for read in changed:
            base = self.store.baselines[read.name]
            ready = self.preparer.take(read, base, self.full) if self.preparer else None
            if ready is not None:  # built in the background right after the save
                plan = ready.plan
                plans[read.name], compiled[read.name] = plan, ready.compiled
            else:
                try:
                    plan = plans[read.name] = plan_for(base, read.source, read.path,
                                                       self.full, read.module.__dict__)
                except ReloadFailed as failure:
                    self._fail(read, failure)
                    continue
            if len(changed) > 1:  # order matters only between several modules
                # Dependencies by the old and the new source: `from b import NEW` may be new.
                package = getattr(read.module, "__package__", None)
                deps[read.name] = {
                    imp.module for version in (base.parsed, plan.parsed) if version is not None
                    for imp in imports_in(version.importing(), package)
                }
        order = [name for name in by_name if name in plans]
        if len(order) > 1:
            order = reload_order(order, deps)
        done = []
        retired = []  # the versions replaced: freed between cells (Preparer.retire)
        watched = None  # name -> module, built once per batch when a rebind needs it
        for position, name in enumerate(order):
            read = by_name[name]
            base = self.store.baselines[name]
            plan = plans[name]
            # From here on its functions may take new code: their first lines no
            # longer certify the baseline's statements (see Baseline.parse).
            base.executed = False
            try:
                applied = apply_source(read.module, read.path, plan, self.gate,
                                       compiled.get(name))
            except ReloadInterrupted as stop:
                # The user stopped it: this version is not run again unasked; the
                # modules after it in the batch are looked at again next time.
                if stop.lineno is not None:
                    self.report.interrupted(name, read.path, stop.lineno, read.source)
                    rest = order[position + 1:]
                else:
                    rest = order[position:]
                for other in rest:
                    self.finder.recheck(other)
                self._stopped = True
                break
            except ReloadFailed as failure:
                self._fail(read, failure)
                continue
            old_source = base.source
            retired.append(base.parsed)
            base.source, base.parsed = read.source, plan.parsed
            self.index.reloaded(name)
            linecache.cache.pop(read.path, None)  # tracebacks must show the new lines
            updated = []
            if applied.rebound or applied.added:
                if watched is None:
                    watched = self.finder.watched.modules()
                user_ns = self.shell.user_ns if self.shell is not None else None
                gained = [(n, MISSING, read.module.__dict__[n]) for n in applied.added
                          if n in read.module.__dict__]
                updated = propagate(name, applied.rebound + gained, self.index, watched,
                                    user_ns, self.notebook, MISSING)
            removed = set(applied.removed)
            rebound = [n for n, _old, _new in applied.rebound if n not in removed]
            self.report.reloaded(name, applied.patched, applied.added, applied.removed,
                                 updated, applied.notes, rebound)
            done.append(name)
            self._announce(name, read.path, old_source, read.source)
        if self.preparer is not None:
            self.preparer.retire(retired, plans, compiled)
        return done

    def _announce(self, name: str, path: str, old: bytes, new: bytes) -> None:
        for listener in list(self.listeners):
            try:
                listener(name, path, old, new)
            except Exception:  # noqa: BLE001 - a listener never breaks a reload
                pass

    def apply_given(self, sources: dict[str, bytes]) -> list[str]:
        """Apply versions handed over as bytes (name -> source) rather than read
        from files -- what a cluster worker does with an edit made in the kernel.
        Same diff, order, patching and failure records as a check."""
        with self.lock:
            self.finder.refresh()
            reads = []
            for name, data in sources.items():
                watched = self.finder.watched.get(name)
                base = self.store.baselines.get(name)
                if watched is not None and base is not None and base.source != data:
                    reads.append(Read(name, watched.module, watched.path, data, True))
            done = self._apply(reads) if reads else []
            if done:
                self._retry_failed()
            return done

    def _retry_failed(self) -> bool:
        """After a reload, modules that failed for a reason outside their own file
        (an import of a name that now exists) get another try; False if none."""
        retried = False
        for name, failure in list(self.report.failures.items()):
            if failure.kind == ERROR and not failure.retry:
                failure.retry = True
                self.finder.recheck(name)
                retried = True
        return retried

    def _fail(self, read, failure) -> None:
        self.report.failed(read.name, read.path, failure.lineno, failure.error, read.source,
                           failure.hint, failure.raised_at, failure.ran)


__all__ = ["Reloader"]
