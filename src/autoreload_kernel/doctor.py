"""`autoreload-kernel doctor`: which autoreload kernel Jupyter really starts.

"I picked the kernel and it runs the wrong Python / an old version" is the
commonest support question.  For every kernelspec Jupyter can see that is ours
(named ``python-autoreload``, or whose argv runs ``autoreload_kernel``), in
Jupyter's own search order, we show which one wins, then ask the Python it
starts (doctor_probe.py) what it imports and what its IPython profile loads.
Every problem is printed with the command that fixes it; the exit status is 1
when anything is broken.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from . import KERNEL_NAME, __version__

PROG = "autoreload-kernel"
PROBE = Path(__file__).with_name("doctor_probe.py")
MIN_IPYKERNEL = (6, 29)


@dataclass
class Spec:
    """One kernelspec directory that runs (or is named like) our kernel."""

    name: str
    directory: Path
    spec: dict | None
    wins: bool
    lines: list[str] = field(default_factory=list)
    problems: list[tuple[str, str]] = field(default_factory=list)  # (what, fix command)


def _version_tuple(text: str) -> tuple[int, ...]:
    parts = []
    for piece in text.split("."):
        digits = "".join(ch for ch in piece if ch.isdigit())
        if not digits:
            break
        parts.append(int(digits))
    return tuple(parts)


# -- finding the specs ----------------------------------------------------------
def find_specs() -> tuple[list[str], list[Spec]]:
    """Jupyter's kernel search path and our specs on it, in search order."""
    from jupyter_client.kernelspec import KernelSpecManager

    ksm = KernelSpecManager()
    dirs = list(ksm.kernel_dirs)
    winners = {k: os.path.realpath(v) for k, v in ksm.find_kernel_specs().items()}
    found = []
    for kernels in dirs:
        try:
            entries = sorted(os.listdir(kernels))
        except OSError:
            continue
        for entry in entries:
            directory = Path(kernels, entry)
            if not (directory / "kernel.json").is_file():
                continue
            name = entry.lower()
            try:
                spec = json.loads((directory / "kernel.json").read_text(encoding="utf-8"))
                argv = spec["argv"]
            except (OSError, ValueError, KeyError, TypeError):
                spec, argv = None, []
            if name != KERNEL_NAME and "autoreload_kernel" not in argv:
                continue
            wins = winners.get(name) == os.path.realpath(directory)
            found.append(Spec(name, directory, spec, wins))
    return dirs, found


# -- fixes --------------------------------------------------------------------------
def _reinstall_here(spec: Spec) -> str:
    """Rewrite the spec where it is, so that it starts this Python (whose kernel works)."""
    from jupyter_core.paths import jupyter_data_dir

    name = "" if spec.name == KERNEL_NAME else f" --name {shlex.quote(spec.name)}"
    install = f"{shlex.quote(sys.executable)} -m autoreload_kernel install"
    kernels = os.path.realpath(spec.directory.parent)
    if kernels == os.path.realpath(Path(jupyter_data_dir(), "kernels")):
        return f"{install} --user{name}"
    if kernels == os.path.realpath(Path(sys.prefix, "share", "jupyter", "kernels")):
        return f"{install} --sys-prefix{name}"
    if Path(kernels).parts[-3:] == ("share", "jupyter", "kernels"):
        return f"{install} --prefix {shlex.quote(str(Path(kernels).parents[2]))}{name}"
    # A directory the installer can't name: replace the spec by a default install.
    return f"rm -r {shlex.quote(str(spec.directory))} && {install}{name}"


def _pip_target() -> str:
    """What to pip-install to get this doctor's autoreload-kernel (PEP 610 knows)."""
    from importlib.metadata import PackageNotFoundError, distribution

    try:
        direct = json.loads(distribution("autoreload-kernel").read_text("direct_url.json") or "{}")
    except (PackageNotFoundError, ValueError):
        direct = {}
    url = direct.get("url", "")
    if url.startswith("file://"):
        path = shlex.quote(url[len("file://"):])
        return f"-e {path}" if direct.get("dir_info", {}).get("editable") else path
    return "autoreload-kernel"


