"""The order in which the kernels of a run take their turns.

Each timed loop gives every kernel its turn, one after the other.  What one
kernel leaves behind (its IOPub and history threads finishing the last cell)
falls on the next one's first cells, so the order changes from round to round
such that every kernel runs right after every other kernel equally often.
"""

from __future__ import annotations

import functools
import itertools


@functools.lru_cache(maxsize=None)
def _balanced_rounds(n: int) -> tuple:
    """n-1 orders of range(n), each holding every index once, such that
    the n(n-1) successions they make, read as one cycle (the last of a round
    followed by the first of the next, the last round by the first), are every
    ordered pair of distinct indices once.  Found by a depth-first search,
    instant for the four kernels a run has at most."""
    pairs_needed = n * (n - 1)
    perms = list(itertools.permutations(range(n)))
    rounds: list = []
    used: set = set()

    def inner(perm):
        return {(a, b) for a, b in zip(perm, perm[1:])}

    def search():
        if len(rounds) == n - 1:
            closing = (rounds[-1][-1], rounds[0][0])
            return len(used) == pairs_needed - 1 and closing not in used
        for perm in perms:
            new = inner(perm)
            if rounds:
                new.add((rounds[-1][-1], perm[0]))
            if len(new) < len(perm) - (0 if rounds else 1) or new & used:
                continue
            rounds.append(perm)
            used.update(new)
            if search():
                return True
            rounds.pop()
            used.difference_update(new)
        return False

    if n > 6 or not search():  # none exists or too many to search: plain rotation
        return tuple(tuple((i + r) % n for i in range(n)) for r in range(n))
    return tuple(rounds)


def turn_order(items, r: int) -> list:
    """Round ``r``'s order of ``items``.  The rounds repeat a cycle of n-1
    orders (``_balanced_rounds``) in which every kernel runs right after
    every other kernel exactly once, counting from one round into the
    next.  A plain rotation keeps the cyclic order, so one kernel would
    always run right after the slow `%autoreload 2` kernel, whose leftover
    work (its IOPub and history threads finishing the last cell) then
    falls on that kernel's first cells."""
    n = len(items)
    if n < 2:
        return list(items)
    rounds = _balanced_rounds(n)
    return [items[i] for i in rounds[r % len(rounds)]]


__all__ = ["turn_order"]
