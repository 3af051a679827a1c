"""Apply one module's new source, all or nothing.

Only the statements the diff selected run, in the module's own namespace, with
the real file name and line numbers (so tracebacks and ``inspect`` show the
real file).  If any of them raises, the namespace is restored to exactly what
it was and nothing is patched.  Only after everything ran are the old objects
patched in place and the old identities put back.
"""

from __future__ import annotations

import ast
import traceback
from dataclasses import dataclass, field
from types import ModuleType

from .patching import Patcher, shift_lines
from .statements import ParsedModule, defined_in, diff, is_main_guard


@dataclass
class Applied:
    """What a successful reload did to one module."""

    patched: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    #: names bound to new objects: (name, old value, new value)
    rebound: list[tuple] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


class ReloadFailed(Exception):
    """The new source could not be applied; the module was left untouched."""

    def __init__(self, error: BaseException, lineno: int | None):
        super().__init__(str(error))
        self.error = error
        self.lineno = lineno


def _line_in(exc: BaseException, path: str) -> int | None:
    if isinstance(exc, SyntaxError) and exc.filename == path:
        return exc.lineno
    line = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename == path:
            line = frame.lineno
    return line


def parse_new(old: ParsedModule, source: bytes, path: str) -> ParsedModule:
    """The new version's statements; ReloadFailed names the line of a syntax error."""
    try:
        new = old.update(source, path)
        new.check_future_imports(path)
    except (SyntaxError, ValueError) as err:
        raise ReloadFailed(err, _line_in(err, path)) from None
    return new


def apply_source(module: ModuleType, path: str, old: ParsedModule, new: ParsedModule,
                 full: bool = False) -> Applied:
    """Bring ``module`` to ``new``; raise ReloadFailed and leave it untouched on error."""
    try:
        if full:
            changes = None
            body = [s.located() for s in new.stmts if not is_main_guard(s.node)]
            flags = new.flags
        else:
            changes = diff(old, new)
            body, flags = changes.run, changes.flags
        code = compile(ast.Module(body=body, type_ignores=[]), path, "exec", flags=flags,
                       dont_inherit=True)
    except (SyntaxError, ValueError) as err:
        raise ReloadFailed(err, _line_in(err, path)) from None

    ns = module.__dict__
    before = dict(ns)
    try:
        exec(code, ns)
        if changes is not None and changes.doc_changed:
            ns["__doc__"] = new.docstring
    except BaseException as err:
        ns.clear()
        ns.update(before)
        if isinstance(err, (KeyboardInterrupt, SystemExit)):
            raise
        raise ReloadFailed(err, _line_in(err, path)) from None

    result = Applied()
    patcher = Patcher(changes.keep, changes.dropped) if changes is not None else Patcher()
    rebuilt = changes.rebuilt if changes is not None else _defined_once(new)
    previous_objects = {id(v) for v in before.values()}
    for name, value in list(ns.items()):
        old_value = before.get(name, MISSING)
        if old_value is MISSING:
            result.added.append(name)
            continue
        if old_value is value:
            continue
        kept = value
        if name in rebuilt and _own(old_value, module) and _own(value, module) and (
            id(value) not in previous_objects
        ):
            # Only a def/class of this module that ran again hands its code to
            # the object it replaces; an alias or an import is a plain rebind.
            try:
                kept = patcher.merge(old_value, value, (name,))
            except Exception as err:  # noqa: BLE001 - keep the new object, say why
                result.notes.append(f"{name}: could not patch in place ({err}); "
                                    "references made before the edit keep the old object")
        ns[name] = kept
        if kept is old_value:
            result.patched.append(name)
        else:
            result.rebound.append((name, old_value, value))
    result.notes.extend(patcher.notes)
    for name, value in list(ns.items()):
        patcher.adopt_instance(value)
        if before.get(name, MISSING) is value:
            patcher.restore_in(value)  # registries filled by re-run decorators
    if changes is not None:
        for name in changes.removed:
            if name in ns and not name.startswith("__"):
                result.removed.append(name)
                result.rebound.append((name, ns.pop(name), MISSING))
        if changes.moved:
            # Untouched objects whose source moved: renumber their code.
            untouched = [v for n, v in ns.items() if before.get(n, MISSING) is v
                         and n not in rebuilt]
            for value in untouched:
                shift_lines(value, changes.moved, path)
    return result


def _own(obj, module) -> bool:
    """Was ``obj`` defined by this module's code (not imported into it)?"""
    return getattr(obj, "__module__", None) == module.__name__


def _defined_once(parsed: ParsedModule) -> set[str]:
    counts: dict[str, int] = {}
    for stmt in parsed.stmts:
        for name in defined_in(stmt.node):
            counts[name] = counts.get(name, 0) + 1
    return {name for name, count in counts.items() if count == 1}


class _Missing:
    def __repr__(self):
        return "<removed>"


MISSING = _Missing()

__all__ = ["Applied", "ReloadFailed", "apply_source", "parse_new", "MISSING"]
