"""What the emulator was asked, and when: the evidence a benchmark reads to check rate limits.

`window_stats(log, window_s)` gives, per route and per host, the largest number of requests that
fell in any sliding window of `window_s` seconds and the rate achieved over the run, so a
benchmark can print "never above L in any window" and "sustained X % of L" from the server's side.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ApiRequestRecord:
    host: str  # "data" | "gamma"
    path: str
    at: float  # the emulator's clock, seconds
    status: int | None  # None: the connection was dropped
    fault: str | None = None


@dataclass(frozen=True, slots=True)
class WindowStats:
    key: str  # "data:/v2/trades", or a host ("data")
    requests: int
    max_in_window: int  # most requests inside any window of `window_s` seconds
    per_window: float  # achieved rate, requests per `window_s`, over [first, last + window_s)


def max_in_window(times: Iterable[float], window_s: float) -> int:
    """The most events inside any half-open window (t - window_s, t] (two pointers over sorted times)."""
    ordered = sorted(times)
    best = 0
    left = 0
    for right, t in enumerate(ordered):
        while ordered[left] <= t - window_s:
            left += 1
        best = max(best, right - left + 1)
    return best


def window_stats(
    log: Sequence[ApiRequestRecord],
    window_s: float,
    *,
    include: Callable[[ApiRequestRecord], bool] | None = None,
) -> dict[str, WindowStats]:
    """Per route ("host:path") and per host: count, max in any window, achieved rate per window.

    `include` filters the records (e.g. only those served, `lambda r: r.status == 200`).
    """
    groups: dict[str, list[float]] = defaultdict(list)
    for r in log:
        if include is not None and not include(r):
            continue
        groups[f"{r.host}:{r.path}"].append(r.at)
        groups[r.host].append(r.at)
    out: dict[str, WindowStats] = {}
    for key, times in groups.items():
        # the run occupies [first, last + W): a limiter granting L per window from a standing start
        # scores exactly L, a steady stream a little less over a short run
        span = max(times) - min(times) + window_s
        out[key] = WindowStats(key, len(times), max_in_window(times, window_s), len(times) * window_s / span)
    return out
