"""Polymarket's published request limits and the process-wide limiter that keeps every call under them.

Source: https://docs.polymarket.com/api-reference/rate-limits (Cloudflare, sliding 10 s windows):
Gamma general 4,000, `/markets` 300, `/events` 500, `/markets` + `/events` listing 900,
`/tags` 200, `/comments` 200, `/public-search` 350; Data API general 1,000, `/trades` 200,
`/positions` 150, `/closed-positions` 150.

That page lists the v1 Data API paths only. A third-party note quotes newer v2 figures (general 800,
`/v2/trades` 300, `/v2/positions` 200, `/v2/activity` 200). Where the two disagree we take the
lower number of each pair (general 800, trades 200, positions 150): being throttled costs a whole
tick, being a little slow costs nothing. Routes with no figure of their own (`/v2/holders`,
`/v2/leaderboard`) count against the host's general limit only.

A request counts against every limit its route belongs to: `/v2/trades` against the trades limit
and the Data API general limit; `/markets/keyset` against `/markets`, the listing limit and the
Gamma general limit.

The limiter keeps a log of its grants per limit and grants a request only when, for each of its
limits, fewer than L grants lie in the last W + J seconds. So no window of that length (let alone
W) ever holds more than L grants (the last grant of any such window saw the others), and when
there is work it runs at L per W + J. Bursts stay allowed (a tick's wallets go out at once).

- L is the published limit times `fraction` (default 0.95): room for what we cannot see, such as
  Cloudflare counting differently or a retry racing a grant.
- J (default 2.5 % of W, 0.25 s) is the arrival jitter allowed for: requests granted together
  reach the server spread out, and without J the late ones of one burst would share a server
  window with the early ones of the next.

Sustained rate when busy: 0.95 x 10 / 10.25 = 92.7 % of the published limit.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal, Protocol

from omegacopy.adapters.clock import monotonic_s

Host = Literal["data", "gamma"]

WINDOW_S = 10.0
JITTER_SHARE = 0.025  # of the window, allowed for arrival jitter


@dataclass(frozen=True, slots=True)
class Limit:
    """At most `max_requests` in any `window_s` seconds, for the requests that share `key`."""

    key: str
    max_requests: int
    window_s: float = WINDOW_S


DATA_GENERAL = Limit("data", 800)
DATA_TRADES = Limit("data:/trades", 200)
DATA_POSITIONS = Limit("data:/positions", 150)
GAMMA_GENERAL = Limit("gamma", 4000)
GAMMA_MARKETS = Limit("gamma:/markets", 300)
GAMMA_EVENTS = Limit("gamma:/events", 500)
GAMMA_LISTING = Limit("gamma:listing", 900)
GAMMA_TAGS = Limit("gamma:/tags", 200)
GAMMA_COMMENTS = Limit("gamma:/comments", 200)
GAMMA_SEARCH = Limit("gamma:/public-search", 350)
# (path prefix, its own limits) per host; a path matches its prefix exactly or as a parent.
_ROUTES: dict[str, tuple[tuple[str, tuple[Limit, ...]], ...]] = {
    "data": (
        ("/v2/trades", (DATA_TRADES,)),
        ("/trades", (DATA_TRADES,)),
        ("/v2/positions", (DATA_POSITIONS,)),
        ("/positions", (DATA_POSITIONS,)),
        ("/closed-positions", (DATA_POSITIONS,)),
    ),
    "gamma": (
        ("/markets", (GAMMA_MARKETS, GAMMA_LISTING)),
        ("/events", (GAMMA_EVENTS, GAMMA_LISTING)),
        ("/tags", (GAMMA_TAGS,)),
        ("/comments", (GAMMA_COMMENTS,)),
        ("/public-search", (GAMMA_SEARCH,)),
    ),
}
_GENERAL = {"data": DATA_GENERAL, "gamma": GAMMA_GENERAL}
PUBLISHED = (DATA_GENERAL, DATA_TRADES, DATA_POSITIONS, GAMMA_GENERAL, GAMMA_MARKETS, GAMMA_EVENTS, GAMMA_LISTING,
             GAMMA_TAGS, GAMMA_COMMENTS, GAMMA_SEARCH)  # fmt: skip


def multiplied(multiplier: float) -> dict[str, Limit]:
    """Every published limit times `multiplier`, keyed for `RateLimiter(overrides=...)`.

    Only for a server that enforces the same multiplied numbers: the dev stack's emulator, whose
    compressed runs would otherwise wait on limits meant for Polymarket's servers."""
    if multiplier < 1:
        raise ValueError("multiplier must be >= 1")
    return {limit.key: Limit(limit.key, math.floor(limit.max_requests * multiplier), limit.window_s)
            for limit in PUBLISHED}  # fmt: skip


