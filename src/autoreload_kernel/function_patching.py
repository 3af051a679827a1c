"""Functions take the new code in place (the ``FunctionPatching`` part of
the :class:`~autoreload_kernel.patching.Patcher`).

An old function gets the new ``__code__``, defaults, docstring, annotations
and attributes, and its closure cells are merged (functions recursively,
plain values replaced), so decorator wrappers follow too.  When the free
variables differ, the code cannot move: the old function becomes a thin
forwarder to the new one instead.
"""

from __future__ import annotations

import sys
from types import CodeType, FunctionType

from .definitions import _EMPTY, _LRU, PatchError, same_definition
from .nested_codes import _NESTED_SEEN, _same_code, codes_by_qualname, remember_nested

_TARGET = "__autoreload_target__"


class FunctionPatching:
    """Patcher methods for functions; ``self`` is the Patcher (its ``_note``,
    ``old_for`` and ``nested``)."""

    def _merge_lru(self, old, new):
        inner_old = getattr(old, "__wrapped__", None)
        inner_new = getattr(new, "__wrapped__", None)
        if isinstance(inner_old, FunctionType) and isinstance(inner_new, FunctionType):
            self.patch_function(inner_old, inner_new, forward=True)
            old.cache_clear()  # its results came from the old code
            self._note(old, new)
            return old
        return new

    def patch_function(self, old: FunctionType, new: FunctionType, forward: bool) -> bool:
        """Move ``new``'s code into ``old``.

        Returns False when the closures do not line up and ``forward`` is off (the
        caller then binds ``new``).  With ``forward`` on, ``old`` becomes a thin
        forwarder to ``new`` instead, so references to ``old`` still run new code.
        """
        if old is new:
            return True
        target = (old.__kwdefaults__ or {}).get(_TARGET)
        if isinstance(target, FunctionType):  # already a forwarder: patch its target
            return self.patch_function(target, new, forward)
        if old.__code__.co_freevars != new.__code__.co_freevars:
            if not forward:
                return False
            self._forward(old, new)
            return True
        self._note(old, new)
        self._nested_changes(old.__code__, new.__code__, old.__qualname__)
        old.__code__ = new.__code__
        for old_cell, new_cell in zip(old.__closure__ or (), new.__closure__ or ()):
            try:
                new_value = new_cell.cell_contents
            except ValueError:
                continue
            try:
                old_value = old_cell.cell_contents
            except ValueError:
                old_value = _EMPTY
            old_cell.cell_contents = self._merge_cell(old_value, new_value)
        old.__defaults__ = new.__defaults__
        old.__kwdefaults__ = new.__kwdefaults__
        old.__doc__ = new.__doc__
        old.__annotations__ = new.__annotations__
        old.__qualname__ = new.__qualname__
        for key, value in new.__dict__.items():
            before = old.__dict__.get(key, _EMPTY)
            old.__dict__[key] = value if before is _EMPTY else self._merge_cell(before, value)
        for key in [k for k in old.__dict__ if k not in new.__dict__ and k[:2] == k[-2:] == "__"]:
            del old.__dict__[key]  # a marker a decorator left (`__isabstractmethod__`)
        return True

    def take_code(self, old: FunctionType, code: CodeType) -> None:
        """A body-only edit: ``old`` runs ``code``.  What its definition made
        around the code (defaults, closure, attributes, wrappers) is unchanged."""
        self._nested_changes(old.__code__, code, old.__qualname__)
        old.__code__ = code
        old.__doc__ = _docstring(code, old)

    @staticmethod
    def renumber(func: FunctionType, code: CodeType) -> None:
        """``func`` takes ``code``, the same code with its new line numbers."""
        if func.__code__ is not code and func.__code__.co_freevars == code.co_freevars:
            remember_nested(func.__code__, func.__qualname__)
            func.__code__ = code

    def _nested_changes(self, old_code, new_code, qualname: str) -> None:
        """Remember nested defs whose code changed: closures made from them before
        the edit take the new code (:meth:`update_closures`, one heap walk)."""
        if old_code is new_code or CodeType not in set(map(type, old_code.co_consts)):
            return
        old_nested = remember_nested(old_code, qualname)
        if not old_nested:
            return
        new_nested = codes_by_qualname(new_code, qualname + ".<locals>.")
        for qualname, code in new_nested.items():
            before = old_nested.get(qualname)
            if before is not None and code is not None and not _same_code(before, code):
                self.nested[(code.co_filename, qualname)] = code

    def update_closures(self) -> None:
        """Functions made by a nested def that changed (closures from a factory,
        decorator wrappers) run the new code, when their free variables match.
        Finding them walks the heap (``gc.get_referrers`` of every version of
        those nested codes), so it runs only when a nested def's code changed."""
        if not self.nested:
            return
        targets = {}
        for key, new in self.nested.items():
            for code in _NESTED_SEEN.get(key, ()):
                if code is not new:
                    targets[id(code)] = (code, new)
        self.nested.clear()
        if not targets:
            return
        import gc

        for obj in gc.get_referrers(*[code for code, _new in targets.values()]):
            if type(obj) is FunctionType:
                hit = targets.get(id(obj.__code__))
                if hit is not None and hit[1].co_freevars == obj.__code__.co_freevars:
                    obj.__code__ = hit[1]

    def _merge_cell(self, old, new):
        """Merge a value captured by a closure (or stored on a function)."""
        mapped = self.old_for(new)
        if mapped is not new:
            return mapped
        if old is _EMPTY or old is new or not same_definition(old, new):
            return new  # the definition ran again: its closure is the new one
        if isinstance(old, FunctionType):
            self.patch_function(old, new, forward=True)
            return old
        if isinstance(old, _LRU):
            return self._merge_lru(old, new)
        return new

    def _forward(self, old: FunctionType, new, note: bool = True) -> None:
        """Make ``old`` call ``new`` (their closures differ, so code cannot move)."""
        freevars = old.__code__.co_freevars
        lines = ["def _make():"]
        if freevars:
            lines.append("    " + " = ".join(freevars) + " = None")
        lines.append(f"    def forward(*args, {_TARGET}, **kwargs):")
        if freevars:
            lines.append("        " + ", ".join(freevars))
        lines.append(f"        return {_TARGET}(*args, **kwargs)")
        lines.append("    return forward")
        ns: dict = {}
        exec(compile("\n".join(lines), "<autoreload forwarder>", "exec"), ns)
        code = ns["_make"]().__code__
        if code.co_freevars != freevars:
            raise PatchError(f"cannot forward {old.__qualname__}")
        old.__code__ = code.replace(co_name=new.__code__.co_name)
        old.__defaults__ = None
        old.__kwdefaults__ = {_TARGET: new}
        old.__doc__ = new.__doc__
        old.__wrapped__ = new  # inspect.signature() shows the real signature
        if note:
            self._note(old, new)

    def forward(self, old, new) -> None:
        """``new`` replaces ``old`` in the module (its decorators changed); references
        to ``old`` made before the edit call ``new``."""
        if isinstance(old, FunctionType) and callable(new) and old is not new:
            self._forward(old, new, note=False)


def _docstring(code: CodeType, func: FunctionType):
    """The docstring a function made from ``code`` gets (up to 3.13: its first
    constant, when that is a string)."""
    if sys.version_info < (3, 14):
        first = code.co_consts[0] if code.co_consts else None
        return first if type(first) is str else None
    return FunctionType(code, func.__globals__, closure=func.__closure__).__doc__
