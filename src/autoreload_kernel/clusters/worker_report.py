"""What the user is told about the workers, once: one line per module that
failed somewhere, one-time notes for workers that cannot take edits at all
(no autoreload-kernel, another Python), and the out-of-date workers that
`%autoreload --status` lists until they take a good save.
"""

from __future__ import annotations

import sys

_FIX = ("install autoreload-kernel in the workers' environment "
        "(`pip install autoreload-kernel`, the version this kernel runs)")


def remote_error(result) -> str:
    """'ename: evalue' of an exception, local or relayed by the cluster."""
    name = getattr(result, "ename", None) or type(result).__name__
    value = getattr(result, "evalue", None) or str(result)
    return f"{name}: {value}"


class WorkerReport:
    """The cluster room's messages and its record of out-of-date workers."""

    def __init__(self, stream=None):
        self.stream = stream
        #: (adapter label, worker address) -> {module: error}
        self.out_of_date: dict[tuple[str, str], dict[str, str]] = {}
        self._said: set[str] = set()

    def storing_failed(self, adapter, err: BaseException) -> None:
        self.say(f"store:{adapter.label}", (
            f"[autoreload] storing your modules with the {adapter.label} for {adapter.members} "
            f"that join later failed ({remote_error(err)}). The {adapter.members} running now "
            f"have every edit, but one that joins or restarts later may lack your modules. "
            "Your tasks still run."))

    def digest(self, adapter, results: dict, versions, joined: bool = False) -> None:
        """One line per module that failed somewhere; one-time notes for workers
        that cannot take edits at all.  ``joined``: the results of workers that
        joined later and were sent every module."""
        failed: dict[str, list[tuple[str, str]]] = {}
        for address, result in results.items():
            slot = (adapter.label, address)
            if not isinstance(result, dict):
                text = remote_error(result)
                if "autoreload_kernel" in text:
                    self.say(f"missing:{adapter.label}", (
                        f"[autoreload] {adapter.kind} {address} has no autoreload-kernel "
                        f"({text}), so edits do not reach it; {_FIX}. Your tasks still run."))
                else:
                    self.say(f"error:{adapter.label}:{text}", (
                        f"[autoreload] {adapter.kind} {address} could not take edits "
                        f"({text}). Your tasks still run."))
                for v in versions:
                    self.out_of_date.setdefault(slot, {})[v.name] = text
                continue
            if result.get("same_process"):
                continue
            python, here = result.get("python"), "%d.%d" % sys.version_info[:2]
            if python and python != here:
                self.say(f"python:{adapter.label}:{python}", (
                    f"[autoreload] {adapter.kind} {address} runs Python {python}, this kernel "
                    f"{here}. Your edits still reach it (as source, compiled there), but code "
                    f"sent by value (lambdas, functions defined in the notebook) needs one "
                    f"Python on both sides: start the {adapter.members} with Python {here} "
                    f"(this kernel runs {sys.executable})."))
            if "error" in result:
                self.say(f"internal:{adapter.label}:{result['error']}", (
                    f"[autoreload] {adapter.kind} {address}: could not take edits "
                    f"({result['error']}). Your tasks still run."))
                continue
            mine = self.out_of_date.get(slot, {})
            for v in versions:
                if v.name in result.get("resend", ()):
                    continue  # it is sent whole next
                error = result.get("failed", {}).get(v.name)
                if error is None:
                    mine.pop(v.name, None)
                else:
                    mine[v.name] = error
                    failed.setdefault(v.name, []).append((address, error))
            if mine:
                self.out_of_date[slot] = mine
            else:
                self.out_of_date.pop(slot, None)
        total = sum(1 for r in results.values()
                    if not (isinstance(r, dict) and r.get("same_process")))
        for name, where in failed.items():
            address, error = where[0]
            who = f"{len(where)} of {total} {adapter.kind} {adapter.members}"
            self.print(
                f"[autoreload] {name}: {who} that joined later could not apply the kernel's "
                f"version ({address}: {error}); they keep the one they had until the next "
                "good save." if joined else
                f"[autoreload] {name}: {who} could not apply the new version ({address}: "
                f"{error}); they keep the previous one until the next good save.")

    def print(self, text: str) -> None:
        print(text, file=self.stream or sys.stderr, flush=True)

    def say(self, key: str, text: str) -> None:
        if key not in self._said:
            self._said.add(key)
            self.print(text)

    def status_lines(self, enabled: bool, adapters: dict) -> list[str]:
        """What `%autoreload --status` says about the clusters."""
        if not enabled:
            return ["clusters: off (edits are not sent to Dask or ipyparallel workers)"]
        if not adapters:
            return ["clusters: on, no Dask or ipyparallel client in this kernel"]
        lines = ["clusters: on, sending edits to: "
                 + ", ".join(a.label for a in adapters.values())]
        if self.out_of_date:
            lines.append("out-of-date workers (running a previous version):")
            for (label, address), mods in sorted(self.out_of_date.items()):
                for name, error in sorted(mods.items()):
                    lines.append(f"  {address} ({label}): {name}: {error}")
        else:
            lines.append("every worker runs the kernel's versions")
        return lines
