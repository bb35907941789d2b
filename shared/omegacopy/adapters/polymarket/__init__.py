"""Polymarket's public data (Gamma, Data API v2): the client behind the `PublicData` port."""

from omegacopy.adapters.polymarket.http import (
    CallStats,
    MalformedResponseError,
    PublicApiRejectedError,
    PublicApiRetryPolicy,
    PublicApiThrottledError,
    PublicApiUnavailableError,
    RouteCounts,
    RunBudget,
)
from omegacopy.adapters.polymarket.limits import Limit, RateLimiter, SystemTimer, Timer
from omegacopy.adapters.polymarket.public_data import PolymarketPublicData, public_data_from_env

__all__ = [
    "CallStats",
    "Limit",
    "MalformedResponseError",
    "PolymarketPublicData",
    "PublicApiRejectedError",
    "PublicApiRetryPolicy",
    "PublicApiThrottledError",
    "PublicApiUnavailableError",
    "RateLimiter",
    "RouteCounts",
    "RunBudget",
    "SystemTimer",
    "Timer",
    "public_data_from_env",
]
