"""Tell from the bytecode that a small edit changed only the code inside one
top-level statement's functions.

The commonest save changes a few lines of one function.  The bytes that
differ between the running source and the saved one then lie inside one
top-level item of the baseline's :class:`~.statements.ParsedModule` (a parsed
statement, or a span of whole statements never parsed), whose first line
the baseline knows, and so does the item after it.  Only those lines are
compiled, straight from the source at their real line numbers (no syntax tree),
and compared with the same lines of the running version as
:mod:`.code_diff` compares whole modules: when the module-level code and the
class bodies are the same apart from line numbers and the code of the
functions they define, nothing at module or class level runs.  The live
functions take their new code, the unchanged ones in those lines their new
line numbers, and everything after them shifts by the lines the edit added
or removed.  What that costs grows with the edited statement, not with the
module: nothing is parsed, and the whole file is only compared, counted and
searched as bytes.

Any doubt gives None, and the plan comes from the statement diff as before:
a file with a declared encoding or ``\\r`` line ends, changed bytes outside
one item (and the lines up to the next), lines that do not compile alone, a
changed decorator, default, annotation, free variable or anything else at
module or class level, a changed function whose name another ``def`` or
``class`` binds too or a decorator elsewhere in the module reads (the
statement diff decorates that again), or a live function not found where its
code says (see :func:`.code_diff._match`).

The compiled lines are kept per file (the last :data:`_KEPT` files), so the
next edit of the same statement compiles only its new version.
"""

from __future__ import annotations

import copy
import dis
import re
import warnings
import weakref
from bisect import bisect_right
from collections import OrderedDict
from types import CodeType
from .code_diff import _CO_OPTIMIZED, BodyEdit, _first_line_const, _match, compare, keep_recent
from .statements import Span, _declares_encoding

#: path -> (first line, the lines' bytes, their code, a weak reference to the
#: version made with them, the changed names found alone outside them): the
#: last local edit of each of the last few files (code_diff.keep_recent)
_chunks: OrderedDict[str, tuple] = OrderedDict()
#: what precedes a ``def``/``class`` name on its line, at any depth
#: lines compiled this far down get blank lines in front; further down, their
#: code is moved instead (see :func:`_compile`)
_PAD_MAX = 64
_MAKE_FUNCTION = dis.opmap["MAKE_FUNCTION"]
_EXTENDED_ARG = dis.opmap["EXTENDED_ARG"]
#: jumps back (a loop), by name where this Python has them
_LOOP_OPS = tuple(dis.opmap[name] for name in (
    "FOR_ITER", "JUMP_BACKWARD", "JUMP_BACKWARD_NO_INTERRUPT", "JUMP_ABSOLUTE",
    "POP_JUMP_BACKWARD_IF_TRUE", "POP_JUMP_BACKWARD_IF_FALSE",  # 3.11
    "POP_JUMP_BACKWARD_IF_NONE", "POP_JUMP_BACKWARD_IF_NOT_NONE") if name in dis.opmap)
#: 3.10's conditional jumps name their target, which may lie before them
_ABSOLUTE_IFS = tuple(dis.opmap[name] for name in (
    "POP_JUMP_IF_TRUE", "POP_JUMP_IF_FALSE", "JUMP_IF_TRUE_OR_POP",
    "JUMP_IF_FALSE_OR_POP") if name in dis.opmap and dis.opmap[name] in dis.hasjabs)
_DEF_BEFORE = re.compile(rb"[ \t\f]*(?:async[ \t]+)?(?:def|class)[ \t]+")
_WORD_CHAR = re.compile(rb"\w")


class LocalEdit:
    """What :func:`local_edit` found: the edit, the next version, the shift."""

    __slots__ = ("bodies", "parsed", "moved")

    def __init__(self, bodies: BodyEdit, parsed, moved: list[tuple[int, int, int]]):
        self.bodies = bodies
        self.parsed = parsed
        self.moved = moved


def local_edit(old, new_source: bytes, path: str, namespace: dict,
               ends: tuple[int, int]) -> LocalEdit | None:
    """The edit from ``old`` (the running version, a :class:`ParsedModule`) to
    ``new_source`` when it changed only function code inside one top-level
    item, else None.  ``ends``: the bytes the two share at the head and tail
    (:func:`.code_diff.common_ends`)."""
    found = find_local_edit(old, new_source, path, ends)
    return None if found is None else found.finish(namespace)


class LocalFound:
    """What :func:`find_local_edit` told from the code alone; :meth:`finish`
    finds the live functions that take it (the preparer builds this between
    cells and finishes it in the cell that uses it, with the module as it is
    then)."""

    __slots__ = ("path", "found", "said", "parsed", "moved", "chunk")

    def __init__(self, path, found, said, parsed, moved, chunk):
        self.path, self.found, self.said = path, found, said
        self.parsed, self.moved, self.chunk = parsed, moved, chunk

    def finish(self, namespace: dict) -> LocalEdit | None:
        """The edit, or None when a changed function is not live where its
        code says (see :func:`.code_diff._match`)."""
        bodies = _match(self.found, self.path, namespace)
        if bodies is None:
            return None
        for args, kwargs in self.said:  # the compiler's warnings about the new lines, once
            warnings.showwarning(*args, **kwargs)
        first, new_chunk, new_code, alone = self.chunk
        keep_recent(_chunks, self.path, (first, new_chunk, new_code, weakref.ref(self.parsed), alone))
        return LocalEdit(bodies, self.parsed, self.moved)


