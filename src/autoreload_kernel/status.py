"""The ``%autoreload --status`` view: what the reloader does and has done.

Read-only: it reports the engine's state (mode, watched modules, failures,
recent reloads) and the lines other rooms add (``Reloader.status_parts``),
so the engine itself stays about checking and reloading.
"""

from __future__ import annotations

from . import __version__
from .modes import MODE_NUMBER


def status_view(reloader) -> str:
    """The status text of ``reloader`` (a :class:`~.engine.Reloader`)."""
    watched = sorted(reloader.finder.watched)
    lines = [
        f"autoreload-kernel {__version__}: mode {reloader.mode} "
        f"({MODE_NUMBER[reloader.mode]}), verbose {'on' if reloader.report.verbose else 'off'}, "
        f"{'whole-module' if reloader.full else 'statement-level'} reloads, "
        f"changes found by {reloader.finder.how}"
        + (f", plans built right after the save: {reloader.preparer.used} used of "
           f"{reloader.preparer.built}" if reloader.preparer and reloader.preparer.running else ""),
        f"watching {len(watched)} module(s) of yours"
        + (": " + ", ".join(watched[:30]) + (" …" if len(watched) > 30 else "") if watched else ""),
    ]
    if reloader.mode == "explicit":
        lines.append("reloading only (%aimport): " + (", ".join(sorted(reloader.explicit)) or "none"))
    if reloader.skipped:
        lines.append("never reloading (%aimport -): " + ", ".join(sorted(reloader.skipped)))
    optout = [n for n, m in reloader.finder.watched.modules().items()
              if getattr(m, "__autoreload__", True) is False]
    if optout:
        lines.append("opted out (__autoreload__ = False): " + ", ".join(sorted(optout)))
    if reloader.finder.missing:
        lines.append("file deleted, module kept: " + ", ".join(sorted(reloader.finder.missing)))
    if reloader.report.failures:
        lines.append("failed last (running the previous version):")
        for failure in reloader.report.failures.values():
            lines.append(f"  {failure.module}: {failure.describe()}")
    else:
        lines.append("no failed reloads")
    if reloader.report.history:
        lines.append("recent:")
        lines.extend("  " + h for h in reloader.report.recent(5))
    for part in reloader.status_parts:
        try:
            lines.extend(part())
        except Exception:  # noqa: BLE001 - the status view always answers
            pass
    return "\n".join(lines)


__all__ = ["status_view"]
