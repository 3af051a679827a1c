"""Notice a cluster client in the cell that makes it.

Without this, a client is found before or after the next cell, and a task the
same cell submits would reach workers that lack the user's modules.  A path
hook waits for the directories of ``distributed`` and ``ipyparallel.client``
to be searched (it is asked once per new directory, not per import: a finder
on ``sys.meta_path`` would cost every import about a microsecond) and finds
their modules with a :class:`~importlib.machinery.FileFinder` that wraps
``Client.__init__`` right after ``distributed.client`` or
``ipyparallel.client.client`` runs, so a new client is reported at once.
Nothing else about the import changes.
"""

from __future__ import annotations

import os
import sys
from importlib.machinery import (
    BYTECODE_SUFFIXES,
    EXTENSION_SUFFIXES,
    SOURCE_SUFFIXES,
    ExtensionFileLoader,
    FileFinder,
    SourceFileLoader,
    SourcelessFileLoader,
)

_MARK = "_autoreload_kernel_wrapped"
#: what the default path hook's FileFinder loads, in its order
_LOADERS = ((ExtensionFileLoader, EXTENSION_SUFFIXES), (SourceFileLoader, SOURCE_SUFFIXES),
            (SourcelessFileLoader, BYTECODE_SUFFIXES))


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


class AfterImportFinder(FileFinder):
    """The plain finder of one package directory, which also runs
    ``callbacks[name](module)`` right after module ``name`` is executed."""

    def __init__(self, path: str, callbacks: dict):
        super().__init__(path, *_LOADERS)
        self.callbacks = callbacks

    def find_spec(self, fullname, target=None):
        spec = super().find_spec(fullname, target)
        callback = self.callbacks.get(fullname)
        original = callback and getattr(getattr(spec, "loader", None), "exec_module", None)
        if original is None:
            return spec

        def exec_module(module):
            original(module)
            try:
                callback(module)
            except Exception:  # noqa: BLE001
                pass

        spec.loader.exec_module = exec_module
        return spec


def _package_dir(name: str) -> str:
    """How the directory holding module ``name`` ends ("/distributed")."""
    return os.sep + name.rpartition(".")[0].replace(".", os.sep)


def install(callbacks: dict) -> None:
    """Hook the named modules; those already imported get their callback now."""
    waiting = {}
    for name, callback in callbacks.items():
        if name in sys.modules:
            try:
                callback(sys.modules[name])
            except Exception:  # noqa: BLE001
                pass
        else:
            waiting[name] = callback
    if not waiting:
        return
    ends = tuple({_package_dir(name) for name in waiting})

    def path_hook(path: str):
        if type(path) is str and path.rstrip(os.sep).endswith(ends):
            return AfterImportFinder(path, waiting)
        raise ImportError  # the next hook's directory (asked once per directory)

    # (A package imports these modules as it is imported: none is found later
    # through a directory cached before now.)
    sys.path_hooks.insert(0, path_hook)
