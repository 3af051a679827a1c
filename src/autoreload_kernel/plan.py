"""Decide what a reload runs: the diff of two versions, as one :class:`ReloadPlan`.

The plan says which top-level statements must run again: the new and changed
ones, plus unchanged ones that read a name a re-run statement rebinds (so
``Y = X * 2`` follows an edit of ``X``).  Everything else keeps the state it
built when it first ran.  Definitions are matched by name, other statements by
their text, so moving code around re-runs nothing; a statement whose text
changed only in comments or layout is not re-run either.

The engine asks :func:`plan_for` for a plan (the background preparer, which
has the parsed baseline, :func:`plan_reload`) and hands it to
:mod:`autoreload_kernel.applying`, which runs it; parsing and diffing happen
only here and in :mod:`autoreload_kernel.code_diff`.
"""

from __future__ import annotations

import ast
import io
import os
import sys
import tokenize
import traceback
from collections import defaultdict
from dataclasses import dataclass, field

from .class_diff import ClassEdit, class_edit, coalesce, context, live_class
from .code_diff import BodyEdit, body_edit, common_ends, is_large
from .local_edit import local_edit
from .region import Region, Whole
from .statements import (DEFS, ParsedModule, Stmt, defined_in, is_docstring, is_main_guard,
                         keys_of, names_of, same_tree)


class ReloadFailed(Exception):
    """The new source could not be applied; the module was left untouched."""

    def __init__(self, error: BaseException, lineno: int | None, hint: str | None = None,
                 raised_at: str | None = None, ran: bool = False):
        super().__init__(str(error))
        self.error = error
        self.lineno = lineno
        #: what the user should do instead of fixing the file (e.g. restart)
        self.hint = hint
        #: False: the source could not be compiled; True: its code raised
        self.ran = ran
        #: "file, line N" of the frame that raised, when that is another file
        #: of the user's (a decorator or metaclass defined elsewhere)
        self.raised_at = raised_at

    @classmethod
    def at(cls, error: BaseException, path: str, hint: str | None = None,
           ran: bool = False) -> "ReloadFailed":
        """The failure, with the innermost line of ``path`` where ``error`` (or
        its cause: Python 3.11 wraps a failing ``__set_name__``) happened."""
        if isinstance(error, SyntaxError) and error.filename == path:
            return cls(error, error.lineno, hint)
        line = None
        for err in (error, error.__cause__):
            for frame in traceback.extract_tb(getattr(err, "__traceback__", None)):
                if frame.filename == path:
                    line = frame.lineno
        raised_at = _raised_at(error, path) if ran else None
        # Its frames would keep the objects the failed run made alive (a class
        # half-registered with a framework, say); only the message is kept.
        error.__traceback__ = None
        if error.__cause__ is not None:
            error.__cause__.__traceback__ = None
        return cls(error, line, hint, raised_at, ran)


class ReloadInterrupted(ReloadFailed):
    """The user interrupted the new version's code; the module was left untouched.

    ``lineno`` is None when the interrupt came before any of that code ran."""


_INSTALLED = tuple({sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix})


def _raised_at(error: BaseException, path: str) -> str | None:
    """The innermost frame, if it lies in another file of the user's."""
    frames = traceback.extract_tb((error.__cause__ or error).__traceback__)
    if not frames:
        return None
    last = frames[-1]
    if last.filename == path or not os.path.isfile(last.filename) or \
            last.filename.startswith(_INSTALLED):
        return None
    return f"{last.filename}, line {last.lineno}"


def _bad_bytes(source: bytes) -> ReloadFailed | None:
    """Binary content or bytes invalid in the file's encoding, with their line.

    (The compiler names no line for NUL bytes, and line 0 for bytes invalid in a
    declared encoding.)"""
    nul = source.find(b"\0")
    if nul >= 0:
        return ReloadFailed(ValueError("the file contains NUL bytes: binary data, not Python "
                                       "source"), source.count(b"\n", 0, nul) + 1)
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(source).readline)
        source.decode(encoding)
    except SyntaxError:
        return None
    except LookupError as bad:  # an unknown encoding
        return ReloadFailed(ValueError(str(bad)), 1)
    except UnicodeDecodeError as bad:
        return ReloadFailed(ValueError(f"not valid {bad.encoding} text: byte "
                                       f"{source[bad.start]:#04x} ({bad.reason})"),
                            source.count(b"\n", 0, bad.start) + 1)
    return None


