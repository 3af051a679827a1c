"""Build a saved file's reload plan between cells, before the next one.

Most of a reload's cost -- reading the file, parsing, diffing, compiling --
touches no live object.  So when inotify reports a save, the plan and its code
are built right away (:class:`Preparer`): on the shell thread, from its event
loop, while no cell runs -- as the kernel's own message handlers run.  Nothing
of the user's runs beside it, and what the build's allocations set off (a
garbage collection, the ``__del__`` of the user's garbage) runs on the shell
thread, as in plain Python, never on a thread of ours in the middle of a cell.

The next check uses a plan only if it is the plan it would build itself: same
baseline, the very bytes it has just read, the same ``--full`` choice, and
every class the diff assumed live still is (:class:`.class_diff.AssumedLive`).
Otherwise it builds the plan as it always did.  Running the plan (the module's
code, the patching) happens in the next cell, under the kernel's lock.

Nothing found here is reported: a version that does not parse or compile, or
makes the compiler warn (:class:`_WarningGuard`), is not kept, and the next
check meets it again and reports it as always -- once, in that cell.  Without
inotify (``poll``), or without a running event loop that can watch a file
descriptor, nothing is built ahead and nothing changes.
"""

from __future__ import annotations

import _thread
import asyncio
import atexit
import copy
import os
import stat
import threading
import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported where used: the kernel starts without the diff machinery
    from .class_diff import AssumedLive
    from .plan import ReloadPlan
    from .statements import ParsedModule

#: Seconds without a new event before a file is read: an editor's save is a
#: burst of writes (truncate, write, rename), and only the last one counts.
SETTLE = 0.02
#: ... but a file written without pause is read after this long anyway.
SETTLE_MAX = 0.1
#: Replaced versions are freed this many seconds after the reload, between
#: cells (see :meth:`Preparer.retire`) ...
RETIRE_AFTER = 0.5
#: ... and no more than this many wait: beyond, the oldest goes at once.
RETIRE_MAX = 8


@dataclass(slots=True)
class Prepared:
    """A plan built ahead of time, and what it was built from."""

    base: bytes  # the baseline source it diffs against (compared by identity)
    old: ParsedModule | None  # that baseline, parsed (None: not parseable)
    source: bytes  # the file's bytes it brings the module to
    full: bool
    plan: ReloadPlan | None  # None: a body-only edit, made by take() from ``found``
    compiled: tuple | None  # applying.compile_plan's result
    assumed: AssumedLive  # the module name and the classes it assumed live
    #: a body-only edit's bytecode comparison, of the whole module when large
    #: (code_diff.frame_diff), else a local_edit.LocalFound; take() matches it
    found: object = None


class _WarningGuard:
    """Sees every warning raised while a plan is built between cells, before
    any filter of the user's does, and keeps it from them.

    Compiling a saved file can warn (``SyntaxWarning``: an invalid escape,
    ``is`` with a literal).  Those warnings belong to the cell whose reload
    compiles the file, under the filters the user has then: met at save time,
    they would be shown outside any cell, go through the filters of that
    moment, and use up a "once".  So a version whose build warns is not kept,
    and the next cell's check builds it again itself, which shows the warning
    as always.

    To see a warning before the filters act, this is itself a filter, put
    first in ``warnings.filters`` for the build only and taken out right after
    (the list is left as the user set it at every other moment): its message
    pattern is this object, whose ``match`` is true only on the shell thread
    while the plan is built, and its action is "ignore", which leaves no trace
    in any registry.  A warning of another thread meanwhile goes on to the
    user's filters untouched.  If the filters were replaced, or another
    filter went before ours, during the build, the build counts as warned.
    """

    #: what ``warnings.filters`` shows as this filter's message pattern
    pattern = "(a saved file's plan built between cells: autoreload-kernel)"

    def __init__(self):
        self.thread_id: int | None = None
        self.warned = False
        self.entry = ("ignore", self, Warning, None, 0)
        self._building = False

    def __repr__(self):
        return f"<autoreload-kernel: {self.pattern}>"

    def match(self, _text):
        """The filter's test: ours while a plan is built, on that thread."""
        if self._building and threading.get_ident() == self.thread_id:
            self.warned = True
            return True
        return None

    @staticmethod
    def usable() -> bool:
        """Can a filter be put first?  (Not if the user replaced the list.)"""
        return isinstance(warnings.filters, list)

    @contextmanager
    def building(self):
        """Watch the warnings of one build; :attr:`warned` says if any came.

        The entry goes in and out without ``warnings._filters_mutated()``: it
        matches only this build, so the registries the user's warnings were
        deduplicated in stay valid (resetting them would show again warnings
        a "default" filter had shown once).
        """
        filters = warnings.filters
        if not isinstance(filters, list):
            self.warned = True
            yield
            return
        self.warned, self._building = False, True
        filters.insert(0, self.entry)
        try:
            yield
        finally:
            self._building = False
            # the filters were replaced or another went first meanwhile (a
            # thread of the user's): ours may not have seen every warning
            if warnings.filters is not filters or not filters or filters[0] is not self.entry:
                self.warned = True
            try:
                filters.remove(self.entry)
            except ValueError:  # the user's thread emptied the list
                pass


