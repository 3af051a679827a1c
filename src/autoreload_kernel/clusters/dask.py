"""Dask adapter: the client's own channels to its workers and scheduler.

- An edit goes to every worker with ``Client.run`` and to the scheduler with
  ``run_on_scheduler`` (it unpickles task graphs, so it needs the module too),
  both at once on the client's event loop.
- Late or restarted workers get every shipped module from a worker plugin
  (``dask_plugin``) registered under one fixed name, so each registration
  replaces the last.
- Task keys: dask tokenizes a function by reference (module and name), so a
  held future would return the old result for the new code.  Functions of
  the user's modules are tokenized with the version of the user's code as
  well (any of the user's modules, since the function may call into them).
"""

from __future__ import annotations

import asyncio
import types
import weakref

import cloudpickle
from distributed import Client

from . import dask_plugin
from .dask_plugin import ShippedModules

cloudpickle.register_pickle_by_value(dask_plugin)

PLUGIN_NAME = "autoreload-kernel"


def clients() -> list:
    """Running, synchronous clients of this process (dask keeps the registry)."""
    found = []
    for client in list(getattr(Client, "_instances", ())):
        if getattr(client, "status", None) == "running" and not client.asynchronous:
            found.append(client)
    return found


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
        """Only an error storing the plugin: dask's plugins report nothing back."""
        storing, self._storing = self._storing, None
        if storing is None or not storing.done():
            self._storing = storing
            return {}
        error = storing.exception()
        return {} if error is None else {"(plugin for late workers)": error}


_tokenizer_installed = False


def version_tokens(room) -> None:
    """Make dask's token of a function of the user's include the version of the
    user's code (``room.code_version``: every module it may call into)."""
    global _tokenizer_installed
    if _tokenizer_installed:
        return
    from dask.base import normalize_token

    by_reference = normalize_token.dispatch(types.FunctionType)

    def normalize_user_function(func):
        token = by_reference(func)
        if getattr(func, "__module__", None) not in room.fingerprints:
            return token
        return token, "autoreload-kernel", room.code_version

    normalize_token.register(types.FunctionType, normalize_user_function)
    _tokenizer_installed = True