@dataclass(slots=True)
class ReloadPlan:
    """Everything the apply step needs to bring a module to its new source."""

    #: the new version (becomes the module's baseline once the plan is applied);
    #: None for a body-only edit (parsed when a later edit needs it)
    parsed: ParsedModule | None
    #: the statements to run, with the line numbers they have in the new version
    run: list[ast.stmt]
    flags: int = 0
    #: top-level names the old source bound and the new one no longer does
    removed: set[str] = field(default_factory=set)
    #: unchanged statements that moved: (first old line, last old line, delta)
    moved: list[tuple[int, int, int]] = field(default_factory=list)
    #: statements changed only in comments or layout inside them: (first old
    #: line, last old line, delta of the first line, the new node); their
    #: code is compiled again for its line numbers but not run
    relined: list[tuple[int, int, int, ast.stmt]] = field(default_factory=list)
    #: defs and classes whose decorators changed: the module binds the new
    #: function, as a fresh import would (the old one forwards to it); the old
    #: class is patched and loses what the old decorators added
    redecorated: set[str] = field(default_factory=set)
    #: names bound by a def/class statement that ran again, defined once: the
    #: only names whose old objects may take the new code
    rebuilt: set[str] = field(default_factory=set)
    #: class name path -> class-body names whose defining statement is unchanged
    keep: dict[tuple[str, ...], set[str]] = field(default_factory=dict)
    #: class name path -> names the old class body bound and the new one does not
    dropped: dict[tuple[str, ...], set[str]] = field(default_factory=dict)
    doc_changed: bool = False
    docstring: str | None = None
    #: classes patched member by member instead of running their statement again
    class_edits: list[ClassEdit] = field(default_factory=list)
    #: an edit of function bodies only: nothing runs, functions take new code
    #: (and, for one told from a single statement, what follows it shifts by
    #: ``moved``)
    bodies: BodyEdit | None = None


def plan_for(base, source: bytes, path: str, full: bool = False,
             namespace: dict | None = None) -> ReloadPlan:
    """The plan that brings a module from its baseline ``base`` (a
    :class:`~.sources.Baseline`) to ``source``, on the shell thread.

    An edit of function bodies only is told from the bytecode, without
    parsing: a large one from the whole module's
    (:mod:`autoreload_kernel.code_diff`), a small one from the one top-level
    statement it lies in (:mod:`autoreload_kernel.local_edit`); anything else
    is :func:`plan_reload`'s statement diff of the parsed baseline.
    """
    ends = None
    if not full and namespace is not None:
        ends = common_ends(base.source, source)
        if is_large(base.source, source, ends):
            bodies = body_edit(base.source, source, path, namespace, ends)
            if bodies is not None:
                return ReloadPlan(parsed=None, run=[], bodies=bodies)
    try:
        old = base.statements(namespace)
    except (SyntaxError, ValueError):
        old = None  # a baseline we cannot diff: the whole module runs again
    if ends is not None and old is not None:
        local = local_edit(old, source, path, namespace, ends)
        if local is not None:
            return ReloadPlan(parsed=local.parsed, run=[], bodies=local.bodies,
                              moved=local.moved)
    return plan_reload(old, source, path, full, namespace)


def plan_reload(old: ParsedModule | None, source: bytes, path: str,
                full: bool = False, namespace: dict | None = None) -> ReloadPlan:
    """The plan that brings a module from ``old`` to ``source``.

    With ``full`` (or no usable old version) every statement runs again.
    ``namespace`` is the live module's, read only to tell whether an edited
    class still holds the object its statement made (only then can it be
    patched member by member).  A syntax error raises :class:`ReloadFailed`
    naming its line.
    """
    try:
        new = (old or ParsedModule(b"", [], [])).update(source, path)
        new.check_future_imports(path)
    except (SyntaxError, ValueError) as err:
        raise (_bad_bytes(source) or ReloadFailed.at(err, path)) from None
    if full or old is None:
        return ReloadPlan(parsed=new, run=[s.located() for s in new.stmts
                                           if not is_main_guard(s.node)],
                          flags=new.flags, rebuilt=_defined_once(new))
    return diff(old, new, namespace)


def _defined_once(parsed: ParsedModule) -> set[str]:
    return _defined_once_in(parsed.stmts)


