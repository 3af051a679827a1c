"""Apply one module's new source, all or nothing.

Only the statements the plan (:mod:`autoreload_kernel.plan`) selected run, in
the module's own namespace, with the real file name and line numbers (so
tracebacks and ``inspect`` show the real file).  If any of them raises, the
namespace is restored to exactly what it was and nothing is patched.  Only after everything ran are the old objects
patched in place and the old identities put back.
"""

from __future__ import annotations

import ast
import warnings
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from itertools import compress, repeat
from operator import is_not, or_
from types import ModuleType

from . import class_members
from .line_shift import shift_lines
from .nested_codes import codes_by_qualname
from .patching import Patcher
from .code_diff import BodyEdit
from .plan import ReloadFailed, ReloadInterrupted, ReloadPlan
from .statements import first_line


@dataclass(slots=True)
class Applied:
    """What a successful reload did to one module."""

    patched: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    #: names bound to new objects: (name, old value, new value)
    rebound: list[tuple] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def compile_plan(plan: ReloadPlan, path: str) -> tuple:
    """The plan's code: (module code, class members' code).  Touches no live
    object, so it may be made ahead of time (see :mod:`.prepared`)."""
    try:
        code = compile(ast.Module(body=plan.run, type_ignores=[]), path, "exec",
                       flags=plan.flags, dont_inherit=True)
        members = class_members.compile_edits(plan.class_edits, path, plan.flags)
    except (SyntaxError, ValueError) as err:
        raise ReloadFailed.at(err, path) from None
    return code, members


def apply_source(module: ModuleType, path: str, plan: ReloadPlan, gate=None,
                 compiled: tuple | None = None) -> Applied:
    """Bring ``module`` to the plan's version; raise ReloadFailed and leave it untouched on error.

    ``gate`` (an :class:`~.interrupts.InterruptGate`) lets an interrupt stop only
    the user's code; the patching after it is never cut short.  ``compiled``:
    :func:`compile_plan`'s result, when it was made ahead of time."""
    if plan.bodies is not None:
        return _take_bodies(plan.bodies, plan.moved, module.__dict__, path)
    code, members = compiled if compiled is not None else compile_plan(plan, path)

    ns = module.__dict__
    before = dict(ns)
    try:
        with _held_warnings() as said, gate.open() if gate is not None else nullcontext():
            exec(code, ns)
            if plan.doc_changed:
                ns["__doc__"] = plan.docstring
            staged = class_members.build(members, module)
    except BaseException as err:
        ns.clear()
        ns.update(before)
        if isinstance(err, KeyboardInterrupt):
            raise ReloadInterrupted.at(err, path) from None
        if isinstance(err, SystemExit):
            raise
        raise ReloadFailed.at(err, path, _recreate_hint(err, path, plan, before),
                               ran=True) from None
    for args, kwargs in said:
        warnings.showwarning(*args, **kwargs)

    result = Applied()
    patcher = Patcher(plan.keep, plan.dropped, plan.redecorated)
    rebuilt = plan.rebuilt
    previous_objects = None
    for name, value, old_value in _changed_names(ns, before):
        if old_value is MISSING:
            result.added.append(name)
            continue
        if previous_objects is None:
            previous_objects = set(map(id, before.values()))
        kept = value
        if name in rebuilt and _own(old_value, module) and _own(value, module) and (
            id(value) not in previous_objects
        ):
            # Only a def/class of this module that ran again hands its code to
            # the object it replaces; an alias or an import is a plain rebind.
            try:
                if name in plan.redecorated and not isinstance(old_value, type):
                    patcher.forward(old_value, value)
                else:
                    kept = patcher.merge(old_value, value, (name,))
            except Exception as err:  # noqa: BLE001 - keep the new object, say why
                result.notes.append(f"{name}: could not patch in place ({err}); "
                                    "references made before the edit keep the old object")
        ns[name] = kept
        if kept is old_value:
            result.patched.append(name)
        else:
            result.rebound.append((name, old_value, value))
    if plan.moved or plan.relined:
        # Untouched objects whose source moved: renumber their code (before
        # class members take new code, which has the right numbers already).
        moves = [(first, last, delta, None) for first, last, delta in plan.moved]
        for first, last, delta, node in plan.relined:
            code = compile(ast.Module(body=[node], type_ignores=[]), path, "exec",
                           flags=plan.flags, dont_inherit=True)
            moves.append((first, last, delta, codes_by_qualname(code)))
        untouched = [v for n, v in ns.items() if before.get(n, MISSING) is v
                     and n not in rebuilt]
        # An object bound to two names moves once; one that ran again (an alias
        # of a re-run def) already has the new numbers.
        seen = {id(ns[n]) for n in rebuilt if n in ns}
        for value in untouched:
            shift_lines(value, moves, path, seen)
    if plan.class_edits:
        result.patched.extend(class_members.patch(plan.class_edits, staged, module, patcher))
    result.notes.extend(patcher.notes)
    patcher.update_closures()
    for name, value in _touched_by(patcher.replaced, ns):
        if id(type(value)) in patcher.replaced:
            patcher.adopt_instance(value)
        survivor = patcher.old_for(value)
        if survivor is not value:
            # A re-run statement captured a def's new object (`ALIAS = f`): the
            # module keeps one object per def, the patched old one.
            ns[name] = survivor
            result.rebound = [(n, o, survivor if n == name else v)
                              for n, o, v in result.rebound if not (n == name and o is survivor)]
        elif isinstance(value, (dict, list, set)):
            patcher.restore_in(value)  # registries and tables holding new objects
    for name in plan.removed:
        if name in ns and not name.startswith("__"):
            result.removed.append(name)
            result.rebound.append((name, ns.pop(name), MISSING))
    return result


