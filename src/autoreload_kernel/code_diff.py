"""Tell from the bytecode that a large edit changed only function bodies.

A formatter run or a branch switch touches most definitions of a module.  The
statement diff (:mod:`autoreload_kernel.plan`) would parse all that changed
code and then compile it again; compiling the whole new source once costs as
much as either, and is a fresh import's own cost.  So for a large edit the
diff first compiles the new source and compares it with the old version's
code: when the module-level code and every class body are the same apart from
line numbers and the code of the functions they define, nothing at module or
class level has to run.  The live functions then only take their new code
(which also carries their new line numbers), and the plan holds a
:class:`BodyEdit` instead of statements to run.

Any doubt gives ``None`` and the statement diff decides as before: a function
whose live object cannot be found, or that a decorator wraps in something other
than the standard descriptors (the statement diff runs that decorator again),
a changed function that module-level or class-level code reads (a decorator
of the module's own, say), changed free variables or flags, a changed lambda
or comprehension at module level, anything else at module or class level.

The old version's code comes from the last large edit (a few modules' worth
are kept) or is compiled from the baseline source.
"""

from __future__ import annotations

import dis
import functools
import sys
from collections import OrderedDict
from dataclasses import dataclass, field
from operator import attrgetter
from types import CodeType, FunctionType

from .class_diff import live_class, mangle
from .class_members import _functions_in
from .definitions import _LRU

#: an edit whose changed bytes are less than this share of the file takes the
#: statement diff, which costs what the changed code costs (measured on the
#: benchmark module: the bytecode path is already cheaper at 0.28, 6.0 vs 7.0 ms)
LARGE_SHARE = 0.3
#: files below this size: the statement diff is as cheap either way
SMALL_FILE = 2_000

_CO_OPTIMIZED = 0x0001
_KEPT = 16  # old versions' code kept, most recent modules first
_codes: OrderedDict[str, tuple[bytes, CodeType]] = OrderedDict()


@dataclass
class BodyEdit:
    """What a body-only edit changes: functions that take new code."""

    #: (live function, its new code, did the code change apart from lines)
    functions: list[tuple[FunctionType, CodeType, bool]] = field(default_factory=list)
    #: lru_cache wrappers of changed functions: their results came from the old code
    caches: list = field(default_factory=list)
    #: (live class, new first line) for classes that record their line (3.13+)
    class_lines: list[tuple[type, int]] = field(default_factory=list)
    #: top-level names whose code changed (for the report)
    names: list[str] = field(default_factory=list)


def changed_share(old: bytes, new: bytes, ends: tuple[int, int] | None = None) -> float:
    """The share of ``new`` between the longest common head and tail with ``old``
    (``ends``: :func:`common_ends`, when known)."""
    head, tail = ends or common_ends(old, new)
    return (len(new) - head - tail) / max(len(new), 1)


def common_ends(old: bytes, new: bytes) -> tuple[int, int]:
    """(bytes of the longest common head, of the longest common tail after it).

    Blocks growing fourfold are compared in C without copying them; the first
    that differs is halved down to 64 bytes, where one integer xor
    finds the byte.  The work grows with the common part's length, in few
    steps."""
    la, lb = len(old), len(new)
    view = memoryview(new)
    limit = min(la, lb)
    low, step = 0, 256
    while low < limit:  # the head
        high = min(limit, low + step)
        if not old.startswith(view[low:high], low):
            while high - low > 64:
                mid = (low + high) // 2
                if old.startswith(view[low:mid], low):
                    low = mid
                else:
                    high = mid
            x = int.from_bytes(old[low:high], "big") ^ int.from_bytes(new[low:high], "big")
            low = high - 1 - (x.bit_length() - 1) // 8
            break
        low, step = high, step * 4
    head = low
    limit -= head
    low, step = 0, 256  # the tail: bytes counted from the ends
    if limit > 64 and old.startswith(view[lb - limit + 64:], la - limit + 64):
        low = limit - 64  # a small edit: all but the bytes next to it are the tail
    while low < limit:
        high = min(limit, low + step)
        if not old.startswith(view[lb - high:lb - low], la - high):
            while high - low > 64:
                mid = (low + high) // 2
                if old.startswith(view[lb - mid:lb - low], la - mid):
                    low = mid
                else:
                    high = mid
            x = (int.from_bytes(old[la - high:la - low], "big")
                 ^ int.from_bytes(new[lb - high:lb - low], "big"))
            low += ((x & -x).bit_length() - 1) // 8
            break
        low, step = high, step * 4
    view.release()
    return head, low


