"""Capture, at import time, the exact source each user module executed.

IPython's reloader takes its baseline when it first *looks* at a module, so an
edit saved between ``import m`` and the next cell is never seen.  We hook the
standard source loader instead: for the user's modules we read the file once,
keep those bytes as the baseline, and compile exactly those bytes.  What ran is
what we diff against later.
"""

from __future__ import annotations

import dis
import marshal
import os
import re
import sys
import threading
import time
from _imp import _fix_co_filename
from importlib.machinery import SourceFileLoader
from stat import S_ISLNK
from importlib.util import MAGIC_NUMBER, cache_from_source, source_hash
from types import CodeType, FunctionType


#: A file whose mtime is this close to the moment we read it may be written
#: again within the same timestamp tick (coarse clocks, 1-2 s on some file
#: systems), so an unchanged stamp does not prove unchanged content yet.
RACY_NS = 2_500_000_000


def stamp_of(st: os.stat_result) -> int:
    """What we compare to decide whether a file may have changed.

    One int (a hash of mtime, size, inode and ctime) rather than the tuple:
    it is kept for every user module, and 20,000 tuples cost megabytes.
    """
    return hash((st.st_mtime_ns, st.st_size, st.st_ino, st.st_ctime_ns))


def settled(st: os.stat_result, read_at_ns: int) -> bool:
    """True when a later write must change the stamp (the mtime tick has passed)."""
    return read_at_ns - st.st_mtime_ns > RACY_NS


class Baseline:
    """The source a module is running now, and what we know of its file.

    One object per user module, shared by the store and the change finder
    (which watches the module through it): with 20,000 modules, every object
    and field kept per module shows in the kernel's memory and in the garbage
    collector's work while they import.  (A plain slotted class: a dataclass
    cost about a millisecond of every kernel start to build.)
    """

    __slots__ = ("path", "source", "stamp", "settled", "parsed", "stars_of", "has_stars",
                 "executed", "module")

    def __init__(self, path: str, source: bytes, stamp: int | None, settled: bool = False,
                 parsed: object = None, stars_of: bytes | None = None, has_stars: bool = False,
                 executed: bool = False, module: object = None):
        self.path = path
        self.source = source
        #: the file's stamp when last read (by the import hook, then by the change
        #: finder); None: unknown, or not needed while inotify watches the file
        self.stamp = stamp
        #: that read came after the mtime's tick had passed (see :func:`settled`)
        self.settled = settled
        #: the parsed statements of ``source``, made when first needed
        self.parsed = parsed
        #: the source ``has_stars`` was found for (from the bytecode at import)
        self.stars_of = stars_of
        #: does ``stars_of`` contain ``import *``?
        self.has_stars = has_stars
        #: the module ran these very bytes (recorded by the import hook)
        self.executed = executed
        #: the module that runs it, while the change finder watches it
        self.module = module

    def __repr__(self) -> str:
        return f"Baseline({self.path!r}, {len(self.source)} bytes)"

    def star_imports(self) -> bool:
        """Might ``source`` star-import something?  (A false yes costs a parse.)"""
        if self.stars_of is not self.source:
            self.stars_of, self.has_stars = self.source, _STAR.search(self.source) is not None
        return self.has_stars

    def statements(self, namespace: dict | None = None):
        """``source`` as statements (cached; SyntaxError propagates).

        When the module (``namespace``) ran exactly these bytes (the hook compiled them), nothing
        is parsed now: the lines where its functions begin cut the source into
        spans of whole statements, and a diff parses only the spans it touches.
        """
        if self.parsed is None:
            self.parsed = self.parse(self.source, namespace)
        return self.parsed

    def parse(self, source: bytes, namespace: dict | None = None):
        """What :meth:`statements` keeps, made without keeping it (the preparer's
        thread: it reads only the code objects of the namespace's functions)."""
        from .statements import ParsedModule

        if namespace is not None and self.executed and source is self.source:
            starts = _def_lines(namespace, self.path)
            # Still the version those functions were compiled from?  (The shell
            # thread clears ``executed`` before a reload patches any of them.)
            if self.executed and source is self.source:
                return ParsedModule.lazy(source, starts, self.path)
        return ParsedModule.parse(source, self.path)


def _def_lines(namespace: dict, path: str) -> list[int]:
    """First lines of the module's own functions, as the import compiled them
    (a decorated one starts at its first decorator)."""
    found = []
    for value in list(namespace.values()):
        while type(value) is FunctionType:
            code = value.__code__
            if code.co_filename == path and code.co_name.isidentifier():
                found.append(code.co_firstlineno)
            value = getattr(value, "__wrapped__", None)
    return found