def find_local_edit(old, new_source: bytes, path: str,
                    ends: tuple[int, int]) -> LocalFound | None:
    """:func:`local_edit` up to the live functions: everything told from the
    sources and their code (nothing of the running module is read)."""
    old_source = old.source
    head, tail = ends
    old_end = len(old_source) - tail  # the changed bytes: head..old_end-1 (old)
    grown = len(new_source) - len(old_source)
    kept = _chunks.get(path)
    ours = kept is not None and kept[3]() is old  # the version our last edit made
    if (new_source.find(b"\r", head, old_end + grown) >= 0 or _declares_encoding(new_source)
            or not ours and (b"\r" in old_source or _declares_encoding(old_source))):
        return None  # line numbers by counting b"\n" would not be the compiler's
    if _top_level(old_source, head, old_end) or _top_level(new_source, head, old_end + grown):
        return None  # a statement added, removed or rewritten at module level
    line = old_source.count(b"\n", 0, head) + 1  # where the first one is
    bounds = _bounds(old, line, head)
    if bounds is None:
        return None
    index, first, start, stop = bounds
    if type(old.items[index]) is Span and not (
            kept is not None and kept[0] == first and kept[1] == old_source[start:stop]):
        # Unparsed lines that may hold several statements (a span the import
        # cut at its functions' first lines, classes and all): parsed (once:
        # the span keeps its parse), so these lines are one statement.  In a
        # copy: a baseline the statement diff takes over keeps its items.
        old = copy.copy(old)
        try:
            old.expand(index)
        except (SyntaxError, ValueError):  # cannot happen for a span; be safe
            return None
        bounds = _bounds(old, line, head)
        if bounds is None:
            return None
        index, first, start, stop = bounds
    if old_end > stop:
        return None  # the edit reaches into the next item
    delta = new_source.count(b"\n", head, old_end + grown) - old_source.count(b"\n", head, old_end)
    old_chunk = old_source[start:stop]
    new_chunk = new_source[start:stop + grown]
    flags = old.flags
    if kept is not None and kept[0] == first and kept[1] == old_chunk:
        old_code = kept[2]
    else:
        ours = False
        old_code = _compile(old_chunk, first, path, flags)[0]  # it warned at its import
        if old_code is None:
            return None
    new_code, said = _compile(new_chunk, first, path, flags)
    if new_code is None:
        return None
    found = compare(old_code, new_code)
    if found is None or any(map(_loops, [new_code] + [code for _, code in found.classes])):
        return None
    changed = {scope[0] if scope else code.co_name
               for scope, _old, code, diff in found.functions if diff}
    # The bytes around these lines are those of the version our last edit of
    # them made: the names it found alone there still are.
    alone = kept[4] if ours else frozenset()
    if not changed <= alone:
        if not _alone(old, changed - alone, start, stop):
            return None
        alone = alone | changed
    starts = old.starts
    index = bisect_right(starts, first) - 1  # _alone may have parsed spans before it
    if index + 1 < len(starts):
        last = starts[index + 1] - 1 + delta
        moved = [(starts[index + 1], old.ends[-1], delta)] if delta else []
    else:
        last = first - 1 + new_source.count(b"\n", start) + (not new_source.endswith(b"\n"))
        moved = []
    parsed = old.with_span(new_source, index, last, delta)
    return LocalFound(path, found, said, parsed, moved, (first, new_chunk, new_code, alone))


#: what a line inside a statement may begin with (a closing bracket ends a
#: multi-line call or literal); anything else at column 0 starts a statement
_INSIDE = frozenset(b" \t\f\r\n#)]}")


def _top_level(source: bytes, head: int, end: int) -> bool:
    """Does a line that the changed bytes ``head..end-1`` touch begin at column
    0 with a statement (or what may be one: a line of a string spelled there)?

    Such an edit adds, removes or rewrites a module-level statement: compiling
    the item around it, only to find its module-level code changed, would
    cost more than the statement diff (an appended function, a git checkout)."""
    at = source.rfind(b"\n", 0, head) + 1
    end = min(end, len(source))
    while at < end:  # a line that starts at ``end`` is after the change
        if source[at] not in _INSIDE:
            return True
        at = source.find(b"\n", at, end) + 1
        if not at:
            break
    return False