# -- checking one spec ------------------------------------------------------------
def _python_of(argv: list[str]) -> tuple[str, str]:
    """The interpreter a spec starts, and how it was found (jupyter_client's rule)."""
    first = argv[0]
    if first in {"python", f"python{sys.version_info[0]}", "python%d.%d" % sys.version_info[:2]}:
        return sys.executable, f'"{first}": Jupyter starts the Python it runs from (here: this one)'
    if os.sep in first:
        return first, "its full path"
    from shutil import which

    return which(first) or first, f'"{first}" looked up on PATH'


def _probe(python: str, argv: list[str], env: dict) -> tuple[dict | None, str]:
    try:
        proc = subprocess.run(
            [python, "-c", PROBE.read_text(encoding="utf-8"), json.dumps(argv)],
            capture_output=True, text=True, timeout=60, env=env, cwd=os.path.abspath(os.sep),
        )
    except OSError as exc:
        return None, exc.strerror or str(exc)
    except subprocess.TimeoutExpired:
        return None, "it did not finish within 60 s"
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        return None, f"it exited with status {proc.returncode}: {last}"
    try:
        return json.loads(proc.stdout.strip().splitlines()[-1]), ""
    except (ValueError, IndexError):
        return None, "it printed no answer"


def check(spec: Spec) -> None:
    """Fill in `spec.lines` (what we found) and `spec.problems` (with fixes)."""
    add = spec.lines.append
    add(f"kernel.json  {spec.directory / 'kernel.json'}")
    if spec.spec is None:
        spec.problems.append(("kernel.json cannot be read as a kernelspec", _reinstall_here(spec)))
        return
    argv = [str(a) for a in spec.spec["argv"]]
    python, how = _python_of(argv)
    add(f"starts       {python}  ({how})")
    if "autoreload_kernel" not in argv:
        add(f"argv         {' '.join(argv)}")
        spec.problems.append(("this spec does not run autoreload_kernel", _reinstall_here(spec)))
        return
    if not (os.path.isfile(python) and os.access(python, os.X_OK)):
        spec.problems.append((f"{python} does not exist or cannot be run", _reinstall_here(spec)))
        return
    env = {**os.environ, **{str(k): str(v) for k, v in (spec.spec.get("env") or {}).items()}}
    info, why = _probe(python, argv, env)
    if info is None:
        spec.problems.append((f"{python} does not run: {why}", _reinstall_here(spec)))
        return
    add(f"Python       {info['python']}")
    _check_versions(spec, python, info)
    _check_watching(spec, info, env)
    _check_profile(spec, info)


def _check_versions(spec: Spec, python: str, info: dict) -> None:
    ours = info["autoreload_kernel"]
    pip = f"{shlex.quote(python)} -m pip install --upgrade {_pip_target()}"
    if "error" in ours:
        spec.lines.append(f"autoreload_kernel  not importable ({ours['error']})")
        spec.problems.append((f"{python} cannot import autoreload_kernel", pip))
    else:
        theirs = ours["version"]
        compared = _version_tuple(theirs), _version_tuple(__version__)
        relation = ("same as this one" if compared[0] == compared[1]
                    else "older than this one" if compared[0] < compared[1] else "newer than this one")
        spec.lines.append(f"autoreload_kernel  {theirs} ({relation}, {__version__}) from "
                          f"{os.path.dirname(ours['file'] or '?')}")
        if compared[0] < compared[1]:
            spec.problems.append((f"it runs autoreload_kernel {theirs}, older than {__version__}", pip))
    versions = []
    for module in ("ipykernel", "IPython"):
        got = info[module]
        versions.append(f"{module} {got.get('version', 'missing')}")
    spec.lines.append(f"runs on      {', '.join(versions)}")
    ipk = info["ipykernel"].get("version")
    if ipk and _version_tuple(ipk) < MIN_IPYKERNEL:
        spec.problems.append((f"ipykernel {ipk} is older than 6.29",
                              f"{shlex.quote(python)} -m pip install --upgrade 'ipykernel>=6.29'"))


