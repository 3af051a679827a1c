"""`autoreload-kernel demo`: show the kernel picking up an edit, end to end.

Runs the bundled notebook through the installed ``python-autoreload`` kernel
with nbclient, in a throwaway directory, and prints each cell with its output.
The last cell must show the edited code's result; the exit code says whether
it did.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from importlib import resources

from . import DISPLAY_NAME, KERNEL_NAME

EXPECTED = "a square of area 9 and perimeter 12"


def _outputs_text(cell) -> str:
    parts = []
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream":
            parts.append(out.get("text", ""))
        elif out.get("output_type") in ("execute_result", "display_data"):
            parts.append(out.get("data", {}).get("text/plain", "") + "\n")
        elif out.get("output_type") == "error":
            parts.append(f"{out.get('ename')}: {out.get('evalue')}\n")
    return "".join(parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="autoreload-kernel demo", description=__doc__)
    parser.add_argument("--kernel", default=KERNEL_NAME, help="kernelspec to run (default: %(default)s)")
    args = parser.parse_args(argv)

    import nbformat
    from nbclient import NotebookClient

    source = resources.files("autoreload_kernel.demo").joinpath("demo.ipynb").read_text()
    nb = nbformat.reads(source, as_version=4)
    with tempfile.TemporaryDirectory(prefix="autoreload-demo-") as workdir:
        print(f"Running the demo notebook with the {DISPLAY_NAME!r} kernel in {workdir}\n")
        client = NotebookClient(nb, kernel_name=args.kernel, timeout=120,
                                resources={"metadata": {"path": workdir}})
        try:
            client.execute()
        except Exception as err:  # noqa: BLE001 - report, don't dump a traceback
            print(f"autoreload-kernel demo: the notebook failed: {err}", file=sys.stderr)
            return 1
    count = 0
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            print(cell.source.lstrip("# ") + "\n")
            continue
        count += 1
        print(f"In [{count}]:")
        print("    " + cell.source.replace("\n", "\n    "))
        text = _outputs_text(cell).rstrip()
        if text:
            print(f"Out[{count}]:")
            print("    " + text.replace("\n", "\n    "))
        print()
    last = _outputs_text(nb.cells[-1])
    if EXPECTED in last:
        print("The edit to shapes.py was picked up by the next cell, with no %autoreload.")
        return 0
    print("autoreload-kernel demo: the last cell did not show the edited code's result.",
          file=sys.stderr)
    return 1
