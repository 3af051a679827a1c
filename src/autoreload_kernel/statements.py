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
import re
import weakref
from bisect import bisect_right
from collections import defaultdict

DEFS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
#: an import at the top level, or a compound statement that may hold one
_IMPORTING = re.compile(rb"^(?:import|from|if|try|with|async)\b|;[ \t\\\r\n]*(?:import|from)\b",
                        re.M)
_DEF_LINE = re.compile(rb"(?:@|def[ \t]|async[ \t]+def[ \t])")


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


class Span:
    """Unchanged top-level statements that were never parsed.

    Lines ``first``..``last`` (numbered as in the version that made the span)
    start with a statement and hold only whole statements, so parsed alone they
    give exactly those statements.  ``offset`` says how far the span has moved
    since; the parse, made when first needed, is shared by every version the
    span is unchanged in.
    """

    __slots__ = ("first", "last", "offset", "_parsed")

    def __init__(self, first: int, last: int, offset: int = 0, parsed: list | None = None):
        self.first = first
        self.last = last
        self.offset = offset
        #: [None] until parsed, then [[(node, text), ...]] (shared by moved copies)
        self._parsed = parsed if parsed is not None else [None]

    @property
    def start(self) -> int:
        return self.first + self.offset

    @property
    def end(self) -> int:
        return self.last + self.offset

    def moved(self, delta: int) -> "Span":
        if not delta:
            return self
        return Span(self.first, self.last, self.offset + delta, self._parsed)

    def text(self, lines: list[bytes]) -> bytes:
        return b"".join(lines[self.start - 1 : self.end])

    def head(self, lines: list[bytes], filename: str, upto: int) -> list[tuple[ast.stmt, int]]:
        """(node, first line) of the statements that start by line ``upto``; the last
        one may be cut short (a compound statement without its later clauses)."""
        if self._parsed[0] is None:
            stop = upto
            while stop < self.end:  # parse the fewest lines that parse alone
                chunk = b"".join(lines[self.start - 1 : stop])
                try:
                    tree = ast.parse("\n" * (self.start - 1) + chunk.decode("utf-8"),
                                     filename=filename)
                except (SyntaxError, ValueError):
                    stop += max(1, stop - upto)
                    continue
                return [(n, first_line(n)) for n in tree.body]
        return [(s.node, s.start) for s in self.stmts(lines, filename)]

    def stmts(self, lines: list[bytes], filename: str) -> list[Stmt]:
        """The statements, parsed now if no version parsed them yet."""
        parsed = self._parsed[0]
        if parsed is None:
            chunk = self.text(lines)
            # Blank lines in front give the statements their first version's numbers.
            tree = ast.parse("\n" * (self.first - 1) + chunk.decode("utf-8"), filename=filename)
            parsed = [(n, node_text(lines, n, self.offset)) for n in tree.body]
            self._parsed[0] = parsed
        return [Stmt(node, self.offset, text) for node, text in parsed]


def _same_run(a: list, b: list, at: int, step: int, limit: int) -> int:
    """How many lines ``a`` and ``b`` share from the start (``at`` 0, ``step``
    1) or from the end (-1, -1), at most ``limit``: bisected with slice
    comparisons, so the lines are compared in C, each about once."""
    def chunk(seq, i, j):  # lines i..j-1 counted from that end
        return seq[i:j] if step == 1 else seq[len(seq) - j:len(seq) - i]

    low, high = 0, limit
    while low < high:
        mid = (low + high + 1) // 2
        if chunk(a, low, mid) == chunk(b, low, mid):
            low = mid
        else:
            high = mid - 1
    return low


def _declares_encoding(source: bytes) -> bool:
    if source.startswith(b"\xef\xbb\xbf"):
        return True
    second = source.find(b"\n", source.find(b"\n") + 1)
    return b"coding" in (source if second < 0 else source[:second])


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


def _shifted(lines: list[int], delta: int) -> list[int]:
    """Line numbers ``delta`` lines further down (the same list when 0)."""
    return [x + delta for x in lines] if delta else lines


def keys_of(stmts: list["Stmt"]) -> list[tuple]:
    """A matching key per statement: definitions by name, the rest by text
    (with a count, so repeated statements match in order)."""
    seen: dict[tuple, int] = defaultdict(int)
    keys = []
    for stmt in stmts:
        name = stmt.name
        base = ("def", name) if name else ("stmt", stmt.text)
        keys.append(base + (seen[base],))
        seen[base] += 1
    return keys


