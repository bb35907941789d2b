"""An emulator of Polymarket's public APIs (Gamma, Data API v2) for tests, benchmarks and the local run."""

from omegacopy.devstack.public_api.request_log import ApiRequestRecord, WindowStats, max_in_window, window_stats
from omegacopy.devstack.public_api.server import PUBLISHED_LIMITS, Fault, PublicApiEmulator, start_public_api
from omegacopy.devstack.public_api.world import World
from omegacopy.devstack.settable_clock import SettableClock

__all__ = [
    "PUBLISHED_LIMITS",
    "ApiRequestRecord",
    "Fault",
    "PublicApiEmulator",
    "SettableClock",
    "WindowStats",
    "World",
    "max_in_window",
    "start_public_api",
    "window_stats",
]