_GUARD = _WarningGuard()


class Preparer:
    """Plans built between cells, on the shell thread's event loop, by module name."""

    def __init__(self, finder, store, policy):
        self._finder = finder
        self._store = store
        self._policy = policy  # the Reloader: its ``mode``, ``full`` and ``lock``
        self._ready: dict[str, Prepared] = {}
        self._watcher = None  # set once the finder opens one; attached when a loop runs
        self._loop = None
        self._touched: set[str] = set()
        self._settling = None  # the loop's timer for the build after a save
        self._first_event = 0.0
        self._retired: list = []
        self._freeing = None  # the loop's timer that frees replaced versions
        #: how many plans were built here, and how many of those a check used
        self.built = 0
        self.used = 0

    @property
    def running(self) -> bool:
        return self._loop is not None

    def start(self, watcher) -> None:
        """Prepare on ``watcher``'s events (the finder opened it); from the
        next :meth:`attach` on the shell thread's running loop, if not now."""
        if self._watcher is None:
            self._watcher = watcher
        self.attach()

    def attach(self) -> None:
        """Watch the inotify queue from the shell thread's event loop (once;
        nothing without a watcher, off the main thread, or with no loop
        running: called again before each check)."""
        if self._loop is not None or self._watcher is None:
            return
        if threading.current_thread() is not threading.main_thread():
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # at kernel start (a startup file's import): the first cell does it
        if not _GUARD.usable():
            return
        try:
            loop.add_reader(self._watcher.fd, self._on_event)
        except (NotImplementedError, OSError, ValueError, RuntimeError):
            return  # a loop that cannot watch file descriptors: no preparing
        _GUARD.thread_id = threading.get_ident()
        self._loop = loop
        atexit.register(self.stop)

    def stop(self) -> None:
        """Stop watching and drop what was prepared."""
        loop, self._loop = self._loop, None
        if loop is None:
            return
        for timer in (self._settling, self._freeing):
            if timer is not None:
                timer.cancel()
        self._settling = self._freeing = None
        try:
            loop.remove_reader(self._watcher.fd)
        except Exception:  # noqa: BLE001 - a loop already closed at exit
            pass
        self._ready.clear()
        self._retired.clear()
        self._touched.clear()
        atexit.unregister(self.stop)

    # -- the shell thread, in a cell -------------------------------------------------
    def take(self, read, base, full: bool) -> Prepared | None:
        """The plan prepared for ``read``, if it is exactly the one the shell
        thread would build now; it is handed out once."""
        entry = self._ready.pop(read.name, None)
        if (entry is None or entry.base is not base.source or entry.full != full
                or entry.source != read.source):
            return None
        from .class_diff import all_live

        ns = read.module.__dict__
        module_name = ns.get("__name__", "")
        if module_name != entry.assumed["__name__"] or not all_live(
                ns, entry.assumed.paths, module_name):
            return None
        if entry.found is not None:
            from .code_diff import live_edit
            from .local_edit import LocalFound
            from .plan import ReloadPlan

            if type(entry.found) is LocalFound:
                local = entry.found.finish(ns)
                if local is None:
                    return None  # a live function is not where the code says: the shell decides
                entry.plan = ReloadPlan(parsed=local.parsed, run=[], bodies=local.bodies,
                                        moved=local.moved)
            else:
                bodies = live_edit(entry.found, read.path, entry.source, ns)
                if bodies is None:
                    return None
                entry.plan = ReloadPlan(parsed=None, run=[], bodies=bodies)
        if base.parsed is None and entry.old is not None:
            base.parsed = entry.old  # the baseline's parse, made between cells
        # Equal bytes, one object: the plan's version is the baseline's source
        # once applied, and the next plan is diffed against that parse.
        read.source = entry.source
        self.used += 1
        return entry

    def retire(self, parsed: list, plans: dict, compiled: dict) -> None:
        """Free what a reload replaced (the old versions' trees, the plans and
        their code) :data:`RETIRE_AFTER` later, between cells: freeing a large
        module's trees costs milliseconds the next cell should not wait for.
        Only engine data waits there: the live functions a body-only plan
        names are let go of here."""
        for plan in plans.values():
            plan.bodies = None
        loop = self._loop
        if loop is None or threading.current_thread() is not threading.main_thread():
            return  # freed by the caller as it lets go (a subshell's check)
        self._retired.append((parsed, plans, compiled))
        if len(self._retired) > RETIRE_MAX:
            del self._retired[0]
        if self._freeing is None:
            self._freeing = loop.call_later(RETIRE_AFTER, self._free)

    # -- the shell thread, between cells (the loop's callbacks) ---------------------------
    def _free(self) -> None:
        self._freeing = None
        self._retired.clear()

    def _on_event(self) -> None:
        """The inotify queue has events: build when the save has settled."""
        loop = self._loop
        try:
            touched, overflow = self._watcher.collect()
        except OSError:  # the queue was closed: the shell thread works as without us
            self.stop()
            return
        if overflow:  # the shell thread looks at everything itself
            self._touched.clear()
            touched = set()
        self._touched |= touched
        if not self._touched:
            return
        now = loop.time()
        if self._settling is None:
            self._first_event = now
        else:
            self._settling.cancel()
        # an editor's save is a burst of writes: wait for a pause, but not forever
        delay = min(SETTLE, max(0.0, self._first_event + SETTLE_MAX - now))
        self._settling = loop.call_later(delay, self._settled)

    def _settled(self) -> None:
        self._settling = None
        lock = self._policy.lock
        if not lock.acquire(blocking=False):  # a check on a subshell thread: later
            self._settling = self._loop.call_later(SETTLE, self._settled)
            return
        touched, self._touched = self._touched, set()
        try:
            for path in touched:
                for name in self._finder.names_at(path):
                    try:
                        self._prepare(name)
                    except Exception:  # noqa: BLE001 - a bug: the check builds it itself
                        self._ready.pop(name, None)
        except KeyboardInterrupt:
            # Meant for the user's code (an async cell awaiting): what was being
            # built is dropped, and the interrupt goes on to that code.
            self._ready.clear()
            _thread.interrupt_main()
        finally:
            lock.release()

    def _prepare(self, name: str) -> None:
        watched = self._finder.watched.get(name)
        base = self._store.baselines.get(name)
        if watched is None or base is None or self._policy.mode == "off" or not _GUARD.usable():
            return
        path = watched.path
        base_source, old = base.source, base.parsed
        try:
            st = os.stat(path)
            if not stat.S_ISREG(st.st_mode):  # never open a FIFO: it would block
                return
            with open(path, "rb") as fh:
                source = fh.read()
        except OSError:
            return
        if source == base_source or not source.strip():
            self._ready.pop(name, None)
            return
        full = self._policy.full
        with _GUARD.building():
            kept = self._build(name, path, base, base_source, old, source, full,
                               watched.module.__dict__)
        if kept is not None and not _GUARD.warned:
            self._ready[name] = kept
            self.built += 1
        else:
            self._ready.pop(name, None)  # the check builds it itself, and reports

    def _build(self, name, path, base, base_source, old, source, full,
               namespace) -> Prepared | None:
        from .applying import compile_plan
        from .class_diff import AssumedLive
        from .code_diff import common_ends, frame_diff
        from .local_edit import find_local_edit
        from .plan import ReloadFailed, plan_reload

        # What plan.plan_for does, in the same order, minus the live reads:
        # a body-only edit is found from the bytecode, of the whole module if
        # large, else of the one statement it lies in (matched to the live
        # functions by take(), in the cell); else the statement diff.
        try:
            found = None if full else frame_diff(base_source, source, path, keep=False)
        except Exception:  # noqa: BLE001 - a bug here: the statement diff decides
            found = None
        if found is not None:
            return Prepared(base_source, old, source, full, None, None, AssumedLive(name),
                            found)
        fresh = old is None or (old.source is not base_source and old.source != base_source)
        if fresh:
            try:
                old = base.parse(base_source, namespace)
            except (SyntaxError, ValueError):
                old = None
            except Exception:  # noqa: BLE001 - a bug here: the check builds it itself
                return None
        if not full and old is not None:
            try:
                found = find_local_edit(old, source, path, common_ends(base_source, source))
            except Exception:  # noqa: BLE001 - a bug here: the statement diff decides
                found = None
            if found is not None:
                return Prepared(base_source, old, source, full, None, None, AssumedLive(name),
                                found)
        try:
            if not fresh:
                # Parsing spans of the baseline fills it in: done on a copy,
                # so a plan that is not used leaves the baseline as it was.
                old = copy.copy(old)
            assumed = AssumedLive(name)
            plan = plan_reload(old, source, path, full, assumed)
            compiled = compile_plan(plan, path)
        except ReloadFailed:
            return None  # the shell thread reports it, as always
        except Exception:  # noqa: BLE001 - a bug here: the check builds it itself
            return None
        return Prepared(base_source, old, source, full, plan, compiled, assumed)


__all__ = ["Preparer", "Prepared"]
