"""What travels to a worker: one version of one user module.

Only versions that loaded in the kernel are shipped (a syntax error never
leaves it).  A version carries the path *relative to the module's import root*
(``pkg/sub.py``, ``pkg/__init__.py``), so a worker can lay the file out under a
directory of its own and import it with no shared file system.

An edit travels as a :class:`Delta`: the bytes between the unchanged head and
tail of the previous version, so what goes to every worker is proportional to
the change, not to the module.  A worker rebuilds the new bytes from the
version it holds and checks both fingerprints; one that holds another version
asks for the whole source instead.
"""

from __future__ import annotations

import hashlib
import os
from typing import NamedTuple


class Version(NamedTuple):
    """One module's source as the kernel runs it (plain tuple: pickles anywhere)."""

    name: str
    relpath: str
    source: bytes
    previous: str | None  # fingerprint of the version it replaces, if any
    fingerprint: str


class Delta(NamedTuple):
    """A version as the change from the version it replaces (plain tuple)."""

    name: str
    relpath: str
    head: int  # bytes kept from the start of the previous version
    tail: int  # bytes kept from its end
    middle: bytes  # what replaces the rest
    previous: str
    fingerprint: str


def delta_of(version: Version, old: bytes) -> Delta:
    new = version.source
    limit = min(len(old), len(new))
    head = _shared_head(old[:limit], new[:limit])
    limit -= head
    tail = _shared_head(old[::-1][:limit], new[::-1][:limit])  # the head of the reversed
    return Delta(version.name, version.relpath, head, tail, new[head:len(new) - tail],
                 version.previous or fingerprint(old), version.fingerprint)


def _shared_head(a: bytes, b: bytes, block: int = 4096) -> int:
    """How many leading bytes two equally long strings share.  Slice comparisons
    find the first block that differs; inside it, the two read as numbers
    differ from the highest bit of their XOR down (no Python loop over bytes)."""
    at = next((i for i in range(0, len(a), block) if a[i:i + block] != b[i:i + block]), len(a))
    x, y = a[at:at + block], b[at:at + block]
    differ = int.from_bytes(x, "big") ^ int.from_bytes(y, "big")
    return at + len(x) - (differ.bit_length() + 7) // 8


def rebuilt(delta: Delta, held: bytes | None) -> Version | None:
    """The full version, if ``held`` is the version the delta was made from."""
    if held is None or fingerprint(held) != delta.previous:
        return None
    source = held[:delta.head] + delta.middle + held[len(held) - delta.tail:]
    if fingerprint(source) != delta.fingerprint:
        return None
    return Version(delta.name, delta.relpath, source, delta.previous, delta.fingerprint)


def fingerprint(source: bytes) -> str:
    """Stable across processes (``hash()`` of bytes is salted per process)."""
    return hashlib.blake2b(source, digest_size=10).hexdigest()


def relpath_for(name: str, path: str) -> str | None:
    """``pkg/sub.py`` for module ``pkg.sub`` at ``/root/pkg/sub.py``; None when the
    file does not sit where its name says (loaded under another name)."""
    parts = name.split(".")
    if os.path.basename(path) == "__init__.py":
        parts.append("__init__")
    rel = "/".join(parts) + ".py"
    if not path.replace(os.sep, "/").endswith("/" + rel):
        return None
    return rel


def version_of(name: str, path: str, source: bytes, previous: bytes | None = None) -> Version | None:
    rel = relpath_for(name, path)
    if rel is None:
        return None
    return Version(name, rel, source, fingerprint(previous) if previous is not None else None,
                   fingerprint(source))


def loaded_versions(reloader) -> dict[str, Version]:
    """Every user module the kernel runs now, as the bytes it loaded."""
    out: dict[str, Version] = {}
    store = reloader.store
    for name in reloader.finder.watched:
        path, source = store.path_of(name), store.source_of(name)
        if path is None or source is None:
            continue
        version = version_of(name, path, source)
        if version is not None:
            out[name] = version
    return out
