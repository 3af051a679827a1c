"""Patch live objects in place, so every existing reference runs the new code.

A reload creates new function and class objects; everything made before the
edit (instances, ``from m import f`` bindings, bound methods, callbacks in
lists) still points at the old ones.  Instead of hunting those references down
(a heap walk, which costs time proportional to the heap), we keep the *old*
objects and move the new code into them:

- functions get the new ``__code__``, defaults, docstring, annotations and
  attributes; closure cells are merged (functions recursively, plain values
  replaced, mutable state kept), so decorator wrappers follow too;
- classes get the new methods, properties, nested classes and data; methods
  that disappeared are removed; ``isinstance`` and pickling keep working
  because the class object itself never changes;
- enum members keep their identity; new members are adopted by the old class.

The pieces: what counts as one definition (``definitions.py``), functions
(``function_patching.py``), classes and enums (``class_patching.py``),
subclasses deriving again (``dataclass_rederive.py``), codes of nested defs
(``nested_codes.py``), and objects whose lines only moved (``line_shift.py``).
"""

from __future__ import annotations

from types import FunctionType

from .class_patching import ClassPatching
from .definitions import _LRU, same_definition
from .function_patching import FunctionPatching


class Patcher(FunctionPatching, ClassPatching):
    """Merges new definitions into old objects; remembers what replaced what.

    The merging itself is split by kind: functions in ``function_patching.py``,
    classes and enums in ``class_patching.py``.  This class keeps the
    bookkeeping they share and the steps around a whole module."""

    def __init__(self, keep=None, dropped=None, redecorated=()):
        # id(new object) -> (new, old); the new object is kept alive so ids stay unique
        self._replaced: dict[int, tuple] = {}
        #: class path -> class-body data names whose statement did not change
        self.keep: dict = keep or {}
        #: class path -> names the class body no longer binds
        self.dropped: dict = dropped or {}
        #: top-level classes whose decorators changed: what the old ones added goes
        self.redecorated = redecorated
        self.notes: list[str] = []
        #: (file, qualname) -> new code of nested defs that changed
        self.nested: dict[tuple[str, str], object] = {}

    @property
    def replaced(self) -> dict:
        """id(new object) -> (new, old) for every object that took another's place."""
        return self._replaced

    def old_for(self, new):
        hit = self._replaced.get(id(new))
        return hit[1] if hit is not None else new

    def _note(self, old, new) -> None:
        self._replaced[id(new)] = (new, old)

    # -- module-level names -------------------------------------------------------
    def merge(self, old, new, path=()):
        """Return the object the module should bind: ``old`` patched, or ``new``."""
        if old is new:
            return old
        if (isinstance(old, FunctionType) and isinstance(new, FunctionType) and path
                and old.__qualname__ == path[-1] and old.__module__ == new.__module__):
            # The module's own `def name` now yields another function (a decorator
            # was added): the old one forwards, so earlier references follow.
            return old if self._patch_or_forward(old, new) else new
        if not same_definition(old, new):
            return new
        if isinstance(old, FunctionType):
            self.patch_function(old, new, forward=True)
            return old
        if isinstance(old, type):
            self.patch_class(old, new, path)
            return old
        if isinstance(old, _LRU) and isinstance(new, _LRU):
            return self._merge_lru(old, new)
        return new

    # -- after the whole module ran ---------------------------------------------------
    def restore_in(self, container) -> None:
        """A module-level dict/list/set that a re-run decorator filled with new
        objects: put the surviving (patched) objects back in their place."""
        replaced = self._replaced
        if not replaced:
            return
        values = container.values() if isinstance(container, dict) else container
        if not any(map(replaced.__contains__, map(id, values))):
            return  # looked at in C: most containers hold none
        if isinstance(container, dict):
            for key, value in list(container.items()):
                if id(value) in self._replaced:
                    container[key] = self.old_for(value)
        elif isinstance(container, list):
            for index, value in enumerate(container):
                if id(value) in self._replaced:
                    container[index] = self.old_for(value)
        elif isinstance(container, set):
            swaps = [v for v in container if id(v) in self._replaced]
            for value in swaps:
                container.discard(value)
                container.add(self.old_for(value))

    def adopt_instance(self, value) -> None:
        """An object built while the new code ran: give it the surviving class."""
        cls = type(value)
        old = self.old_for(cls)
        if old is not cls and isinstance(old, type):
            try:
                value.__class__ = old
            except TypeError:
                pass
