"""Subclasses whose class statement did not change derive again what it
computed from a patched base: an ABC's ``__abstractmethods__``, and a
dataclass's fields and generated methods when the base's fields changed.

Only ``__subclasses__`` is followed (no heap walk).  A subclass whose own
fields no longer fit (a default before a non-default) keeps what it had.
"""

from __future__ import annotations

import abc
import dataclasses

from .definitions import _EMPTY


def rederive_subclasses(cls: type, fields_changed: bool) -> None:
    """A patched class's unchanged subclasses derive what their class statement
    computed from it: an ABC's ``__abstractmethods__``, a dataclass's fields
    and generated methods (when the base's fields changed).  ``__subclasses__``
    is cheap: no heap walk."""
    if isinstance(cls, abc.ABCMeta):
        abc.update_abstractmethods(cls)
    for sub in cls.__subclasses__():
        if fields_changed and "__dataclass_fields__" in sub.__dict__:
            _rederive_dataclass(sub)
        rederive_subclasses(sub, fields_changed)


def dataclass_shape(cls: type):
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
