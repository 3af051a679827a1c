"""Tell the user what happened: quietly on success, once per failure.

A reload that fails prints one message naming the file and line, and is not
repeated on every cell: it shows once per version of the file.  With verbose on
(``%autoreload --print`` or ``c.AutoreloadKernel.verbose``) each reload prints
one line saying which objects were patched.  The status view reads from here.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass


@dataclass
class Failure:
    module: str
    path: str
    lineno: int | None
    error: str
    digest: int
    #: a syntax error can only be fixed in this file; anything else (a name
    #: another module lacks, say) may be fixed elsewhere, so it is retried
    syntax: bool
    #: set when something else changed that may fix it
    retry: bool = False
    #: what to do instead of fixing the file (a change that needs a restart)
    hint: str | None = None

    def describe(self) -> str:
        where = self.path + (f", line {self.lineno}" if self.lineno else "")
        return f"{where}: {self.error}"


def digest(data: bytes) -> int:
    """Tells versions of a file apart within this kernel process."""
    return hash(data)


def _summary(names: list[str], limit: int = 8) -> str:
    if len(names) <= limit:
        return ", ".join(names)
    return ", ".join(names[:limit]) + f", … ({len(names) - limit} more)"


class Reporter:
    def __init__(self, verbose: bool = False, hide_errors: bool = False):
        self.verbose = verbose
        self.hide_errors = hide_errors
        self.log = None  # a logging function, set by `%autoreload --log`
        self.failures: dict[str, Failure] = {}
        self.history: list[str] = []
        self._shown: set[tuple] = set()

    # -- events -----------------------------------------------------------------
    def reloaded(self, module: str, patched, added, removed, updated, notes, rebound=()) -> None:
        self.failures.pop(module, None)
        parts = []
        if patched:
            parts.append("patched " + _summary(sorted(patched)))
        if rebound:
            parts.append("rebound " + _summary(sorted(rebound)))
        if added:
            parts.append("added " + _summary(sorted(added)))
        if removed:
            parts.append("removed " + _summary(sorted(removed)))
        if updated:
            parts.append("updated " + _summary(sorted(updated)))
        line = f"[autoreload] reloaded {module}" + (": " + "; ".join(parts) if parts else "")
        self.history.append(time.strftime("%H:%M:%S ") + line)
        del self.history[:-20]
        if self.verbose:
            print(line, file=sys.stdout, flush=True)
        if self.log is not None:
            self.log(line)
        for note in notes:
            self._once(("note", note), f"[autoreload] note: {note}")

    def failed(self, module: str, path: str, lineno, error: BaseException, data: bytes,
               hint: str | None = None) -> None:
        failure = Failure(module, path, lineno, f"{type(error).__name__}: {error}",
                          digest(data), isinstance(error, SyntaxError), hint=hint)
        self.failures[module] = failure
        self.history.append(time.strftime("%H:%M:%S ") + f"[autoreload] FAILED {module}")
        del self.history[:-20]

    def recovered(self, module: str) -> None:
        self.failures.pop(module, None)

    def show_pending(self) -> None:
        """Print failures not shown yet (at most once per file version)."""
        if self.hide_errors:
            return
        for failure in self.failures.values():
            key = (failure.path, failure.digest)
            if key in self._shown:
                continue
            self._shown.add(key)
            then = ("restart the kernel to apply it" if failure.hint
                    else "save a fixed file and the next cell picks it up")
            print(
                f"[autoreload] could not reload {failure.module} from {failure.describe()}\n"
                + (f"[autoreload] {failure.hint}\n" if failure.hint else "")
                + f"[autoreload] {failure.module} keeps running its previous version; {then}.",
                file=sys.stderr,
                flush=True,
            )

    def _once(self, key, text: str) -> None:
        if key in self._shown:
            return
        self._shown.add(key)
        print(text, file=sys.stderr, flush=True)