def body_edit(old_source: bytes, new_source: bytes, path: str, namespace: dict,
              ends: tuple[int, int] | None = None) -> BodyEdit | None:
    """The body-only edit from ``old_source`` to ``new_source`` of the module
    whose namespace is ``namespace``, or None (the statement diff decides).
    ``ends``: :func:`common_ends` of the two, when known."""
    found = frame_diff(old_source, new_source, path, ends=ends)
    return None if found is None else _match(found, path, namespace)


def is_large(old_source: bytes, new_source: bytes, ends: tuple[int, int] | None = None) -> bool:
    """Is this edit large enough for the whole-module comparison?"""
    return (len(new_source) >= SMALL_FILE
            and changed_share(old_source, new_source, ends) >= LARGE_SHARE)


def frame_diff(old_source: bytes, new_source: bytes, path: str, keep: bool = True,
               ends: tuple[int, int] | None = None):
    """:func:`body_edit`'s half that reads no live object: compile and compare.
    What it found, or None.  ``keep=False`` (off the shell thread) leaves the
    kept code alone; :func:`live_edit` keeps it then."""
    if not is_large(old_source, new_source, ends):
        return None
    try:
        new = compile(new_source, path, "exec", dont_inherit=True)
    except (SyntaxError, ValueError):
        return None  # the statement diff names the line
    old = _old_code(path, old_source)
    if keep:
        _keep(path, new_source, new)
    return None if old is None else compare(old, new)


def compare(old: CodeType, new: CodeType):
    """What changed from module code ``old`` to ``new`` when only the code of
    functions did (the functions, classes and names found), else None."""
    found = _Found()
    found.code = new
    return found if _same_frame(old, new, (), found) else None


def live_edit(found, path: str, source: bytes, namespace: dict) -> BodyEdit | None:
    """:func:`body_edit`'s other half, for what :func:`frame_diff` found
    ahead of time (keep=False): on the shell thread, with the live module."""
    _keep(path, source, found.code)
    return _match(found, path, namespace)


def _old_code(path: str, source: bytes) -> CodeType | None:
    kept = _codes.get(path)
    if kept is not None and (kept[0] is source or kept[0] == source):
        return kept[1]
    try:
        return compile(source, path, "exec", dont_inherit=True)
    except (SyntaxError, ValueError):
        return None


def _keep(path: str, source: bytes, code: CodeType) -> None:
    keep_recent(_codes, path, (source, code))


def keep_recent(kept: OrderedDict, key, value, most: int = _KEPT) -> None:
    """``kept[key] = value``, dropping the least recently kept beyond ``most``."""
    kept[key] = value
    kept.move_to_end(key)
    while len(kept) > most:
        kept.popitem(last=False)


class _Found:
    """What the comparison collected."""

    def __init__(self):
        #: (class path, old code, new code, changed)
        self.functions: list[tuple[tuple, CodeType, CodeType, bool]] = []
        #: (class path, new class body code)
        self.classes: list[tuple[tuple, CodeType]] = []
        #: names module-level and class-level code reads as variables
        self.loaded: set[str] = set()
        #: lambdas at module or class level that moved: (class path, first
        #: line, name) -> new code
        self.lambdas: dict[tuple, CodeType] = {}
        #: the new version's module code
        self.code: CodeType | None = None


def _same_frame(old: CodeType, new: CodeType, scope: tuple, found: _Found) -> bool:
    """Module or class body code: the same apart from lines and the code of the
    functions it defines (those are collected, changed or not)."""
    if not _same_shell(old, new):
        return False
    masked = _first_line_const(old), _first_line_const(new)
    if masked[0] != masked[1]:
        return False
    found.loaded |= _loaded_names(new)
    functions = found.functions
    for index, (a, b) in enumerate(zip(old.co_consts, new.co_consts)):
        if a is b:
            continue
        kind = type(a)
        if kind is CodeType:
            if type(b) is not CodeType or a.co_name != b.co_name or \
                    _qualname(a) != _qualname(b):
                return False
            if a.co_name[0] == "<":  # a lambda, comprehension, type parameters ...
                if not same_code(a, b):
                    return False
                found.loaded |= _loaded_names(b)
                if a.co_name == "<lambda>" and a.co_firstlineno != b.co_firstlineno:
                    found.lambdas[(scope, a.co_firstlineno, a.co_name)] = b
            elif not a.co_flags & _CO_OPTIMIZED:  # a class body
                if b.co_flags & _CO_OPTIMIZED:
                    return False
                inner = scope + (a.co_name,)
                found.classes.append((inner, b))
                if not _same_frame(a, b, inner, found):
                    return False
            else:
                if a.co_freevars != b.co_freevars or a.co_flags != b.co_flags:
                    return False
                functions.append((scope, a, b, not same_code(a, b)))
        elif index == masked[0]:
            continue  # the class's first line (3.13+)
        elif kind is not type(b) or a != b or kind in _BY_TEXT and not _same_text(a, b):
            return False
    return True


