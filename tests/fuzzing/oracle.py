"""The oracle: a separate interpreter that imports the final source fresh.

One process serves every request (starting a Python per save would be slow):
each request writes the files into a new directory, imports the modules under
their names (purged from ``sys.modules`` first) and answers the probes.  A
module whose current source fails to import is imported from the last source
that worked, which is what the reloading kernel keeps running.
"""

from __future__ import annotations

import importlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _purge(names) -> None:
    for name in list(sys.modules):
        if any(name == n or name.startswith(n + ".") for n in names):
            del sys.modules[name]


def _write(root: Path, rel: str, text: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def _blame(err: BaseException, by_path: dict) -> str | None:
    """Which of our files made the import fail."""
    if isinstance(err, SyntaxError) and err.filename in by_path:
        return by_path[err.filename]
    role = None
    for frame in traceback.extract_tb(err.__traceback__):
        role = by_path.get(frame.filename, role)
    return role


def answer(req: dict, root: Path) -> dict:
    from .probes import all_probes, make_held

    names, files = req["names"], req["files"]
    root.mkdir(parents=True)
    for role, rel in files.items():
        _write(root, rel, req["sources"][role])
    paths = {role: str(root / rel) for role, rel in files.items()}
    by_path = {p: role for role, p in paths.items()}
    fell_back: set[str] = set()
    broken: set[str] = set()
    sys.path.insert(0, str(root))
    try:
        mods: dict = {}
        for _attempt in range(8):
            _purge(names.values())
            mods = {}
            try:
                for role in ("pkg", "core", "a", "b"):
                    if role in broken:
                        continue
                    mods[role] = importlib.import_module(names[role])
                break
            except Exception as err:  # noqa: BLE001
                role = _blame(err, by_path)
                if role is None:
                    raise
                if role not in fell_back:
                    fell_back.add(role)
                    _write(root, files[role], req["fallback"][role])
                else:
                    broken.add(role)
        models = {role: (req["good_model"] if role in fell_back else req["model"])[role]
                  for role in ("core", "pkg", "a", "b")}
        prog = dict(req["model"], **models)
        held = make_held(models, mods, set(req["held"]))
        probes = all_probes(prog, mods, paths, held, fell_back | broken)
    finally:
        sys.path.remove(str(root))
        _purge(names.values())
    return {"fell_back": sorted(fell_back), "broken": sorted(broken), "probes": probes}


def serve() -> None:
    sys.dont_write_bytecode = True
    base = Path(tempfile.mkdtemp(prefix="fuzz-oracle-"))
    for n, line in enumerate(sys.stdin):
        req = json.loads(line)
        try:
            reply = answer(req, base / f"r{n}")
            shutil.rmtree(base / f"r{n}", ignore_errors=True)
        except Exception:  # noqa: BLE001 - report, keep serving
            reply = {"error": traceback.format_exc()}
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()


class Oracle:
    """The client side: one long-lived fresh interpreter."""

    def __init__(self):
        env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
        env.pop("PYTHONPATH", None)
        code = (f"import sys; sys.path.insert(0, {str(HERE.parent)!r}); "
                "from fuzzing.oracle import serve; serve()")
        self.proc = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, env=env)

    def ask(self, req: dict, wait: bool = True) -> dict | None:
        """Send a request; with ``wait`` off, :meth:`receive` gets the answer later."""
        self.proc.stdin.write(json.dumps(req) + "\n")
        self.proc.stdin.flush()
        return self.receive() if wait else None

    def receive(self) -> dict:
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("the oracle process died")
        reply = json.loads(line)
        if "error" in reply:
            raise RuntimeError("oracle failed:\n" + reply["error"])
        return reply

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=30)
