"""The public-API emulator (two loopback servers in threads) and the client pointed at it.

The client's limiter runs on a `LinkedTimer`: when it waits (rate limit, Retry-After, backoff)
the emulator's clock moves by the same amount, so nothing really sleeps.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from omegacopy.adapters.polymarket import Limit, PolymarketPublicData, PublicApiRetryPolicy, RateLimiter, RunBudget
from omegacopy.devstack.public_api import PublicApiEmulator, start_public_api
from tests.support.public_api import EmulatorWallClock, LinkedTimer


@pytest.fixture
def api() -> Iterator[PublicApiEmulator]:
    with start_public_api() as running:
        yield running


@pytest.fixture
def timer(api: PublicApiEmulator) -> LinkedTimer:
    return LinkedTimer(api.clock)


ClientFactory = Callable[..., PolymarketPublicData]


@pytest.fixture
def make_client(api: PublicApiEmulator, timer: LinkedTimer) -> Iterator[ClientFactory]:
    made: list[PolymarketPublicData] = []

    def _make(
        *,
        page_size: int = 1000,
        timeout_s: float = 5.0,
        max_attempts: int = 4,
        overrides: dict[str, Limit] | None = None,
        budget: RunBudget | None = None,
        future_skew_s: float = 300.0,
        holder_pages: int = 1,
        **kw: Any,
    ) -> PolymarketPublicData:
        client = PolymarketPublicData(
            data_api_url=api.data_url,
            gamma_api_url=api.gamma_url,
            timeout_s=timeout_s,
            retry=PublicApiRetryPolicy(max_attempts=max_attempts),
            limiter=RateLimiter(overrides=overrides, timer=timer),
            clock=EmulatorWallClock(api.clock),
            budget=budget,
            future_skew_s=future_skew_s,
            page_size=page_size,
            holder_pages=holder_pages,
            rng=random.Random(7),
            **kw,
        )
        made.append(client)
        return client

    yield _make
    for client in made:
        client.close()


@pytest.fixture
def client(make_client: ClientFactory) -> PolymarketPublicData:
    return make_client()
