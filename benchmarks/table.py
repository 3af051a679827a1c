"""The one table: kernel rows (A/B/C) and engine rows (floor / IPython / ours), PASS/MISS."""

from __future__ import annotations

import fresh_imports
from _stats import fmt_ms, median, summary

#: (case, label, target ratio to the floor or None) of the in-process engine rows
ENGINE_ROWS = [
    ("all_defs", "Engine in process: every def of a 70-function + 14-class module changed; "
     "reload vs `compile()`+`exec` of the edited source", 1.5),
    ("one_def", "Engine in process: one def of that module changed; "
     "reload vs `compile()`+`exec` of the whole edited source", 0.1),
    ("one_class", "Engine in process: the five methods of one class of that module changed; "
     "reload vs `compile()`+`exec` of the whole edited source", None),
    ("large_first", "Engine in process: first edit ever of a large module (~840 KB, 5,800 defs); "
     "reload vs `compile()`+`exec` of the edited source", 1.5),
    ("pkg_one", "Package of the user's own (sympy copied as `usersympy`, ~420 modules): first "
     "edit, one module gains a function; reload vs `compile()` of that module", 2.0),
    ("pkg_200", "Same package: 200 modules changed at once, each gains a function; "
     "reload vs `compile()` of the 200", 1.5),
]
ENGINE_IPYTHON = {"pkg_one_ipython", "pkg_200_ipython"}


