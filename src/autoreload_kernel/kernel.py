"""The kernel: ipykernel's IPythonKernel with a reload check before each request.

This class is deliberately thin.  It owns the configuration traits and calls the
engine (:class:`autoreload_kernel.engine.Reloader`) at the three moments where the
user's code is about to be looked at: execute, complete and inspect.
"""

from __future__ import annotations

import _thread
import asyncio
import inspect
import os
import sys
import threading
import traceback

from ipykernel.ipkernel import IPythonKernel
from traitlets import Bool, Enum, List, Unicode, observe

from . import DISPLAY_NAME, __version__
from .clusters import ClusterRoom
from .engine import Reloader
from .magics import register as register_magics

#: Set to 1/true/yes/on to start the kernel with reloading turned off.
DISABLE_ENV = "AUTORELOAD_KERNEL_DISABLE"


def _env_disabled() -> bool:
    return os.environ.get(DISABLE_ENV, "").strip().lower() in {"1", "true", "yes", "on"}


class AutoreloadKernel(IPythonKernel):
    """IPython kernel that reloads edited modules before every cell."""

    implementation = "autoreload_kernel"
    implementation_version = __version__

    mode = Enum(
        ["off", "explicit", "all", "complete"],
        default_value="all",
        help="Which modules to reload: off, explicit (only %aimport-ed), all "
        "(every module of the user's), complete (same as all; kept for "
        "%autoreload 3 compatibility).",
    ).tag(config=True)
    verbose = Bool(
        False, help="Print one line per reloaded module (like %autoreload --print)."
    ).tag(config=True)
    include = List(
        Unicode(),
        help="Extra module names (or prefixes ending in '.') to watch even though they "
        "live in site-packages or the standard library.",
    ).tag(config=True)
    exclude = List(
        Unicode(),
        help="Module names (or prefixes ending in '.') never to reload.",
    ).tag(config=True)

    poll = Bool(
        False,
        help="Stat every watched file before each cell instead of using inotify "
        "(for network file systems that send no inotify events).",
    ).tag(config=True)

    clusters = Bool(
        True,
        help="Send each edit to the workers and engines of the Dask and ipyparallel "
        "clients made in this kernel (and to the Dask scheduler).",
    ).tag(config=True)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        if _env_disabled():
            self.mode = "off"
        self.reloader = Reloader(
            self.shell,
            mode=self.mode,
            verbose=self.verbose,
            include=self.include,
            exclude=self.exclude,
            use_inotify=not self.poll,
        )
        self.reloader.start()
        register_magics(self.shell, self.reloader)
        self.cluster_room = ClusterRoom(self.reloader, enabled=self.clusters)
        # `%config AutoreloadKernel.mode = ...` finds the shell's configurables.
        if self not in self.shell.configurables:
            self.shell.configurables.append(self)
        self._internal_errors: set[str] = set()
        self._idle_queued = False

    @observe("mode")
    def _mode_changed(self, change):
        if hasattr(self, "reloader"):
            self.reloader.set_mode(change["new"])

    @observe("verbose")
    def _verbose_changed(self, change):
        if hasattr(self, "reloader"):
            self.reloader.report.verbose = change["new"]

    @observe("include", "exclude")
    def _filters_changed(self, change):
        if hasattr(self, "reloader"):
            self.reloader.set_filters(self.include, self.exclude)

    @observe("clusters")
    def _clusters_changed(self, change):
        if hasattr(self, "cluster_room"):
            self.cluster_room.set_enabled(change["new"])

    @property
    def banner(self):  # type: ignore[override]
        return (
            super().banner
            + f"\n{DISPLAY_NAME}: edited modules are reloaded before every cell "
            f"(autoreload-kernel {__version__}).\n"
        )

    def _check(self, *, show_errors: bool) -> None:
        """Run the reload check; never let anything escape into ipykernel."""
        on_main = threading.current_thread() is threading.main_thread()
        # Subshell threads do not wait: if a reload is running, they go on.
        # A request on a subshell thread never waits for, or races, a reload.
        if not self.reloader.lock.acquire(blocking=on_main):
            return
        try:
            self.reloader.check(show_errors=show_errors)
            if on_main:
                self.cluster_room.sync()
        except KeyboardInterrupt:
            # An interrupt that reached the user's code was handled by the engine
            # (that module is rolled back); this one came while the engine was
            # finishing, which it did first.
            print("[autoreload] interrupt received while the reload check was finishing; "
                  "nothing was half-applied and the cell runs.", file=sys.stderr, flush=True)
        except BaseException as err:  # noqa: BLE001 - the reply must always be sent
            self._internal_error(err)
        finally:
            self.reloader.lock.release()

    def _internal_error(self, err: BaseException) -> None:
        """Say once that the reloader itself broke; depend on nothing that may be broken."""
        try:
            try:
                key = f"{type(err).__name__}: {err}"
            except Exception:  # noqa: BLE001 - even str() of it may fail
                key = type(err).__name__
            if key in self._internal_errors:
                return
            self._internal_errors.add(key)
            where = ""
            try:
                frames = traceback.extract_tb(err.__traceback__)
                if frames:
                    where = f" at {os.path.basename(frames[-1].filename)}:{frames[-1].lineno}"
            except Exception:  # noqa: BLE001
                pass
            print(
                f"[autoreload] the reload check failed: a bug in autoreload-kernel ({key}{where}). "
                "The cell runs without reloading. To turn reloading off, run `%autoreload off`, "
                f"or start the kernel with {DISABLE_ENV}=1. Please report this.",
                file=sys.stderr,
                flush=True,
            )
        except Exception:  # noqa: BLE001
            pass

    async def do_execute(self, code, silent, *args, **kwargs):
        self._check(show_errors=True)
        reply = super().do_execute(code, silent, *args, **kwargs)
        if inspect.isawaitable(reply):
            reply = await reply
        self._sync_clusters()  # first contact right after the cell that made a client
        self._queue_idle_work()
        return reply

    def _queue_idle_work(self) -> None:
        """Let the engine do what can wait (placing the modules this cell
        imported) in the shell loop's next turn: ipykernel sends the reply
        before it yields to the loop, so that runs while the user reads it."""
        if self._idle_queued or threading.current_thread() is not threading.main_thread():
            return
        if not self.reloader.has_idle_work():
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # the next check does it
        self._idle_queued = True
        loop.call_soon(self._idle_work)

    def _idle_work(self) -> None:
        self._idle_queued = False
        if not self.reloader.lock.acquire(blocking=False):
            return  # a check on a subshell thread: it does the work itself
        interrupted = False
        try:
            interrupted = self.reloader.between_cells()
        except Exception as err:  # noqa: BLE001 - never out into the event loop
            self._internal_error(err)
        finally:
            self.reloader.lock.release()
        if interrupted:  # (only while an async cell awaits) as if it came just now
            _thread.interrupt_main()

    def _sync_clusters(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return
        with self.reloader.lock:
            try:
                self.cluster_room.sync()
            except KeyboardInterrupt:  # what was not sent goes with the next cell
                print("[autoreload] sending edits to the cluster was interrupted; they "
                      "are sent again before the next cell.", file=sys.stderr, flush=True)
            except BaseException as err:  # noqa: BLE001 - the reply must always be sent
                self._internal_error(err)

    async def do_complete(self, code, cursor_pos):
        self._check(show_errors=False)
        reply = super().do_complete(code, cursor_pos)
        if inspect.isawaitable(reply):
            reply = await reply
        return reply

    async def do_inspect(self, code, cursor_pos, detail_level=0, omit_sections=()):
        self._check(show_errors=False)
        reply = super().do_inspect(code, cursor_pos, detail_level, omit_sections)
        if inspect.isawaitable(reply):
            reply = await reply
        return reply


def _ipykernel_encrypts() -> bool:
    """Whether this ipykernel applies provisioned CurveZMQ keys on its own (7.4+)."""
    from ipykernel.heartbeat import Heartbeat

    return "curve_secretkey" in inspect.signature(Heartbeat.__init__).parameters


def launch(argv=None) -> None:
    """Start the kernel application (what the kernelspec runs): ipykernel's own
    where it encrypts by itself, else ours (:mod:`.encryption`)."""
    if _ipykernel_encrypts():
        from ipykernel.kernelapp import IPKernelApp as app
    else:
        from .encryption import CurveKernelApp as app

    app.launch_instance(argv=argv, kernel_class=AutoreloadKernel)


__all__ = ["AutoreloadKernel", "DISABLE_ENV", "launch"]
