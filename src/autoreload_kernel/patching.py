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
"""

from __future__ import annotations

import abc
import dataclasses
import functools
import sys
from enum import Enum
from types import CodeType, FunctionType, GetSetDescriptorType, MemberDescriptorType, MethodType

_LRU = type(functools.lru_cache()(lambda: None))

#: Class attributes that describe the class object itself; never copied over.
_CLASS_SKIP = frozenset(
    {"__dict__", "__weakref__", "__module__", "_abc_impl", "__slots__", "__qualname__"}
)
_EMPTY = object()
_TARGET = "__autoreload_target__"


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


class Patcher:
    """Merges new definitions into old objects; remembers what replaced what."""

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

    def _merge_lru(self, old, new):
        inner_old = getattr(old, "__wrapped__", None)
        inner_new = getattr(new, "__wrapped__", None)
        if isinstance(inner_old, FunctionType) and isinstance(inner_new, FunctionType):
            self.patch_function(inner_old, inner_new, forward=True)
            old.cache_clear()  # its results came from the old code
            self._note(old, new)
            return old
        return new

    # -- functions -----------------------------------------------------------------
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

    # -- classes ---------------------------------------------------------------------
    def patch_class(self, old: type, new: type, path=()) -> None:
        if old is new:
            return
        if type(old) is not type(new):
            raise PatchError(f"{old.__qualname__}: its metaclass changed; old instances keep "
                             "the old class")
        old_slots = old.__dict__.get("__slots__", _EMPTY)
        new_slots = new.__dict__.get("__slots__", _EMPTY)
        if _slot_names(old_slots) != _slot_names(new_slots):
            raise PatchError(f"{old.__qualname__}: __slots__ changed; old instances keep the old layout")
        bases = tuple(self.old_for(b) for b in new.__bases__)
        if bases != old.__bases__:
            try:
                old.__bases__ = bases
            except TypeError as err:
                raise PatchError(f"{old.__qualname__}: cannot change base classes ({err})") from None
        self._note(old, new)
        shape = _dataclass_shape(old)
        members = _enum_members(new) if issubclass(new, Enum) and issubclass(old, Enum) else {}
        if members:
            self._adopt_members(old, new)
        keep_here = self.keep.get(path, set())
        for name, value in list(new.__dict__.items()):
            if name in _CLASS_SKIP or name in members or (members and _is_sunder(name)
                                                         and not _is_definition(value)):
                continue
            if isinstance(value, (MemberDescriptorType, GetSetDescriptorType)):
                continue  # slot/layout descriptors belong to the old layout
            before = old.__dict__.get(name, _EMPTY)
            if before is not _EMPTY and name in keep_here and not _is_definition(before):
                continue  # class-level state whose statement did not change
            self._retarget(value, new, old)  # before merging: a forwarder targets it
            merged = value if before is _EMPTY else self.merge_attr(
                before, value, path + (name,), old.__qualname__
            )
            if merged is not before:
                self._retarget(merged, new, old)
                type.__setattr__(old, name, merged)
        gone = self.dropped.get(path, set())
        strip = len(path) == 1 and path[0] in self.redecorated
        for name, before in list(old.__dict__.items()):
            if name in new.__dict__ or name in _CLASS_SKIP or name in members:
                continue
            if _is_definition(before) or name in gone or name in _GENERATED or strip:
                type.__delattr__(old, name)
        if new.__doc__ != old.__doc__:
            try:
                old.__doc__ = new.__doc__
            except (AttributeError, TypeError):
                pass
        _rederive_subclasses(old, shape != _dataclass_shape(old))

    def _patch_or_forward(self, old, new) -> bool:
        try:
            return self.patch_function(old, new, forward=True)
        except PatchError:
            return False

    def _takes(self, old, new, owner: str) -> bool:
        """Move ``new``'s code into class attribute function ``old``, if it is ours."""
        if not (isinstance(old, FunctionType) and isinstance(new, FunctionType)):
            return False
        if not (same_definition(old, new) or _made_by(old, owner)):
            return False
        return self._patch_or_forward(old, new)

    def merge_attr(self, old, new, path, owner: str):
        """The class attribute to keep: ``old`` with ``new``'s code, or ``new``."""
        if isinstance(old, FunctionType) and isinstance(new, FunctionType):
            return old if self._takes(old, new, owner) else new
        if isinstance(old, (classmethod, staticmethod)) and type(old) is type(new):
            return old if self._takes(old.__func__, new.__func__, owner) else new
        if isinstance(old, property) and isinstance(new, property):
            parts = ("fget", "fset", "fdel")
            if all((getattr(old, p) is None) == (getattr(new, p) is None) for p in parts) and all(
                getattr(old, p) is None
                or (
                    self._takes(getattr(old, p), getattr(new, p), owner)
                )
                for p in parts
            ):
                if old.__doc__ == new.__doc__:
                    return old
            return new
        if isinstance(old, functools.cached_property) and isinstance(new, functools.cached_property):
            if self._takes(old.func, new.func, owner):
                return old
            return new
        if isinstance(old, type) and same_definition(old, new):
            try:
                self.patch_class(old, new, path)
                return old
            except PatchError as err:
                self.notes.append(str(err))
                return new
        if isinstance(old, _LRU) and isinstance(new, _LRU):
            return self._merge_lru(old, new)
        return new

    def _retarget(self, value, new_cls: type, old_cls: type) -> None:
        """Functions created in the new class body refer to it via ``__class__``."""
        funcs = []
        if isinstance(value, FunctionType):
            funcs.append(value)
        elif isinstance(value, (classmethod, staticmethod)):
            funcs.append(value.__func__)
        elif isinstance(value, property):
            funcs.extend(f for f in (value.fget, value.fset, value.fdel) if f is not None)
        for func in funcs:
            if not isinstance(func, FunctionType):
                continue
            for name, cell in zip(func.__code__.co_freevars, func.__closure__ or ()):
                if name == "__class__":
                    try:
                        if cell.cell_contents is new_cls:
                            cell.cell_contents = old_cls
                    except ValueError:
                        pass

    # -- enums -------------------------------------------------------------------------
    def _adopt_members(self, old, new) -> None:
        """Keep existing members (identity), adopt new ones, drop removed ones."""
        old_members = dict(old._member_map_)
        member_map = {}
        mixed = getattr(old, "_member_type_", object) is not object
        for name, member in new._member_map_.items():
            kept = old_members.get(name)
            if kept is not None and kept._value_ != member._value_ and mixed:
                # An IntEnum/StrEnum member *is* its value: it cannot change.
                self.notes.append(f"{old.__qualname__}.{name}: value changed; references "
                                  "taken before the edit keep the old member")
                kept = None
            if kept is not None:
                if kept._value_ != member._value_:
                    kept._value_ = member._value_
                self._note(kept, member)
                member = kept
            else:
                try:
                    member.__class__ = old
                except TypeError:
                    pass
            member_map[name] = member
        for name in old_members.keys() - member_map.keys():
            if name in old.__dict__:
                type.__delattr__(old, name)
        for name, member in member_map.items():
            type.__setattr__(old, name, member)
        old._member_map_.clear()
        old._member_map_.update(member_map)
        old._member_names_[:] = [n for n in new._member_names_]
        value_map = getattr(old, "_value2member_map_", None)
        if isinstance(value_map, dict):
            value_map.clear()
            for member in member_map.values():
                try:
                    value_map.setdefault(member._value_, member)
                except TypeError:
                    pass

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


