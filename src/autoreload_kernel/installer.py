"""Install or uninstall the "Python (autoreload)" kernelspec.

The kernelspec we write runs *this* interpreter (``sys.executable -m
autoreload_kernel``), so the kernel keeps using this environment even when
Jupyter itself runs from another one.

Where it goes (choose at most one flag):

  --user        the per-user Jupyter data dir (``jupyter --data-dir``)/kernels
  --sys-prefix  ``sys.prefix``/share/jupyter/kernels, i.e. this venv/conda env
  --prefix P    ``P``/share/jupyter/kernels

With no flag we use --sys-prefix when running inside a virtualenv or conda
env (the spec then lives and dies with the env) and --user otherwise, so a
plain ``autoreload-kernel install`` never needs root.

Kernel names follow Jupyter's rule (ASCII letters, digits, ``.``, ``_``,
``-``) and are lower-cased, as Jupyter does when it looks them up.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path

from . import DISPLAY_NAME, KERNEL_NAME
from .kernelspec import MissingSpec, shipped

PROG = "autoreload-kernel"
_NAME_RE = re.compile(r"[a-z0-9._-]+", re.ASCII)


class InstallError(ValueError):
    """A problem the user can fix; the CLI prints it as one line and exits 2."""


# -- locations ---------------------------------------------------------------
def in_env() -> bool:
    """True inside a venv/virtualenv or a conda env (conda envs have base == prefix)."""
    return sys.prefix != sys.base_prefix or (Path(sys.prefix) / "conda-meta").is_dir()


def default_location() -> str:
    """'sys-prefix' inside an env, else 'user' (see the module docstring)."""
    return "sys-prefix" if in_env() else "user"


def kernels_dir(
    user: bool = False, sys_prefix: bool = False, prefix: str | os.PathLike | None = None
) -> Path:
    """The ``kernels`` directory for one location; at most one option may be set."""
    flags = {"--user": user, "--sys-prefix": sys_prefix, "--prefix": prefix is not None}
    chosen = [flag for flag, on in flags.items() if on]
    if len(chosen) > 1:
        raise InstallError(f"{' and '.join(chosen)} are mutually exclusive; choose one location")
    if not chosen:
        return kernels_dir(**{default_location().replace("-", "_"): True})
    if user:
        from jupyter_core.paths import jupyter_data_dir

        return Path(jupyter_data_dir()) / "kernels"
    base = sys.prefix if sys_prefix else prefix
    if str(base) == "":
        raise InstallError("--prefix needs a non-empty path")
    return Path(os.path.abspath(base)) / "share" / "jupyter" / "kernels"


def check_name(name: str) -> str:
    """Jupyter's kernel-name rule, lower-cased; all-dot names would escape the kernels dir."""
    lowered = name.lower()
    if not _NAME_RE.fullmatch(lowered) or set(lowered) == {"."}:
        raise InstallError(
            f"invalid kernel name {name!r}: use only ASCII letters, digits, '.', '_' and '-'"
        )
    return lowered


def _check_writable(target: Path) -> None:
    """Fail before creating anything if `target` (or what would hold it) can't be written."""
    probe = target
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    if not probe.is_dir():
        raise InstallError(f"cannot install into {target}: {probe} is not a directory")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise InstallError(f"cannot write to {probe} (no permission; try --user)")


# -- install / uninstall -----------------------------------------------------
def kernel_json(
    display_name: str = DISPLAY_NAME,
    env: Mapping[str, str] | None = None,
    template: dict | None = None,
) -> dict:
    """The shipped spec (kernel/kernel.json), made to run this interpreter by its
    full path, so the kernel always uses this environment."""
    spec = dict(shipped()[0] if template is None else template)
    spec.pop("env", None)
    spec["argv"] = [sys.executable, "-m", "autoreload_kernel", "-f", "{connection_file}"]
    spec["display_name"] = display_name
    if env:
        spec["env"] = dict(env)
    return spec


def _check_env(env: Mapping[str, str] | Iterable[tuple[str, str]] | None) -> dict[str, str]:
    pairs = dict(env.items() if isinstance(env, Mapping) else (env or ()))
    for key in pairs:
        if not key or "=" in key or "\0" in key:
            raise InstallError(f"invalid environment variable name {key!r} for --env")
    return {str(k): str(v) for k, v in pairs.items()}


def install(
    name: str = KERNEL_NAME,
    display_name: str = DISPLAY_NAME,
    user: bool = False,
    prefix: str | os.PathLike | None = None,
    env: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
    *,
    sys_prefix: bool = False,
) -> Path:
    """Install the kernelspec and return its directory.

    With no location given, uses the default (see the module docstring).  An
    existing spec of the same name there is replaced in one rename, so a
    failure never leaves a half-written spec behind.  Raises InstallError.
    """
    name = check_name(name)
    env = _check_env(env)
    kdir = kernels_dir(user=user, sys_prefix=sys_prefix, prefix=prefix)
    dest = kdir / name
    _check_writable(dest)
    try:  # read before anything moves: dest may be the wheel's own spec dir
        template, logos = shipped()
    except MissingSpec as exc:
        raise InstallError(str(exc)) from None
    spec = kernel_json(display_name, env, template)

    try:
        kdir.mkdir(parents=True, exist_ok=True)
        # '~' is not valid in kernel names, so Jupyter never mistakes this for a spec.
        staging = Path(tempfile.mkdtemp(prefix=f".{name}-", suffix="~", dir=kdir))
    except OSError as exc:
        raise InstallError(f"cannot create {kdir}: {exc.strerror or exc}") from None
    backup = staging.with_name(staging.name + "old")
    try:
        staging.chmod(0o755)  # mkdtemp makes it 0700; other users must read a shared spec
        for logo, data in logos.items():
            (staging / logo).write_bytes(data)
        # kernel.json last: only a complete directory counts as a kernelspec.
        (staging / "kernel.json").write_text(json.dumps(spec, indent=1) + "\n", encoding="utf-8")
        if dest.exists() or dest.is_symlink():
            os.rename(dest, backup)
        try:
            os.rename(staging, dest)
        except OSError:
            if backup.exists():
                os.rename(backup, dest)
            raise
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise InstallError(f"cannot install into {dest}: {exc.strerror or exc}") from None
    if backup.is_symlink() or backup.is_file():
        backup.unlink()
    else:
        shutil.rmtree(backup, ignore_errors=True)
    return dest


