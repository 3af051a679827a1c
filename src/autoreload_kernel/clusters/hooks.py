"""Notice a cluster client in the cell that makes it.

Without this, a client is found before or after the next cell, and a task the
same cell submits would reach workers that lack the user's modules.  A small
finder on ``sys.meta_path`` waits for ``distributed.client`` and
``ipyparallel.client.client`` to be imported (a dict lookup per import) and
then wraps their ``Client.__init__`` so that a new client is reported at once.
Nothing else about the import changes.
"""

from __future__ import annotations

import sys
from importlib.abc import MetaPathFinder

_MARK = "_autoreload_kernel_wrapped"


def after_init(cls, callback) -> None:
    """Call ``callback(instance)`` after every ``cls(...)``; never raise from it."""
    original = cls.__init__
    if getattr(original, _MARK, False):
        return

    def __init__(self, *args, **kwargs):
        original(self, *args, **kwargs)
        try:
            callback(self)
        except Exception:  # noqa: BLE001 - making a client must never fail because of us
            pass

    __init__.__wrapped__ = original
    setattr(__init__, _MARK, True)
    cls.__init__ = __init__


class AfterImport(MetaPathFinder):
    """Runs ``callbacks[name](module)`` right after module ``name`` is executed."""

    def __init__(self, callbacks: dict):
        self.callbacks = callbacks

    def find_spec(self, fullname, path=None, target=None):
        callback = self.callbacks.get(fullname)
        if callback is None:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None:
                break
        else:
            return None
        loader = spec.loader
        original = getattr(loader, "exec_module", None)
        if original is None:
            return spec

        def exec_module(module):
            original(module)
            try:
                callback(module)
            except Exception:  # noqa: BLE001
                pass

        loader.exec_module = exec_module
        return spec


def install(callbacks: dict) -> None:
    """Hook the named modules; those already imported get their callback now."""
    for name, callback in callbacks.items():
        if name in sys.modules:
            try:
                callback(sys.modules[name])
            except Exception:  # noqa: BLE001
                pass
    sys.meta_path.insert(0, AfterImport(callbacks))
