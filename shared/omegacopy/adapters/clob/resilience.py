"""Resilience of CLOB calls: client-side per-signer rate limits, bounded retries with a retry
budget, and the server's Retry-After.

Retries are capped per call (`RetryPolicy.max_attempts`, default 3) with capped exponential
backoff and full jitter, and per client by a retry budget (retries may add at most
`budget_ratio` of the logical requests, plus a small reserve) so an outage cannot turn into a
retry storm.
"""

from __future__ import annotations

import email.utils
import math
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC

from omegacopy.adapters.clock import monotonic_s


class TokenBucket:
    """A classic token bucket; `try_acquire` reserves tokens and says how long to wait."""

    def __init__(self, rate_per_s: float, burst: float, monotonic: Callable[[], float]) -> None:
        if rate_per_s <= 0 or burst < 1:
            raise ValueError("rate must be > 0 and burst >= 1")
        self._rate = rate_per_s
        self._burst = burst
        self._monotonic = monotonic
        self._tokens = float(burst)
        self._updated = monotonic()
        self._lock = threading.Lock()

    def try_acquire(self, tokens: float = 1.0, *, max_wait_s: float) -> float | None:
        """Seconds to wait before sending (0: now), or None (nothing taken) if over `max_wait_s`."""
        with self._lock:
            now = self._monotonic()
            self._tokens = min(self._burst, self._tokens + (now - self._updated) * self._rate)
            self._updated = now
            wait = max(0.0, (tokens - self._tokens) / self._rate)
            if wait > max_wait_s:
                return None
            self._tokens -= tokens  # may go negative: later callers queue behind this one
            return wait


class SignerRateLimiter:
    """Client-side token buckets, one per signer (EOA): the exchange meters orders per signer too."""

    def __init__(
        self,
        rate_per_s: float = 5.0,
        burst: float = 10.0,
        monotonic: Callable[[], float] = monotonic_s,
    ) -> None:
        self._rate = rate_per_s
        self._burst = burst
        self._monotonic = monotonic
        self._buckets: dict[str, TokenBucket] = {}
        self._lock = threading.Lock()

    def bucket(self, signer: str) -> TokenBucket:
        with self._lock:
            key = signer.lower()
            if key not in self._buckets:
                self._buckets[key] = TokenBucket(self._rate, self._burst, self._monotonic)
            return self._buckets[key]


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_attempts: int = 3  # per logical call, the first attempt included
    base_delay_s: float = 0.2
    max_delay_s: float = 2.0
    max_retry_after_s: float = 10.0  # a longer Retry-After is returned to the caller, not slept
    budget_ratio: float = 0.2  # retries may add at most this fraction of logical requests ...
    budget_reserve: float = 5.0  # ... plus this many

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be >= 1")


class RetryBudget:
    """Retries earn `ratio` of a token per logical request and spend one each (capped reserve)."""

    def __init__(self, ratio: float, reserve: float) -> None:
        self._ratio = ratio
        self._cap = max(reserve, 1.0)
        self._tokens = reserve
        self._lock = threading.Lock()

    def on_request(self) -> None:
        with self._lock:
            self._tokens = min(self._cap, self._tokens + self._ratio)

    def try_spend(self) -> bool:
        with self._lock:
            if self._tokens >= 1.0:
                self._tokens -= 1.0
                return True
            return False


def parse_retry_after(value: str | None, now_s: float) -> float | None:
    """Retry-After as seconds: delta-seconds or an HTTP-date (RFC 9110); None if absent/garbled."""
    if not value:
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return max(0.0, math.ceil(when.timestamp() - now_s))
    return seconds if math.isfinite(seconds) and seconds >= 0 else None