def _take_bodies(edit: BodyEdit, moved: list, ns: dict, path: str) -> Applied:
    """A body-only edit (see :mod:`~.code_diff`, :mod:`~.local_edit`): no code
    runs; each function takes its new code, and the unchanged ones their new
    line numbers.  ``moved``: the lines after a local edit, whose objects
    shift by the lines it added or removed."""
    patcher = Patcher()
    for func, code, changed in edit.functions:
        if changed:
            patcher.take_code(func, code)
        else:
            patcher.renumber(func, code)
    for cache in edit.caches:
        cache.cache_clear()  # its results came from the old code
    for cls, line in edit.class_lines:
        type.__setattr__(cls, "__firstlineno__", line)  # what inspect reads on 3.13+
    if moved:
        moves = [(first, last, delta, None) for first, last, delta in moved]
        seen = {id(func) for func, _code, _changed in edit.functions}  # numbered already
        for value in list(ns.values()):
            shift_lines(value, moves, path, seen)
    patcher.update_closures()
    return Applied(patched=list(edit.names), notes=patcher.notes)


def _changed_names(ns: dict, before: dict):
    """(name, value, value before) for the names the run bound or rebound; the
    identity tests run in C, so a large module's unchanged names cost little."""
    names = list(ns)
    values = list(ns.values())
    olds = list(map(before.get, names, repeat(MISSING)))
    for index in compress(range(len(names)), map(is_not, values, olds)):
        yield names[index], values[index], olds[index]


def _touched_by(replaced: dict, ns: dict):
    """(name, value) for the names whose value, or its class, took another's place,
    or that hold a container (it may hold such an object); none if nothing did."""
    if not replaced:
        return
    names = list(ns)
    values = list(ns.values())
    hit = map(or_, map(replaced.__contains__, map(id, values)),
              map(replaced.__contains__, map(id, map(type, values))))
    hit = map(or_, hit, map(isinstance, values, repeat((dict, list, set))))
    for index in compress(range(len(names)), hit):
        yield names[index], values[index]


@contextmanager
def _held_warnings():
    """Hold the warnings a run shows until it succeeded: a failed run is undone,
    and so is what it said (SQLAlchemy's "class will be replaced", say).  Only
    the display is held; the filters the module sets stay as it set them."""
    said: list[tuple] = []
    show = warnings.showwarning
    warnings.showwarning = lambda *args, **kwargs: said.append((args, kwargs))
    try:
        yield said
    finally:
        warnings.showwarning = show


def _recreate_hint(err: BaseException, path: str, plan: ReloadPlan, before: dict) -> str | None:
    """When creating an existing class again failed inside some framework (not in
    this file's code), say plainly that such a change needs a restart."""
    where, origin = None, None
    tb = err.__traceback__
    while tb is not None:
        frame = tb.tb_frame
        if frame.f_code.co_filename == path:
            where, origin = (frame.f_code.co_name, tb.tb_lineno), None
        elif where is not None and origin is None:
            origin = frame.f_globals.get("__name__", "?")
        tb = tb.tb_next
    if where is None or where[0] != "<module>" or origin is None:
        return None  # raised by this file's own code: an ordinary error
    line = where[1]
    for node in plan.run:
        if (isinstance(node, ast.ClassDef) and first_line(node) <= line <= node.end_lineno
                and isinstance(before.get(node.name), type)):
            return (f"class {node.name} ({path}:{node.lineno}) had to be created again "
                    "because a field, base, class decorator or other class-level statement "
                    f"changed, and {origin.split('.')[0]} refused to create it a second "
                    "time. This kind of change needs a kernel restart.")
    return None


def _own(obj, module) -> bool:
    """Was ``obj`` defined by this module's code (not imported into it)?"""
    return getattr(obj, "__module__", None) == module.__name__


class _Missing:
    def __repr__(self):
        return "<removed>"


MISSING = _Missing()

__all__ = ["Applied", "apply_source", "MISSING"]