def limits_for(host: Host, path: str) -> tuple[Limit, ...]:
    """Every limit a request to `path` on `host` counts against (the host's general one first)."""
    for prefix, own in _ROUTES[host]:
        if path == prefix or path.startswith(prefix + "/"):
            return (_GENERAL[host], *own)
    return (_GENERAL[host],)


class Timer(Protocol):
    """Monotonic seconds and a way to wait; tests pass a fake that moves time instead of sleeping."""

    def monotonic(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class SystemTimer:
    def monotonic(self) -> float:
        return monotonic_s()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)


class WouldWaitPastDeadlineError(Exception):
    """Granting the request means waiting beyond the caller's deadline."""

    def __init__(self, wait_s: float) -> None:
        super().__init__(f"the rate limit frees a slot in {wait_s:.1f} s")
        self.wait_s = wait_s


class RateLimiter:
    """Sliding-window limits shared by every thread of the process (one instance per function).

    `overrides` replaces published numbers by key (tests and benchmarks shrink them); `fraction`
    scales them all (two functions sharing one egress address can split the limits, 0.45 each).
    """

    def __init__(
        self,
        *,
        fraction: float = 0.95,
        jitter_s: float | None = None,
        overrides: Mapping[str, Limit] | None = None,
        timer: Timer | None = None,
    ) -> None:
        if not 0 < fraction <= 1:
            raise ValueError("fraction must be within (0, 1]")
        if jitter_s is not None and jitter_s < 0:
            raise ValueError("jitter_s must be >= 0")
        self._fraction = fraction
        self._jitter_s = jitter_s
        self._overrides = dict(overrides or {})
        self._timer = timer or SystemTimer()
        self._lock = threading.Lock()
        self._grants: dict[str, deque[float]] = {}
        self._paused_until: dict[str, float] = {}

    @property
    def timer(self) -> Timer:
        return self._timer

    def effective(self, limit: Limit) -> Limit:
        """The limit as this limiter enforces it: override, the fraction (at least 1), the window plus J."""
        chosen = self._overrides.get(limit.key, limit)
        jitter = chosen.window_s * JITTER_SHARE if self._jitter_s is None else self._jitter_s
        return Limit(chosen.key, max(1, math.floor(chosen.max_requests * self._fraction)), chosen.window_s + jitter)

    def limits(self, host: Host, path: str) -> tuple[Limit, ...]:
        return tuple(self.effective(limit) for limit in limits_for(host, path))

    def acquire(self, host: Host, path: str, *, deadline: float | None = None) -> float:
        """Wait for a slot on every limit of the route and take it; returns the time of the grant.

        Raises `WouldWaitPastDeadlineError` (taking nothing) when the slot frees after `deadline`.
        """
        limits = self.limits(host, path)
        while True:
            with self._lock:
                now = self._timer.monotonic()
                wait = self._wait_locked(host, limits, now)
                if wait <= 0:
                    for limit in limits:
                        self._grants.setdefault(limit.key, deque()).append(now)
                    return now
            if deadline is not None and now + wait > deadline:
                raise WouldWaitPastDeadlineError(wait)
            self._timer.sleep(wait)

    def pause(self, host: Host, seconds: float) -> None:
        """The host said "too many requests, retry after `seconds`": every caller waits that long."""
        with self._lock:
            until = self._timer.monotonic() + max(0.0, seconds)
            self._paused_until[host] = max(self._paused_until.get(host, until), until)

    def _wait_locked(self, host: Host, limits: Iterable[Limit], now: float) -> float:
        wait = self._paused_until.get(host, now) - now
        for limit in limits:
            grants = self._grants.get(limit.key)
            if not grants:
                continue
            # a grant at g lies in the window ending now while g > now - W
            while grants and grants[0] <= now - limit.window_s:
                grants.popleft()
            if len(grants) >= limit.max_requests:
                # at least a microsecond: float rounding can make g + W - now zero while g is in the window
                wait = max(wait, grants[len(grants) - limit.max_requests] + limit.window_s - now, 1e-6)
        return wait
