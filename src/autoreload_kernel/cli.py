"""The `autoreload-kernel` command: install, uninstall, doctor, demo."""

from __future__ import annotations

import sys

from . import __version__

SUBCOMMANDS = ("install", "uninstall", "doctor", "demo")

USAGE = f"""\
usage: autoreload-kernel {{install,uninstall,doctor,demo}} [options]
       autoreload-kernel --version | --help

  install     install the "Python (autoreload)" kernelspec for this Python
  uninstall   remove it again
  doctor      check every autoreload kernelspec Jupyter sees (which Python,
              which version, profiles that reload too); exit 1 if one is broken
  demo        run a small notebook through the kernel and show an edit picked up

  --version   print the version ({__version__}) and exit
  -h, --help  print this help and exit

Run `autoreload-kernel COMMAND --help` for the options of a command.
"""


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv:
        print(USAGE, end="", file=sys.stderr)
        return 2
    if argv[0] in ("-h", "--help"):
        print(USAGE, end="")
        return 0
    if argv[0] == "--version":
        print(__version__)
        return 0
    command, rest = argv[0], argv[1:]
    if command in ("install", "uninstall"):
        from .installer import main as installer_main

        return installer_main([command, *rest])
    if command == "doctor":
        from .doctor import main as doctor_main

        return doctor_main(rest)
    if command == "demo":
        from .demo_run import main as demo_main

        return demo_main(rest)
    print(
        f"autoreload-kernel: unknown command {command!r} (choose from {', '.join(SUBCOMMANDS)};"
        " see autoreload-kernel --help)",
        file=sys.stderr,
    )
    return 2


if __name__ == "__main__":
    sys.exit(main())
