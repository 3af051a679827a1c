"""The plot: empty-cell cost against the number of loaded modules."""

from __future__ import annotations

from _stats import log, median, summary

def write_plot(bench, path: str) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        bench.notes.append(f"--plot {path}: matplotlib is not installed; no plot written")
        return
    stages = [s for s in bench.stage_order]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.8))
    colors = {"plain": "tab:blue", "autoreload2": "tab:orange", "python-autoreload": "tab:green",
              "plain-control": "tab:gray"}
    plain = next((c for c in bench.configs if c.key == "plain"), None)
    b_range = None
    for cfg in bench.configs:
        xs, med, lo, hi, ratio_x, ratio = [], [], [], [], [], []
        for st in stages:
            times = cfg.data.get("empty", {}).get(st)
            n = cfg.data.get("modules", {}).get(st)
            if not times or not n:
                continue
            s = summary(times)
            xs.append(n)
            med.append(s["median"])
            lo.append(s["p10"])
            hi.append(s["p90"])
            pt = plain.data.get("empty", {}).get(st) if plain is not None else None
            if pt:
                ratio_x.append(n)
                ratio.append(s["median"] / median(pt))
        if not xs:
            continue
        col = colors.get(cfg.key)
        style = dict(ls="--", lw=1, marker=".") if cfg.control else dict(ls="-", marker="o")
        ax1.plot(xs, med, color=col, label=cfg.label, **style)
        if not cfg.control:
            ax1.fill_between(xs, lo, hi, color=col, alpha=0.15)
        if ratio and cfg.key == "autoreload2":
            b_range = (min(ratio), max(ratio))
        elif ratio:
            ax2.plot(ratio_x, ratio, color=col, label=cfg.label, **style)
    from matplotlib.ticker import FuncFormatter, LogLocator

    def nice_axes(ax):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
        ax.xaxis.set_minor_formatter(FuncFormatter(
            lambda v, _: f"{v:,.0f}" if str(int(round(v)))[0] in "25" else ""))
        ax.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        ax.yaxis.set_minor_formatter(FuncFormatter(lambda v, _: ""))

    ax1.set_xlabel("modules loaded in the kernel (len(sys.modules))")
    ax1.set_ylabel("empty-cell round trip, ms (median; band p10–p90)")
    ax1.set_title("Per-cell cost vs loaded modules")
    ax1.grid(True, which="both", alpha=0.3)
    ax1.legend()
    ax2.axhline(1.05, color="gray", ls="--", lw=1, label="target: 1.05x plain")
    nice_axes(ax1)
    ax2.set_xscale("log")
    ax2.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    ax2.xaxis.set_minor_formatter(FuncFormatter(
        lambda v, _: f"{v:,.0f}" if str(int(round(v)))[0] in "25" else ""))
    lo_y, hi_y = ax2.get_ylim()
    ax2.set_ylim(min(lo_y, 0.9), max(hi_y, 1.15))
    ax2.set_xlabel("modules loaded in the kernel (len(sys.modules))")
    ax2.set_ylabel("median empty cell / plain's median")
    ax2.set_title("Relative to plain ipykernel (zoom)"
                  + (f"; B is off scale: {b_range[0]:.1f}x–{b_range[1]:.1f}x" if b_range else ""))
    ax2.grid(True, which="both", alpha=0.3)
    ax2.legend()
    when = bench.meta.get("date", "")
    fig.suptitle(f"autoreload-kernel benchmark{' (quick)' if bench.p.quick else ''} — {when}", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    log(f"plot written to {path}")
