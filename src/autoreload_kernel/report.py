"""Tell the user what happened: quietly on success, once per failure.

A reload that fails prints one message naming the file and line, and is not
repeated on every cell: it shows once per version of the file.  With verbose on
(``%autoreload --print`` or ``c.AutoreloadKernel.verbose``) each reload prints
one line saying which objects were patched.  The status view reads from here.
"""

from __future__ import annotations

import sys
import time


#: Kinds of failure.  A syntax error can only be fixed in its own file; an
#: error while running (a name another module lacks, say) may be fixed
#: elsewhere, so it is retried after other reloads; an interrupted version runs
#: again only when asked (`%autoreload`) or saved again; a file that cannot be
#: read is read again at every check until it can.
SYNTAX, ERROR, INTERRUPTED, FILE = "syntax", "error", "interrupted", "file"


class Failure:
    """One module's failed reload: what, where, and whether to try it again.

    A plain class: a dataclass costs about a millisecond to build at import,
    which every kernel start would pay for a record most sessions never make.
    """

    __slots__ = ("module", "path", "lineno", "error", "digest", "kind", "retry", "hint",
                 "excerpt", "raised_at")

    def __init__(self, module: str, path: str, lineno: int | None, error: str, digest: int,
                 kind: str = ERROR, hint: str | None = None, excerpt: str = "",
                 raised_at: str | None = None):
        self.module = module
        self.path = path
        self.lineno = lineno
        self.error = error
        self.digest = digest
        self.kind = kind
        #: set when something else changed that may fix it
        self.retry = False
        #: what to do instead of fixing the file (a change that needs a restart)
        self.hint = hint
        #: the source line and a caret under the error (syntax errors)
        self.excerpt = excerpt
        #: "file, line N" where the error was raised, when that is another file
        self.raised_at = raised_at

    def __repr__(self) -> str:
        return f"Failure({self.module!r}, {self.kind}: {self.describe()})"

    def describe(self) -> str:
        where = self.path + (f", line {self.lineno}" if self.lineno else "")
        extra = f" (raised in {self.raised_at})" if self.raised_at else ""
        return f"{where}: {self.error}{extra}"

    def message(self) -> str:
        m = self.module
        if self.kind == INTERRUPTED:
            at = f" at {self.path}, line {self.lineno}" if self.lineno else f" ({self.path})"
            return (f"[autoreload] reload of {m} interrupted{at}; nothing of it was applied "
                    f"and {m} keeps running its previous version.\n"
                    f"[autoreload] this version of {m} will not run again: save the file "
                    "again, or run `%autoreload` to try it once more.")
        if self.kind == FILE:
            then = self.hint or "it is reloaded once the file can be read again"
            return (f"[autoreload] cannot reload {m}: {self.path}: {self.error}\n"
                    f"[autoreload] {m} keeps running its previous version; {then}.")
        excerpt = f"\n{self.excerpt}" if self.excerpt else ""
        hint = f"\n[autoreload] {self.hint}" if self.hint else ""
        then = ("restart the kernel to apply it" if self.hint
                else "save a fixed file and the next cell picks it up")
        return (f"[autoreload] could not reload {m} from {self.describe()}{excerpt}{hint}\n"
                f"[autoreload] {m} keeps running its previous version; {then}.")


def _error_text(error: BaseException) -> str:
    if isinstance(error, SyntaxError):
        # str() of a SyntaxError repeats the file and line the message names already
        return f"{type(error).__name__}: {error.msg}"
    text = f"{type(error).__name__}: {error}"
    cause = error.__cause__
    if cause is not None:  # e.g. "Error calling __set_name__" (Python 3.11) hides the reason
        text += f" (caused by {type(cause).__name__}: {cause})"
    return text


def _excerpt(error: BaseException) -> str:
    """The offending source line with a caret under the error, as Python prints it."""
    if not isinstance(error, SyntaxError) or not error.text:
        return ""
    line = error.text.rstrip("\n")
    stripped = line.lstrip()
    text = "    " + stripped
    if error.offset and error.offset > 0:
        column = max(0, min(error.offset - 1 - (len(line) - len(stripped)), len(stripped)))
        text += "\n    " + " " * column + "^"
    return text


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
        #: (time.time(), line) of the last reloads and failures; formatted only
        #: when shown (:meth:`recent`): strftime costs a one-def reload ~2 %
        self.history: list[tuple[float, str]] = []
        self._shown: set[tuple] = set()

    # -- events -----------------------------------------------------------------
    def reloaded(self, module: str, patched, added, removed, updated, notes, rebound=()) -> None:
        self.recovered(module)
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
        self.history.append((time.time(), line))
        del self.history[:-20]
        if self.verbose:
            print(line, file=sys.stdout, flush=True)
        if self.log is not None:
            self.log(line)
        for note in notes:
            self._once(("note", note), f"[autoreload] note: {note}")

    def failed(self, module: str, path: str, lineno, error: BaseException, data: bytes,
               hint: str | None = None, raised_at: str | None = None,
               ran: bool = False) -> None:
        kind = ERROR if ran else SYNTAX
        self._record(Failure(module, path, lineno, _error_text(error), digest(data), kind,
                             hint=hint, excerpt=_excerpt(error), raised_at=raised_at))

    def interrupted(self, module: str, path: str, lineno, data: bytes) -> None:
        self._record(Failure(module, path, lineno, "interrupted", digest(data), INTERRUPTED))

    def unreadable(self, module: str, path: str, reason: str, hint: str | None = None) -> None:
        """The file cannot be read as a module's source (gone, a directory, ...);
        ``hint``: what to do, when waiting for the file is not it."""
        self._record(Failure(module, path, None, reason, digest(reason.encode()), FILE, hint))

    def _record(self, failure: Failure) -> None:
        previous = self.failures.get(failure.module)
        self.failures[failure.module] = failure
        if previous is not None and (previous.digest, previous.kind) == (failure.digest,
                                                                         failure.kind):
            return
        self.history.append((time.time(), f"[autoreload] FAILED {failure.module}"
                                          f" ({failure.kind})"))
        del self.history[:-20]

    def recent(self, count: int) -> list[str]:
        """The last ``count`` entries of :attr:`history`, each after its time."""
        return [time.strftime("%H:%M:%S ", time.localtime(at)) + line
                for at, line in self.history[-count:]]

    def recovered(self, module: str) -> None:
        failure = self.failures.pop(module, None)
        if failure is not None:  # the same problem coming back is news again
            self._shown.discard((failure.path, failure.digest))

    def show_pending(self) -> None:
        """Print failures not shown yet (at most once per file version)."""
        if self.hide_errors:
            return
        for failure in self.failures.values():
            key = (failure.path, failure.digest)
            if key in self._shown:
                continue
            self._shown.add(key)
            print(failure.message(), file=sys.stderr, flush=True)

    def _once(self, key, text: str) -> None:
        if key in self._shown:
            return
        self._shown.add(key)
        print(text, file=sys.stderr, flush=True)
