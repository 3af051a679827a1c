"""Statistics and logging shared by the benchmark's modules."""

from __future__ import annotations

import math
import sys
import time

T0 = time.perf_counter()


def log(msg: str) -> None:
    print(f"[{time.perf_counter() - T0:7.1f}s] {msg}", file=sys.stderr, flush=True)


def quantile(xs, q):
    xs = sorted(xs)
    if not xs:
        return float("nan")
    pos = (len(xs) - 1) * q
    lo, hi = math.floor(pos), math.ceil(pos)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def median(xs):
    return quantile(xs, 0.5)


def summary(xs):
    return {"n": len(xs), "median": median(xs), "p10": quantile(xs, 0.1), "p90": quantile(xs, 0.9),
            "min": min(xs) if xs else float("nan")}


def fmt_ms(x):
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    return f"{x:.1f}" if x >= 100 else f"{x:.2f}"