def _is_ours(spec_dir: Path) -> bool:
    """Whether a spec runs our kernel, so uninstall can't delete someone else's."""
    try:
        argv = json.loads((spec_dir / "kernel.json").read_text(encoding="utf-8"))["argv"]
    except (OSError, ValueError, KeyError, TypeError):
        return False
    return isinstance(argv, list) and "autoreload_kernel" in argv


def uninstall(
    name: str = KERNEL_NAME,
    user: bool = False,
    prefix: str | os.PathLike | None = None,
    *,
    sys_prefix: bool = False,
) -> Path:
    """Remove the kernelspec `name` from one location and return the removed path.

    Only that location is touched (unlike ``jupyter kernelspec remove``, which
    takes the first match on the search path).  Raises InstallError.
    """
    name = check_name(name)
    dest = kernels_dir(user=user, sys_prefix=sys_prefix, prefix=prefix) / name
    if not (dest / "kernel.json").is_file():
        raise InstallError(f"no kernelspec {name!r} is installed in {dest.parent}")
    if not _is_ours(dest):
        raise InstallError(f"{dest} is not an autoreload-kernel kernelspec; not removing it")
    try:
        shutil.rmtree(dest)
    except OSError as exc:
        raise InstallError(f"cannot remove {dest}: {exc.strerror or exc}") from None
    return dest


# -- command line ------------------------------------------------------------
class _Parser(argparse.ArgumentParser):
    """argparse, but errors are one `autoreload-kernel: ...` line and exit 2."""

    def error(self, message: str):  # type: ignore[override]
        raise _UsageError(" ".join(message.split()))


class _UsageError(Exception):
    pass


def _add_location(parser: argparse.ArgumentParser) -> None:
    why = "inside a venv/conda env" if in_env() else "outside any venv/conda env"
    group = parser.add_argument_group(
        "location",
        f"At most one; default: --sys-prefix inside a venv/conda env, else --user "
        f"(here: --{default_location()}, as this Python runs {why}).",
    )
    where = group.add_mutually_exclusive_group()
    where.add_argument("--user", action="store_true", help="the per-user Jupyter data dir")
    where.add_argument(
        "--sys-prefix", action="store_true", help=f"this environment ({sys.prefix})"
    )
    where.add_argument("--prefix", metavar="P", help="P/share/jupyter/kernels")
    parser.add_argument(
        "--name", default=KERNEL_NAME, help=f"kernelspec name (default: {KERNEL_NAME})"
    )


def _parser() -> _Parser:
    parser = _Parser(prog=PROG, description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True, metavar="{install,uninstall}")
    inst = sub.add_parser(
        "install",
        help="install the kernelspec",
        description=f"Install the kernelspec; Jupyter will run this Python ({sys.executable}) "
        "with the autoreload kernel, whichever environment Jupyter itself runs from.",
    )
    _add_location(inst)
    inst.add_argument(
        "--display-name",
        default=DISPLAY_NAME,
        help=f"name shown in Jupyter (default: {DISPLAY_NAME!r})",
    )
    inst.add_argument(
        "--env",
        nargs=2,
        action="append",
        metavar=("K", "V"),
        default=[],
        help="set environment variable K=V in the kernel (repeatable)",
    )
    uninst = sub.add_parser(
        "uninstall",
        help="remove the kernelspec",
        description="Remove the kernelspec from one location only.",
    )
    _add_location(uninst)
    return parser


def _search_note(spec_dir: Path) -> str | None:
    """Warn when Jupyter won't find the new spec, or finds another of that name first."""
    from jupyter_core.paths import jupyter_path

    dirs = [os.path.realpath(p) for p in jupyter_path("kernels")]
    here = os.path.realpath(spec_dir.parent)
    if here not in dirs:
        return (
            f"note: Jupyter does not search {spec_dir.parent}; "
            f"add {spec_dir.parent.parent} to JUPYTER_PATH to use it"
        )
    for earlier in dirs[: dirs.index(here)]:
        other = Path(earlier, spec_dir.name)
        if (other / "kernel.json").is_file():
            return f"note: Jupyter finds {other} first; that one hides this install"
    return None


def main(argv: list[str] | None = None) -> int:
    """`autoreload-kernel install|uninstall ...`; returns the exit code."""
    try:
        args = _parser().parse_args(sys.argv[1:] if argv is None else argv)
    except _UsageError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return 2
    except SystemExit as exc:  # --help
        return exc.code if isinstance(exc.code, int) else 0
    where = {"user": args.user, "sys_prefix": args.sys_prefix, "prefix": args.prefix}
    try:
        if args.command == "install":
            path = install(args.name, args.display_name, env=args.env, **where)
        else:
            path = uninstall(args.name, **where)
    except InstallError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return 2
    if args.command == "install":
        print(f"Installed kernelspec {path.name!r} ({args.display_name}) in {path}")
        note = _search_note(path)
        if note:
            print(f"{PROG}: {note}", file=sys.stderr)
    else:
        print(f"Removed kernelspec {path.name!r} from {path}")
    return 0
