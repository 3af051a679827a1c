"""Diff two versions of a module's source, statement by statement.

The result says which top-level statements must run again: the new and changed
ones, plus unchanged ones that read a name a re-run statement rebinds (so
``Y = X * 2`` follows an edit of ``X``).  Everything else keeps the state it
built when it first ran.  Definitions are matched by name, other statements by
their text, so moving code around re-runs nothing; a statement whose text
changed only in comments or layout is not re-run either.

It must be cheap, because it runs in the cell right after a save.  A
:class:`ParsedModule` keeps one version's statements; the next version is
built from it by re-parsing only the lines between the unchanged head and the
unchanged tail of the file, so an edit of one function in a large module costs
a parse of that function, not of the module.
"""

from __future__ import annotations

import __future__
import ast
import copy
from collections import defaultdict
from dataclasses import dataclass, field

_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def _dump(node: ast.AST) -> str:
    return ast.dump(node, include_attributes=False)


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
        #: names read by decorators: if one of those functions changes, the
        #: decorated definition must be built again
        self.deco_loads: set[str] = set()

    def visit_Name(self, node):
        (self.loads if isinstance(node.ctx, ast.Load) else self.stores).add(node.id)

    def _decorators(self, node):
        for deco in node.decorator_list:
            self.visit(deco)
            self.deco_loads.update(n.id for n in ast.walk(deco) if isinstance(n, ast.Name))

    def visit_AugAssign(self, node):
        if isinstance(node.target, ast.Name):  # `X += 1` reads X as well
            self.loads.add(node.target.id)
        self.generic_visit(node)

    def _visit_function(self, node):
        if not isinstance(node, ast.Lambda):
            self.stores.add(node.name)
            self._decorators(node)
            if node.returns:
                self.visit(node.returns)
        for default in node.args.defaults + [d for d in node.args.kw_defaults if d]:
            self.visit(default)

    visit_FunctionDef = visit_AsyncFunctionDef = visit_Lambda = _visit_function

    def visit_ClassDef(self, node):
        self.stores.add(node.name)
        self._decorators(node)
        for child in node.bases + node.keywords:
            self.visit(child)
        module_stores = self.stores
        self.stores = set()  # names bound in the class body are class attributes
        for stmt in node.body:
            self.visit(stmt)
        self.stores = module_stores

    def visit_Import(self, node):
        for alias in node.names:
            self.stores.add((alias.asname or alias.name).split(".")[0])

    def visit_ImportFrom(self, node):
        for alias in node.names:
            if alias.name != "*":
                self.stores.add(alias.asname or alias.name)

    def visit_Global(self, node):
        self.stores.update(node.names)


def defined_in(stmt: ast.stmt) -> set[str]:
    """Names bound by ``def``/``class`` in a statement, also inside if/try/with/for."""
    if isinstance(stmt, _DEFS):
        return {stmt.name}
    found: set[str] = set()
    for field_name in ("body", "orelse", "finalbody", "handlers"):
        for child in getattr(stmt, field_name, None) or []:
            if isinstance(child, ast.stmt | ast.excepthandler):
                found |= defined_in(child)
    return found


def names_of(stmt: ast.stmt) -> _Names:
    v = _Names()
    v.visit(stmt)
    return v


class Stmt:
    """One top-level statement of one version of a module.

    ``node`` keeps the line numbers of the parse that made it; ``offset`` says
    how far the statement has moved since, so unchanged statements are shared
    between versions without walking their trees.
    """

    __slots__ = ("node", "offset", "text", "_names")

    def __init__(self, node: ast.stmt, offset: int, text: bytes, names=None):
        self.node = node
        self.offset = offset
        self.text = text
        self._names = names

    @property
    def name(self) -> str | None:
        return self.node.name if isinstance(self.node, _DEFS) else None

    @property
    def start(self) -> int:
        return _first_line(self.node) + self.offset

    @property
    def end(self) -> int:
        return self.node.end_lineno + self.offset

    @property
    def names(self) -> _Names:
        if self._names is None:
            self._names = names_of(self.node)
        return self._names

    def moved(self, delta: int) -> "Stmt":
        return Stmt(self.node, self.offset + delta, self.text, self._names)

    def located(self) -> ast.stmt:
        """The node with the line numbers it has in this version."""
        if not self.offset:
            return self.node
        node = copy.deepcopy(self.node)
        ast.increment_lineno(node, self.offset)
        return node


def _declares_encoding(source: bytes) -> bool:
    return source.startswith(b"\xef\xbb\xbf") or b"coding" in b"".join(source.splitlines(True)[:2])


def _first_line(node: ast.stmt) -> int:
    decorators = getattr(node, "decorator_list", None)
    if decorators:
        return min(node.lineno, min(d.lineno for d in decorators))
    return node.lineno


