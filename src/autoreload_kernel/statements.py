"""Diff two versions of a module's source, statement by statement.

The result says which top-level statements must run again: the new and changed
ones, plus unchanged ones that read a name a re-run statement rebinds (so
``Y = X * 2`` follows an edit of ``X``).  Everything else keeps the state it
built when it first ran.  Definitions are matched by name, other statements by
their text (positions ignored), so moving code around re-runs nothing.
"""

from __future__ import annotations

import __future__
import ast
from collections import defaultdict
from dataclasses import dataclass, field


@dataclass
class ModuleDiff:
    tree: ast.Module
    run: list[ast.stmt]
    #: top-level names the old source bound and the new one no longer does
    removed: set[str]
    #: unchanged definitions that moved: name -> line delta
    moved: dict[str, int]
    #: class name path -> class-body names whose defining statement is unchanged
    keep: dict[tuple[str, ...], set[str]] = field(default_factory=dict)
    #: the module docstring changed
    doc_changed: bool = False
    flags: int = 0


def _dump(node: ast.AST) -> str:
    return ast.dump(node, include_attributes=False)


def _def_name(stmt: ast.stmt) -> str | None:
    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return stmt.name
    return None


def _keys(body: list[ast.stmt]) -> list[tuple]:
    """A matching key per statement: definitions by name, the rest by text."""
    seen: dict[tuple, int] = defaultdict(int)
    keys = []
    for stmt in body:
        name = _def_name(stmt)
        base = ("def", name) if name else ("stmt", _dump(stmt))
        keys.append(base + (seen[base],))
        seen[base] += 1
    return keys


def is_main_guard(stmt: ast.stmt) -> bool:
    """``if __name__ == "__main__":`` (either way round) never runs on reload."""
    if not isinstance(stmt, ast.If) or not isinstance(stmt.test, ast.Compare):
        return False
    test = stmt.test
    if len(test.ops) != 1 or not isinstance(test.ops[0], ast.Eq):
        return False
    sides = [test.left, test.comparators[0]]
    names = [s for s in sides if isinstance(s, ast.Name) and s.id == "__name__"]
    consts = [s for s in sides if isinstance(s, ast.Constant) and s.value == "__main__"]
    return bool(names and consts)


def _is_docstring(stmt: ast.stmt) -> bool:
    return (
        isinstance(stmt, ast.Expr)
        and isinstance(stmt.value, ast.Constant)
        and isinstance(stmt.value.value, str)
    )


class _Names(ast.NodeVisitor):
    """Names a statement binds and reads while it runs (not inside function bodies)."""

    def __init__(self):
        self.stores: set[str] = set()
        self.loads: set[str] = set()

    def visit_Name(self, node):
        (self.loads if isinstance(node.ctx, ast.Load) else self.stores).add(node.id)

    def _visit_function(self, node):
        if not isinstance(node, ast.Lambda):
            self.stores.add(node.name)
            for deco in node.decorator_list:
                self.visit(deco)
            if node.returns:
                self.visit(node.returns)
        for default in node.args.defaults + [d for d in node.args.kw_defaults if d]:
            self.visit(default)

    visit_FunctionDef = visit_AsyncFunctionDef = visit_Lambda = _visit_function

    def visit_ClassDef(self, node):
        self.stores.add(node.name)
        for child in node.decorator_list + node.bases + node.keywords:
            self.visit(child)
        for stmt in node.body:
            self.visit(stmt)

    def visit_Import(self, node):
        for alias in node.names:
            self.stores.add((alias.asname or alias.name).split(".")[0])

    def visit_ImportFrom(self, node):
        for alias in node.names:
            if alias.name != "*":
                self.stores.add(alias.asname or alias.name)

    def visit_Global(self, node):
        self.stores.update(node.names)


def names_of(stmt: ast.stmt) -> _Names:
    v = _Names()
    v.visit(stmt)
    return v


def future_flags(tree: ast.Module) -> int:
    flags = 0
    for stmt in tree.body:
        if isinstance(stmt, ast.ImportFrom) and stmt.module == "__future__":
            for alias in stmt.names:
                feature = getattr(__future__, alias.name, None)
                if feature is not None:
                    flags |= feature.compiler_flag
    return flags


def _class_keep(old: ast.ClassDef, new: ast.ClassDef, path: tuple, keep: dict) -> None:
    """Record class-body data names whose statement did not change (keep their value)."""
    old_by_key = dict(zip(_keys(old.body), old.body))
    same: set[str] = set()
    for key, stmt in zip(_keys(new.body), new.body):
        before = old_by_key.get(key)
        if before is None:
            continue
        if isinstance(stmt, ast.ClassDef) and isinstance(before, ast.ClassDef):
            _class_keep(before, stmt, path + (stmt.name,), keep)
        elif _def_name(stmt) is None and _dump(before) == _dump(stmt):
            same.update(names_of(stmt).stores)
    keep[path] = same


def diff_sources(old_src: bytes | str, new_src: bytes | str, filename: str) -> ModuleDiff:
    """Parse both versions (SyntaxError propagates for the new one) and diff them."""
    new_tree = ast.parse(new_src, filename=filename)
    old_tree = ast.parse(old_src, filename=filename)
    return diff_trees(old_tree, new_tree)


def diff_trees(old_tree: ast.Module, new_tree: ast.Module) -> ModuleDiff:
    old_body, new_body = old_tree.body, new_tree.body
    old_by_key = dict(zip(_keys(old_body), old_body))
    run: list[ast.stmt] = []
    moved: dict[str, int] = {}
    keep: dict[tuple, set[str]] = {}
    rebound: set[str] = set()
    doc_changed = False

    for index, (key, stmt) in enumerate(zip(_keys(new_body), new_body)):
        before = old_by_key.get(key)
        name = _def_name(stmt)
        same = before is not None and _dump(before) == _dump(stmt)
        if index == 0 and _is_docstring(stmt):
            old_doc = old_body[0] if old_body and _is_docstring(old_body[0]) else None
            doc_changed = old_doc is None or _dump(old_doc) != _dump(stmt)
            continue
        if is_main_guard(stmt):
            continue
        names = names_of(stmt)
        if same:
            if names.loads & rebound:
                same = False  # it reads something that is about to change
            elif name and before.lineno != stmt.lineno:
                moved[name] = stmt.lineno - before.lineno
        if same:
            continue
        if isinstance(stmt, ast.ClassDef) and isinstance(before, ast.ClassDef):
            _class_keep(before, stmt, (stmt.name,), keep)
        run.append(stmt)
        if name is None:
            rebound |= names.stores

    old_names: set[str] = set()
    for stmt in old_body:
        old_names |= names_of(stmt).stores
    new_names: set[str] = set()
    for stmt in new_body:
        new_names |= names_of(stmt).stores
    if new_body and _is_docstring(new_body[0]) is False and old_body and _is_docstring(old_body[0]):
        doc_changed = True
    return ModuleDiff(
        tree=new_tree,
        run=run,
        removed=old_names - new_names,
        moved=moved,
        keep=keep,
        doc_changed=doc_changed,
        flags=future_flags(new_tree),
    )
