"""Where the shipped kernelspec (kernel.json and the logos) is.

The repository keeps it once, in ``kernel/``.  The wheel, editable or not,
installs that folder as ``share/jupyter/kernels/python-autoreload`` under the
prefix, and the distribution's file list says where that landed (the
environment, or the user base for ``pip install --user``).  A source checkout,
an editable install included, reads ``kernel/`` itself.
"""

from __future__ import annotations

import json
from pathlib import Path

from . import KERNEL_NAME

FILES = ("kernel.json", "logo-32x32.png", "logo-64x64.png", "logo-svg.svg")
_CHECKOUT = Path(__file__).resolve().parents[2] / "kernel"


class MissingSpec(LookupError):
    """Neither the checkout nor the installed distribution has the kernelspec."""


def _installed_dir() -> Path | None:
    from importlib.metadata import PackageNotFoundError, distribution

    try:
        dist = distribution("autoreload-kernel")
    except PackageNotFoundError:
        return None
    wanted = ("share", "jupyter", "kernels", KERNEL_NAME, "kernel.json")
    for f in dist.files or ():
        if f.parts[-len(wanted):] == wanted:
            return Path(dist.locate_file(f)).resolve().parent
    return None


def source_dir() -> Path:
    """The directory holding the shipped kernel.json and logos."""
    candidates = [_CHECKOUT, _installed_dir()]
    for directory in candidates:
        if directory is not None and (directory / "kernel.json").is_file():
            return directory
    raise MissingSpec(
        "the kernelspec files of this install are missing; reinstall with "
        "`pip install --force-reinstall autoreload-kernel`"
    )


def shipped() -> tuple[dict, dict[str, bytes]]:
    """The shipped kernel.json, parsed, and each logo's bytes (missing logos skipped)."""
    directory = source_dir()
    spec = json.loads((directory / "kernel.json").read_text(encoding="utf-8"))
    logos = {
        name: (directory / name).read_bytes()
        for name in FILES[1:]
        if (directory / name).is_file()
    }
    return spec, logos
