"""Apply one module's new source, all or nothing.

Only the statements the plan (:mod:`autoreload_kernel.plan`) selected run, in
the module's own namespace, with the real file name and line numbers (so
tracebacks and ``inspect`` show the real file).  If any of them raises, the namespace is restored to exactly what
it was and nothing is patched.  Only after everything ran are the old objects
patched in place and the old identities put back.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from types import ModuleType

from .patching import Patcher, codes_by_qualname, shift_lines
from .plan import ReloadFailed, ReloadPlan


@dataclass
class Applied:
    """What a successful reload did to one module."""

    patched: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    #: names bound to new objects: (name, old value, new value)
    rebound: list[tuple] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def apply_source(module: ModuleType, path: str, plan: ReloadPlan) -> Applied:
    """Bring ``module`` to the plan's version; raise ReloadFailed and leave it untouched on error."""
    try:
        code = compile(ast.Module(body=plan.run, type_ignores=[]), path, "exec",
                       flags=plan.flags, dont_inherit=True)
    except (SyntaxError, ValueError) as err:
        raise ReloadFailed.at(err, path) from None

    ns = module.__dict__
    before = dict(ns)
    try:
        exec(code, ns)
        if plan.doc_changed:
            ns["__doc__"] = plan.docstring
    except BaseException as err:
        ns.clear()
        ns.update(before)
        if isinstance(err, (KeyboardInterrupt, SystemExit)):
            raise
        raise ReloadFailed.at(err, path) from None

    result = Applied()
    patcher = Patcher(plan.keep, plan.dropped)
    rebuilt = plan.rebuilt
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
                if name in plan.redecorated:
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
    result.notes.extend(patcher.notes)
    patcher.update_closures()
    for name, value in list(ns.items()):
        patcher.adopt_instance(value)
        survivor = patcher.old_for(value)
        if survivor is not value:
            # A re-run statement captured a def's new object (`ALIAS = f`): the
            # module keeps one object per def, the patched old one.
            ns[name] = survivor
            result.rebound = [(n, o, survivor if n == name else v)
                              for n, o, v in result.rebound if not (n == name and o is survivor)]
        else:
            patcher.restore_in(value)  # registries and tables holding new objects
    for name in plan.removed:
        if name in ns and not name.startswith("__"):
            result.removed.append(name)
            result.rebound.append((name, ns.pop(name), MISSING))
    if plan.moved or plan.relined:
        # Untouched objects whose source moved: renumber their code.
        moves = [(first, last, delta, None) for first, last, delta in plan.moved]
        for first, last, delta, node in plan.relined:
            code = compile(ast.Module(body=[node], type_ignores=[]), path, "exec",
                           flags=plan.flags, dont_inherit=True)
            moves.append((first, last, delta, codes_by_qualname(code)))
        untouched = [v for n, v in ns.items() if before.get(n, MISSING) is v
                     and n not in rebuilt]
        seen: set[int] = set()  # an object bound to two names moves once
        for value in untouched:
            shift_lines(value, moves, path, seen)
    return result


def _own(obj, module) -> bool:
    """Was ``obj`` defined by this module's code (not imported into it)?"""
    return getattr(obj, "__module__", None) == module.__name__


class _Missing:
    def __repr__(self):
        return "<removed>"


MISSING = _Missing()

__all__ = ["Applied", "apply_source", "MISSING"]