_UNSET = object()


def file_of(module) -> str | None:
    """The file a module was loaded from, as its loader named it (its spec's
    origin, or its source loader's path, if ``__file__`` was deleted: the file
    still is the module's)."""
    path = getattr(module, "__file__", None)
    if type(path) is str:
        return path
    spec = getattr(module, "__spec__", None)
    origin = getattr(spec, "origin", None) if getattr(spec, "has_location", False) else None
    if type(origin) is str:
        return origin
    # its spec taken away too: the source loader that imported it names the file
    loader = getattr(module, "__loader__", None)
    path = getattr(loader, "path", None) if isinstance(loader, SourceFileLoader) else None
    return path if type(path) is str else None


class SourceStore:
    """Baselines by module name, fed by the loader hook and by reloads.

    Most of the user's modules are never edited nor looked at, so one is kept
    as the bytes it ran (in :attr:`kept`, nothing else of its own: its path
    and module are the ones ``sys.modules`` holds) until something asks for
    its :class:`Baseline`, which is made then and kept in its place.  With
    20,000 modules, each object kept per module costs memory and, while they
    import, garbage-collector work; bytes are not tracked by the collector.
    """

    def __init__(self, wants):
        self.wants = wants
        #: module name -> the bytes it runs, or its Baseline once asked for
        self.kept: dict[str, bytes | Baseline] = {}
        #: names kept as bytes whose code star-imports (found in the bytecode)
        self._stars: set[str] = set()
        #: names kept that the change finder does not watch (filtered out, or
        #: their module left ``sys.modules``)
        self.unwatched: set[str] = set()
        self.baselines = Baselines(self)
        self._lock = threading.Lock()
        #: module names recorded by the hook since the change finder last looked
        self.fresh: list[str] = []
        #: called with a module's path before the hook reads it (the change finder
        #: watches its directory); True when a later write will be reported
        self.before_read = None
        #: directories known to be watched already (the watcher's own map, once
        #: it is open): the hook skips ``before_read`` for their modules
        self.watched_dirs: dict = {}
        #: called as ``on_record(name, module, path, polled, was_watched)`` once
        #: the hook recorded a module, but for a new one kept as bytes (see
        #: ``kept_new``); without it the name waits in ``fresh``;
        #: ``polled``: only a stat can tell that the file changed (a symlink,
        #: whose target inotify on its directory misses, or a directory not
        #: watched before the read); ``was_watched``: a baseline of it was
        #: watched already (a re-import)
        self.on_record = None
        #: ``(name, path)`` of the new modules kept as bytes since the change
        #: finder last looked, instead of an ``on_record`` call each: almost
        #: every import is one, and the finder places them in one loop
        self.kept_new: list[tuple[str, str]] = []

    def record(self, name: str, path: str, source: bytes, st: os.stat_result, read_at: int,
               code=None, link: bool = False, watched_first: bool = False,
               module=_UNSET) -> None:
        """Keep what ``name`` (``module`` in sys.modules) runs, just read from ``path``."""
        # A file watched before this read reports later writes as events: its
        # stamp would never be looked at, so it is kept as bytes alone.
        polled = link or not watched_first
        kept, unwatched = self.kept, self.unwatched
        was_watched = name in kept and not (unwatched and name in unwatched)
        stars = code is not None and _STAR.search(source) is not None and _imports_star(code)
        if module is _UNSET:
            module = sys.modules.get(name)
        # (file_of's first answer tested inline: this runs for every import)
        as_bytes = not polled and (getattr(module, "__file__", None) == path
                                   or file_of(module) == path)
        if as_bytes:
            kept[name] = source
            if stars:
                self._stars.add(name)
            elif self._stars:
                self._stars.discard(name)
        else:
            base = Baseline(path, source, stamp_of(st) if polled else None,
                            settled(st, read_at), executed=True)
            if code is not None:
                base.stars_of, base.has_stars = source, stars
            kept[name] = base
        if unwatched:
            unwatched.discard(name)
        if self.on_record is None:
            self.fresh.append(name)
        elif as_bytes and not was_watched:
            self.kept_new.append((name, path))
        else:
            self.on_record(name, module, path, polled, was_watched)

    def read_now(self, name: str, path: str) -> Baseline | None:
        """Baseline for a module imported before the hook existed: read it now."""
        try:
            read_at = time.time_ns()
            st = os.stat(path)
            with open(path, "rb") as fh:
                data = fh.read()
        except OSError:
            return None
        base = Baseline(path, data, stamp_of(st), settled(st, read_at))
        self.kept[name] = base
        self._stars.discard(name)
        self.unwatched.discard(name)
        return base

    # -- reading what is kept, without making Baselines --------------------
    def baseline(self, name: str) -> Baseline | None:
        """``name``'s Baseline, made now if it was kept as bytes (None: none kept,
        or its module is no longer the one that ran them)."""
        kept = self.kept.get(name)
        if type(kept) is not bytes:
            return kept
        with self._lock:  # the preparer's thread asks too: make it once
            kept = self.kept.get(name)
            if type(kept) is not bytes:
                return kept
            module = sys.modules.get(name)
            path = file_of(module)
            if path is None:
                return None
            base = Baseline(path, kept, None, executed=True, module=module,
                            stars_of=kept, has_stars=name in self._stars)
            self._stars.discard(name)
            self.kept[name] = base
            return base

    def source_of(self, name: str) -> bytes | None:
        """The bytes ``name`` runs (the same object until a reload replaces them)."""
        kept = self.kept.get(name)
        return kept if kept is None or type(kept) is bytes else kept.source

    def path_of(self, name: str) -> str | None:
        kept = self.kept.get(name)
        if kept is None or type(kept) is not bytes:
            return None if kept is None else kept.path
        return file_of(sys.modules.get(name))

    def module_of(self, name: str):
        kept = self.kept.get(name)
        if kept is None or type(kept) is not bytes:
            return None if kept is None else kept.module
        return sys.modules.get(name)

    def star_imports(self, name: str) -> bool:
        """Might ``name``'s source star-import something?"""
        kept = self.kept.get(name)
        if kept is None:
            return False
        return name in self._stars if type(kept) is bytes else kept.star_imports()

    def drop(self, name: str) -> None:
        """Keep nothing for ``name``."""
        self.kept.pop(name, None)
        self._stars.discard(name)
        self.unwatched.discard(name)

    # -- the loader hook ---------------------------------------------------
    def install(self) -> None:
        global _active
        _active = self
        if SourceFileLoader.get_code is not _hooked_get_code:
            SourceFileLoader.get_code = _hooked_get_code