def build_table(bench) -> tuple[str, bool]:
    cfgs = {c.key: c for c in bench.configs}
    A, B, C = cfgs.get("plain"), cfgs.get("autoreload2"), cfgs.get("python-autoreload")
    A2 = cfgs.get("plain-control")
    p = bench.p
    base = bench.meta.get("base_stage", "bare")
    many = bench.meta.get("many_stage")
    rows = []
    all_pass = True

    def cell(cfg, text):
        if cfg is None:
            return "—"
        if text is None:
            return "ERROR" if cfg.error else "n/a"
        return text

    def get(cfg, *path):
        d = cfg.data if cfg is not None else {}
        for k in path:
            if not isinstance(d, dict) or k not in d:
                return None
            d = d[k]
        return d

    def verdict(ok):
        nonlocal all_pass
        if p.quick:
            return "(quick: not judged)"
        if ok is None:
            all_pass = False
            return "n/a"
        if not ok:
            all_pass = False
        return "PASS" if ok else "**MISS**"

    def modules_label(stage):
        n = get(A, "modules", stage) or get(C, "modules", stage) or get(B, "modules", stage)
        return f"~{n:,}" if n else "?"

    # --- module counts
    def modules_row(stage, what):
        rows.append([f"Modules loaded (`len(sys.modules)`), {what}",
                     *(cell(c, f"{get(c, 'modules', stage):,}" if get(c, "modules", stage) else None)
                       for c in (A, B, C)), "", "", ""])

    def empty_row(stage, what, target=None):
        vals = {}
        texts = []
        for c in (A, B, C):
            xs = get(c, "empty", stage)
            if xs:
                s = summary(xs)
                vals[c.key] = s["median"]
                texts.append(f"{fmt_ms(s['median'])} / {fmt_ms(s['p90'])}")
            else:
                texts.append(cell(c, None))
        a, b, cc = vals.get("plain"), vals.get("autoreload2"), vals.get("python-autoreload")
        if a and b:
            texts[1] += f" ({b / a:.2f}x)"
        ratio = f"{cc / a:.2f}x" if a and cc else "n/a"
        xs2 = get(A2, "empty", stage) if A2 is not None else None
        if a and xs2:
            ratio += f" (A′/A {median(xs2) / a:.2f}x)"
        n = len(get(A, "empty", stage) or get(C, "empty", stage) or [])
        label = f"Empty cell (`pass`) round trip, {what}: median / p90 ms (n={n})"
        if target is None:
            rows.append([label, *texts, ratio, "(info)", ""])
        else:
            ok = (cc / a <= target) if a and cc else None
            rows.append([label, *texts, ratio, f"≤ {target:.2f}x", verdict(ok)])

    def edit_stats(c, key):
        d = get(c, "edit", key)
        if not d or not d["ms"]:
            return None
        s = summary(d["ms"])
        return s, sum(d["seen"]), len(d["seen"]), len(d["errors"])

    def edit_row(key, what, target_ms=None):
        texts, med = [], {}
        c_all_seen = None
        for c in (A, B, C):
            st = edit_stats(c, key)
            if st is None:
                texts.append(cell(c, None))
                continue
            s, seen, n, errs = st
            med[c.key] = s["median"]
            if c.key == "plain":
                note = f"no reload: {seen}/{n} seen"
            else:
                note = f"{seen}/{n} seen" if seen == n else f"**{seen}/{n} seen**"
                if c.key == "python-autoreload":
                    c_all_seen = seen == n and not errs
            if errs:
                note += f", **{errs} errors**"
            texts.append(f"{fmt_ms(s['median'])} / {fmt_ms(s['p90'])} ({note})")
        a, cc = med.get("plain"), med.get("python-autoreload")
        diff = f"{cc - a:+.2f} ms" if a is not None and cc is not None else "n/a"
        n = len((get(C, "edit", key) or get(A, "edit", key) or {"ms": []})["ms"])
        label = f"Cell right after editing a 70-definition module, {what}: median / p90 ms (n={n})"
        if target_ms is None:
            rows.append([label, *texts, diff, "(info)", ""])
        else:
            ok = None
            if a is not None and cc is not None:
                ok = (cc - a <= target_ms) and bool(c_all_seen)
            tgt = f"≤ +{target_ms:g} ms, every edit seen"
            res = verdict(ok)
            if ok is False and not c_all_seen:
                res = "**MISS** (edits not picked up)" if cc - a <= target_ms else "**MISS** (time, edits)"
            rows.append([label, *texts, diff, tgt, res])

    # rows -------------------------------------------------------------
    base_what = ("after importing pandas, scipy.stats/optimize/signal, sympy" if base == "sci"
                 else "bare kernel (scientific stack not installed: ~2,000-module rows skipped)")
    modules_row(base, base_what)
    if base == "sci":
        empty_row("sci", f"{modules_label('sci')} modules (scientific stack)", 1.05)
    else:
        rows.append(["Empty cell with the scientific stack (~2,000 modules)", "skipped", "skipped",
                     "skipped", "", "≤ 1.05x", "n/a (not installed)"])
    if many:
        nsyn = int(many[1:])
        modules_row(many, f"after also importing {nsyn:,} synthetic user modules")
        empty_row(many, f"{modules_label(many)} modules (+{nsyn:,} user modules)", 1.05)
    heap_n = f"{p.heap_objects / 1e6:g}M" if p.heap_objects >= 1e6 else f"{p.heap_objects / 1e3:g}k"
    edit_row("small_heap", f"{modules_label('edit_setup')} modules", 3.0)
    edit_row("big_heap", f"same + {heap_n} extra gc-tracked objects on the heap", 3.0)
    edit_row("all_defs", "all 70 definitions changed (every function and method), "
             f"{modules_label('edit_setup')} modules", 3.0)

    # heap independence
    hd = {}
    for c in (A, B, C):
        s1, s2 = edit_stats(c, "small_heap"), edit_stats(c, "big_heap")
        if s1 and s2:
            hd[c.key] = s2[0]["median"] - s1[0]["median"]
    texts = [cell(c, f"{hd[c.key]:+.2f} ms" if c is not None and c.key in hd else None) for c in (A, B, C)]
    ok = (hd["python-autoreload"] - hd["plain"] <= 1.0) if "plain" in hd and "python-autoreload" in hd else None
    rows.append([f"Heap-size effect on the edit cell: median({heap_n} heap) − median(small heap)", *texts,
                 f"{hd['python-autoreload'] - hd['plain']:+.2f} ms" if ok is not None else "n/a",
                 "≤ +1 ms (independent of heap)", verdict(ok)])

    # start
    st = {c.key: median(c.data["start_s"]) for c in (A, B, C) if c is not None and c.data.get("start_s")}
    texts = []
    for c in (A, B, C):
        if c is None or c.key not in st:
            texts.append(cell(c, None))
            continue
        t = f"{st[c.key] * 1000:.0f} (min {min(c.data['start_s']) * 1000:.0f})"
        if c.key == "autoreload2" and "plain" in st:
            t += f", {st[c.key] / st['plain']:.2f}x"
        texts.append(t)
    ok = st["python-autoreload"] / st["plain"] <= 1.10 if "plain" in st and "python-autoreload" in st else None
    a2 = A2.data.get("start_s") if A2 is not None else None
    start_noise = f" (A′/A {median(a2) / st['plain']:.2f}x)" if a2 and "plain" in st else ""
    n = max((len(c.data.get("start_s", [])) for c in (A, B, C) if c is not None), default=0)
    rows.append([f"Kernel start → first execute_reply (`start_kernel` until the reply to the first cell; "
                 f"B's first cell is the two magics): median (min) of {n} starts, ms",
                 *texts, f"{st['python-autoreload'] / st['plain']:.2f}x{start_noise}" if ok is not None else "n/a",
                 "≤ 1.10x", verdict(ok)])

    # rss
    rs = {c.key: get(c, "rss_mb", base) for c in (A, B, C) if c is not None and get(c, "rss_mb", base)}
    texts = [cell(c, f"{rs[c.key]:.1f}" if c is not None and c.key in rs else None) for c in (A, B, C)]
    ok = rs["python-autoreload"] - rs["plain"] <= 10.0 if "plain" in rs and "python-autoreload" in rs else None
    rows.append([f"RSS (VmRSS) after the imports ({'scientific stack' if base == 'sci' else 'bare kernel'}), MB",
                 *texts, f"{rs['python-autoreload'] - rs['plain']:+.1f} MB" if ok is not None else "n/a",
                 "≤ +10 MB", verdict(ok)])

    # informational rows
    empty_row("bare", f"bare kernel, {modules_label('bare')} modules")
    empty_row("big_heap", f"{modules_label('big_heap')} modules + {heap_n} heap objects")
    if many:
        nsyn = int(many[1:])
        # one cell per long-lived kernel (info), then one per fresh kernel (the target)
        fc = [get(c, "first_cell_ms", many) for c in (A, B, C)]
        rows.append([f"First empty cell right after the cell importing the last user modules "
                     f"(~{nsyn:,} loaded), in the kernels above: one cell each, ms",
                     *(cell(c, fmt_ms(v) if v is not None else None) for c, v in zip((A, B, C), fc)),
                     f"{fc[2] - fc[0]:+.1f} ms" if fc[0] is not None and fc[2] is not None else "n/a",
                     "(info)", ""])
        ff = [get(c, "fresh_first_cell_ms") for c in (A, C)]
        fm = [median(v) if v else None for v in ff]
        ok = fm[1] - fm[0] <= 3.0 if None not in fm else None
        rows.append([f"The same in the fresh kernels below (the cell sent as soon as the import "
                     f"cell replied): median of {len(ff[1] or ())}, ms",
                     cell(A, fmt_ms(fm[0]) if fm[0] is not None else None), "—",
                     cell(C, fmt_ms(fm[1]) if fm[1] is not None else None),
                     f"{fm[1] - fm[0]:+.1f} ms" if ok is not None else "n/a", "≤ +3 ms", verdict(ok)])
        def importing(c):
            """The import cells of every stage plus the first cell after each, s."""
            if c is None:
                return None
            cells = get(c, "first_cell_ms") or {}
            return (sum(v for k, v in (get(c, "setup_cell_s") or {}).items() if k.startswith("import_+"))
                    + sum(v for k, v in cells.items() if k.startswith("+")) / 1000.0) or None
        imp = [importing(c) for c in (A, B, C)]
        a2 = importing(A2)
        imp_noise = f" (A′/A {a2 / imp[0]:.2f}x)" if a2 and imp[0] else ""
        rows.append([f"Importing the {nsyn:,} user modules in the kernels above (1,000-module cells, kernels "
                     "taking turns, + the first cell after each stage), s",
                     *(cell(c, f"{v:.2f}" if v else None) for c, v in zip((A, B, C), imp)),
                     f"{imp[2] / imp[0]:.2f}x{imp_noise}" if imp[0] and imp[2] else "n/a", "(info)", ""])
        fresh = [get(c, "fresh_import_s") for c in (A, C)]
        both = fresh_imports.ratios(*fresh) if all(fresh) else None
        rows.append([f"Importing the {nsyn:,} user modules in {len(fresh[1] or ())} fresh kernels of each kind "
                     "(one pair at a time, taking turns cell by cell, + the first cell after): mean, s",
                     cell(A, f"{both['plain']:.2f}" if both else None), "—",
                     cell(C, f"{both['ours']:.2f}" if both else None),
                     (f"{both['ratio']:.3f}x (pairs {both['low']:.2f}x–{both['high']:.2f}x"
                      + (f", standard error {both['se']:.3f}" if both["se"] else "") + ")") if both else "n/a",
                     "≤ 1.05x", verdict(both["ratio"] <= 1.05 if both else None)])
        rm = [get(c, "rss_mb", many) for c in (A, B, C)]
        ok = rm[2] - rm[0] <= 5.0 if rm[0] and rm[2] else None
        rows.append([f"RSS after importing the {nsyn:,} user modules, MB",
                     *(cell(c, f"{v:.1f}" if v else None) for c, v in zip((A, B, C), rm)),
                     f"{rm[2] - rm[0]:+.1f} MB" if ok is not None else "n/a", "≤ +5 MB", verdict(ok)])
        edit_row("many_modules", f"{modules_label(many)} modules")
    if base == "sci":
        imp = [get(c, "setup_cell_s", "import_sci") for c in (A, B, C)]
        rows.append(["Importing the scientific stack (one cell), s",
                     *(cell(c, f"{v:.2f}" if v else None) for c, v in zip((A, B, C), imp)),
                     f"{imp[2] / imp[0]:.2f}x" if imp[0] and imp[2] else "n/a", "(info)", ""])

    if not any(c.data for c in bench.configs):  # --engine-only: no kernel ran
        rows.clear()
        all_pass = True

    # in-process engine rows: A is the floor (compiling what changed), B IPython's reloader
    engine = getattr(bench, "engine", None) or {}
    for case, label, target in ENGINE_ROWS:
        res = engine.get(case)
        if res is None:
            continue
        if "ours_s" not in res:
            why = res.get("skipped") or "error: " + res.get("error", "?").strip().splitlines()[-1]
            rows.append([label, "—", "—", "—", "n/a", "(info)" if target is None else f"≤ {target:g}x",
                         f"n/a ({why})"])
            if target is not None:
                verdict(None)
            continue
        floor, ours = median(res["floor_s"]) * 1000, median(res["ours_s"]) * 1000
        ipy = engine.get(case + "_ipython") or {}
        b = f"{fmt_ms(median(ipy['ours_s']) * 1000)}" if ipy.get("ours_s") else (
            "—" if case + "_ipython" not in ENGINE_IPYTHON else "n/a")
        if ipy.get("ours_s") and ipy.get("seen") != ipy.get("edits"):
            b += f" ({ipy['seen']}/{ipy['edits']} seen)"
        seen_all = res["seen"] == res["edits"] and res["edits"] > 0
        c_text = f"{fmt_ms(ours)} ({res['seen']}/{res['edits']} seen)"
        n = len(res["ours_s"])
        row = [f"{label}: median ms (n={n})", f"{fmt_ms(floor)} (floor)", b, c_text, f"{ours / floor:.2f}x"]
        if target is None:
            rows.append(row + ["(info)", "" if seen_all else "**edits not seen**"])
        else:
            ok = (ours / floor <= target) and seen_all
            rows.append(row + [f"≤ {target:g}x the floor, every edit seen", verdict(ok)])

    header = ["Measurement", "A: plain (`python3`)", "B: `%autoreload 2` (`python3`)",
              "C: `python-autoreload`", "C vs A", "Target (C vs A)", "Result"]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(["---"] * len(header)) + "|"]
    for r in rows:
        lines.append("| " + " | ".join(r) + " |")
    return "\n".join(lines), all_pass