#: Names class decorators (dataclass, total_ordering, ...) write into a class:
#: when the new class lacks one, the old class must lose it too.
_GENERATED = frozenset({
    "__hash__", "__eq__", "__repr__", "__init__", "__lt__", "__le__", "__gt__", "__ge__",
    "__setattr__", "__delattr__", "__match_args__", "__dataclass_fields__",
    "__dataclass_params__", "__getstate__", "__setstate__",
    "__annotations__",  # the class body (dataclass fields) no longer annotates anything
})


def _docstring(code: CodeType, func: FunctionType):
    """The docstring a function made from ``code`` gets (up to 3.13: its first
    constant, when that is a string)."""
    if sys.version_info < (3, 14):
        first = code.co_consts[0] if code.co_consts else None
        return first if type(first) is str else None
    return FunctionType(code, func.__globals__, closure=func.__closure__).__doc__


def _slot_names(slots):
    if slots is _EMPTY:
        return None
    if isinstance(slots, str):
        return (slots,)
    return tuple(slots)


def _is_sunder(name: str) -> bool:
    return len(name) > 2 and name[0] == "_" and name[-1] == "_" and name[1] != "_"


def _enum_members(cls) -> dict:
    return dict(getattr(cls, "_member_map_", {}))


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
                        Patcher.renumber(obj, new)
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


def codes_by_qualname(code, prefix: str = "", found=None) -> dict:
    """Every code object compiled inside ``code``, by the qualified name a
    function made from it gets (``C.m``, ``f.<locals>.g``); None for a name
    that several have."""
    if found is None:
        found = {}
    for const in code.co_consts:
        if type(const) is CodeType:
            qualname = getattr(const, "co_qualname", prefix + const.co_name)
            # Two codes with one name (two lambdas) cannot say which is which.
            found[qualname] = None if qualname in found else const
            nested = qualname + (".<locals>." if const.co_flags & _CO_OPTIMIZED else ".")
            codes_by_qualname(const, nested, found)
    return found


_CO_OPTIMIZED = 0x0001

