"""What runs on a worker or engine: lay out shipped files, apply edits in place.

Files of modules the worker has not imported go into a private directory
(mode 0700, made by ``tempfile.mkdtemp``, removed when the worker exits) put
first on ``sys.path``, so the kernel's version wins over any other copy the
worker could find.  Modules the
worker already runs are brought to the new version by this project's own
engine (:meth:`Reloader.apply_given`): the same statement diff and in-place
patching as in the kernel, state kept, all or nothing.

Every entry point returns a plain report and never raises: a worker must keep
serving the user's tasks whatever happens here.
"""

from __future__ import annotations

import atexit
import importlib
import linecache
import os
import shutil
import socket
import sys
import tempfile
import threading

from .shipping import Delta, Version, fingerprint, rebuilt

_lock = threading.Lock()
_side: "_WorkerSide | None" = None


def identity() -> tuple[str, int]:
    return socket.gethostname(), os.getpid()


class _WorkerSide:
    def __init__(self):
        from ..engine import Reloader

        self.root = tempfile.mkdtemp(prefix="autoreload-kernel-")  # 0700
        atexit.register(shutil.rmtree, self.root, True)
        sys.path.insert(0, self.root)
        self.reloader = Reloader(shell=None, use_inotify=False)
        self.reloader.start()  # records what user modules import from now on
        self.written: dict[str, str] = {}  # module name -> fingerprint of our file
        self._writer = None  # one thread writes files of applied edits, in order

    def running(self, name: str) -> str | None:
        """Fingerprint of the version this process runs or would import from our files."""
        if name in sys.modules:
            source = self._running_source(name)
            return fingerprint(source) if source is not None else None
        return self.written.get(name)

    def _running_source(self, name: str) -> bytes | None:
        self.reloader.finder.refresh()
        base = self.reloader.store.baselines.get(name)
        return base.source if base is not None else None

    def held(self, name: str, relpath: str) -> bytes | None:
        """The bytes of the version this process runs or would import from our files."""
        if name in sys.modules:
            return self._running_source(name)
        if name not in self.written:
            return None
        try:
            with open(os.path.join(self.root, *relpath.split("/")), "rb") as fh:
                return fh.read()
        except OSError:
            return None

    def write_later(self, version: Version, path: str) -> None:
        """After an edit applied in place: tracebacks need the new lines now (they
        go into linecache), the file itself only later (off the reply's path)."""
        text = version.source.decode("utf-8", "replace")
        linecache.cache[path] = (len(text), None, text.splitlines(True), path)
        if self._writer is None:
            from concurrent.futures import ThreadPoolExecutor

            self._writer = ThreadPoolExecutor(1, thread_name_prefix="autoreload-kernel-files")
        self.written[version.name] = version.fingerprint
        self._writer.submit(self.write, version)

    def write(self, version: Version) -> None:
        target = os.path.join(self.root, *version.relpath.split("/"))
        os.makedirs(os.path.dirname(target), mode=0o700, exist_ok=True)
        tmp = target + ".tmp"
        with open(tmp, "wb") as fh:
            fh.write(version.source)
        os.replace(tmp, target)
        self.written[version.name] = version.fingerprint
        parent = sys.modules.get(version.name.rpartition(".")[0])
        package_dir = os.path.dirname(target)
        paths = getattr(parent, "__path__", None)
        if parent is not None and paths is not None and package_dir not in list(paths):
            try:  # a package imported from elsewhere must find our submodule too
                paths.insert(0, package_dir)
            except AttributeError:
                paths.append(package_dir)

    def ours(self, path: str) -> bool:
        return os.path.abspath(path).startswith(self.root + os.sep)

    def receive(self, shipped: list[tuple]) -> dict:
        """Whole versions and deltas (see ``shipping``); a delta of a version
        this process does not hold is asked for whole (``resend``)."""
        report: dict = {"applied": [], "written": [], "failed": {}, "resend": []}
        versions = []
        for item in shipped:
            if len(item) == len(Version._fields):
                versions.append(Version(*item))
                continue
            delta = Delta(*item)
            version = rebuilt(delta, self.held(delta.name, delta.relpath))
            if version is None:
                report["resend"].append(delta.name)
            else:
                versions.append(version)
        in_place = {v.name: v for v in versions if v.name in sys.modules}
        fresh = [v for v in versions if v.name not in in_place
                 and self.written.get(v.name) != v.fingerprint]
        for version in fresh:
            self.write(version)
            report["written"].append(version.name)
        if fresh:
            importlib.invalidate_caches()
        if in_place:
            done = self.reloader.apply_given({n: v.source for n, v in in_place.items()})
            report["applied"] = done
            for name, version in in_place.items():
                problem = self._outcome(name, version, name in done)
                if problem:
                    report["failed"][name] = problem
        return report

    def _outcome(self, name: str, version: Version, applied: bool) -> str | None:
        """After an apply: None when this process runs ``version`` now, else why not
        ("file:line: error")."""
        watched = self.reloader.finder.watched.get(name)
        if applied:
            if self.ours(watched.path):
                self.write_later(version, watched.path)
            return None
        if watched is None:
            path = getattr(sys.modules[name], "__file__", None)
            return f"{path}: imported from an installed location, not reloaded here"
        if self.running(name) == version.fingerprint:
            return None  # it had this version already
        failure = self.reloader.report.failures.get(name)
        if failure is None:
            return f"{watched.path}: not applied"
        where = f"{failure.path}:{failure.lineno}" if failure.lineno else failure.path
        return f"{where}: {failure.error}"


def _side_or_start() -> _WorkerSide:
    global _side
    if _side is None:
        _side = _WorkerSide()
    return _side


def _guarded(work, kernel):
    report = {"python": "%d.%d" % sys.version_info[:2]}
    if tuple(kernel) == identity():
        report["same_process"] = True  # the kernel's own reload already did it
        return report
    try:
        with _lock:
            report.update(work(_side_or_start()))
    except BaseException as err:  # noqa: BLE001 - never break the worker
        report["error"] = f"{type(err).__name__}: {err}"
    return report


def needs(manifest: dict[str, str], kernel) -> dict:
    """Which of the kernel's modules (name -> fingerprint) this worker lacks or
    holds in another version."""
    return _guarded(lambda side: {"needs": [n for n, fp in manifest.items()
                                            if side.running(n) != fp]}, kernel)


def receive(versions, kernel) -> dict:
    """Bring the given versions (or deltas) here: write files, apply edits in place."""
    return _guarded(lambda side: side.receive(list(versions)), kernel)


class Entry:
    """``needs`` or ``receive`` as an object that pickles by reference (module and
    name).  ipyparallel sends a function as its bytecode, which an engine on
    another Python version runs wrongly or dies on; this runs the engine's own."""

    def __init__(self, name: str):
        self.name = name

    def __call__(self, *args):
        return globals()[self.name](*args)

    def __repr__(self):
        return f"autoreload_kernel.clusters.worker.{self.name}"
