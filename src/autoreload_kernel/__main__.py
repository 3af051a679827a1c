"""`python -m autoreload_kernel`: start the kernel, or run a CLI subcommand.

The kernelspec runs ``python -m autoreload_kernel -f {connection_file}``.  IPKernelApp
would treat ``install`` as its own subcommand (and install the *plain* IPython
kernelspec), so our own subcommands are routed to our CLI first.
"""

import sys


def _drop_cwd_from_path() -> None:
    # Like ipykernel_launcher: the kernel's own imports must not be shadowed by
    # files that happen to sit in the notebook's directory.  IPython puts the
    # cwd back for user code.
    import os

    if sys.path and sys.path[0] in ("", ".", os.getcwd()):
        del sys.path[0]


def main() -> None:
    _drop_cwd_from_path()
    # The kernelspec's argv starts with an option (-f); only a word may be ours.
    if len(sys.argv) > 1 and not sys.argv[1].startswith("-"):
        from autoreload_kernel.cli import SUBCOMMANDS, main as cli_main

        if sys.argv[1] in SUBCOMMANDS:
            sys.exit(cli_main(sys.argv[1:]))
    from autoreload_kernel.kernel import launch

    launch()


if __name__ == "__main__":
    main()