def _same_shell(a: CodeType, b: CodeType) -> bool:
    """Everything of a code object but its constants and line numbers."""
    return (a.co_code == b.co_code and a.co_names == b.co_names
            and a.co_varnames == b.co_varnames and a.co_freevars == b.co_freevars
            and a.co_cellvars == b.co_cellvars and a.co_flags == b.co_flags
            and a.co_argcount == b.co_argcount and a.co_posonlyargcount == b.co_posonlyargcount
            and a.co_kwonlyargcount == b.co_kwonlyargcount
            and _exceptions(a) == _exceptions(b)
            and len(a.co_consts) == len(b.co_consts))


def same_code(a: CodeType, b: CodeType) -> bool:
    """Same code apart from line numbers (nested code included)?"""
    if a is b:
        return True
    if a.co_code != b.co_code:
        return False
    ca, cb = a.co_consts, b.co_consts
    if ca == cb:  # equal values (nested code with equal lines): are they the same kind?
        if not _BY_TEXT.isdisjoint(map(type, ca)) or tuple(map(type, ca)) != tuple(map(type, cb)):
            if not _same_consts(ca, cb):
                return False
    elif not _same_consts(ca, cb):  # a value changed, or only nested lines
        return False
    return _same_shell(a, b) and a.co_name == b.co_name and _qualname(a) == _qualname(b)


def _same_consts(ca: tuple, cb: tuple) -> bool:
    if len(ca) != len(cb):
        return False
    for x, y in zip(ca, cb):
        if x is y:
            continue
        kind = type(x)
        if kind is CodeType:
            if type(y) is not CodeType or not same_code(x, y):
                return False
        elif kind is not type(y) or x != y or kind in _BY_TEXT and not _same_text(x, y):
            return False
    return True


#: equal constants the compiler keeps apart (0.0 and -0.0, and containers of
#: them, or of 1 and True): their text tells them apart
_BY_TEXT = frozenset({float, complex, tuple, frozenset})


def _same_text(a, b) -> bool:
    """Two equal constants of a type in ``_BY_TEXT``: the same constant?  A
    container of plain items (the defaults of a ``def``) is when its items'
    types are; otherwise the text tells."""
    if type(a) in (tuple, frozenset):
        kinds = tuple(map(type, a))
        if _BY_TEXT.isdisjoint(kinds):
            return kinds == tuple(map(type, b))
    return repr(a) == repr(b)
_qualname = attrgetter("co_qualname" if sys.version_info >= (3, 11) else "co_name")
_exceptions = (attrgetter("co_exceptiontable") if sys.version_info >= (3, 11)
               else lambda code: None)


_STORE_NAME = dis.opmap["STORE_NAME"]
_LOAD_CONST = dis.opmap["LOAD_CONST"]
_EXTENDED_ARG = dis.opmap["EXTENDED_ARG"]
#: variable loads by name index (LOAD_GLOBAL's index is shifted on 3.11+)
_LOADS = {dis.opmap[name]: 0 for name in ("LOAD_NAME", "LOAD_FROM_DICT_OR_GLOBALS")
          if name in dis.opmap}
_LOADS[dis.opmap["LOAD_GLOBAL"]] = 1 if sys.version_info >= (3, 11) else 0


def _instructions(code: CodeType):
    """(opcode, argument) of each instruction, EXTENDED_ARG folded in."""
    raw = code.co_code
    arg = 0
    for at in range(0, len(raw), 2):
        op = raw[at]
        arg |= raw[at + 1]
        if op == _EXTENDED_ARG:
            arg <<= 8
            continue
        yield op, arg
        arg = 0


