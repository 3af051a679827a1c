"""The `autoreload-kernel` command: install, uninstall, demo."""

from __future__ import annotations

import sys

from . import __version__

SUBCOMMANDS = ("install", "uninstall", "demo")

USAGE = """\
usage: autoreload-kernel {install,uninstall,demo} [options]

  install     install the "Python (autoreload)" kernelspec for this Python
  uninstall   remove it again
  demo        run a small notebook through the kernel and show an edit picked up

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
    if command == "demo":
        from .demo_run import main as demo_main

        return demo_main(rest)
    print(f"autoreload-kernel: unknown command {command!r}\n\n{USAGE}", file=sys.stderr, end="")
    return 2


if __name__ == "__main__":
    sys.exit(main())