def _check_watching(spec: Spec, info: dict, env: dict) -> None:
    poll, inotify = info["poll"], info["inotify"]
    if poll and poll["value"]:
        how = f"stat polling before every cell (AutoreloadKernel.poll = True, {poll['file']})"
    elif inotify:
        how = "inotify (Linux file events)"
    elif inotify is False:
        how = "stat polling (inotify is not available here)"
    else:
        how = "unknown (autoreload_kernel is not importable)"
    spec.lines.append(f"changes      {how}")
    if str(env.get("AUTORELOAD_KERNEL_DISABLE", "")).strip().lower() in {"1", "true", "yes", "on"}:
        spec.lines.append("             starts with reloading off (AUTORELOAD_KERNEL_DISABLE)")


def _check_profile(spec: Spec, info: dict) -> None:
    spec.lines.append(f"profile      {info['profile']}")
    for error in info["config_errors"]:
        spec.lines.append(f"             config error: {error}")
    loads = info["autoreload_loads"]
    if not loads:
        spec.lines.append("             does not load IPython's autoreload: good")
    by_file: dict[str, list[dict]] = {}
    for found in loads:
        where = f"{found['file']}:{found['line']}" if found["line"] else found["file"]
        if found["kind"] == "load_ext":
            spec.lines.append(f"             {where}: {found['text']}  (harmless here: this "
                              "kernel makes `%load_ext autoreload` a no-op; other kernels "
                              "reading this profile run IPython's reloader)")
        else:
            by_file.setdefault(found["file"], []).append(found)
    for path, hits in by_file.items():
        numbers = ", ".join(str(h["line"]) for h in hits)
        what = (f"{path} line {numbers} loads IPython's autoreload directly: "
                "every module would be reloaded twice")
        if os.path.isfile(path):
            edits = " ".join(f"-e '{h['line']}s/^/# /'" for h in hits)
            fix = f"sed -i {edits} {shlex.quote(path)}"
        else:
            fix = f"remove {'; '.join(repr(h['text']) for h in hits)} from {path}"
        spec.problems.append((what, fix))


# -- the report ---------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args in (["-h"], ["--help"]):
        print(f"usage: {PROG} doctor\n\n{__doc__.split(chr(10) + chr(10))[1]}")
        return 0
    if args:
        print(f"{PROG} doctor: takes no arguments (got {' '.join(args)})", file=sys.stderr)
        return 2
    print(f"{PROG} doctor: autoreload-kernel {__version__} on Python "
          f"{sys.version.split()[0]} ({sys.executable})")
    dirs, specs = find_specs()
    print("\nJupyter looks for kernelspecs in (the first of a name wins):")
    for i, d in enumerate(dirs, 1):
        print(f"  {i}. {d}{'' if os.path.isdir(d) else '  (absent)'}")
    if not specs:
        print(f"\nPROBLEM: Jupyter sees no {KERNEL_NAME} kernelspec.\n"
              f"  fix: {shlex.quote(sys.executable)} -m autoreload_kernel install")
        return 1
    problems = 0
    for spec in specs:
        check(spec)
        used = "used: Jupyter starts this one" if spec.wins else "hidden by an earlier one of that name"
        print(f"\n{spec.name}  ({used})")
        for line in spec.lines:
            print(f"  {line}")
        for what, fix in spec.problems:
            print(f"  PROBLEM: {what}\n    fix: {fix}")
        problems += len(spec.problems)
    status = "everything looks right" if not problems else f"{problems} problem(s) found"
    print(f"\n{len(specs)} kernelspec(s), {status}.")
    return 1 if problems else 0
