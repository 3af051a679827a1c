"""Which modules count as the user's: the ones a reloader should watch.

The default is everything imported from a ``.py`` file that does not live in the
standard library or in a site-packages directory.  Editable installs live in the
user's own checkout, so they count as the user's.  Deciding this once per module
(and caching it) keeps the per-cell cost proportional to the user's modules
rather than to ``len(sys.modules)``.
"""

from __future__ import annotations

import os
import site
import sys
import sysconfig

# The kernel's own machinery must never be reloaded under its feet.
_ALWAYS_EXCLUDED = ("autoreload_kernel", "__main__", "__mp_main__")


# Whatever sits in a directory of these names was installed, not written by the user.
_INSTALLED_MARKERS = tuple(os.sep + d + os.sep for d in ("site-packages", "dist-packages"))


def _norm(path: str) -> str:
    return os.path.normcase(os.path.realpath(path)).rstrip(os.sep) + os.sep


def _plain(path: str) -> str:
    return os.path.normcase(os.path.abspath(path)).rstrip(os.sep) + os.sep


def system_dirs() -> tuple[str, ...]:
    """Directories whose modules are the system's, not the user's.

    Each is listed as written and with symlinks resolved, so most modules are
    placed without a ``realpath`` call.
    """
    found: list[str] = []
    schemes = [sysconfig.get_paths()]
    schemes.append(
        sysconfig.get_paths(vars={"base": sys.base_prefix, "platbase": sys.base_exec_prefix})
    )
    for paths in schemes:
        for key in ("stdlib", "platstdlib", "purelib", "platlib"):
            if paths.get(key):
                found.append(paths[key])
    try:
        found.extend(site.getsitepackages())
    except AttributeError:  # some embedded interpreters lack it
        pass
    user_site = site.getusersitepackages() if hasattr(site, "getusersitepackages") else None
    if user_site:
        found.append(user_site)
    return tuple(sorted({f(p) for p in found for f in (_plain, _norm)}))


class _Names:
    """Module names, or prefixes ending in '.', as one set and one tuple: a
    module matches itself and its submodules (two C calls per module asked)."""

    def __init__(self, patterns):
        self.patterns = tuple(patterns)
        self._exact = frozenset(p.rstrip(".") for p in self.patterns)
        self._prefixes = tuple(p if p.endswith(".") else p + "." for p in self.patterns)

    def __contains__(self, name: str) -> bool:
        return name in self._exact or name.startswith(self._prefixes)


class ModuleFilter:
    """Answers "is this module one of the user's?" with a per-path cache."""

    def __init__(self, include=(), exclude=()):
        self.include = include
        self.exclude = exclude
        self._system = system_dirs()
        self._by_dir: dict[str, bool] = {}

    def _installed(self, directory: str) -> bool:
        return directory.startswith(self._system) or any(
            marker in directory for marker in _INSTALLED_MARKERS
        )

    @property
    def include(self) -> tuple:
        return self._include.patterns

    @include.setter
    def include(self, names) -> None:
        self._include = _Names(names)

    @property
    def exclude(self) -> tuple:
        return self._exclude.patterns

    @exclude.setter
    def exclude(self, names) -> None:
        self._exclude = _Names(names)
        #: the kernel's own and the excluded, in one test (its two parts kept
        #: apart: :meth:`wants` runs for every import and tests them inline)
        never = _Names(_ALWAYS_EXCLUDED + self._exclude.patterns)
        self._never_exact, self._never_prefixes = never._exact, never._prefixes

    def wants(self, name: str, path: str | None) -> bool:
        # Asked for every module at start and for every import: the cheapest
        # tests first (most modules are compiled extensions or the system's,
        # whose directory is known after the first; the name lists are looked
        # at only when they could change the answer).
        if not path or not path.endswith(".py"):
            return False
        # (the cache's key only has to be the same for the same directory;
        # rpartition is several times cheaper than os.path.dirname)
        directory = path.rpartition(os.sep)[0] or os.path.dirname(path)
        known = self._by_dir.get(directory)
        if known is None:
            known = not self._installed(_plain(directory)) and not self._installed(
                _norm(directory)
            )
            self._by_dir[directory] = known
        if not known and not (self._include.patterns and name in self._include):
            return False
        return name not in self._never_exact and not name.startswith(self._never_prefixes)
