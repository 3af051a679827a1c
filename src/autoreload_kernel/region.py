"""The part of a module an edit touched, and whether the rest may be ignored.

A version made by :meth:`ParsedModule.update` shares its unchanged head and
tail with the version before (the same statements, or spans never parsed).
The diff then looks only at the statements between them, which makes a
reload cost what changed, not what the module holds.  That is exact only when
nothing outside can change the answer: no statement outside has the same
matching key as one inside, and no statement after it reads a name the edit
rebinds or is decorated by a function it rebuilds.  Those questions are asked
of the outside *text* first (a byte search); only the statements a name is
spelled in are looked at, and a span is parsed only when one of them lies in
it.  When the text cannot rule something out, :class:`Whole` is raised and
the caller diffs every statement, as before.
"""

from __future__ import annotations

import ast
import re
from bisect import bisect_right

from .statements import DEFS, ParsedModule, Span, Stmt, defined_in, is_docstring


class Whole(Exception):
    """The touched statements alone cannot decide the plan."""


def _word(name: str) -> bytes:
    if not name.isascii():  # may be spelled another way (NFKC): no byte test is exact
        raise Whole
    return name.encode()


class Region:
    """The statements an edit touched in ``old`` and ``new`` (see module doc)."""

    def __init__(self, old: ParsedModule, new: ParsedModule):
        link = new.made_from
        if link is None or link[0]() is not old:
            raise Whole
        _, first, cut, count = link
        self.old, self.new, self.first, self.cut = old, new, first, cut
        self.new_stmts: list[Stmt] = new.items[first:first + count]
        self.old_stmts: list[Stmt] = []
        for item in old.items[first:cut]:
            if type(item) is Span:
                self.old_stmts.extend(item.stmts(old.lines, old.filename))
            else:
                self.old_stmts.append(item)
        #: the region starts the module (its first statement may be the docstring)
        self.top = first == 0
        self.tail_at = first + count  # index of the first shared tail item in new
        head_end = new.items[first - 1].end if first else 0
        tail_start = new.items[self.tail_at].start if self.tail_at < len(new.items) \
            else len(new.lines) + 1
        self.head, self.tail = new.texts_around(head_end + 1, tail_start - 1)
        self.tail_line = tail_start
        self.delta = len(new.lines) - len(old.lines)

    # -- what the plan needs from outside ---------------------------------------------
    def check_keys(self) -> None:
        """No statement outside matches one inside by key (name or text), so
        matching inside alone pairs them as matching the whole module would."""
        for stmt in self.old_stmts + self.new_stmts:
            name = stmt.name
            if name is not None:
                if self._defines(name, _TOP_DEF):
                    raise Whole
            elif stmt.text in self.head or stmt.text in self.tail:
                raise Whole

    def _defines(self, name: str, before) -> bool:
        """Does a line outside read ``def name``/``class name`` (``before`` matches
        what precedes it on its line)?  The name is searched first, as bytes."""
        word = _word(name)
        for text in (self.head, self.tail):
            at = text.find(word)
            while at >= 0:
                end = at + len(word)
                if end == len(text) or not _WORD_CHAR.match(text, end):
                    line = text.rfind(b"\n", 0, at) + 1
                    if before.fullmatch(text, line, at):
                        return True
                at = text.find(word, end)
        return False

    def defined_outside(self, names) -> None:
        """None of ``names`` is bound by a def or class outside (at any depth)."""
        for name in names:
            if self._defines(name, _ANY_DEF):
                raise Whole

    def mentioned_outside(self, names) -> None:
        for name in names:
            word = _word(name)
            if word in self.head or word in self.tail:
                raise Whole

    def check_tail(self, rebound: set[str], rebuilt: set[str], stale) -> None:
        """No statement of the tail must run again (``stale(stmt)`` says)."""
        names = rebound | rebuilt
        if not names:
            return
        hit: set[int] = set()
        tail = self.tail
        starts = self.new.starts
        for name in names:
            word = _word(name)
            at = tail.find(word)
            while at >= 0:
                line = self.tail_line + tail.count(b"\n", 0, at)
                hit.add(bisect_right(starts, line) - 1)
                at = tail.find(word, at + len(word))
        for index in sorted(hit, reverse=True):  # expanding shifts only later items
            if index < self.tail_at:
                raise Whole  # cannot happen: the text searched is the tail's
            item = self.new.items[index]
            stmts = self.new.expand(index) if type(item) is Span else [item]
            if any(stale(stmt) for stmt in stmts):
                raise Whole

    def moved(self) -> list[tuple[int, int, int]]:
        """The tail's line shift, as one (first old line, last old line, delta)."""
        tail = self.old.items[self.cut:]
        if not self.delta or not tail:
            return []
        return [(tail[0].start, tail[-1].end, self.delta)]

    def docstring(self) -> tuple[bool, str | None]:
        """(did the docstring change, the new one)."""
        if not self.top:
            for stmt in self.new_stmts[:1] + self.old_stmts[:1]:
                if is_docstring(stmt.node):
                    raise Whole  # the head may hold no statement at all
            return False, None
        if not self.old_stmts or not self.new_stmts:
            raise Whole
        old, new = (_doc(s[0].node) for s in (self.old_stmts, self.new_stmts))
        return old != new, new


def _doc(node: ast.stmt) -> str | None:
    return node.value.value if is_docstring(node) else None


def defined_names(stmts) -> set[str]:
    found: set[str] = set()
    for stmt in stmts:
        found |= defined_in(stmt.node)
    return found


#: what precedes the name of a top-level ``def``/``class`` on its line (a hit
#: inside a string only costs the whole-module diff)
_TOP_DEF = re.compile(rb"(?:async[ \t]+)?(?:def|class)[ \t]+")
#: the same at any depth
_ANY_DEF = re.compile(rb"[ \t\f]*(?:async[ \t]+)?(?:def|class)[ \t]+")
_WORD_CHAR = re.compile(rb"\w")

__all__ = ["Region", "Whole", "DEFS"]
