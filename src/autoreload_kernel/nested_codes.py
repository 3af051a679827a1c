"""The code objects of nested defs, by qualified name, and the versions of
them that functions of the user's may still run.

A closure made before an edit (``add1 = make_adder(1)``) runs the nested
def's code of that time.  When the nested def's code changes, the patcher
finds such closures by these codes (one heap walk, see
``FunctionPatching.update_closures``); a comment-only edit renumbers by them.
"""

from __future__ import annotations

from types import CodeType


def codes_by_qualname(code, prefix: str = "", found=None) -> dict:
    """Every code object compiled inside ``code``, by the qualified name a
    function made from it gets (``C.m``, ``f.<locals>.g``); None for a name
    that several have."""
    if found is None:
        found = {}
    for const in code.co_consts:
        if type(const) is CodeType:
            qualname = getattr(const, "co_qualname", prefix + const.co_name)
            # Two codes with one name (two lambdas) cannot say which is which.
            found[qualname] = None if qualname in found else const
            nested = qualname + (".<locals>." if const.co_flags & _CO_OPTIMIZED else ".")
            codes_by_qualname(const, nested, found)
    return found


_CO_OPTIMIZED = 0x0001

#: (file, qualname) -> every version of a nested def's code that a function
#: of the user's was built with: closures made from any of them may be alive
_NESTED_SEEN: dict[tuple[str, str], list] = {}


def remember_nested(code, qualname: str) -> dict:
    """Note the nested codes of a function's code that is about to be replaced;
    return them by qualified name."""
    nested = codes_by_qualname(code, qualname + ".<locals>.")
    for name, const in nested.items():
        if const is not None:
            seen = _NESTED_SEEN.setdefault((const.co_filename, name), [])
            if not any(c is const for c in seen):
                seen.append(const)
                del seen[:-32]  # a long session keeps the latest versions
    return nested


def _same_code(a, b) -> bool:
    """Same code apart from line numbers?"""
    if (a.co_code != b.co_code or a.co_names != b.co_names or a.co_varnames != b.co_varnames
            or a.co_freevars != b.co_freevars or a.co_cellvars != b.co_cellvars
            or a.co_flags != b.co_flags or a.co_argcount != b.co_argcount
            or a.co_kwonlyargcount != b.co_kwonlyargcount
            or len(a.co_consts) != len(b.co_consts)):
        return False
    for x, y in zip(a.co_consts, b.co_consts):
        if hasattr(x, "co_code") and hasattr(y, "co_code"):
            if not _same_code(x, y):
                return False
        elif type(x) is not type(y) or x != y:
            return False
    return True