def _loaded_names(code: CodeType) -> set[str]:
    """Names the code reads as variables.  Searches the opcodes at C speed
    rather than walking every instruction in Python."""
    raw = code.co_code
    ops, args = raw[0::2], raw[1::2]
    names = code.co_names
    found = set()
    for op, shift in _LOADS.items():
        at = ops.find(op)
        while at != -1:
            arg, back, scale = args[at], at - 1, 8
            while back >= 0 and ops[back] == _EXTENDED_ARG:
                arg |= args[back] << scale
                back, scale = back - 1, scale + 8
            found.add(names[arg >> shift])
            at = ops.find(op, at + 1)
    return found


def _first_line_const(code: CodeType) -> int | None:
    """Index of the constant a class body stores as ``__firstlineno__`` (3.13+),
    when no other instruction loads it; None if there is none."""
    if "__firstlineno__" not in code.co_names:
        return None
    previous = None
    index = None
    loads: dict[int, int] = {}
    for op, arg in _instructions(code):
        if op == _LOAD_CONST:
            loads[arg] = loads.get(arg, 0) + 1
        if (op == _STORE_NAME and code.co_names[arg] == "__firstlineno__"
                and previous is not None and previous[0] == _LOAD_CONST):
            index = previous[1]
        previous = (op, arg)
    return index if index is not None and loads.get(index) == 1 else None


def _match(found: _Found, path: str, namespace: dict) -> BodyEdit | None:
    """Find the live function of each compiled one; None if a changed one is missing."""
    module_name = namespace.get("__name__", "")
    loaded = found.loaded
    if loaded and any(diff and b.co_name in loaded for _scope, _a, b, diff in found.functions):
        return None  # module or class code calls it (a decorator): run it again instead
    edit = BodyEdit()
    owners: dict[tuple, dict] = {(): namespace}
    for scope, new in found.classes:
        cls = owners.get(scope[:-1])
        cls = live_class(cls, scope, module_name) if cls is not None else None
        if cls is not None:
            owners[scope] = cls.__dict__
            if "__firstlineno__" in cls.__dict__:
                edit.class_lines.append((cls, new.co_firstlineno))
    functions, names = edit.functions, {}
    for scope, old, new, diff in found.functions:
        owner = owners.get(scope)
        if owner is None:
            if diff:
                return None
            continue
        name = old.co_name
        value = owner.get(mangle(scope[-1], name) if scope and name[:2] == "__" else name)
        if type(value) is FunctionType and _made_from(value, old, path):
            func, cache = value, None  # the common case: no decorator
        else:
            func, cache = _live_function(value, old, path)
        if func is None and not diff:
            # unchanged, only renumbered: also look inside other decorators
            func = next((f for f in _functions_in(value, module_name)
                         if _made_from(f, old, path)), None)
        if func is None:
            if diff:
                return None
            continue
        functions.append((func, new, diff))
        if diff:
            if cache is not None:
                edit.caches.append(cache)
            names[scope[0] if scope else name] = None
    edit.names = list(names)
    if found.lambdas:  # a lambda bound at module or class level takes its new lines
        for scope, owner in owners.items():
            for value in list(owner.values()):
                if type(value) is FunctionType and value.__code__.co_filename == path:
                    code = value.__code__
                    new = found.lambdas.get((scope, code.co_firstlineno, code.co_name))
                    if new is not None:
                        functions.append((value, new, False))
    return edit


def _live_function(value, code: CodeType, path: str):
    """(the function made from ``code`` inside ``value``, its lru_cache wrapper),
    looking only through the standard wrappers; (None, None) if not there."""
    cache = None
    if isinstance(value, _LRU):
        cache, value = value, getattr(value, "__wrapped__", None)
    if isinstance(value, (classmethod, staticmethod)):
        value = value.__func__
        if isinstance(value, _LRU):
            cache, value = value, getattr(value, "__wrapped__", None)
    if isinstance(value, property):
        candidates = (value.fget, value.fset, value.fdel)
    elif isinstance(value, functools.cached_property):
        candidates = (value.func,)
    else:
        candidates = (value,)
    for func in candidates:
        if isinstance(func, FunctionType) and _made_from(func, code, path):
            return func, cache
    return None, None


def _made_from(func: FunctionType, code: CodeType, path: str) -> bool:
    """Was ``func`` made by the definition ``code`` compiles (same file, name, line)?"""
    live = func.__code__
    return live is code or (live.co_filename == path and live.co_name == code.co_name
                            and live.co_firstlineno == code.co_firstlineno)


__all__ = ["BodyEdit", "body_edit", "changed_share", "common_ends", "same_code"]