def _text(lines: list[bytes], node: ast.stmt, offset: int) -> bytes:
    start, end = _first_line(node) - 1 + offset, node.end_lineno + offset
    chunk = lines[start:end]
    if not chunk:
        return b""
    if len(chunk) == 1:
        return chunk[0][node.col_offset : node.end_col_offset]
    return chunk[0][node.col_offset :] + b"".join(chunk[1:-1]) + chunk[-1][: node.end_col_offset]


class ParsedModule:
    """The statements of one version of a module's source."""

    def __init__(self, source: bytes, lines: list[bytes], stmts: list[Stmt]):
        self.source = source
        self.lines = lines
        self.stmts = stmts
        self._keys: list[tuple] | None = None

    @classmethod
    def parse(cls, source: bytes | str, filename: str = "<unknown>") -> "ParsedModule":
        if isinstance(source, str):
            source = source.encode()
        tree = ast.parse(source, filename=filename)
        lines = source.splitlines(keepends=True)
        return cls(source, lines, [Stmt(n, 0, _text(lines, n, 0)) for n in tree.body])

    def update(self, source: bytes, filename: str = "<unknown>") -> "ParsedModule":
        """The next version, re-parsing only the lines that changed."""
        if _declares_encoding(source):  # a chunk alone would be read as UTF-8
            return ParsedModule.parse(source, filename)
        lines = source.splitlines(keepends=True)
        old = self.lines
        head = 0
        limit = min(len(old), len(lines))
        while head < limit and old[head] == lines[head]:
            head += 1
        tail = 0
        while tail < limit - head and old[-1 - tail] == lines[-1 - tail]:
            tail += 1
        delta = len(lines) - len(old)
        # Old statements that lie wholly in the unchanged head or tail are kept,
        # but not one that shares a line with its neighbour (`a = 1; b = 2`).
        before = [s for s in self.stmts if s.end <= head]
        after = [s for s in self.stmts if s.start > len(old) - tail]
        rest = self.stmts[len(before):]
        while before and rest and rest[0].start <= before[-1].end:
            rest.insert(0, before.pop())
        rest = self.stmts[: len(self.stmts) - len(after)]
        while after and rest and rest[-1].end >= after[0].start:
            rest.append(after.pop(0))
        span_start = before[-1].end + 1 if before else 1  # first line to re-parse (1-based)
        span_end = (after[0].start - 1 if after else len(old)) + delta  # last line, new numbering
        chunk = b"".join(lines[span_start - 1 : span_end])
        try:
            # As text: a coding comment inside the chunk must not apply to it.
            tree = ast.parse(chunk.decode("utf-8"), filename=filename)
        except (SyntaxError, ValueError):
            return ParsedModule.parse(source, filename)  # reports the real line
        offset = span_start - 1
        if offset:
            ast.increment_lineno(tree, offset)  # only the re-parsed lines: cheap
        middle = [Stmt(n, 0, _text(lines, n, 0)) for n in tree.body]
        return ParsedModule(source, lines, before + middle + [s.moved(delta) for s in after])

    @property
    def keys(self) -> list[tuple]:
        """A matching key per statement: definitions by name, the rest by text."""
        if self._keys is None:
            seen: dict[tuple, int] = defaultdict(int)
            keys = []
            for stmt in self.stmts:
                name = stmt.name
                base = ("def", name) if name else ("stmt", stmt.text)
                keys.append(base + (seen[base],))
                seen[base] += 1
            self._keys = keys
        return self._keys

    @property
    def flags(self) -> int:
        flags = 0
        for stmt in self.stmts:
            node = stmt.node
            if isinstance(node, ast.ImportFrom) and node.module == "__future__":
                for alias in node.names:
                    feature = getattr(__future__, alias.name, None)
                    if feature is not None:
                        flags |= feature.compiler_flag
        return flags

    def check_future_imports(self, filename: str) -> None:
        """A fresh import rejects ``from __future__`` after other code; so do we.

        (Only the re-run statements are compiled, so the compiler cannot see it.)
        """
        started = False
        for index, stmt in enumerate(self.stmts):
            node = stmt.node
            if isinstance(node, ast.ImportFrom) and node.module == "__future__":
                if started:
                    raise SyntaxError(
                        "from __future__ imports must occur at the beginning of the file",
                        (filename, stmt.start, node.col_offset + 1, None),
                    )
            elif not (index == 0 and _is_docstring(node)):
                started = True

    @property
    def docstring(self) -> str | None:
        if self.stmts and _is_docstring(self.stmts[0].node):
            return self.stmts[0].node.value.value
        return None


