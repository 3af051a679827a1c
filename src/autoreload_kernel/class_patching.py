"""Classes take the new definition in place (the ``ClassPatching`` part of
the :class:`~autoreload_kernel.patching.Patcher`).

The class object itself never changes, so ``isinstance`` and pickling keep
working: it gets the new methods, properties, nested classes and data;
methods that disappeared are removed; enum members keep their identity and
new members are adopted by the old class.
"""

from __future__ import annotations

import functools
from enum import Enum
from types import FunctionType, GetSetDescriptorType, MemberDescriptorType

from .dataclass_rederive import dataclass_shape, rederive_subclasses
from .definitions import _EMPTY, _LRU, PatchError, _is_definition, _made_by, same_definition

#: Class attributes that describe the class object itself; never copied over.
_CLASS_SKIP = frozenset(
    {"__dict__", "__weakref__", "__module__", "_abc_impl", "__slots__", "__qualname__"}
)


class ClassPatching:
    """Patcher methods for classes and enums; ``self`` is the Patcher (its
    ``keep``, ``dropped``, ``redecorated``, ``notes`` and the function
    patching it calls)."""

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
        shape = dataclass_shape(old)
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
        rederive_subclasses(old, shape != dataclass_shape(old))

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


#: Names class decorators (dataclass, total_ordering, ...) write into a class:
#: when the new class lacks one, the old class must lose it too.
_GENERATED = frozenset({
    "__hash__", "__eq__", "__repr__", "__init__", "__lt__", "__le__", "__gt__", "__ge__",
    "__setattr__", "__delattr__", "__match_args__", "__dataclass_fields__",
    "__dataclass_params__", "__getstate__", "__setstate__",
    "__annotations__",  # the class body (dataclass fields) no longer annotates anything
})


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