class Baselines:
    """``name -> Baseline`` over :class:`SourceStore` (a Baseline is made when
    first asked for: iterating gives the names, without making any)."""

    def __init__(self, store: SourceStore):
        self._store = store

    def get(self, name: str, default=None):
        base = self._store.baseline(name)
        return default if base is None else base

    def __getitem__(self, name: str) -> Baseline:
        base = self.get(name)
        if base is None:
            raise KeyError(name)
        return base

    def __contains__(self, name) -> bool:
        return name in self._store.kept

    def __iter__(self):
        return iter(list(self._store.kept))

    def __len__(self) -> int:
        return len(self._store.kept)

    def pop(self, name: str, default=None):
        base = self._store.baseline(name)
        self._store.drop(name)
        return default if base is None else base


_active: SourceStore | None = None
_original_get_code = SourceFileLoader.get_code


def _hooked_get_code(self, fullname):
    store = _active
    if store is None:
        return _original_get_code(self, fullname)
    path = self.get_filename(fullname)
    if not store.wants(fullname, path):
        return _original_get_code(self, fullname)
    watched_first = path.rpartition(os.sep)[0] in store.watched_dirs or (
        store.before_read is not None and store.before_read(path))
    try:
        read_at = time.time_ns()
        plain = type(self).get_data is _plain_get_data
        st, data = _read_unless_link(path) if plain else (None, None)
        link = False
        if st is None:  # a symlink (or a loader that reads for itself)
            st = os.lstat(path)  # one call tells a symlink apart and, if not, is the stat
            link = S_ISLNK(st.st_mode)
            if link:
                st = os.stat(path)
            data = _read(path, st.st_size) if plain else self.get_data(path)
    except OSError:
        return _original_get_code(self, fullname)
    # The code must be exactly these bytes: a cached .pyc only if it provably is.
    module = sys.modules.get(fullname)
    code = _cached_code(path, data, st, getattr(module, "__cached__", None))
    if code is None:
        code = self.source_to_code(data, path)
        _write_cache(path, code, st)
    store.record(fullname, path, data, st, read_at, code, link, watched_first, module)
    return code


_plain_get_data = SourceFileLoader.get_data
_READ_FLAGS = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)


def _read(path: str, size: int) -> bytes:
    """The file's bytes, in three system calls.

    ``FileLoader.get_data`` builds a buffered file object, which costs several
    times the read itself for a small module (a loader subclass that overrides
    it is still asked).  ``size`` is what a stat just said; a file that grew
    since is read to its end.
    """
    fd = os.open(path, _READ_FLAGS)
    try:
        return _read_fd(fd, size)
    finally:
        os.close(fd)