def _defined_once_in(stmts: list[Stmt]) -> set[str]:
    counts: dict[str, int] = defaultdict(int)
    for stmt in stmts:
        for name in defined_in(stmt.node):
            counts[name] += 1
    return {name for name, count in counts.items() if count == 1}


def _mentions(stmt: Stmt, names: set[str]) -> bool:
    """Can ``stmt`` read or bind any of ``names``?  A cheap text test first:
    a statement whose text never spells a name cannot use it (non-ASCII names
    may be spelled differently, so they always get the real test)."""
    text = stmt.text
    return any(not name.isascii() or name.encode() in text for name in names)


def _may_decorate(node: ast.stmt) -> bool:
    """False for a plain undecorated definition: it reads no decorator names."""
    return not isinstance(node, DEFS) or bool(node.decorator_list)


def _dump(node: ast.AST) -> str:
    return ast.dump(node, include_attributes=False)


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
        return ("def", stmt.name) if isinstance(stmt, DEFS) else ("stmt", _dump(stmt))

    old_by_key = {key(s): s for s in old.body}
    same: set[str] = set()
    for stmt in new.body:
        k = key(stmt)
        before = old_by_key.get(k)
        if before is None:
            continue
        if isinstance(stmt, ast.ClassDef) and isinstance(before, ast.ClassDef):
            _class_keep(before, stmt, path + (stmt.name,), keep, rebound, dropped)
        elif not isinstance(stmt, DEFS):
            names = names_of(stmt)
            if not names.loads & rebound:
                same.update(names.stores)
    keep[path] = same
    dropped[path] = _body_names(old.body) - _body_names(new.body)


def _member_edit(before: Stmt, stmt: Stmt, old: ParsedModule, new: ParsedModule,
                 namespace: dict | None, rebound: set[str], rebuilt: set[str],
                 own_functions: set[str], moved: list) -> ClassEdit | None:
    """The member-level edit of a changed class (see class_diff), or None."""
    module_name = (namespace or {}).get("__name__", "")
    members_moved: list[tuple[int, int, int]] = []
    ctx = context(old.lines, before.offset, new.lines, stmt.offset, rebound=rebound,
                  rebuilt=rebuilt, own_functions=own_functions, module_name=module_name,
                  moved=members_moved)
    name = stmt.node.name
    edit = class_edit(before.node, stmt.node, ctx, (name,),
                      live_class(namespace, (name,), module_name))
    if edit is not None:
        moved.extend(coalesce(members_moved))
    return edit


def diff(old: ParsedModule, new: ParsedModule, namespace: dict | None = None) -> ReloadPlan:
    """The plan from ``old`` to ``new``: from the statements the edit touched
    when the rest cannot matter (see :mod:`.region`), else from all of them."""
    try:
        region = Region(old, new)
        region.check_keys()
        return _diff(old, new, namespace, region)
    except Whole:
        return _diff(old, new, namespace, None)


def _stale(stmt: Stmt, rebound: set[str], rebuilt: set[str]) -> bool:
    """Must an unchanged statement run again?  It reads something that is about to
    change, or is decorated by a function that changed (decorate again)."""
    return bool(rebound and _mentions(stmt, rebound) and stmt.names.loads & rebound
                or rebuilt and _may_decorate(stmt.node) and stmt.names.deco_loads & rebuilt)


