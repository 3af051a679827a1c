"""Decide whether an edited class can be patched member by member.

Running a ``class`` statement again re-runs everything that happens when a
class is created: its metaclass, ``__init_subclass__``, class decorators, ORM
mappers, registries.  Many frameworks refuse that (SQLAlchemy: "Table 'users'
is already defined") or register the class twice.  When an edit changes only
the class's function definitions (and maybe its docstring), :func:`class_edit`
returns a :class:`ClassEdit` naming the members to build again and the ones to
drop; the apply step builds just those, in the class's own scope, and patches
them into the live class.  Anything else (a base, a keyword, a class decorator,
another class-body statement) gives ``None``: the class statement runs again.

Members are compared by their source text, so editing one method costs a text
comparison per member of that class and nothing else.
"""

from __future__ import annotations

import ast
import copy
from dataclasses import dataclass, field

from .statements import first_line, is_docstring, names_of, node_text, same_tree

_FUNCS = (ast.FunctionDef, ast.AsyncFunctionDef)

#: Decorators that only wrap a function, with no class machinery behind them:
#: a member with only these may be added, removed or re-decorated on its own.
#: (A method with any other decorator, say a pydantic validator, keeps its
#: member-level edits to its body; adding or re-decorating one re-runs the class.)
_PLAIN_DECORATORS = frozenset({
    "property", "classmethod", "staticmethod", "cached_property", "abstractmethod",
    "functools", "abc", "lru_cache", "cache", "wraps", "typing", "typing_extensions",
    "overload", "override", "final",
})
_PROPERTY_PARTS = frozenset({"setter", "getter", "deleter"})


@dataclass
class MemberGroup:
    """The ``def`` statements that bind one class attribute, rebuilt together
    (a property's getter, setter and deleter are three defs of one name)."""

    name: str
    #: the defs, with the line numbers they have in the new version
    defs: list[ast.stmt]
    #: decorators unchanged: the old attribute stays and its functions take the
    #: new code; otherwise the new attribute replaces it
    merge: bool


@dataclass
class ClassEdit:
    """What to change in one live class (and, in ``nested``, its inner classes)."""

    #: attribute names from the module down to this class
    path: tuple[str, ...]
    #: the ``class`` line in the new version
    lineno: int
    groups: list[MemberGroup] = field(default_factory=list)
    #: names of member defs that are gone
    removed: list[str] = field(default_factory=list)
    #: names the class body binds: what the rebuilt members' decorators may read
    body_names: frozenset[str] = frozenset()
    #: ``(new docstring,)`` when the docstring changed
    doc: tuple | None = None
    nested: list["ClassEdit"] = field(default_factory=list)

    def walk(self):
        yield self
        for inner in self.nested:
            yield from inner.walk()


class _Version:
    """One version's lines, and how far a statement's nodes are off from them."""

    def __init__(self, lines: list[bytes], offset: int):
        self.lines = lines
        self.offset = offset

    def text(self, node: ast.AST) -> bytes:
        return node_text(self.lines, node, self.offset)

    def start(self, node: ast.AST) -> int:
        return first_line(node) + self.offset

    def end(self, node: ast.AST) -> int:
        return node.end_lineno + self.offset

    def located(self, node: ast.stmt) -> ast.stmt:
        if not self.offset:
            return node
        node = copy.deepcopy(node)
        ast.increment_lineno(node, self.offset)
        return node


@dataclass
class EditContext:
    """What a class comparison needs to know about the whole module's diff."""

    old: _Version
    new: _Version
    #: module names about to be rebound, and def/class names about to be rebuilt
    rebound: set[str]
    rebuilt: set[str]
    #: names of the module's own top-level functions (decorators without class machinery)
    own_functions: set[str]
    module_name: str
    #: (first old line, last old line, delta) of unchanged members that moved
    moved: list[tuple[int, int, int]]


def context(old_lines, old_offset, new_lines, new_offset, **kwargs) -> EditContext:
    return EditContext(_Version(old_lines, old_offset), _Version(new_lines, new_offset), **kwargs)


def mangle(class_name: str, name: str) -> str:
    """The attribute name a class body stores ``name`` under (``__x`` -> ``_C__x``)."""
    if name.startswith("__") and not name.endswith("__") and class_name.strip("_"):
        return "_" + class_name.lstrip("_") + name
    return name