def _loops(code: CodeType) -> bool:
    """Might this module or class body code make functions in a loop?  Then
    one code object made several functions, and only the one bound to its
    name would take the new code (the statement diff runs the loop again)."""
    ops = code.co_code[0::2]
    if _MAKE_FUNCTION not in ops:
        return False
    if any(op in ops for op in _LOOP_OPS):
        return True
    if any(op in ops for op in _ABSOLUTE_IFS):  # 3.10: a target before the jump?
        raw, arg = code.co_code, 0
        for at in range(0, len(raw), 2):  # targets count 2-byte units
            op = raw[at]
            arg |= raw[at + 1]
            if op == _EXTENDED_ARG:
                arg <<= 8
                continue
            if op in _ABSOLUTE_IFS and 2 * arg <= at:
                return True
            arg = 0
    return False


def _bounds(old, line: int, head: int) -> tuple[int, int, int, int] | None:
    """(index, first line, first byte, byte after the last) of the item of
    ``old`` where line ``line`` (holding byte ``head``) lies, with the lines up
    to the next item; None before the first item or for an item that shares a
    line with a neighbour (`x = 1; y = 2`)."""
    source = old.source
    starts = old.starts
    index = bisect_right(starts, line) - 1
    if index < 0:
        return None  # before the first statement (a comment at the top)
    first = starts[index]
    ends = old.ends
    if (index and ends[index - 1] >= first
            or index + 1 < len(starts) and starts[index + 1] <= ends[index]):
        return None
    start = source.rfind(b"\n", 0, head) + 1
    for _ in range(line - first):
        start = source.rfind(b"\n", 0, start - 1) + 1
    if index + 1 == len(starts):
        return index, first, start, len(source)
    stop = head
    for _ in range(starts[index + 1] - line):
        stop = source.find(b"\n", stop) + 1
        if not stop:
            return None
    return index, first, start, stop


def _compile(chunk: bytes, first: int, path: str, flags: int):
    """(code of ``chunk`` as the lines from ``first`` on, the warnings the
    compiler gave), or (None, ()) when it does not compile alone.

    Far down a file, the lines are compiled from line 1 and their code moved
    down: blank lines in front, which give the compiler the real numbers,
    cost about as much as the code itself every thousand lines."""
    pad = first - 1 if first <= _PAD_MAX else 0
    code, said = _compiled(b"\n" * pad + chunk, path, flags)
    if code is None or pad == first - 1:
        return code, said
    moved = _moved(code, first - 1)
    if moved is None:  # a class body's recorded first line cannot be told apart
        return _compiled(b"\n" * (first - 1) + chunk, path, flags)
    return moved, [((args[:3] + (args[3] + first - 1,) + args[4:]) if len(args) > 3 else args,
                    kwargs) for args, kwargs in said]  # the warnings' lines, moved too


def _compiled(text: bytes, path: str, flags: int):
    said: list[tuple] = []
    show = warnings.showwarning
    warnings.showwarning = lambda *args, **kwargs: said.append((args, kwargs))
    try:
        return compile(text, path, "exec", flags=flags, dont_inherit=True), said
    except (SyntaxError, ValueError):
        return None, ()
    finally:
        warnings.showwarning = show


def _moved(code: CodeType, delta: int) -> CodeType | None:
    """``code`` (and the code inside it) ``delta`` lines further down, or None
    when a class body's ``__firstlineno__`` constant (3.13+) is not its own."""
    consts = list(code.co_consts)
    for index, const in enumerate(consts):
        if type(const) is CodeType:
            const = consts[index] = _moved(const, delta)
            if const is None:
                return None
    if "__firstlineno__" in code.co_names and not code.co_flags & _CO_OPTIMIZED:
        index = _first_line_const(code)
        if index is None:
            return None
        consts[index] += delta
    return code.replace(co_firstlineno=code.co_firstlineno + delta, co_consts=tuple(consts))


def _alone(old, names: set[str], start: int, stop: int) -> bool:
    """Outside bytes ``start..stop-1`` of the source, does no ``def`` or
    ``class`` bind any of ``names`` and no decorator read one?  The names are
    searched as bytes; a statement that spells one is parsed (once: the parse
    is kept by every later version) to see whether its decorators read it."""
    source = old.source
    for name in names:
        if not name.isascii():  # may be spelled another way (NFKC): no byte test is exact
            return False
        word = name.encode()
        at = source.find(word)
        while at >= 0:
            end = at + len(word)
            if (start <= at < stop or at and _WORD_CHAR.match(source, at - 1)
                    or _WORD_CHAR.match(source, end)):
                at = source.find(word, end)
                continue
            line_start = source.rfind(b"\n", 0, at) + 1
            if _DEF_BEFORE.fullmatch(source, line_start, at):
                return False
            line = source.count(b"\n", 0, at) + 1
            index = bisect_right(old.starts, line) - 1
            if index >= 0:
                item = old.items[index]
                stmts = old.expand(index) if type(item) is Span else [item]
                for stmt in stmts:
                    if stmt.start <= line <= stmt.end and name in stmt.names.deco_loads:
                        return False
            at = source.find(word, end)
    return True


__all__ = ["LocalEdit", "local_edit"]
