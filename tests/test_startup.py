"""What a kernel start sets up, and what it leaves for later, through a real kernel.

A start pays only for what the first check needs: the import hook, the change
finder, the reporter and the magics.  The rest comes when first needed: the
inotify watcher and the background preparer (and their modules) with the
first user module, the reload
pipeline with the first reload, the clusters' shipping with the first reload
or client, and ``%autoreload``'s argument parser with its first use or help.
These tests check both halves: nothing deferred is loaded at start, and each
deferred piece is there, working, the moment it is needed.
"""

from __future__ import annotations

import ast
import re
import time

from driver import KernelDriver, ev, run

#: loaded by a start only if something was not deferred
DEFERRED = (
    "autoreload_kernel.prepared",
    "autoreload_kernel.inotify",
    "autoreload_kernel.applying",
    "autoreload_kernel.plan",
    "autoreload_kernel.statements",
    "autoreload_kernel.patching",
    "autoreload_kernel.definitions",
    "autoreload_kernel.function_patching",
    "autoreload_kernel.class_patching",
    "autoreload_kernel.dataclass_rederive",
    "autoreload_kernel.nested_codes",
    "autoreload_kernel.line_shift",
    "autoreload_kernel.clusters.shipping",
    "autoreload_kernel.clusters.worker",
    "IPython.core.magic_arguments",
)

LOADED = "sorted(m for m in __import__('sys').modules if m in {!r})".format(set(DEFERRED))
#: long enough for the preparer to build a tiny module's plan on a loaded machine
WAIT = 1.0
THREADS = "sorted(t.name for t in __import__('threading').enumerate())"


def _plans(k) -> tuple[int, int] | None:
    """(used, built) from `%autoreload --status`, None when it has no preparer."""
    found = re.search(r"plans built right after the save: (\d+) used of (\d+)",
                      run(k, "%autoreload --status").stdout)
    return (int(found.group(1)), int(found.group(2))) if found else None


def test_a_start_defers_the_preparer_until_the_first_user_module(tmp_path, modname):
    """Started and one cell run: none of the deferred modules is loaded and no
    preparer exists.  Then a module is imported and saved again at once:
    the preparer, started by that import, builds the plan for that very first
    save and the next cell uses it."""
    k = KernelDriver(tmp_path).start()
    try:
        assert ev(k, LOADED) == []
        assert "autoreload-prepare" not in ev(k, THREADS)
        assert ev(k, "get_ipython().kernel.reloader.preparer") is None

        k.write(f"{modname}.py", "def f():\n    return 1\n")
        run(k, f"import {modname}")
        assert ev(k, "get_ipython().kernel.reloader.preparer.running") is True
        k.write(f"{modname}.py", "def f():\n    return 2\n")  # right after the import
        time.sleep(WAIT)  # no request meanwhile: its check would reload the file itself
        assert ev(k, f"{modname}.f()") == 2
        assert _plans(k) == (1, 1)
    finally:
        k.shutdown()


def test_autoreload_help_and_options_work_though_made_on_first_use(kernel):
    """`%autoreload?` (a front end's inspect request) shows the full usage, and
    options parse as before, with bad ones refused."""
    reply = kernel.inspect("%autoreload")
    assert reply["status"] == "ok" and reply["found"], reply
    text = reply["data"]["text/plain"]
    for option in ("%autoreload [-p] [-l]", "--hide-errors", "--full", "--status",
                   "--clusters", "A trailing '-'"):
        assert option in text, text
    assert "IPython.core.magic_arguments" in ast.literal_eval(
        kernel.value("sorted(__import__('sys').modules)"))
    assert "no failed reloads" in run(kernel, "%autoreload --status").stdout
    res = kernel.execute("%autoreload --no-such-option")
    assert not res.ok and "unrecognized arguments: --no-such-option" in res.error, res.error
