"""The percentile the benchmarks report: nearest rank over the sorted values (no interpolation)."""

from __future__ import annotations


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, round(q * (len(s) - 1)))]
