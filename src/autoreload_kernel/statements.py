"""One version of a module's source, as top-level statements.

Each statement keeps its text and (lazily) the names it binds and reads; the
diff in :mod:`autoreload_kernel.plan` compares two versions through these.

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
from bisect import bisect_right
from collections import defaultdict

DEFS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def same_tree(a: ast.AST, b: ast.AST) -> bool:
    """Do two trees mean the same code (positions ignored)?

    Stops at the first difference and builds no strings: a changed definition
    usually differs near its top, so this looks at a few nodes, not the tree.
    """
    stack = [(a, b)]
    pop, push, node_type = stack.pop, stack.append, ast.AST
    while stack:
        x, y = pop()
        if type(x) is not type(y):
            return False
        for name in x._fields:
            u = getattr(x, name, None)
            v = getattr(y, name, None)
            if isinstance(u, node_type):
                push((u, v))
            elif isinstance(u, list):
                if type(v) is not list or len(u) != len(v):
                    return False
                stack.extend(zip(reversed(u), reversed(v)))
            elif type(u) is not type(v) or u != v:
                return False
    return True


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


def is_docstring(stmt: ast.stmt) -> bool:
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
    if isinstance(stmt, DEFS):
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

    __slots__ = ("node", "offset", "text", "_names", "_shape")

    def __init__(self, node: ast.stmt, offset: int, text: bytes, names=None, shape=None):
        self.node = node
        self.offset = offset
        self.text = text
        self._names = names
        self._shape = shape

    @property
    def shape(self) -> str:
        """The tree without positions (comments and layout do not show): made
        once per statement, which is shared by every version it is unchanged in."""
        if self._shape is None:
            self._shape = ast.dump(self.node, include_attributes=False)
        return self._shape

    @property
    def name(self) -> str | None:
        return self.node.name if isinstance(self.node, DEFS) else None

    @property
    def start(self) -> int:
        return first_line(self.node) + self.offset

    @property
    def end(self) -> int:
        return self.node.end_lineno + self.offset

    @property
    def names(self) -> _Names:
        if self._names is None:
            self._names = names_of(self.node)
        return self._names

    def moved(self, delta: int) -> "Stmt":
        if not delta:
            return self
        return Stmt(self.node, self.offset + delta, self.text, self._names, self._shape)

    def located(self) -> ast.stmt:
        """The node with the line numbers it has in this version."""
        if not self.offset:
            return self.node
        node = copy.deepcopy(self.node)
        ast.increment_lineno(node, self.offset)
        return node


def _declares_encoding(source: bytes) -> bool:
    return source.startswith(b"\xef\xbb\xbf") or b"coding" in b"".join(source.splitlines(True)[:2])


def first_line(node: ast.stmt) -> int:
    decorators = getattr(node, "decorator_list", None)
    if decorators:
        return min(node.lineno, min(d.lineno for d in decorators))
    return node.lineno


def node_text(lines: list[bytes], node: ast.stmt, offset: int) -> bytes:
    start, end = first_line(node) - 1 + offset, node.end_lineno + offset
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
        self._starts: list[int] | None = None
        self._ends: list[int] | None = None

    @property
    def starts(self) -> list[int]:
        """First line of each statement (decorators included), in order."""
        if self._starts is None:
            self._starts = [s.start for s in self.stmts]
        return self._starts

    @property
    def ends(self) -> list[int]:
        """Last line of each statement, in order."""
        if self._ends is None:
            self._ends = [s.end for s in self.stmts]
        return self._ends

    @classmethod
    def parse(cls, source: bytes | str, filename: str = "<unknown>") -> "ParsedModule":
        if isinstance(source, str):
            source = source.encode()
        tree = ast.parse(source, filename=filename)
        lines = source.splitlines(keepends=True)
        return cls(source, lines, [Stmt(n, 0, node_text(lines, n, 0)) for n in tree.body])

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
        stmts = self.stmts
        # Statements are in line order: bisect instead of looking at every one.
        before = stmts[: bisect_right(self.ends, head)]
        after = stmts[bisect_right(self.starts, len(old) - tail):]
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
            # Blank lines in front give the chunk its real line numbers.
            tree = ast.parse("\n" * (span_start - 1) + chunk.decode("utf-8"), filename=filename)
        except (SyntaxError, ValueError):
            return ParsedModule.parse(source, filename)  # reports the real line
        middle = [Stmt(n, 0, node_text(lines, n, 0)) for n in tree.body]
        new = ParsedModule(source, lines, before + middle + [s.moved(delta) for s in after])
        # the next version bisects these: carry them over instead of walking every statement
        cut = len(stmts) - len(after)
        new._starts = (self.starts[: len(before)] + [s.start for s in middle]
                       + [x + delta for x in self.starts[cut:]])
        new._ends = (self.ends[: len(before)] + [s.end for s in middle]
                     + [x + delta for x in self.ends[cut:]])
        return new

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
        if b"__future__" not in self.source:
            return flags
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
        if b"__future__" not in self.source:
            return
        started = False
        for index, stmt in enumerate(self.stmts):
            node = stmt.node
            if isinstance(node, ast.ImportFrom) and node.module == "__future__":
                if started:
                    raise SyntaxError(
                        "from __future__ imports must occur at the beginning of the file",
                        (filename, stmt.start, node.col_offset + 1, None),
                    )
            elif not (index == 0 and is_docstring(node)):
                started = True

    @property
    def docstring(self) -> str | None:
        if self.stmts and is_docstring(self.stmts[0].node):
            return self.stmts[0].node.value.value
        return None
