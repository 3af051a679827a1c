"""Dask adapter: the client's own channels to its workers and scheduler.

- An edit goes to every worker with ``Client.run`` and to the scheduler with
  ``run_on_scheduler`` (it unpickles task graphs, so it needs the module too),
  both at once on the client's event loop.
- Late or restarted workers get every shipped module from a worker plugin
  (``dask_plugin``, which travels as source text) registered under one fixed
  name, so each registration replaces the last.
- Task keys: dask tokenizes code by reference (module and name), so a held
  future would return the old result for the new code.  The user's
  functions, classes, instances (bound methods and callable objects among
  them) and partials of them are tokenized with the version of the user's
  code as well (any of the user's modules, since the code may call into them).
"""

from __future__ import annotations

import asyncio
import types
import weakref

from pathlib import Path

from distributed import Client

from . import dask_plugin
from .dask_plugin import ShippedModules

dask_plugin.SOURCE = Path(dask_plugin.__file__).read_text(encoding="utf-8")

PLUGIN_NAME = "autoreload-kernel"


def clients() -> tuple[list, bool]:
    """Running, synchronous clients of this process (dask keeps the registry),
    and whether another one is still connecting."""
    found, connecting = [], False
    for client in list(getattr(Client, "_instances", ())):
        status = getattr(client, "status", None)
        if status == "running" and not client.asynchronous:
            found.append(client)
        elif status in ("newly-created", "connecting"):
            connecting = True
    return found, connecting


class DaskAdapter:
    kind = "Dask"
    members = "workers"

    def __init__(self, client):
        self._client = weakref.ref(client)  # the user's to drop; never kept alive here
        self.label = f"Dask client of {client.scheduler.address}"
        self._storing = None  # the last plugin registration, still under way or done

    @property
    def client(self):
        return self._client()

    @staticmethod
    def key(client) -> str:
        return "dask " + client.scheduler.address

    def alive(self) -> bool:
        client = self.client
        return client is not None and client.status == "running"

    def call_all(self, function, *args, timeout: float = 60) -> dict:
        """``function(*args)`` on every worker and on the scheduler: address -> result
        or the exception that kept it from running."""
        client = self.client

        async def everywhere():
            on_workers, on_scheduler = await asyncio.gather(
                client._run(function, *args, on_error="return"),
                client._run_on_scheduler(function, *args),
                return_exceptions=True,
            )
            return on_workers, on_scheduler

        on_workers, on_scheduler = client.sync(everywhere, callback_timeout=timeout)
        if isinstance(on_workers, BaseException):
            on_workers = {"(all workers)": on_workers}
        results = dict(on_workers)
        results["scheduler " + client.scheduler.address] = on_scheduler
        return results

    def remember(self, versions, kernel) -> None:
        """Store every shipped module for workers that join later.

        Sent without waiting: the workers that exist already have the edit (the
        plugin's setup finds nothing to do there), and a worker that joins while
        this is under way gets it from this broadcast or from the stored plugin.
        """
        plugin = ShippedModules(versions, kernel)
        client = self.client
        try:
            coro = client._register_worker_plugin(plugin, name=PLUGIN_NAME, idempotent=False)
            self._storing = asyncio.run_coroutine_threadsafe(coro, client.loop.asyncio_loop)
        except (AttributeError, TypeError):  # another distributed: the public, blocking way
            register = getattr(client, "register_plugin", None) or client.register_worker_plugin
            register(plugin, name=PLUGIN_NAME)

    def late_results(self) -> dict:
        """Nothing: dask's plugins report nothing back (see ``storing_problem``)."""
        return {}

    def storing_problem(self) -> BaseException | None:
        """The error of the last plugin registration, once it ended in one."""
        storing = self._storing
        if storing is None or not storing.done():
            return None
        self._storing = None
        return storing.exception()


_tokenizer_installed = False


def _user_module(obj, modules) -> bool:
    """Is ``obj`` code of the user's, or an object whose methods are: a function
    (or a wrapper that copied its ``__module__``), a class, an instance of a
    class of the user's?"""
    if getattr(type(obj), "__module__", None) in modules:
        return True  # an instance of a user class (a callable one too)
    if isinstance(obj, type) or callable(obj):
        try:
            return getattr(obj, "__module__", None) in modules
        except Exception:  # noqa: BLE001 - an odd __getattr__ is not ours to fix
            return False
    return False


def version_tokens(room) -> None:
    """Make dask's token of the user's code include the version of the user's
    code (``room.code_version``: every module it may call into).

    Dask tokenizes functions, classes and instances by pickling them, that is by
    reference for the code: a function, a class, a callable instance, a bound
    method (through its instance) or a ``functools.partial`` (through its
    function) of the user's would keep its key across edits, and a held future
    would hand the old result to the new code.
    """
    global _tokenizer_installed
    if _tokenizer_installed:
        return
    from dask.base import normalize_token

    by_pickle = normalize_token.dispatch(object)
    by_method = normalize_token.dispatch(types.MethodType)
    modules = room.fingerprints

    def normalize_object(obj):
        token = by_pickle(obj)
        if not _user_module(obj, modules):
            return token
        return token, "autoreload-kernel", room.code_version

    def normalize_method(meth):
        token = by_method(meth)
        if getattr(getattr(meth, "__func__", None), "__module__", None) not in modules:
            return token  # (its instance brought the version if it is the user's)
        return token, "autoreload-kernel", room.code_version

    normalize_token.register(object, normalize_object)
    normalize_token.register(types.MethodType, normalize_method)
    # dask caches the lookup of a type it met before (functions, say) under
    # that type: those entries must lead here too.
    lookup = getattr(normalize_token, "_lookup", {})
    for cls, impl in list(lookup.items()):
        if impl is by_pickle:
            lookup[cls] = normalize_object
    _tokenizer_installed = True