class AssumedLive(dict):
    """A module namespace stand-in for planning away from the live module
    (:mod:`.prepared`): it holds only ``__name__``, every class the diff asks
    for is assumed to be live, and its path is noted in ``paths`` so the apply
    step can check each one (:func:`all_live`) before using the plan."""

    def __init__(self, module_name: str):
        super().__init__(__name__=module_name)
        self.paths: list[tuple[str, ...]] = []


def all_live(namespace: dict, paths: list[tuple[str, ...]], module_name: str) -> bool:
    """Does ``namespace`` hold, for every path, the class an :class:`AssumedLive`
    plan assumed (so that plan is the one the live module would get)?"""
    for path in paths:
        owner = namespace
        for depth in range(1, len(path) + 1):
            owner = live_class(owner, path[:depth], module_name)
            if owner is None:
                return False
    return True


def live_class(owner, path: tuple[str, ...], module_name: str):
    """The class object ``path`` names in ``owner`` (a module namespace or a class),
    if it is the one the module's ``class`` statement made."""
    if isinstance(owner, AssumedLive):
        owner.paths.append(path)
        return owner
    if isinstance(owner, type):
        value = owner.__dict__.get(mangle(owner.__name__, path[-1]))
    else:
        value = owner.get(path[-1]) if owner is not None else None
    if (isinstance(value, type) and value.__qualname__ == ".".join(path)
            and value.__module__ == module_name):
        return value
    return None


def class_edit(old: ast.ClassDef, new: ast.ClassDef, ctx: EditContext, path: tuple[str, ...],
               live) -> ClassEdit | None:
    """A member-level edit turning class ``old`` into ``new``, or None when the
    class statement must run again.  ``live`` is the class object (or None)."""
    if live is None or getattr(old, "type_params", None) or getattr(new, "type_params", None):
        return None  # type parameters live in a scope of their own
    o, n = ctx.old, ctx.new
    old_head = old.decorator_list + old.bases + old.keywords
    new_head = new.decorator_list + new.bases + new.keywords
    if not _same_list(old_head, new_head, o, n):
        return None
    for node in new_head:
        loads = {x.id for x in ast.walk(node) if isinstance(x, ast.Name)}
        if loads & ctx.rebound or (node in new.decorator_list and loads & ctx.rebuilt):
            return None
    edit = ClassEdit(path, n.start(new))
    old_doc, old_parts = _split(old.body)
    new_doc, new_parts = _split(new.body)
    old_others, old_funcs, old_classes = old_parts
    new_others, new_funcs, new_classes = new_parts
    if old_classes is None or new_classes is None or old_classes.keys() != new_classes.keys():
        return None  # nested classes added, removed or bound twice: run the class again
    if (old_doc is None) != (new_doc is None) or (
            old_doc is not None and o.text(old_doc) != n.text(new_doc)):
        edit.doc = (new_doc.value.value if new_doc is not None else None,)

    if not _same_list(old_others, new_others, o, n):
        return None
    other_stores: set[str] = set()
    other_loads: set[str] = set()
    for before, stmt in zip(old_others, new_others):
        names = names_of(stmt)
        if names.loads & ctx.rebound:
            return None  # class-level data that reads a changed module name
        other_stores |= names.stores
        other_loads |= names.loads
        _note_move(before, stmt, ctx)

    touched: set[str] = set()  # def names added, removed or re-decorated
    for name, defs in new_funcs.items():
        if name in other_stores:
            return None  # bound by a def and by another statement
        befores = old_funcs.get(name)
        if befores is None:
            if not all(_plain(d, name, ctx) for d in defs) or _shapes_class(name, new):
                return None
            edit.groups.append(MemberGroup(name, [n.located(d) for d in defs], merge=False))
            touched.add(name)
            continue
        if len(befores) == len(defs) and all(
            o.text(a) == n.text(b) and not _reads_changed(b, ctx) for a, b in zip(befores, defs)
        ):
            for a, b in zip(befores, defs):
                _note_move(a, b, ctx)
            continue
        merge = len(befores) == len(defs) and all(
            _same_list(a.decorator_list, b.decorator_list, o, n) for a, b in zip(befores, defs)
        )
        if not merge:
            if not all(_plain(d, name, ctx) for d in befores + defs):
                return None
            touched.add(name)
        edit.groups.append(MemberGroup(name, [n.located(d) for d in defs], merge))
    for name, befores in old_funcs.items():
        if name not in new_funcs:
            if (name in other_stores or not all(_plain(d, name, ctx) for d in befores)
                    or _shapes_class(name, new)):
                return None
            edit.removed.append(name)
            touched.add(name)
    if touched & other_loads:
        return None  # class-level data built from a member that changed shape

    for name, stmt in new_classes.items():
        before = old_classes[name]
        if o.text(before) == n.text(stmt) and not _reads_changed(stmt, ctx):
            _note_move(before, stmt, ctx)
            continue
        inner = class_edit(before, stmt, ctx, path + (name,),
                           live_class(live, path + (name,), ctx.module_name))
        if inner is None:
            return None
        edit.nested.append(inner)
    if edit.groups:
        edit.body_names = frozenset(other_stores | new_funcs.keys() | new_classes.keys())
    return edit


