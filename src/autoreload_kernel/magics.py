"""``%autoreload`` and ``%aimport``, compatible with IPython's, driving our engine.

The names, modes and flags are the ones users know from IPython's extension
(``0|1|2|3``, ``off|explicit|all|complete``, ``-p/--print``, ``-l/--log``,
``--hide-errors``, ``--full``), plus ``--status``.  ``%load_ext autoreload`` is
accepted and does nothing: IPython's reloader running beside ours would reload
every module twice.
"""

from __future__ import annotations

import functools
import importlib
import logging
import re
import sys

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_magic, magics_class

from .modes import MODES

_OURS = {"autoreload", "IPython.extensions.autoreload"}
_AIMPORT = re.compile(r"^([\w.]+)(?:\s+as\s+(\w+))?$")


@functools.lru_cache(maxsize=None)
def _usage():
    """``%autoreload``'s options: IPython's argparse-based magic arguments, made
    on first use -- building the parser and its help text at every kernel start
    cost milliseconds.  Returns the function they decorate (``.parser``, and a
    ``__doc__`` that is the full help)."""
    from IPython.core.magic_arguments import argument, magic_arguments

    def autoreload(line=""):
        pass

    autoreload.__doc__ = AutoreloadMagics.autoreload.__doc__
    decorators = [
        magic_arguments(),
        argument(
            "mode", type=str, default="now", nargs="?",
            help="now (or blank): reload changed modules now; 0/off; 1/explicit (only "
            "%%aimport-ed modules); 2/all (default); 3/complete (same as all). A trailing "
            "'-' (e.g. 2-) re-runs whole modules instead of only what changed.",
        ),
        argument("-p", "--print", action="store_true",
                 help="print one line per reloaded module"),
        argument("-l", "--log", action="store_true",
                 help="also log reloads to the 'autoreload' logger"),
        argument("--hide-errors", action="store_true",
                 help="do not print reload failures"),
        argument("--full", action="store_true",
                 help="re-run whole modules instead of only what changed"),
        argument("--status", action="store_true",
                 help="show what is watched and what failed last"),
        argument("--clusters", choices=["on", "off"],
                 help="send edits to Dask/ipyparallel workers (on, the "
                 "default) or not (off)"),
    ]
    for decorate in reversed(decorators):  # as if written above the def, top first
        autoreload = decorate(autoreload)
    return autoreload


@magics_class
class AutoreloadMagics(Magics):
    def __init__(self, shell, reloader):
        super().__init__(shell)
        self.reloader = reloader

    @line_magic
    def autoreload(self, line=""):
        """Control automatic reloading (this kernel reloads before every cell by default)."""
        args = _usage().parser.parse_argstring(line)
        r = self.reloader
        if args.status:
            from .status import status_view  # only when asked: not at kernel start

            print(status_view(r))
            return
        if args.clusters:
            kernel = getattr(self.shell, "kernel", None)
            if kernel is None or not hasattr(kernel, "clusters"):
                raise UsageError("--clusters needs the Python (autoreload) kernel")
            kernel.clusters = args.clusters == "on"
            return
        mode = args.mode.lower()
        r.full = args.full or mode.endswith("-")
        mode = mode.rstrip("-")
        r.report.verbose = args.print
        r.report.hide_errors = args.hide_errors
        r.report.log = logging.getLogger("autoreload").info if args.log else None
        if mode in ("", "now"):
            r.finder.invalidate()
            r.check(force=True)
            return
        if mode not in MODES and mode not in MODES.values():
            raise UsageError(f"unknown autoreload mode {mode!r}: use 0-3, off, explicit, all or complete")
        r.set_mode(mode)

    @line_magic
    def aimport(self, parameter_s=""):
        """%aimport m[, n]: import and mark for reloading; %aimport -m: never reload m."""
        r = self.reloader
        if not parameter_s.strip():
            if r.mode in ("all", "complete"):
                print("Modules to reload:\nall-except-skipped")
            else:
                print("Modules to reload:\n" + " ".join(sorted(r.explicit)))
            print("\nModules to skip:\n" + " ".join(sorted(r.skipped)))
            return
        try:
            for item in (part.strip() for part in parameter_s.split(",")):
                if not item:
                    continue
                if item.startswith("-"):
                    name = item[1:].strip()
                    r.skipped.add(name)
                    r.explicit.discard(name)
                    continue
                match = _AIMPORT.match(item)
                if match is None:
                    raise UsageError(f"%aimport: cannot read {item!r}; use `mod`, `mod as alias` "
                                     "or `-mod`")
                name, alias = match.group(1), match.group(2)
                importlib.import_module(name)  # an ImportError propagates, as in IPython
                r.skipped.discard(name)
                r.explicit.add(name)
                top = alias or name.split(".")[0]
                self.shell.push({top: sys.modules[name] if alias else sys.modules[name.split(".")[0]]})
        finally:
            r.finder.invalidate()  # marked modules are compared with their files again

    # `%autoreload?` shows the full help (IPython asks an object's getdoc() first)
    autoreload.getdoc = lambda: _usage().__doc__


def register(shell, reloader) -> None:
    """Install our magics and make ``%load_ext autoreload`` a quiet no-op."""
    shell.register_magics(AutoreloadMagics(shell, reloader))
    manager = getattr(shell, "extension_manager", None)
    if manager is None:
        return
    load, reload_ = manager.load_extension, manager.reload_extension

    def load_extension(module_str):
        if module_str in _OURS:
            return None  # built in: loading IPython's would reload everything twice
        return load(module_str)

    def reload_extension(module_str):
        if module_str in _OURS:
            return None
        return reload_(module_str)

    manager.load_extension = load_extension
    manager.reload_extension = reload_extension
