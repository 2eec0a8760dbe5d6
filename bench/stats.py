"""Small statistics over timings in seconds, reported in milliseconds."""

from __future__ import annotations

import math
import os
import statistics


def percentile(sorted_values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    if not sorted_values:
        return float("nan")
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return sorted_values[rank - 1]


def summary(seconds: list[float]) -> dict:
    """median, p95, p99, min, mean (ms) and the number of samples."""
    values = sorted(seconds)
    if not values:
        return {"n": 0}
    ms = 1000.0
    return {
        "n": len(values),
        "median_ms": round(statistics.median(values) * ms, 3),
        "p95_ms": round(percentile(values, 0.95) * ms, 3),
        "p99_ms": round(percentile(values, 0.99) * ms, 3),
        "min_ms": round(values[0] * ms, 3),
        "mean_ms": round(statistics.fmean(values) * ms, 3),
    }


def load_average() -> list[float]:
    """The 1, 5 and 15 minute load averages (the machine is shared: say how busy it was)."""
    return [round(value, 2) for value in os.getloadavg()]