def _split(body: list[ast.stmt]):
    """(docstring node, (other statements, defs by name, nested classes by name))."""
    doc = body[0] if body and is_docstring(body[0]) else None
    others: list[ast.stmt] = []
    funcs: dict[str, list[ast.stmt]] = {}
    classes: dict[str, ast.ClassDef] | None = {}
    for stmt in body[1:] if doc is not None else body:
        if isinstance(stmt, _FUNCS):
            funcs.setdefault(stmt.name, []).append(stmt)
        elif isinstance(stmt, ast.ClassDef):
            if classes is not None and stmt.name in classes:
                classes = None
            elif classes is not None:
                classes[stmt.name] = stmt
        else:
            others.append(stmt)
    return doc, (others, funcs, classes)


def _same_list(old: list[ast.AST], new: list[ast.AST], o: _Version, n: _Version) -> bool:
    """Same nodes, by text (or, for a layout-only change, by their AST)."""
    return len(old) == len(new) and all(
        o.text(a) == n.text(b) or same_tree(a, b) for a, b in zip(old, new)
    )


def _reads_changed(stmt: ast.stmt, ctx: EditContext) -> bool:
    """A def whose defaults read a module name about to change, or whose
    decorator is a function about to be rebuilt, is built again."""
    if not (ctx.rebound or ctx.rebuilt):
        return False
    names = names_of(stmt)
    return bool(names.loads & ctx.rebound or names.deco_loads & ctx.rebuilt)


def _note_move(before: ast.stmt, stmt: ast.stmt, ctx: EditContext) -> None:
    """Every unchanged member, moved or not (see :func:`coalesce`)."""
    start = ctx.old.start(before)
    ctx.moved.append((start, ctx.old.end(before), ctx.new.start(stmt) - start))


def coalesce(moved: list[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
    """Neighbouring unchanged members that moved by the same amount as one range
    (what lies between them changed and gets new code anyway); members that did
    not move are dropped.  A class of many methods then costs the renumbering
    a few ranges, not one per method."""
    merged: list[list[int]] = []
    for first, last, delta in sorted(moved):
        if merged and merged[-1][2] == delta:
            merged[-1][1] = max(merged[-1][1], last)
        else:
            merged.append([first, last, delta])
    return [(first, last, delta) for first, last, delta in merged if delta]


def _shapes_class(name: str, node: ast.ClassDef) -> bool:
    """Is adding or removing member ``name`` something only class creation can
    apply?  ``__eq__`` decides ``__hash__``; and a class decorator looks at the
    special methods there are (dataclass's ``__post_init__``, total_ordering's
    root, attrs' hooks)."""
    if name in ("__eq__", "__hash__"):
        return True
    return bool(node.decorator_list) and name[:2] == name[-2:] == "__"


def _plain(node: ast.stmt, name: str, ctx: EditContext) -> bool:
    """Only decorators without class machinery behind them (see _PLAIN_DECORATORS)."""
    for deco in node.decorator_list:
        target = deco.func if isinstance(deco, ast.Call) else deco
        parts = []
        while isinstance(target, ast.Attribute):
            parts.append(target.attr)
            target = target.value
        if not isinstance(target, ast.Name):
            return False
        if target.id == name and parts and parts[0] in _PROPERTY_PARTS and len(parts) == 1:
            continue  # @x.setter of this member's own property
        if target.id not in _PLAIN_DECORATORS and target.id not in ctx.own_functions:
            return False
    return True
