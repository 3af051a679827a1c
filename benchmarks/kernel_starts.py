"""Kernel start to the first execute_reply, for each configuration.

A fresh kernel per start (``_kernel.time_start``), the configurations taking
turns start by start, with a pause between starts so that one kernel's exit
does not fall on the next one's start.
"""

from __future__ import annotations

import os
import time

from _kernel import KernelError, time_start
from _stats import log, median
from turns import turn_order


def measure(bench) -> None:
    """Time ``bench.p.starts`` starts of each live configuration (after
    ``start_warmup`` untimed ones), the configurations taking turns; the
    seconds go to ``cfg.data["start_s"]``, a failed start to
    ``cfg.data["start_errors"]``."""
    p = bench.p
    log(f"kernel start -> first execute_reply: {p.starts} timed starts per config (+{p.start_warmup} warm-up)")
    for i in range(p.start_warmup + p.starts):
        for cfg in turn_order(bench.live(), i):
            try:
                secs = time_start(cfg.kernel, cfg.setup or "pass", bench.work, bench.env_for(cfg),
                                  os.path.join(bench.logs, f"{cfg.key}-start-{i}.log"))
            except KernelError as err:
                # Keep going (one bad start should not hide the others), but it
                # is an error: the run exits non-zero.
                log(f"!! {cfg.label}: start {i} failed: {err}")
                cfg.data.setdefault("start_errors", []).append(str(err))
                continue
            finally:
                time.sleep(0.3)
            if i >= p.start_warmup:
                cfg.data.setdefault("start_s", []).append(secs)
    for cfg in bench.live():
        ts = cfg.data.get("start_s", [])
        log(f"   start {cfg.label}: median {median(ts):.3f} s over {len(ts)} starts"
            + (f", {len(cfg.data['start_errors'])} failed" if cfg.data.get("start_errors") else ""))


__all__ = ["measure"]
