"""What travels to a worker: one version of one user module.

Only versions that loaded in the kernel are shipped (a syntax error never
leaves it).  A version carries the path *relative to the module's import root*
(``pkg/sub.py``, ``pkg/__init__.py``), so a worker can lay the file out under a
directory of its own and import it with no shared file system.
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
    baselines = reloader.store.baselines
    for name, watched in list(reloader.finder.watched.items()):
        base = baselines.get(name)
        if base is None:
            continue
        version = version_of(name, watched.path, base.source)
        if version is not None:
            out[name] = version
    return out