@dataclass
class ModuleDiff:
    run: list[ast.stmt]
    #: top-level names the old source bound and the new one no longer does
    removed: set[str]
    #: unchanged statements that moved: (first old line, last old line, delta)
    moved: list[tuple[int, int, int]]
    #: names bound by a def/class statement that ran again, defined once: the
    #: only names whose old objects may take the new code
    rebuilt: set[str] = field(default_factory=set)
    #: class name path -> class-body names whose defining statement is unchanged
    keep: dict[tuple[str, ...], set[str]] = field(default_factory=dict)
    #: class name path -> names the old class body bound and the new one does not
    dropped: dict[tuple[str, ...], set[str]] = field(default_factory=dict)
    doc_changed: bool = False
    flags: int = 0


def _body_names(body: list[ast.stmt]) -> set[str]:
    found: set[str] = set()
    for stmt in body:
        found |= names_of(stmt).stores
    return found


def _class_keep(old: ast.ClassDef, new: ast.ClassDef, path: tuple, keep: dict,
                rebound: set[str], dropped: dict) -> None:
    """Record class-body data names whose statement did not change (keep their value).

    A statement that reads a module name about to change is not "unchanged".
    """
    def key(stmt):
        return ("def", stmt.name) if isinstance(stmt, _DEFS) else ("stmt", _dump(stmt))

    old_by_key = {key(s): s for s in old.body}
    same: set[str] = set()
    for stmt in new.body:
        k = key(stmt)
        before = old_by_key.get(k)
        if before is None:
            continue
        if isinstance(stmt, ast.ClassDef) and isinstance(before, ast.ClassDef):
            _class_keep(before, stmt, path + (stmt.name,), keep, rebound, dropped)
        elif not isinstance(stmt, _DEFS):
            names = names_of(stmt)
            if not names.loads & rebound:
                same.update(names.stores)
    keep[path] = same
    dropped[path] = _body_names(old.body) - _body_names(new.body)


def diff(old: ParsedModule, new: ParsedModule) -> ModuleDiff:
    old_by_key = dict(zip(old.keys, old.stmts))
    matched = {id(old_by_key[k]) for k in new.keys if k in old_by_key}
    unmatched_dumps: dict[str, list[Stmt]] | None = None
    run: list[ast.stmt] = []
    moved: list[tuple[int, int, int]] = []
    keep: dict[tuple, set[str]] = {}
    class_dropped: dict[tuple, set[str]] = {}
    rebound: set[str] = set()
    rebuilt: set[str] = set()

    for index, (key, stmt) in enumerate(zip(new.keys, new.stmts)):
        node = stmt.node
        if index == 0 and _is_docstring(node):
            continue
        if is_main_guard(node):
            continue
        before = old_by_key.get(key)
        if before is stmt or (before is not None and before.text == stmt.text):
            same = True
        elif before is not None:  # a definition whose text changed: maybe only comments
            same = _dump(before.node) == _dump(node)
        else:  # a statement whose text is new: maybe only comments/layout changed
            if unmatched_dumps is None:
                unmatched_dumps = defaultdict(list)
                for old_stmt in old.stmts:
                    if id(old_stmt) not in matched and old_stmt.name is None:
                        unmatched_dumps[_dump(old_stmt.node)].append(old_stmt)
            candidates = unmatched_dumps.get(_dump(node))
            before = candidates.pop(0) if candidates else None
            same = before is not None
        if same and rebound and stmt.names.loads & rebound:
            same = False  # it reads something that is about to change
        if same and rebuilt and stmt.names.deco_loads & rebuilt:
            same = False  # decorated by a function that changed: decorate again
        if same:
            if before.start != stmt.start:
                moved.append((before.start, before.end, stmt.start - before.start))
            continue
        if isinstance(node, ast.ClassDef) and before is not None and isinstance(
            before.node, ast.ClassDef
        ):
            _class_keep(before.node, node, (node.name,), keep, rebound, class_dropped)
        run.append(stmt.located())
        defined = defined_in(node)
        rebuilt |= defined
        rebound |= stmt.names.stores - defined

    # Names only a dropped statement bound are gone, unless another one binds them.
    kept_nodes = {id(stmt.node) for stmt in new.stmts}
    dropped: set[str] = set()
    for stmt in old.stmts:
        if id(stmt.node) not in kept_nodes:
            dropped |= stmt.names.stores
    if dropped:
        for stmt in new.stmts:
            dropped -= stmt.names.stores
    # A name bound by several definitions (`_` for singledispatch handlers)
    # cannot say which old object is which: those are rebound, never merged.
    counts: dict[str, int] = defaultdict(int)
    for stmt in new.stmts:
        for name in defined_in(stmt.node):
            counts[name] += 1
    return ModuleDiff(
        run=run,
        removed=dropped,
        moved=moved,
        rebuilt={name for name in rebuilt if counts[name] == 1},
        keep=keep,
        dropped=class_dropped,
        doc_changed=old.docstring != new.docstring,
        flags=new.flags,
    )