def _read_unless_link(path: str):
    """(stat, bytes) of ``path``, or (None, None) when it is a symlink.

    Opened without following a final symlink, and stat-ed through the open
    file: one path lookup instead of two (an ``lstat`` first), for every
    module imported.
    """
    if not _NOFOLLOW:
        return None, None
    try:
        fd = os.open(path, _READ_FLAGS | _NOFOLLOW)
    except OSError:  # ELOOP: a symlink; else the caller's lstat says what it is
        return None, None
    try:
        st = os.fstat(fd)
        return st, _read_fd(fd, st.st_size)
    finally:
        os.close(fd)


_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


def _read_fd(fd: int, size: int) -> bytes:
    data = os.read(fd, size + 1)
    if len(data) > size:
        parts = [data]
        while chunk := os.read(fd, 1 << 20):
            parts.append(chunk)
        data = b"".join(parts)
    return data


# -- byte code caching --------------------------------------------------------
def _cached_code(path: str, data: bytes, st: os.stat_result, pyc: str | None = None):
    """The code in ``path``'s .pyc when it was compiled from ``data``, else None.

    A hash-based .pyc says so exactly.  A timestamp .pyc matches the source's
    mtime in whole seconds and its size, which a second save in the same
    second with the same size also matches; so it is trusted only when it was
    written after the source's last change (then it was compiled from it).
    """
    try:
        pyc = pyc or cache_from_source(path)
        fd = os.open(pyc, _READ_FLAGS)
        try:
            written = os.fstat(fd)
            blob = _read_fd(fd, written.st_size)
        finally:
            os.close(fd)
    except (OSError, NotImplementedError, ValueError):
        return None
    if len(blob) < 16 or blob[:4] != MAGIC_NUMBER:
        return None
    flags = int.from_bytes(blob[4:8], "little")
    if flags & 0b1:  # hash-based
        if blob[8:16] != source_hash(data):
            return None
    elif flags or (
        int.from_bytes(blob[8:12], "little") != (int(st.st_mtime) & 0xFFFFFFFF)
        or int.from_bytes(blob[12:16], "little") != (len(data) & 0xFFFFFFFF)
        or len(data) != st.st_size
        or written.st_mtime_ns <= st.st_mtime_ns
    ):
        return None
    try:
        code = marshal.loads(memoryview(blob)[16:])
    except (EOFError, ValueError, TypeError):
        return None
    if not isinstance(code, CodeType):
        return None
    # A .pyc copied or moved with its source (a project directory copied,
    # a container's layer) names the path it was compiled at: name this one,
    # as the plain loader does, or tracebacks and getsource look elsewhere.
    _fix_co_filename(code, path)
    return code


def _write_cache(path: str, code: CodeType, st: os.stat_result) -> None:
    """Write the .pyc a plain import would have written (best effort)."""
    if sys.dont_write_bytecode:
        return
    try:
        pyc = cache_from_source(path)
        blob = bytearray(MAGIC_NUMBER)
        blob += (0).to_bytes(4, "little")
        blob += (int(st.st_mtime) & 0xFFFFFFFF).to_bytes(4, "little")
        blob += (st.st_size & 0xFFFFFFFF).to_bytes(4, "little")
        blob += marshal.dumps(code)
        os.makedirs(os.path.dirname(pyc), exist_ok=True)
        tmp = f"{pyc}.{os.getpid()}"
        with open(tmp, "wb") as fh:
            fh.write(blob)
        os.replace(tmp, pyc)
    except (OSError, NotImplementedError, ValueError):
        pass


#: ``import *`` in source text (a false hit in a comment only costs a parse)
_STAR = re.compile(rb"import[ \t\\\r\n]*\*")
_IMPORT_STAR_OP = dis.opmap.get("IMPORT_STAR")
_INTRINSIC_OP = dis.opmap.get("CALL_INTRINSIC_1")
_INTRINSIC_IMPORT_STAR = 2


def _imports_star(code: CodeType) -> bool:
    """Does a module's code run ``from m import *``?  (Only module level may.)"""
    raw = code.co_code
    ops = raw[0::2]
    if _IMPORT_STAR_OP is not None:
        return bytes([_IMPORT_STAR_OP]) in ops
    op = bytes([_INTRINSIC_OP])
    at = ops.find(op)
    while at != -1:
        if raw[2 * at + 1] == _INTRINSIC_IMPORT_STAR:
            return True
        at = ops.find(op, at + 1)
    return False
