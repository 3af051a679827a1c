"""A minimal Linux inotify reader (ctypes, no dependency).

With thousands of user modules, stat-ing each one before every cell costs more
than the cell itself.  inotify lets the kernel tell us which files were written,
so a cell where nothing changed costs one non-blocking ``read()``.  Where
inotify is not available, :func:`open_watcher` returns None and the change
finder falls back to stat polling.

Two threads read the queue: the shell thread before every cell
(:meth:`DirWatcher.drain`) and the preparer (:mod:`.prepared`), which wakes on
a save (:meth:`DirWatcher.collect`).  What the preparer reads is kept for the
next drain, so the shell thread still sees every event.
"""

from __future__ import annotations

import ctypes
import os
import select
import struct
import sys
import threading

IN_MODIFY = 0x2
IN_ATTRIB = 0x4
IN_CLOSE_WRITE = 0x8
IN_MOVED_FROM = 0x40
IN_MOVED_TO = 0x80
IN_CREATE = 0x100
IN_DELETE = 0x200
IN_DELETE_SELF = 0x400
IN_MOVE_SELF = 0x800
IN_Q_OVERFLOW = 0x4000
IN_IGNORED = 0x8000
IN_ONLYDIR = 0x01000000

WATCH_MASK = (
    IN_MODIFY | IN_ATTRIB | IN_CLOSE_WRITE | IN_MOVED_FROM | IN_MOVED_TO | IN_CREATE
    | IN_DELETE | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR
)
_HEADER = struct.Struct("iIII")
#: bytes asked of the queue per read; a read that returns less than half of it
#: emptied the queue (each event is at most a header and a file name)
_BUFFER = 1 << 16
_FS_ENCODING, _FS_ERRORS = sys.getfilesystemencoding(), sys.getfilesystemencodeerrors()


class DirWatcher:
    """Watches directories; :meth:`drain` returns the paths written since last time."""

    def __init__(self, libc, fd: int):
        self._libc = libc
        self.fd = fd
        # One watch per directory inode; a symlinked directory may reach it by
        # several spellings, and each spelling's files must be reported.
        self._dirs: dict[int, list[str]] = {}
        #: directory (as spelled) -> its watch descriptor; the import hook tests
        #: membership here for every user module it reads
        self.wd_of: dict[str, int] = {}
        self._lock = threading.Lock()
        #: events :meth:`collect` read, kept for the next :meth:`drain`
        self._pending: tuple[set[str], bool, set[str]] = (set(), False, set())

    def watch(self, directory: str) -> bool:
        if directory in self.wd_of:
            return True
        wd = self._libc.inotify_add_watch(self.fd, os.fsencode(directory), WATCH_MASK)
        if wd < 0:
            return False
        self._dirs.setdefault(wd, []).append(directory)
        self.wd_of[directory] = wd
        return True

    def drain(self) -> tuple[set[str], bool, set[str]]:
        """(paths touched, overflowed, directories no longer watched) since the
        last drain.

        On overflow the caller must look at everything; a lost directory (deleted,
        moved) must be watched again once it exists.
        """
        with self._lock:
            touched, overflow, lost = self._pending
            self._pending = (set(), False, set())
            more, more_overflow, more_lost = self._read()
        touched |= more
        lost |= more_lost
        return touched, overflow or more_overflow, lost

    def collect(self) -> tuple[set[str], bool]:
        """(paths touched, overflowed) among the events waiting now; they stay
        pending for the next :meth:`drain`."""
        with self._lock:
            touched, overflow, lost = self._read()
            old_touched, old_overflow, old_lost = self._pending
            self._pending = (old_touched | touched, old_overflow or overflow, old_lost | lost)
        return touched, overflow

    def wait(self, timeout: float | None, wake_fd: int) -> bool:
        """Block until events are waiting (True), ``wake_fd`` is readable or
        ``timeout`` seconds passed (False); OSError once the queue is closed."""
        poller = select.poll()
        poller.register(self.fd, select.POLLIN)
        poller.register(wake_fd, select.POLLIN)
        ready = poller.poll(None if timeout is None else timeout * 1000)
        for fd, events in ready:
            if fd == self.fd and events & (select.POLLNVAL | select.POLLERR):
                raise OSError(f"the inotify queue is closed ({events:#x})")
        return any(fd == self.fd for fd, _ in ready)

    def _read(self) -> tuple[set[str], bool, set[str]]:
        touched: set[str] = set()
        #: (watch, name) -> the directory's spellings: a save is several events
        names: dict[tuple[int, bytes], list[str]] = {}
        lost: set[str] = set()
        overflow = False
        while True:
            try:
                data = os.read(self.fd, _BUFFER)
            except BlockingIOError:
                break
            except OSError:
                return touched, True, lost
            if not data:
                break
            pos = 0
            while pos + _HEADER.size <= len(data):
                wd, mask, _cookie, length = _HEADER.unpack_from(data, pos)
                pos += _HEADER.size
                name = data[pos : pos + length].rstrip(b"\0")
                pos += length
                if mask & IN_Q_OVERFLOW:
                    overflow = True
                    continue
                spellings = self._dirs.get(wd)
                if spellings is None:
                    continue
                if mask & (IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF) or not name:
                    # the directory itself went away or moved: forget this watch
                    del self._dirs[wd]
                    for directory in spellings:
                        self.wd_of.pop(directory, None)
                    lost.update(spellings)
                    continue
                names[(wd, name)] = spellings
            if len(data) <= _BUFFER // 2:
                break  # the queue was drained (what comes now is read next time)
        for (_wd, name), spellings in names.items():
            name = name.decode(_FS_ENCODING, _FS_ERRORS)  # os.fsdecode, without its checks
            for directory in spellings:
                # os.path.join's result for a plain file name
                touched.add(directory + os.sep + name
                            if directory and not directory.endswith(os.sep)
                            else directory + name)
        return touched, overflow, lost

    def close(self) -> None:
        try:
            os.close(self.fd)
        except OSError:
            pass


def _libc():
    """The C library's functions, from the symbols this process has loaded already.

    ``ctypes.util.find_library`` would run ``ldconfig -p`` in a subprocess (a few
    ms on the first import of a user module); only where the running program
    does not expose inotify (a static build) is it asked.
    """
    libc = ctypes.CDLL(None, use_errno=True)
    if hasattr(libc, "inotify_init1"):
        return libc
    from ctypes.util import find_library

    return ctypes.CDLL(find_library("c") or "libc.so.6", use_errno=True)


def open_watcher() -> DirWatcher | None:
    """A DirWatcher, or None where inotify cannot be used."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = _libc()
        libc.inotify_init1.argtypes = [ctypes.c_int]
        libc.inotify_add_watch.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_uint32]
        fd = libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
    except (OSError, AttributeError):
        return None
    if fd < 0:
        return None
    return DirWatcher(libc, fd)
