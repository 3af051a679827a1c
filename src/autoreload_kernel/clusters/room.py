"""The cluster room: find the clients made in this kernel, keep their workers
on the versions the kernel runs, and say what went wrong, once.

The kernel calls :meth:`ClusterRoom.sync` before and after each execute
request (cheap when no cluster package is loaded: two dict lookups), and the
engine calls :meth:`ClusterRoom.on_reload` after each successful reload.
"""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING

from . import hooks
from .worker_report import WorkerReport, remote_error

if TYPE_CHECKING:
    from .shipping import Version

# ``shipping`` and ``worker`` are imported where first needed (the first
# reload, the first client): a kernel start does not pay for them.


class ClusterRoom:
    """Keeps the clients' workers on the versions the kernel runs (what the
    user is told about them is the :class:`WorkerReport`'s)."""

    def __init__(self, reloader, enabled: bool = True, stream=None):
        self.reloader = reloader
        self.enabled = enabled
        #: what the user is told, and the workers still on an older version
        self.report = WorkerReport(stream)
        #: every module shipped (or to ship) as the kernel runs it, by name
        self.shipped: dict[str, Version] = {}
        #: fingerprints by module name, and one for all of them together: a dask
        #: task key for a function of the user's includes the latter, since the
        #: function may call into any of the user's modules
        self.fingerprints: dict[str, str] = {}
        self.code_version = ""
        self.pending: dict[str, Version] = {}
        #: the version each pending edit replaced, for those sent as a change
        self._previous: dict[str, bytes] = {}
        self.adapters: dict[str, object] = {}
        self._watched_count = -1
        #: a client may have been made since the last look: set by the hooks as a
        #: client is made, so a cell that makes none costs no look at dask's and
        #: ipyparallel's registries (the first look finds any made before the hooks)
        self._maybe_new = True
        #: per push: when the local reload ended and when every worker had
        #: applied it (perf_counter; read by benchmarks/clusters.py), and the
        #: modules some worker had to be sent whole
        self.timings: list[dict] = []
        self._reloaded_at = 0.0
        self._kernel: tuple[str, int] | None = None
        reloader.listeners.append(self.on_reload)
        reloader.status_parts.append(self.status_lines)
        hooks.install({"distributed.client": self._dask_imported,
                       "ipyparallel.client.client": self._ipyparallel_imported})

    @property
    def kernel(self) -> tuple[str, int]:
        """This kernel as the workers know it (host, pid)."""
        if self._kernel is None:
            from .worker import identity

            self._kernel = identity()
        return self._kernel

    # -- clients made inside a cell --------------------------------------------------
    def _dask_imported(self, module) -> None:
        hooks.after_init(module.Client, self._client_made)

    def _ipyparallel_imported(self, module) -> None:
        from .ipyparallel import track

        track(module.Client, self._client_made)

    def _client_made(self, client) -> None:
        """First contact in the cell that made the client, so its next line can
        already submit the user's functions."""
        self._maybe_new = True
        # ipyparallel makes its client on a helper thread while the cell waits;
        # whoever holds the engine's lock is never waited for (no deadlock).
        if self.enabled and self.reloader.lock.acquire(blocking=False):
            try:
                self.sync()
            finally:
                self.reloader.lock.release()

    # -- events from the engine ----------------------------------------------------
    def on_reload(self, name: str, path: str, old: bytes, new: bytes) -> None:
        from .shipping import version_of

        version = version_of(name, path, new, old)
        if version is None:
            return
        self._reloaded_at = time.perf_counter()
        self.fingerprints[name] = version.fingerprint
        self._new_code_version()
        if self.adapters:
            # The workers hold the previous version: only the change goes (made
            # at the send, off the reload).  If an earlier edit of it is still
            # unsent, they hold an older one: the whole source goes.
            if name in self.pending:
                self._previous.pop(name, None)
            else:
                self._previous[name] = old
            self.pending[name] = version
        self.shipped[name] = version

    def set_enabled(self, enabled: bool) -> None:
        self.enabled = enabled
        if not enabled:
            self.adapters.clear()  # turned on again: first contact again
            self.pending.clear()
            self._previous.clear()
        self._maybe_new = True

    # -- the sync point ----------------------------------------------------------
    def sync(self) -> None:
        if not self.enabled:
            return
        modules = sys.modules
        has_dask, has_ipp = "distributed" in modules, "ipyparallel" in modules
        if not (has_dask or has_ipp):
            return
        for key, adapter in list(self.adapters.items()):
            if not adapter.alive():  # closed, or dropped by the user
                del self.adapters[key]
        new = self._new_clients(has_dask, has_ipp) if self._maybe_new else {}
        if not (self.adapters or new):
            return
        self._learn_new_modules()
        from .shipping import delta_of

        edits = [delta_of(v, self._previous[n]) if n in self._previous else v
                 for n, v in self.pending.items()]
        for key, adapter in list(self.adapters.items()):
            problem = adapter.storing_problem()
            if problem is not None:
                self.report.storing_failed(adapter, problem)
            late = adapter.late_results()
            if late:
                self.report.digest(adapter, late, list(self.shipped.values()), joined=True)
            if edits:
                self._push(adapter, edits)
        self.pending.clear()
        self._previous.clear()
        for key, adapter in new.items():
            self._first_contact(adapter)
            self.adapters[key] = adapter  # only now: an interrupted contact is redone

    def _new_clients(self, has_dask: bool, has_ipp: bool) -> dict:
        self._maybe_new = False
        found = []
        if has_dask:
            from . import dask as dask_adapter

            ready, connecting = dask_adapter.clients()
            found += [(dask_adapter.DaskAdapter, c) for c in ready]
            self._maybe_new |= connecting  # look again until it is running
        if has_ipp:
            from . import ipyparallel as ipp_adapter

            found += [(ipp_adapter.IpyparallelAdapter, c) for c in ipp_adapter.clients()]
        new = {}
        for cls, client in found:
            try:
                key = cls.key(client)
            except Exception:  # noqa: BLE001 - a client still connecting
                self._maybe_new = True
                continue
            if key not in self.adapters and key not in new:
                new[key] = cls(client)
                if cls.kind == "Dask":
                    from .dask import version_tokens

                    version_tokens(self)
        return new

    def _learn_new_modules(self) -> None:
        """Modules imported in the kernel since the last look are shipped too."""
        self.reloader.finder.refresh()  # imports made by the cell running now
        watched = self.reloader.finder.watched
        if len(watched) == self._watched_count:
            return
        self._watched_count = len(watched)
        from .shipping import loaded_versions

        for name, version in loaded_versions(self.reloader).items():
            if name not in self.shipped:
                self.shipped[name] = version
                self.fingerprints[name] = version.fingerprint
                self.pending[name] = version
        self._new_code_version()

    def _new_code_version(self) -> None:
        joined = "".join(sorted(f"{n}={fp};" for n, fp in self.fingerprints.items()))
        from .shipping import fingerprint

        self.code_version = fingerprint(joined.encode())

    # -- talking to workers -----------------------------------------------------------
    def _payload(self, versions) -> list[tuple]:
        return [tuple(v) for v in versions]

    def _first_contact(self, adapter) -> None:
        from . import worker

        manifest = {v.name: v.fingerprint for v in self.shipped.values()}
        try:
            answers = adapter.call_all(worker.needs, manifest, self.kernel)
            wanted = set()
            for answer in answers.values():
                if isinstance(answer, dict):
                    wanted.update(answer.get("needs", ()))
            versions = [self.shipped[n] for n in sorted(wanted)]
            results = answers
            if versions:
                results = adapter.call_all(worker.receive, self._payload(versions), self.kernel)
            self.report.digest(adapter, results, versions)
            self._remember(adapter)
        except Exception as err:  # noqa: BLE001 - the user's job goes on
            self.report.say(f"contact:{adapter.label}:{type(err).__name__}",
                            f"[autoreload] could not reach the {adapter.members} of the "
                            f"{adapter.label} ({remote_error(err)}); edits do not reach them.")

    def _push(self, adapter, versions) -> None:
        from . import worker

        try:
            results = adapter.call_all(worker.receive, self._payload(versions), self.kernel)
            resend = sorted({name for result in results.values() if isinstance(result, dict)
                             for name in result.get("resend", ())})
            if resend:  # workers that held another version: the whole source
                self.report.digest(adapter, results, versions)
                versions = [self.shipped[name] for name in resend]
                results = adapter.call_all(worker.receive, self._payload(versions), self.kernel)
            applied = time.perf_counter()
            self.report.digest(adapter, results, versions)
            self._remember(adapter)
            self.timings.append({"adapter": adapter.label, "reloaded": self._reloaded_at,
                                 "applied": applied, "resent": resend})
            del self.timings[:-50]
        except Exception as err:  # noqa: BLE001
            self.report.say(f"push:{adapter.label}:{type(err).__name__}",
                            f"[autoreload] could not send the edit to the {adapter.members} of "
                            f"the {adapter.label} ({remote_error(err)}).")

    def _remember(self, adapter) -> None:
        """Store every shipped module for workers that join later.  A failure here
        touches nothing else: the workers running now have every edit."""
        try:
            adapter.remember(self._payload(self.shipped.values()), self.kernel)
        except Exception as err:  # noqa: BLE001 - the user's job goes on
            self.report.storing_failed(adapter, err)

    # -- what the user sees -----------------------------------------------------------
    def status_lines(self) -> list[str]:
        return self.report.status_lines(self.enabled, self.adapters)