#: (file, qualname) -> every version of a nested def's code that a function
#: of the user's was built with: closures made from any of them may be alive
_NESTED_SEEN: dict[tuple[str, str], list] = {}


def remember_nested(code, qualname: str) -> dict:
    """Note the nested codes of a function's code that is about to be replaced;
    return them by qualified name."""
    nested = codes_by_qualname(code, qualname + ".<locals>.")
    for name, const in nested.items():
        if const is not None:
            seen = _NESTED_SEEN.setdefault((const.co_filename, name), [])
            if not any(c is const for c in seen):
                seen.append(const)
                del seen[:-32]  # a long session keeps the latest versions
    return nested


def _same_code(a, b) -> bool:
    """Same code apart from line numbers?"""
    if (a.co_code != b.co_code or a.co_names != b.co_names or a.co_varnames != b.co_varnames
            or a.co_freevars != b.co_freevars or a.co_cellvars != b.co_cellvars
            or a.co_flags != b.co_flags or a.co_argcount != b.co_argcount
            or a.co_kwonlyargcount != b.co_kwonlyargcount
            or len(a.co_consts) != len(b.co_consts)):
        return False
    for x, y in zip(a.co_consts, b.co_consts):
        if hasattr(x, "co_code") and hasattr(y, "co_code"):
            if not _same_code(x, y):
                return False
        elif type(x) is not type(y) or x != y:
            return False
    return True


def _rederive_subclasses(cls: type, fields_changed: bool) -> None:
    """A patched class's unchanged subclasses derive what their class statement
    computed from it: an ABC's ``__abstractmethods__``, a dataclass's fields
    and generated methods (when the base's fields changed).  ``__subclasses__``
    is cheap: no heap walk."""
    if isinstance(cls, abc.ABCMeta):
        abc.update_abstractmethods(cls)
    for sub in cls.__subclasses__():
        if fields_changed and "__dataclass_fields__" in sub.__dict__:
            _rederive_dataclass(sub)
        _rederive_subclasses(sub, fields_changed)


def _dataclass_shape(cls: type):
    """What a dataclass subclass derives from this class (None if no dataclass)."""
    fields = cls.__dict__.get("__dataclass_fields__")
    if fields is None:
        return None
    return repr(cls.__dict__.get("__dataclass_params__")), [
        (f.name, _value_key(f.type), _value_key(f.default), _value_key(f.default_factory), f.init,
         f.repr, f.compare, f.hash, f.kw_only, f._field_type) for f in fields.values()]


def _value_key(value):
    """Defaults compare by value where they can (a re-run makes equal new objects)."""
    try:
        hash(value)
        return ("value", type(value), value)
    except TypeError:
        return ("id", id(value))


#: what @dataclass generates, taken off before it runs again
_DATACLASS_MADE = ("__init__", "__repr__", "__eq__", "__hash__", "__lt__", "__le__", "__gt__",
                   "__ge__", "__setattr__", "__delattr__", "__match_args__",
                   "__getstate__", "__setstate__")


def _rederive_dataclass(cls: type) -> None:
    params = cls.__dict__.get("__dataclass_params__")
    if params is None or "__slots__" in cls.__dict__:
        return
    own = cls.__dict__.get("__annotations__", {})
    touched = set(_DATACLASS_MADE) | set(own) | {"__dataclass_fields__", "__dataclass_params__"}
    saved = {n: v for n, v in cls.__dict__.items() if n in touched}
    try:
        _derive_again(cls, params, own)
    except (TypeError, ValueError):  # its own fields no longer fit (a default before
        for name in touched:         # a non-default): it keeps what it had
            if name in cls.__dict__ and name not in saved:
                type.__delattr__(cls, name)
        for name, value in saved.items():
            type.__setattr__(cls, name, value)


def _derive_again(cls: type, params, own) -> None:
    fields = cls.__dict__["__dataclass_fields__"]
    for name in own:
        f = fields.get(name)
        if f is None or f._field_type is not dataclasses._FIELD:
            continue
        type.__setattr__(cls, name, dataclasses.field(
            default=f.default, default_factory=f.default_factory, init=f.init, repr=f.repr,
            hash=f.hash, compare=f.compare, metadata=f.metadata, kw_only=f.kw_only))
    for name in _DATACLASS_MADE:
        value = cls.__dict__.get(name, _EMPTY)
        code = getattr(getattr(value, "__wrapped__", value), "__code__", None)
        if name == "__match_args__" or value is None or (
                code is not None and code.co_filename == "<string>"):
            if value is not _EMPTY:
                type.__delattr__(cls, name)
    for name in ("__dataclass_fields__", "__dataclass_params__"):
        type.__delattr__(cls, name)
    dataclasses.dataclass(cls, init=params.init, repr=params.repr, eq=params.eq,
                          order=params.order, unsafe_hash=params.unsafe_hash,
                          frozen=params.frozen)
