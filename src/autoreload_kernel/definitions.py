"""What counts as one definition before and after an edit.

The patch room moves new code into old objects only when both were made by
the same ``def`` or ``class``; an alias, or another function a decorator was
given, must keep its code.  These rules, and the error for an old object that
cannot take the new definition, are shared by the function and class
patching (``function_patching.py``, ``class_patching.py``).
"""

from __future__ import annotations

import functools
from types import FunctionType

_LRU = type(functools.lru_cache()(lambda: None))
#: "no value" (a cell or attribute that did not exist)
_EMPTY = object()


class PatchError(Exception):
    """The old object cannot take the new definition (e.g. ``__slots__`` changed)."""


def same_definition(old, new) -> bool:
    """Two objects made by the same ``def``/``class`` (before and after an edit)?

    Anything else (an alias, another function passed to a decorator) must never
    have its code replaced.
    """
    return (
        type(old) is type(new)
        and getattr(old, "__qualname__", None) == getattr(new, "__qualname__", None)
        and getattr(old, "__module__", None) == getattr(new, "__module__", None)
    ) or (isinstance(old, type) and isinstance(new, type)
          and old.__qualname__ == new.__qualname__ and old.__module__ == new.__module__)


def _made_by(func, owner: str) -> bool:
    """A function the class body made (a method, or a decorator's closure), not an
    alias of some module's top-level function, which others may share."""
    qualname = getattr(func, "__qualname__", "")
    return "<locals>" in qualname or qualname.startswith(owner + ".")


def _is_definition(value) -> bool:
    return isinstance(
        value, (FunctionType, classmethod, staticmethod, property, type, functools.cached_property)
    )
