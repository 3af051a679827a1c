"""A minimal Linux inotify reader (ctypes, no thread, no dependency).

With thousands of user modules, stat-ing each one before every cell costs more
than the cell itself.  inotify lets the kernel tell us which files were written,
so a cell where nothing changed costs one non-blocking ``read()``.  Where
inotify is not available, :func:`open_watcher` returns None and the change
finder falls back to stat polling.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import struct
import sys

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


class DirWatcher:
    """Watches directories; :meth:`drain` returns the paths written since last time."""

    def __init__(self, libc, fd: int):
        self._libc = libc
        self.fd = fd
        # One watch per directory inode; a symlinked directory may reach it by
        # several spellings, and each spelling's files must be reported.
        self._dirs: dict[int, list[str]] = {}
        self._wd_of: dict[str, int] = {}

    def watch(self, directory: str) -> bool:
        if directory in self._wd_of:
            return True
        wd = self._libc.inotify_add_watch(self.fd, os.fsencode(directory), WATCH_MASK)
        if wd < 0:
            return False
        self._dirs.setdefault(wd, []).append(directory)
        self._wd_of[directory] = wd
        return True

    def drain(self) -> tuple[set[str], bool, set[str]]:
        """(paths touched, overflowed, directories no longer watched).

        On overflow the caller must look at everything; a lost directory (deleted,
        moved) must be watched again once it exists.
        """
        touched: set[str] = set()
        lost: set[str] = set()
        overflow = False
        while True:
            try:
                data = os.read(self.fd, 1 << 16)
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
                        self._wd_of.pop(directory, None)
                    lost.update(spellings)
                    continue
                for directory in spellings:
                    touched.add(os.path.join(directory, os.fsdecode(name)))
        return touched, overflow, lost

    def close(self) -> None:
        try:
            os.close(self.fd)
        except OSError:
            pass


def open_watcher() -> DirWatcher | None:
    """A DirWatcher, or None where inotify cannot be used."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.inotify_init1.argtypes = [ctypes.c_int]
        libc.inotify_add_watch.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_uint32]
        fd = libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
    except (OSError, AttributeError):
        return None
    if fd < 0:
        return None
    return DirWatcher(libc, fd)
