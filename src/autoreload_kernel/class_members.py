"""Build edited class members in the class's own scope and patch them into the live class.

The class statement does not run again (see :mod:`autoreload_kernel.class_diff`).
Instead the changed ``def`` statements are compiled inside a stand-in ``class``
statement of the same name and nesting, so the compiler gives them what a real
class body gives: the ``__class__`` cell for ``super()``, private-name mangling
and the right ``__qualname__``.  Only that stand-in's *body* runs (never the
class creation), in a namespace that shows the live class's attributes, so
``@x.setter`` finds the existing property and validators see the new function;
the ``__class__`` cell is then pointed at the live class.

Patching is the second step: when a member's decorators did not change, the
functions inside its old attribute take the new code, so whatever captured
them (pydantic validators, SQLAlchemy ``@validates`` and hybrids, total_ordering,
``functools.wraps`` wrappers, bound methods) runs the new code; otherwise the
new attribute replaces the old one (and gets ``__set_name__``).  No metaclass,
``__init_subclass__``, class decorator or mapper runs.
"""

from __future__ import annotations

import abc
import ast
import functools
from types import CodeType, FunctionType, MethodType

from .class_diff import ClassEdit, live_class, mangle
from .definitions import _LRU

_EMPTY = object()


class _ClassScope(dict):
    """The namespace the rebuilt members' decorators run in: what they bind
    first, then the live class's attributes that the class body binds, then
    the module's globals (by falling through, as a class body does)."""

    def __init__(self, cls: type, names: frozenset[str]):
        super().__init__()
        self.cls = cls
        self.names = names

    def __missing__(self, key):
        if key in self.names:
            value = self.cls.__dict__.get(mangle(self.cls.__name__, key), _EMPTY)
            if value is not _EMPTY:
                return value
        raise KeyError(key)


class Staged:
    """One class's members, built and ready to patch in."""

    def __init__(self, cls: type, edit: ClassEdit, values: dict):
        self.cls = cls
        self.edit = edit
        self.values = values  # attribute name -> new value


def compile_edits(edits: list[ClassEdit], path: str, flags: int) -> list[tuple]:
    """Compile each class edit's members: [(edit, class body code)].  SyntaxError propagates."""
    compiled = []
    for top in edits:
        for edit in top.walk():
            if not edit.groups:
                continue
            module = ast.Module(body=[_stand_in(edit, 0)], type_ignores=[])
            code = compile(module, path, "exec", flags=flags, dont_inherit=True)
            for name in edit.path:  # down to the innermost class body
                code = next(c for c in code.co_consts
                            if isinstance(c, CodeType) and c.co_name == name)
            compiled.append((edit, code))
    return compiled


def _stand_in(edit: ClassEdit, depth: int) -> ast.ClassDef:
    """``class A:`` / ``class B:`` ... around the defs, on the real class line."""
    if depth == len(edit.path) - 1:
        body = [d for group in edit.groups for d in group.defs]
    else:
        body = [_stand_in(edit, depth + 1)]
    node = ast.ClassDef(name=edit.path[depth], bases=[], keywords=[], body=body,
                        decorator_list=[])
    if hasattr(ast, "TypeAlias"):  # Python 3.12+: classes have type parameters
        node.type_params = []
    node.lineno, node.col_offset = edit.lineno, 0
    node.end_lineno, node.end_col_offset = body[-1].end_lineno, 0
    return node


def build(compiled: list[tuple], module) -> list[Staged]:
    """Run the members' definitions and decorators; touches no live object.

    Anything they raise propagates (the caller restores the module)."""
    staged = []
    for edit, code in compiled:
        cls = _find(module, edit.path)
        if cls is None:
            raise RuntimeError(f"class {'.'.join(edit.path)} is no longer in the module")
        scope = _ClassScope(cls, edit.body_names)
        exec(code, module.__dict__, scope)
        cell = dict.get(scope, "__classcell__")
        if cell is not None:
            cell.cell_contents = cls  # super() and __class__ mean the live class
        values = {}
        for group in edit.groups:
            key = mangle(cls.__name__, group.name)
            values[key] = dict.__getitem__(scope, key)
        staged.append(Staged(cls, edit, values))
    return staged


def _find(module, path: tuple[str, ...]):
    owner = module.__dict__
    for depth in range(1, len(path) + 1):
        owner = live_class(owner, path[:depth], module.__name__)
        if owner is None:
            return None
    return owner


