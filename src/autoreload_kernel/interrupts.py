"""Interrupts during a reload: only the user's code may be stopped half-way.

The user presses *interrupt* to stop a slow reload (a changed top-level
statement that sleeps or loops).  ipykernel turns that into SIGINT, and Python
raises ``KeyboardInterrupt`` wherever the main thread happens to be.  Inside
the user's code that is fine: the module's namespace is restored and nothing is
patched.  Inside the engine's own bookkeeping (patching objects, recording the
new baseline) it would leave things half done.  So while the engine works,
SIGINT is only *noted*; it is delivered in the user's code, or once the engine
is done.  Signals reach only the main thread; elsewhere this does nothing.
"""

from __future__ import annotations

import signal
import threading
from contextlib import contextmanager

try:
    # The C functions: ``signal.signal``/``getsignal`` wrap them to turn ints into
    # enums, which for a callable handler means a failed enum lookup (an exception
    # caught inside ``enum``) -- about 10 us each, three of them on every check.
    from _signal import getsignal as _getsignal, signal as _setsignal
except ImportError:  # pragma: no cover - other implementations
    _getsignal, _setsignal = signal.getsignal, signal.signal

_SIGINT = int(signal.SIGINT)


class InterruptGate:
    def __init__(self):
        #: an interrupt arrived while the engine held it
        self.pending = False
        self._saved = None  # the handler to use in the user's code
        self._holding = False
        #: per entry of :meth:`held` still open: did it swap the handler?
        self._swapped: list[bool] = []

    def _note(self, signum, frame) -> None:
        self.pending = True

    def held(self) -> "InterruptGate":
        """The engine's own work: an interrupt is noted, not raised.  (The gate
        is its own context manager: a generator-based one costs more than
        the swap, on every check.)"""
        return self

    def __enter__(self) -> "InterruptGate":
        swapped = False
        if not self._holding and threading.current_thread() is threading.main_thread():
            saved = _getsignal(_SIGINT)
            if callable(saved):  # else interrupts are ignored here anyway
                _setsignal(_SIGINT, self._note)
                self._saved, self._holding, self.pending = saved, True, False
                swapped = True
        self._swapped.append(swapped)
        return self

    def __exit__(self, *exc) -> None:
        if self._swapped.pop():
            _setsignal(_SIGINT, self._saved)
            self._saved, self._holding = None, False

    def take(self) -> bool:
        """True (once) if an interrupt arrived while held."""
        pending, self.pending = self.pending, False
        return pending

    @contextmanager
    def open(self):
        """The user's code runs: an interrupt (also one noted just before) raises."""
        if not self._holding:
            yield
            return
        if self.take():
            raise KeyboardInterrupt
        _setsignal(_SIGINT, self._saved)
        try:
            yield
        finally:
            _setsignal(_SIGINT, self._note)


__all__ = ["InterruptGate"]
