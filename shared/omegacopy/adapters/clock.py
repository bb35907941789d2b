"""The system's clocks: the one place that reads them (the `Clock` port, and plain callables for
code that takes seconds)."""

from __future__ import annotations

import time
from datetime import UTC, datetime


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()


def wall_clock_s() -> float:
    """Unix time in seconds (what wire timestamps are made from)."""
    return time.time()


def monotonic_s() -> float:
    return time.monotonic()
