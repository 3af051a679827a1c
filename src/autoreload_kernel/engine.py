"""TEMPORARY first engine (mtime + importlib.reload); being replaced by the pipeline."""
import importlib, os, sys, traceback


class _Report:
    def internal_error(self, err):
        print(f"autoreload-kernel: internal error: {err!r}", file=sys.stderr)


class Reloader:
    def __init__(self, shell, mode="all", verbose=False, include=(), exclude=()):
        self.shell, self.mode, self.verbose = shell, mode, verbose
        self.report = _Report()
        self._mtimes = {}

    def start(self):
        pass

    def check(self, show_errors=True):
        if self.mode == "off":
            return
        for name, mod in list(sys.modules.items()):
            f = getattr(mod, "__file__", None)
            if not f or "site-packages" in f or f.startswith(sys.base_prefix) or not f.endswith(".py"):
                continue
            try:
                m = os.stat(f).st_mtime_ns
            except OSError:
                continue
            old = self._mtimes.setdefault(name, m)
            if old != m:
                self._mtimes[name] = m
                try:
                    importlib.reload(mod)
                except Exception:
                    traceback.print_exc()
