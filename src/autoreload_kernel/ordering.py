"""Decide the order of reloads: each module after the modules it imports.

If ``a`` does ``from b import NEW`` and both were edited, ``b`` must be brought
up to date first or ``a``'s new statement fails.  Cycles (``a`` and ``b``
importing each other) are broken by the order the modules were first imported.
"""

from __future__ import annotations


def reload_order(names: list[str], deps: dict[str, set[str]]) -> list[str]:
    """``names`` (in import order) sorted so dependencies come first."""
    wanted = set(names)
    done: set[str] = set()
    active: set[str] = set()
    order: list[str] = []

    def visit(name: str) -> None:
        if name in done or name in active:
            return  # already placed, or a cycle: import order decides
        active.add(name)
        for dep in sorted(deps.get(name, set()) & wanted, key=names.index):
            visit(dep)
        active.discard(name)
        done.add(name)
        order.append(name)

    for name in names:
        visit(name)
    return order