def patch(edits: list[ClassEdit], staged: list[Staged], module, patcher) -> list[str]:
    """Put the built members into the live classes; return the module-level
    names of the classes changed."""
    changed: list[str] = []
    by_path = {s.edit.path: s for s in staged}
    for top in edits:
        for edit in top.walk():
            cls = _find(module, edit.path)
            if cls is None:
                continue
            done = by_path.get(edit.path)
            groups = {mangle(cls.__name__, g.name): g for g in edit.groups}
            for key, value in (done.values.items() if done else ()):
                try:
                    _put(cls, key, value, groups[key].merge, edit.path, patcher, module.__name__)
                except Exception as err:  # noqa: BLE001 - the rest still applies; say why
                    patcher.notes.append(f"{cls.__qualname__}.{key}: could not patch in place "
                                         f"({err}); references made before the edit keep the "
                                         "old code")
            for name in edit.removed:
                key = mangle(cls.__name__, name)
                if key in cls.__dict__:
                    type.__delattr__(cls, key)
            if edit.doc is not None:
                try:
                    type.__setattr__(cls, "__doc__", edit.doc[0])
                except (AttributeError, TypeError):
                    pass
            if "__firstlineno__" in cls.__dict__:  # Python 3.13: inspect reads it
                type.__setattr__(cls, "__firstlineno__", edit.lineno)
            if edit.groups or edit.removed:
                _update_abstract(cls)
            if (edit.groups or edit.removed or edit.doc) and edit.path[0] not in changed:
                changed.append(edit.path[0])
    return changed


def _put(cls: type, key: str, value, merge: bool, path: tuple, patcher, module_name: str):
    """One rebuilt member into the live class."""
    before = cls.__dict__.get(key, _EMPTY)
    if before is not _EMPTY:
        if merge and _take_code(before, value, patcher, module_name):
            return
        # Re-decorated (or its functions do not pair up): the new attribute,
        # unless the old one can take its code; old functions follow either way.
        if patcher.merge_attr(before, value, path + (key,), cls.__qualname__) is before:
            return
    type.__setattr__(cls, key, value)
    set_name = getattr(type(value), "__set_name__", None)
    if set_name is not None:
        set_name(value, cls, key)


def _take_code(old, new, patcher, module_name: str) -> bool:
    """Move the code of the functions inside ``new`` into the matching functions
    inside ``old`` (same qualified name, same order).  False, touching nothing,
    when they do not pair up."""
    olds = _functions_in(old, module_name)
    news = _functions_in(new, module_name)
    shared = {id(f) for f in olds} & {id(f) for f in news}
    olds = [f for f in olds if id(f) not in shared]
    news = [f for f in news if id(f) not in shared]
    if not news:
        return False
    pairs = []
    by_name: dict[str, list] = {}
    for func in olds:
        by_name.setdefault(func.__qualname__, []).append(func)
    counts: dict[str, int] = {}
    for func in news:
        counts[func.__qualname__] = counts.get(func.__qualname__, 0) + 1
    if any(len(by_name.get(name, ())) != count for name, count in counts.items()):
        return False
    for func in news:
        pairs.append((by_name[func.__qualname__].pop(0), func))
    for old_func, new_func in pairs:
        patcher.patch_function(old_func, new_func, forward=True)
    for holder in (old, getattr(old, "__func__", None)):
        if isinstance(holder, _LRU):
            holder.cache_clear()  # its results came from the old code
    return True


def _functions_in(value, module_name: str, depth: int = 0, seen=None) -> list[FunctionType]:
    """The module's own functions inside a class attribute: the function, what
    wraps it (classmethod, property parts, cached_property, ``__wrapped__``,
    decorator closures) and what framework descriptors keep in their attributes."""
    if seen is None:
        seen = set()
    if value is None or id(value) in seen or depth > 4 or isinstance(value, type):
        return []
    seen.add(id(value))
    found: list[FunctionType] = []
    if isinstance(value, FunctionType):
        if value.__module__ == module_name:
            found.append(value)
        inner = [c for c in _cells(value)] + [value.__dict__.get("__wrapped__")]
    elif isinstance(value, (classmethod, staticmethod, MethodType)):
        inner = [value.__func__]
    elif isinstance(value, property):
        inner = [value.fget, value.fset, value.fdel]
    elif isinstance(value, (functools.cached_property, functools.partial,
                            functools.partialmethod)):
        inner = [getattr(value, "func", None)]
    elif depth < 2 and not isinstance(value, (str, bytes, int, float, tuple, list, dict,
                                              set, frozenset)):
        inner = list(getattr(value, "__dict__", {}).values())
        for klass in type(value).__mro__:
            slots = klass.__dict__.get("__slots__", ())
            for slot in (slots,) if isinstance(slots, str) else slots:
                inner.append(getattr(value, slot, None))
    else:
        inner = []
    for item in inner:
        found.extend(_functions_in(item, module_name, depth + 1, seen))
    return found


def _cells(func: FunctionType) -> list:
    values = []
    for cell in func.__closure__ or ():
        try:
            values.append(cell.cell_contents)
        except ValueError:
            pass
    return values


def _update_abstract(cls: type) -> None:
    """An added, removed or edited ``@abstractmethod`` changes what can be instantiated."""
    if not isinstance(cls, abc.ABCMeta):
        return
    todo = [cls]
    while todo:
        klass = todo.pop()
        abc.update_abstractmethods(klass)
        todo.extend(klass.__subclasses__())
