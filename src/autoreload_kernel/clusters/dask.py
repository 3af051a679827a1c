"""Dask adapter: the client's own channels to its workers and scheduler.

- An edit goes to every worker with ``Client.run`` and to the scheduler with
  ``run_on_scheduler`` (it unpickles task graphs, so it needs the module too),
  both at once on the client's event loop.
- Late or restarted workers get every shipped module from a worker plugin
  (``dask_plugin``) registered under one fixed name, so each registration
  replaces the last.
- Task keys: dask tokenizes a function by reference (module and name), so a
  held future would return the old result for the new code.  Functions of
  the user's modules are tokenized with their module's version as well.
"""

from __future__ import annotations

import asyncio
import types

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
        self.client = client
        self.label = f"Dask client of {client.scheduler.address}"

    @staticmethod
    def key(client) -> str:
        return "dask " + client.scheduler.address

    def alive(self) -> bool:
        return self.client.status == "running"

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
        """Store every shipped module for workers that join later."""
        plugin = ShippedModules(versions, kernel)
        try:
            self.client.register_plugin(plugin, name=PLUGIN_NAME)
        except AttributeError:  # distributed before register_plugin
            self.client.register_worker_plugin(plugin, name=PLUGIN_NAME)

    def late_results(self) -> dict:
        return {}  # dask's plugin reports nothing back; failures show at the next edit


_tokenizer_installed = False


def version_tokens(fingerprints: dict) -> None:
    """Make dask's token of a user function include its module's version."""
    global _tokenizer_installed
    if _tokenizer_installed:
        return
    from dask.base import normalize_token

    by_reference = normalize_token.dispatch(types.FunctionType)

    def normalize_user_function(func):
        token = by_reference(func)
        version = fingerprints.get(getattr(func, "__module__", None))
        return token if version is None else (token, "autoreload-kernel", version)

    normalize_token.register(types.FunctionType, normalize_user_function)
    _tokenizer_installed = True