class ParsedModule:
    """The statements of one version of a module's source."""

    def __init__(self, source: bytes, lines: list[bytes] | None, stmts: list,
                 filename: str = "<unknown>"):
        self.source = source
        #: the source's lines (None: split when first needed, see :attr:`lines`)
        self._lines = lines
        #: the top-level statements in order, as :class:`Stmt`, or :class:`Span` for
        #: runs of unchanged ones not parsed yet
        self.items = stmts
        self.filename = filename
        #: (a weak reference to the version this one was made from, index of the
        #: first item that differs, index in that version's items where the shared
        #: tail starts, number of new items): set by :meth:`update`, read by the
        #: diff.  Weak: a strong one would keep every earlier version alive.
        self.made_from: tuple | None = None
        self._keys: list[tuple] | None = None
        self._starts: list[int] | None = None
        self._ends: list[int] | None = None
        self._flags: int | None = None

    @property
    def lines(self) -> list[bytes]:
        """The source's lines.  A version made by a local edit (see
        :meth:`with_span`) splits them only when a later diff reads them."""
        lines = self._lines
        if lines is None:
            lines = self._lines = self.source.splitlines(keepends=True)
        return lines

    @property
    def stmts(self) -> list[Stmt]:
        """Every statement (spans not parsed yet are parsed now)."""
        items = self.items
        if any(type(item) is Span for item in items):
            try:
                out: list[Stmt] = []
                for item in items:
                    if type(item) is Span:
                        out.extend(item.stmts(self.lines, self.filename))
                    else:
                        out.append(item)
            except (SyntaxError, ValueError):  # cannot happen for a span; be safe
                out = ParsedModule.parse(self.source, self.filename).items
            self.items = items = out  # one assignment: a reader never sees half of it
            self._starts = self._ends = self._keys = None
        return items

    def importing(self) -> list[Stmt]:
        """The statements that may import at the top level: the parsed ones, and
        those of spans whose text may hold such an import (parsed for it)."""
        out: list[Stmt] = []
        for item in self.items:
            if type(item) is not Span:
                out.append(item)
            elif _IMPORTING.search(self.source, *self.texts_span(item)):
                out.extend(item.stmts(self.lines, self.filename))
        return out

    def texts_span(self, span) -> tuple[int, int]:
        """Byte offsets of a span's lines in ``source``."""
        lines = self.lines
        start = sum(map(len, lines[: span.start - 1]))
        return start, start + sum(map(len, lines[span.start - 1 : span.end]))

    def expand(self, index: int) -> list[Stmt]:
        """Parse the span at ``index`` in place; return its statements."""
        stmts = self.items[index].stmts(self.lines, self.filename)
        starts, ends = self.starts, self.ends
        self._starts = starts[:index] + [x.start for x in stmts] + starts[index + 1:]
        self._ends = ends[:index] + [x.end for x in stmts] + ends[index + 1:]
        self.items = self.items[:index] + stmts + self.items[index + 1:]
        self._keys = None
        return stmts

    @classmethod
    def lazy(cls, source: bytes, starts, filename: str = "<unknown>") -> "ParsedModule":
        """A version of which nothing is parsed yet: spans from line 1 and from
        each of ``starts``, lines known to start a top-level statement (a spot
        between two of them holds whole statements)."""
        if _declares_encoding(source):
            return cls.parse(source, filename)
        lines = source.splitlines(keepends=True)
        # A def (or its first decorator) in column 0 starts a top-level statement.
        cuts = sorted({1, *(n for n in starts if 1 < n <= len(lines) and _DEF_LINE.match(lines[n - 1]))})
        ends = cuts[1:] + [len(lines) + 1]
        return cls(source, lines, [Span(a, b - 1) for a, b in zip(cuts, ends)], filename)

    def texts_around(self, first: int, last: int) -> tuple[bytes, bytes]:
        """The source before line ``first`` and after line ``last``."""
        lines = self.lines
        if first - 1 < len(lines) // 2:
            head = sum(map(len, lines[: first - 1]))
        else:
            head = len(self.source) - sum(map(len, lines[first - 1 :]))
        tail = head + sum(map(len, lines[first - 1 : last]))
        return self.source[:head], self.source[tail:]

    @property
    def starts(self) -> list[int]:
        """First line of each statement (decorators included), in order."""
        if self._starts is None:
            self._starts = [s.start for s in self.items]
        return self._starts

    @property
    def ends(self) -> list[int]:
        """Last line of each statement, in order."""
        if self._ends is None:
            self._ends = [s.end for s in self.items]
        return self._ends

    @classmethod
    def parse(cls, source: bytes | str, filename: str = "<unknown>") -> "ParsedModule":
        if isinstance(source, str):
            source = source.encode()
        tree = ast.parse(source, filename=filename)
        lines = source.splitlines(keepends=True)
        return cls(source, lines, [Stmt(n, 0, node_text(lines, n, 0)) for n in tree.body],
                   filename)

    def update(self, source: bytes, filename: str = "<unknown>") -> "ParsedModule":
        """The next version, re-parsing only the lines that changed."""
        if _declares_encoding(source):  # a chunk alone would be read as UTF-8
            return ParsedModule.parse(source, filename)
        lines = source.splitlines(keepends=True)
        old = self.lines
        head = _same_run(old, lines, 0, 1, min(len(old), len(lines)))
        tail = _same_run(old, lines, -1, -1, min(len(old), len(lines)) - head)
        delta = len(lines) - len(old)
        # Old statements that lie wholly in the unchanged head or tail are kept,
        # but not one that shares a line with its neighbour (`a = 1; b = 2`).
        stmts = self.items
        # Statements are in line order: bisect instead of looking at every one.
        before = stmts[: bisect_right(self.ends, head)]
        after = stmts[bisect_right(self.starts, len(old) - tail):]
        rest = stmts[len(before):]
        while before and rest and rest[0].start <= before[-1].end:
            rest.insert(0, before.pop())
        rest = stmts[: len(stmts) - len(after)]
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
        new = ParsedModule(source, lines, before + middle + (
            [s.moved(delta) for s in after] if delta else after), filename)
        # the next version bisects these: carry them over instead of walking every statement
        cut = len(stmts) - len(after)
        new.made_from = (weakref.ref(self), len(before), cut, len(middle))
        new._starts = (self.starts[: len(before)] + [s.start for s in middle]
                       + _shifted(self.starts[cut:], delta))
        new._ends = (self.ends[: len(before)] + [s.end for s in middle]
                     + _shifted(self.ends[cut:], delta))
        return new

    def with_span(self, source: bytes, index: int, last: int, delta: int) -> "ParsedModule":
        """The next version, ``source``, when only the lines of item ``index`` and
        those up to the next item changed (see :mod:`.local_edit`): they become
        one span never parsed, ending at line ``last``, and the items after it
        move by ``delta`` lines.  Nothing is split or parsed here."""
        items = self.items
        starts, ends = self.starts, self.ends
        first = starts[index]
        after = items[index + 1:]
        new = ParsedModule(source, None, items[:index] + [Span(first, last)] + (
            [item.moved(delta) for item in after] if delta else after), self.filename)
        new._starts = starts[:index + 1] + _shifted(starts[index + 1:], delta)
        new._ends = ends[:index] + [last] + _shifted(ends[index + 1:], delta)
        new._flags = self._flags
        return new

    @property
    def keys(self) -> list[tuple]:
        """A matching key per statement: definitions by name, the rest by text."""
        if self._keys is None:
            self._keys = keys_of(self.stmts)
        return self._keys

    def _future_part(self) -> list[tuple[ast.stmt, int]]:
        """(node, first line) of the statements from the top of the file down to the
        last one that spells ``__future__`` (a span is parsed only that far)."""
        at = self.source.rfind(b"__future__")
        if at < 0:
            return []
        last = self.source.count(b"\n", 0, at) + 1
        out = []
        for item in self.items:
            if item.start > last:
                break
            if type(item) is Span:
                out.extend(item.head(self.lines, self.filename, last))
            else:
                out.append((item.node, item.start))
        return out

    @property
    def flags(self) -> int:
        if self._flags is None:
            flags = 0
            for node, _line in self._future_part():
                if isinstance(node, ast.ImportFrom) and node.module == "__future__":
                    for alias in node.names:
                        feature = getattr(__future__, alias.name, None)
                        if feature is not None:
                            flags |= feature.compiler_flag
            self._flags = flags
        return self._flags

    def check_future_imports(self, filename: str) -> None:
        """A fresh import rejects ``from __future__`` after other code; so do we.

        (Only the re-run statements are compiled, so the compiler cannot see it.)
        """
        started = False
        for index, (node, line) in enumerate(self._future_part()):
            if isinstance(node, ast.ImportFrom) and node.module == "__future__":
                if started:
                    raise SyntaxError(
                        "from __future__ imports must occur at the beginning of the file",
                        (filename, line, node.col_offset + 1, None),
                    )
            elif not (index == 0 and is_docstring(node)):
                started = True

    @property
    def docstring(self) -> str | None:
        if self.stmts and is_docstring(self.stmts[0].node):
            return self.stmts[0].node.value.value
        return None