def _diff(old: ParsedModule, new: ParsedModule, namespace: dict | None,
          region: Region | None) -> ReloadPlan:
    if region is not None:
        old_stmts, new_stmts = region.old_stmts, region.new_stmts
        old_keys, new_keys = keys_of(old_stmts), keys_of(new_stmts)
        top = region.top
    else:
        old_stmts, new_stmts, old_keys, new_keys, top = old.stmts, new.stmts, old.keys, new.keys, True
    old_by_key = dict(zip(old_keys, old_stmts))
    matched = {id(old_by_key[k]) for k in new_keys if k in old_by_key}
    unmatched_dumps: dict[str, list[Stmt]] | None = None
    run: list[ast.stmt] = []
    moved: list[tuple[int, int, int]] = []
    relined: list[tuple[int, int, int, ast.stmt]] = []
    keep: dict[tuple, set[str]] = {}
    class_dropped: dict[tuple, set[str]] = {}
    rebound: set[str] = set()
    rebuilt: set[str] = set()
    redecorated: set[str] = set()
    class_edits: list[ClassEdit] = []
    own_functions: set[str] | None = None
    once: set[str] = set()  # names defined once (made when a class changed)

    for index, (key, stmt) in enumerate(zip(new_keys, new_stmts)):
        node = stmt.node
        if index == 0 and top and is_docstring(node):
            continue
        if is_main_guard(node):
            continue
        before = old_by_key.get(key)
        if before is stmt or (before is not None and before.text == stmt.text):
            same = True
        elif before is not None:  # a definition whose text changed: maybe only comments
            # (a class is compared member by member below)
            same = not isinstance(node, ast.ClassDef) and same_tree(before.node, node)
        else:  # a statement whose text is new: maybe only comments/layout changed
            if unmatched_dumps is None:
                unmatched_dumps = defaultdict(list)
                for old_stmt in old_stmts:
                    if id(old_stmt) not in matched and old_stmt.name is None:
                        unmatched_dumps[old_stmt.shape].append(old_stmt)
            candidates = unmatched_dumps.get(stmt.shape)
            before = candidates.pop(0) if candidates else None
            same = before is not None
        stale = _stale(stmt, rebound, rebuilt)
        if same and not stale:
            if before.text != stmt.text and defined_in(node):
                relined.append((before.start, before.end, stmt.start - before.start,
                                stmt.located()))
            elif before.start != stmt.start:
                moved.append((before.start, before.end, stmt.start - before.start))
            continue
        if isinstance(node, ast.ClassDef) and before is not None and isinstance(
            before.node, ast.ClassDef
        ):
            if region is not None:
                raise Whole  # a class edit asks about the module's other functions
            if own_functions is None:
                own_functions = {s.name for s in new.stmts if isinstance(
                    s.node, (ast.FunctionDef, ast.AsyncFunctionDef))}
                once = _defined_once(new)
            # (a class bound twice cannot say which live object is its own)
            edit = node.name in once and _member_edit(before, stmt, old, new, namespace,
                                                      rebound, rebuilt, own_functions, moved)
            if edit:
                class_edits.append(edit)
                continue
            if not stale and before.text != stmt.text and same_tree(before.node, node):
                # only comments or layout changed: renumber its code
                relined.append((before.start, before.end, stmt.start - before.start,
                                stmt.located()))
                continue
            _class_keep(before.node, node, (node.name,), keep, rebound, class_dropped)
        run.append(stmt.located())
        defined = defined_in(node)
        rebuilt |= defined
        rebound |= stmt.names.stores - defined
        if (before is not None and isinstance(node, DEFS) and type(before.node) is type(node)
                and [_dump(d) for d in before.node.decorator_list]
                != [_dump(d) for d in node.decorator_list]):
            redecorated.add(node.name)
            if not isinstance(node, ast.ClassDef):
                rebound.add(node.name)  # what captured the old object takes the new one

    # Names only a dropped statement bound are gone, unless another one binds them.
    kept_nodes = {id(stmt.node) for stmt in new_stmts}
    dropped: set[str] = set()
    for stmt in old_stmts:
        if id(stmt.node) not in kept_nodes:
            dropped |= stmt.names.stores
    dropped -= rebuilt | rebound  # bound again by a statement that runs now
    dropped -= {edit.path[0] for edit in class_edits}  # patched, still bound
    if dropped:
        for stmt in new_stmts:
            if _mentions(stmt, dropped):
                dropped -= stmt.names.stores
    if region is not None:
        region.mentioned_outside(dropped)
        # what runs again leaves every statement after it as it was
        region.check_tail(rebound, rebuilt, lambda s: not is_main_guard(s.node)
                          and _stale(s, rebound, rebuilt))
        region.defined_outside(rebuilt)
        moved.extend(region.moved())
        doc_changed, docstring = region.docstring()
        once = _defined_once_in(new_stmts)
    else:
        doc_changed, docstring = old.docstring != new.docstring, new.docstring
        once = once if own_functions is not None else _defined_once(new)
    # A name bound by several definitions (`_` for singledispatch handlers)
    # cannot say which old object is which: those are rebound, never merged.
    return ReloadPlan(
        parsed=new,
        run=run,
        removed=dropped,
        moved=moved,
        relined=relined,
        redecorated=redecorated,
        rebuilt=rebuilt & once,
        keep=keep,
        dropped=class_dropped,
        doc_changed=doc_changed,
        docstring=docstring,
        flags=new.flags,
        class_edits=class_edits,
    )
