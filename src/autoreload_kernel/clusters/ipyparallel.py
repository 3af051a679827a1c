"""ipyparallel adapter: the client's own channels to its engines.

ipyparallel ships a function's code by value but runs it with the engine's
own module globals, so without the module's new version on the engine the new
``f`` would call the old helpers.  Edits go to every engine with a direct
``apply_async`` of an entry point sent by reference (``worker.Entry``); engines that register later get every shipped module from the
client's registration callback, sent before any task the user submits after
the engine appears.

ipyparallel keeps no registry of clients: ``Client.__init__`` is wrapped (see
``hooks``) to record new clients in a weak set; clients made before that are
found once on the heap.
"""

from __future__ import annotations

import gc
import weakref

import ipyparallel

from .hooks import after_init
from .worker import Entry

_clients: "weakref.WeakSet" = weakref.WeakSet()
_scanned = False


def track(cls, then=None) -> None:
    """Record every client made from now on (ipyparallel keeps no registry), and
    call ``then(client)``: the kernel's hook does this as ipyparallel is imported."""
    global _scanned
    _scanned = True  # no client can predate the hook

    def made(client):
        _clients.add(client)
        if then is not None:
            then(client)

    after_init(cls, made)


def _scan_once() -> None:
    """Clients made before ``track`` ran (the hook was off): found once on the heap."""
    if _scanned:
        return
    track(ipyparallel.Client)
    for obj in gc.get_objects():
        if isinstance(obj, ipyparallel.Client):
            _clients.add(obj)


def clients() -> list:
    _scan_once()
    return [c for c in list(_clients) if not getattr(c, "_closed", False)]


class IpyparallelAdapter:
    kind = "ipyparallel"
    members = "engines"

    def __init__(self, client):
        self._client = weakref.ref(client)  # the user's to drop; never kept alive here
        self.label = "ipyparallel client"
        self.versions: list = []
        self.kernel = None
        self._late: list = []  # (engine id, AsyncResult) sent to engines that joined
        client._registration_callbacks.append(self._registered)

    @property
    def client(self):
        return self._client()

    @staticmethod
    def key(client) -> str:
        return f"ipyparallel {id(client)}"

    def alive(self) -> bool:
        client = self.client
        return client is not None and not getattr(client, "_closed", False)

    def call_all(self, function, *args, timeout: float = 60) -> dict:
        """``function`` (one of ``worker``'s entry points) on every engine, sent
        by reference: an engine on another Python could not run its bytecode."""
        client = self.client
        entry = Entry(function.__name__)
        pending = []
        for eid in list(client.ids):
            try:
                pending.append((eid, client[eid].apply_async(entry, *args)))
            except Exception as err:  # noqa: BLE001
                pending.append((eid, err))
        return {f"engine {eid}": self._result(ar, timeout) for eid, ar in pending}

    @staticmethod
    def _result(ar, timeout):
        if isinstance(ar, BaseException):
            return ar
        try:
            return ar.get(timeout=timeout)
        except BaseException as err:  # noqa: BLE001 - the engine's own error
            return err

    def remember(self, versions, kernel) -> None:
        self.versions, self.kernel = versions, kernel

    def _registered(self, event) -> None:
        """On the client's IO thread: queue the modules before any later task."""
        if event.get("event") != "register" or not self.versions:
            return
        eid = event.get("id")
        try:
            self._late.append((eid, self.client[eid].apply_async(
                Entry("receive"), self.versions, self.kernel)))
        except Exception as err:  # noqa: BLE001 - never break the client
            self._late.append((eid, err))

    def storing_problem(self) -> None:
        """Storing is keeping a list here: it cannot fail."""
        return None

    def late_results(self) -> dict:
        done = {}
        for eid, ar in list(self._late):
            if isinstance(ar, BaseException) or ar.ready():
                self._late.remove((eid, ar))
                done[f"engine {eid}"] = self._result(ar, 0)
        return done

