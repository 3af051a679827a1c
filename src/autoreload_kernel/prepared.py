"""Build a saved file's reload plan in the background, before the next cell.

Most of a reload's cost -- reading the file, parsing, diffing, compiling --
touches no live object.  So when inotify reports a save, a thread of ours
builds the plan and its code right away (:class:`Preparer`).  The next check,
on the shell thread, uses it only if it is the plan it would build itself:
same baseline, the very bytes it has just read, the same ``--full`` choice,
and every class the diff assumed live still is (:class:`.class_diff.AssumedLive`).
Otherwise it builds the plan as it always did.  Running the plan (the
module's code, the patching) stays on the shell thread, under the kernel's
lock, at the next cell.

Nothing found here is reported: a version that does not parse or compile, or
makes the compiler warn, is not kept, and the shell thread meets it again and
reports it as always -- once, at the next cell.  Without inotify (``poll``)
there is no thread and nothing changes.
"""

from __future__ import annotations

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
#: A thread with replaced versions to free (see :meth:`Preparer.retire`) wakes
#: after this many seconds even without a save ...
RETIRE_AFTER = 0.5
#: ... and never holds more than this many: beyond, the oldest goes at once.
RETIRE_MAX = 8
#: At most this many seconds a check waits for a plan being built for the very
#: bytes it read (the thread has a head start; starting over costs more).
WAIT_MAX = 30.0


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
    #: a large body-only edit's bytecode comparison (code_diff.frame_diff)
    found: object = None


class _WarningGuard:
    """Sees every warning raised while a plan is built here, before any filter
    of the user's does, and keeps it from them.

    Compiling a saved file can warn (``SyntaxWarning``: an invalid escape,
    ``is`` with a literal).  Those warnings belong to the cell whose reload
    compiles the file, under the filters the user has then: met here, they
    would go through the filters of the moment (a cell running at save time
    may ignore everything for itself) and use up a "once".  So a version whose
    build warns is not kept, and the next cell builds it again itself, which
    shows the warning as always.

    To see a warning before the filters act, this is itself a filter, the
    first of ``warnings.filters``: its message pattern is this object, whose
    ``match`` is true only on the thread building a plan, while it builds, and
    its action is "ignore", which leaves no trace in any registry.  Every
    other warning goes on to the user's filters untouched.  It is put first
    from the shell thread only (:meth:`install`); when the user's own filters
    have since been put before it, nothing is built here until it is first
    again.  ``_showwarnmsg`` is wrapped too, for what passes it anyway (a
    filter put before it during a build): that is never shown from here.
    """

    #: what ``warnings.filters`` shows as this filter's message pattern
    pattern = "(a saved file's plan built off the cell: autoreload-kernel)"

    def __init__(self):
        self.thread_id: int | None = None
        self.warned = False
        self.entry = ("ignore", self, Warning, None, 0)
        self._building = False

    def __repr__(self):
        return f"<autoreload-kernel: {self.pattern}>"

    def match(self, _text):
        """The filter's test: ours while this thread builds a plan."""
        if self._building and threading.get_ident() == self.thread_id:
            self.warned = True
            return True
        return None

    def install(self) -> bool:
        """Put the filter first (from the shell thread, between cells)."""
        filters = warnings.filters
        if not isinstance(filters, list):
            return False
        if not (filters and filters[0] is self.entry):
            # Only this thread is ever kept from the user's filters, so their
            # registries need no reset (no ``_filters_mutated``).
            if self.entry in filters:
                filters.remove(self.entry)
            filters.insert(0, self.entry)
        original = getattr(warnings, "_showwarnmsg", None)
        if original is None:
            return False
        if getattr(original, "__self__", None) is not self:
            self._original = original
            warnings._showwarnmsg = self._show
        return True

    def first(self) -> bool:
        filters = warnings.filters
        return bool(filters) and filters[0] is self.entry and (
            getattr(warnings._showwarnmsg, "__self__", None) is self)

    @contextmanager
    def building(self):
        """Watch the warnings of one build; :attr:`warned` says if any came."""
        self.warned, self._building = False, True
        filters = warnings.filters
        try:
            yield
        finally:
            self._building = False
            # the user's filters changed meanwhile: ours may not have been first
            if warnings.filters is not filters or not self.first():
                self.warned = True

    def _show(self, msg):
        if threading.get_ident() == self.thread_id:
            self.warned = True
            return
        self._original(msg)


_GUARD = _WarningGuard()


