"""Objects whose source lines moved, but not their code, are renumbered.

An edit above a function shifts its lines: its tracebacks and
``inspect.getsource`` must point at the new place, so its code takes the
same code with the new first line (or, when only comments or layout inside
it changed, the recompiled code of the same qualified name).
"""

from __future__ import annotations

import sys
from types import FunctionType, MethodType

from .definitions import _LRU
from .function_patching import FunctionPatching


def shift_lines(obj, moved, filename: str, seen=None) -> None:
    """Renumber the code of an unchanged object whose source lines moved.

    ``moved`` lists (first old line, last old line, delta, codes) per moved
    statement; each code object shifts by the delta of the statement it was
    defined in, or, when the statement changed only in comments or layout
    inside it, takes the recompiled code of the same qualified name (``codes``).
    """
    if seen is None:
        seen = set()
    if obj is None or id(obj) in seen:
        return
    seen.add(id(obj))
    if isinstance(obj, (classmethod, staticmethod, MethodType)):
        shift_lines(obj.__func__, moved, filename, seen)
    elif isinstance(obj, property):
        for f in (obj.fget, obj.fset, obj.fdel):
            shift_lines(f, moved, filename, seen)
    elif isinstance(obj, FunctionType):
        code = obj.__code__
        if code.co_filename == filename:
            for first, last, delta, codes in moved:
                if first <= code.co_firstlineno <= last:
                    new = _shift_code(code, delta) if codes is None else codes.get(
                        getattr(code, "co_qualname", obj.__qualname__))
                    if new is not None:
                        FunctionPatching.renumber(obj, new)
                    break
        shift_lines(obj.__dict__.get("__wrapped__"), moved, filename, seen)
    elif isinstance(obj, type):
        first_line = obj.__dict__.get("__firstlineno__")
        if isinstance(first_line, int) and _class_of_file(obj, filename):
            # what inspect reads on Python 3.13+ (a class imported from another
            # file, `from a import C`, has its lines there)
            for first, last, delta, _codes in moved:
                if first <= first_line <= last:
                    type.__setattr__(obj, "__firstlineno__", first_line + delta)
                    break
        for value in list(obj.__dict__.values()):
            if isinstance(value, (FunctionType, classmethod, staticmethod, property)) or (
                isinstance(value, type) and value.__module__ == obj.__module__
            ):
                shift_lines(value, moved, filename, seen)
    elif isinstance(obj, _LRU):
        shift_lines(getattr(obj, "__wrapped__", None), moved, filename, seen)


def _class_of_file(cls: type, filename: str) -> bool:
    """Was ``cls`` made by a class statement of ``filename``?  Its module says,
    or else (a ``__module__`` set to another name) the code of its methods."""
    if getattr(sys.modules.get(cls.__module__), "__file__", None) == filename:
        return True
    return any(type(value) is FunctionType and value.__code__.co_filename == filename
               for value in list(cls.__dict__.values()))


def _shift_code(code, delta: int):
    consts = tuple(
        _shift_code(c, delta) if hasattr(c, "co_firstlineno") else c for c in code.co_consts
    )
    return code.replace(co_firstlineno=code.co_firstlineno + delta, co_consts=consts)
