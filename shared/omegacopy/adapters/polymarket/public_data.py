"""`PublicData` over Polymarket's Gamma API and Data API v2: one client per function, shared by all
its threads (one connection pool, one rate limiter, one run budget)."""

from __future__ import annotations

import random
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime

from omegacopy.adapters.clock import SystemClock
from omegacopy.adapters.polymarket.data_api import DataApi
from omegacopy.adapters.polymarket.gamma import GammaMarkets
from omegacopy.adapters.polymarket.http import CallStats, PoliteHttp, PublicApiRetryPolicy, RunBudget
from omegacopy.adapters.polymarket.limits import RateLimiter, Timer, multiplied
from omegacopy.config import PublicApiEnv
from omegacopy.domain.public_data import (
    HolderPosition,
    LeaderboardEntry,
    MarketRecord,
    PositionStatus,
    PublicPosition,
    PublicTrade,
)
from omegacopy.ports import Clock, Page

DATA_API_URL = "https://data-api.polymarket.com"
GAMMA_API_URL = "https://gamma-api.polymarket.com"


class PolymarketPublicData:
    def __init__(
        self,
        *,
        data_api_url: str = DATA_API_URL,
        gamma_api_url: str = GAMMA_API_URL,
        timeout_s: float = 8.0,
        retry: PublicApiRetryPolicy | None = None,
        limiter: RateLimiter | None = None,
        timer: Timer | None = None,
        clock: Clock | None = None,
        budget: RunBudget | None = None,
        future_skew_s: float = 300.0,
        page_size: int = 1000,
        holder_pages: int = 1,
        rng: random.Random | None = None,
        max_connections: int = 16,
    ) -> None:
        self._clock = clock or SystemClock()
        self.limiter = limiter or RateLimiter(timer=timer)
        self._http = PoliteHttp(
            {"data": data_api_url, "gamma": gamma_api_url},
            limiter=self.limiter,
            timeout_s=timeout_s,
            retry=retry,
            wall_clock=lambda: self._clock.now().timestamp(),
            rng=rng,
            max_connections=max_connections,
        )
        self._http.begin_run(budget)
        self._data = DataApi(
            self._http, clock=self._clock, future_skew_s=future_skew_s, page_size=page_size, holder_pages=holder_pages
        )
        self._gamma = GammaMarkets(self._http, clock=self._clock)

    @property
    def timer(self) -> Timer:
        return self.limiter.timer

    def begin_run(self, budget: RunBudget | None = None) -> None:
        """A new run (an invocation): this budget from now on, counters from zero."""
        self._http.begin_run(budget)

    def stats(self) -> CallStats:
        """Requests, 429s, retries and failures per route since `begin_run`."""
        return self._http.stats()

    def close(self) -> None:
        self._http.close()

    # --- PublicData -------------------------------------------------------------------------------
    def wallet_trades(
        self, wallet: str, *, start: datetime | None, cursor: str | None = None
    ) -> Iterator[Page[PublicTrade]]:
        return self._data.wallet_trades(wallet, start=start, cursor=cursor)

    def wallet_market_trades(self, wallet: str, condition_id: str) -> Page[PublicTrade]:
        return self._data.wallet_market_trades(wallet, condition_id)

    def markets(self, condition_ids: Sequence[str]) -> Page[MarketRecord]:
        return self._gamma.markets(condition_ids)

    def holders(self, condition_id: str) -> Page[HolderPosition]:
        return self._data.holders(condition_id)

    def wallet_positions(
        self, wallet: str, status: PositionStatus, *, since: datetime | None = None, cursor: str | None = None
    ) -> Iterator[Page[PublicPosition]]:
        return self._data.wallet_positions(wallet, status, since=since, cursor=cursor)

    def top_markets(self, *, category: str | None, limit: int) -> Page[MarketRecord]:
        return self._gamma.top_markets(category=category, limit=limit)

    def leaderboard(self, *, category: str, period: str, limit: int) -> Page[LeaderboardEntry]:
        return self._data.leaderboard(category=category, period=period, limit=limit)


def public_data_from_env(
    environ: Mapping[str, str],
    *,
    clock: Clock | None = None,
    timer: Timer | None = None,
    limiter: RateLimiter | None = None,
    budget: RunBudget | None = None,
) -> PolymarketPublicData:
    """The client as configured by DATA_API_URL, GAMMA_API_URL and PUBLIC_API_* (see PublicApiEnv)."""
    env = PublicApiEnv.from_environ(environ)
    return PolymarketPublicData(
        data_api_url=env.data_api_url,
        gamma_api_url=env.gamma_api_url,
        timeout_s=env.public_api_timeout_s,
        retry=PublicApiRetryPolicy(max_attempts=env.public_api_max_attempts),
        limiter=limiter
        or RateLimiter(
            fraction=env.public_api_rate_fraction,
            overrides=multiplied(env.public_api_limit_multiplier) if env.public_api_limit_multiplier > 1 else None,
            timer=timer,
        ),
        clock=clock,
        budget=budget,
        future_skew_s=env.public_api_future_skew_s,
    )