class Preparer:
    """The background thread and the plans it has ready, by module name."""

    def __init__(self, finder, store, policy):
        self._finder = finder
        self._store = store
        self._policy = policy  # the Reloader: its ``mode`` and ``full`` choices
        self._ready: dict[str, Prepared] = {}
        self._thread: threading.Thread | None = None
        self._wake: tuple[int, int] | None = None
        self._stopping = False
        self._retired: list = []
        #: (name, baseline source, new source) the thread is building a plan for
        self._working: tuple | None = None
        self._done = threading.Condition()
        #: how many plans were built here, and how many of those a check used
        self.built = 0
        self.used = 0

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self, watcher) -> None:
        """Start preparing on ``watcher``'s events (once; a no-op after)."""
        if self._thread is not None or not _GUARD.install():
            return
        self._wake = os.pipe()
        for fd in self._wake:  # a read of an empty wake pipe must not block the thread
            os.set_blocking(fd, False)
        self._thread = threading.Thread(target=self._run, args=(watcher,),
                                        name="autoreload-prepare", daemon=True)
        self._thread.start()
        atexit.register(self.stop)

    def stop(self) -> None:
        """End the thread and drop what it prepared."""
        thread, self._thread = self._thread, None
        if thread is None:
            return
        self._stopping = True
        self._poke()
        thread.join(timeout=5)
        for fd in self._wake:
            os.close(fd)
        self._wake = None
        self._ready.clear()
        self._retired.clear()
        atexit.unregister(self.stop)

    def _poke(self) -> None:
        try:
            os.write(self._wake[1], b"x")
        except BlockingIOError:
            pass  # already full of wake-ups

    # -- the shell thread ---------------------------------------------------------
    def take(self, read, base, full: bool) -> Prepared | None:
        """The plan prepared for ``read``, if it is exactly the one the shell
        thread would build now; it is handed out once."""
        _GUARD.install()  # first again, if the user's filters went before it meanwhile
        with self._done:
            working = self._working
            if (working is not None and working[0] == read.name
                    and working[1] is base.source and working[2] == read.source):
                self._done.wait_for(lambda: self._working is not working, WAIT_MAX)
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
            from .plan import ReloadPlan

            bodies = live_edit(entry.found, read.path, entry.source, ns)
            if bodies is None:
                return None  # a live function is not where the code says: the shell decides
            entry.plan = ReloadPlan(parsed=None, run=[], bodies=bodies)
        if base.parsed is None and entry.old is not None:
            base.parsed = entry.old  # the baseline's parse, made in the background
        # Equal bytes, one object: the plan's version is the baseline's source
        # once applied, and the next plan is diffed against that parse.
        read.source = entry.source
        self.used += 1
        return entry

    def retire(self, parsed: list, plans: dict, compiled: dict) -> None:
        """Free what a reload replaced on our thread (the old versions' trees,
        the plans and their code): it wakes for the next save, or
        :data:`RETIRE_AFTER` into its next wait.  Freeing a large module's
        trees costs milliseconds the next cell should not wait for, so a
        thread waiting for the next save without a time limit is only poked
        into a timed wait, and frees :data:`RETIRE_AFTER` later.  Only engine
        data goes there: the live
        functions a body-only plan names are let go of here, so no object of
        the user's can be freed, and no ``__del__`` run, off the shell thread."""
        for plan in plans.values():
            plan.bodies = None
        if self.running:
            self._retired.append((parsed, plans, compiled))
            if len(self._retired) == 1:
                self._poke()  # it may be waiting with no time limit
            elif len(self._retired) > RETIRE_MAX:
                del self._retired[0]

    # -- the thread ---------------------------------------------------------------------
    def _run(self, watcher) -> None:
        _GUARD.thread_id = threading.get_ident()
        wake = self._wake[0]
        try:
            while not self._stopping:
                ready = watcher.wait(RETIRE_AFTER if self._retired else None, wake)
                if not ready and _drain(wake) and self._retired and not self._stopping:
                    continue  # poked by retire(): free after the timed wait, not now
                retired, self._retired = self._retired, []
                del retired
                if not ready:
                    continue  # woken to stop, or only to free
                touched, overflow = watcher.collect()
                waited = 0.0
                while waited < SETTLE_MAX and watcher.wait(SETTLE, wake):
                    more, more_overflow = watcher.collect()
                    touched |= more
                    overflow = overflow or more_overflow
                    waited += SETTLE
                if overflow or self._stopping:
                    continue  # the shell thread looks at everything itself
                for path in touched:
                    for name in self._finder.names_at(path):
                        try:
                            self._prepare(name)
                        except Exception:  # noqa: BLE001 - a bug: the shell thread builds it
                            self._ready.pop(name, None)
        except OSError:
            pass  # the watcher was closed: the shell thread works as without us

    def _prepare(self, name: str) -> None:
        watched = self._finder.watched.get(name)
        base = self._store.baselines.get(name)
        if watched is None or base is None or self._policy.mode == "off" or not _GUARD.first():
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
        with self._done:
            self._working = (name, base_source, source)
        try:
            with _GUARD.building():
                kept = self._build(name, path, base, base_source, old, source, full,
                                   watched.module.__dict__)
            if kept is not None and not _GUARD.warned:
                self._ready[name] = kept
                self.built += 1
            else:
                self._ready.pop(name, None)  # the shell thread builds it, and reports
        finally:
            with self._done:
                self._working = None
                self._done.notify_all()

    def _build(self, name, path, base, base_source, old, source, full,
               namespace) -> Prepared | None:
        from .applying import compile_plan
        from .class_diff import AssumedLive
        from .code_diff import frame_diff
        from .plan import ReloadFailed, plan_reload

        # What plan.plan_for does, in the same order, minus the live reads:
        # a large body-only edit is found from the bytecode (matched to the
        # live functions by take()); else the statement diff.
        try:
            found = None if full else frame_diff(base_source, source, path, keep=False)
        except Exception:  # noqa: BLE001 - a bug here must not stop the thread
            found = None
        if found is not None:
            return Prepared(base_source, old, source, full, None, None, AssumedLive(name),
                            found)
        try:
            if old is None or (old.source is not base_source and old.source != base_source):
                try:
                    old = base.parse(base_source, namespace)
                except (SyntaxError, ValueError):
                    old = None
            else:
                # The shell thread may parse the baseline's unparsed spans while
                # we diff: each thread fills its own copy (the spans' parse
                # caches are shared, and the same either way).
                old = copy.copy(old)
            assumed = AssumedLive(name)
            plan = plan_reload(old, source, path, full, assumed)
            compiled = compile_plan(plan, path)
        except ReloadFailed:
            return None  # the shell thread reports it, as always
        except Exception:  # noqa: BLE001 - a bug here must not stop the thread
            return None
        return Prepared(base_source, old, source, full, plan, compiled, assumed)


def _drain(fd: int) -> bool:
    """Empty the wake pipe; True if something was in it (a poke)."""
    try:
        return bool(os.read(fd, 4096))
    except BlockingIOError:
        return False


__all__ = ["Preparer", "Prepared"]
