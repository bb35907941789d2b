"""The sliding-window limiter on a fake clock: never above L in any window, and near L when busy."""

from __future__ import annotations

import threading
from collections import defaultdict

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from omegacopy.adapters.polymarket.limits import (
    DATA_GENERAL,
    DATA_TRADES,
    GAMMA_LISTING,
    GAMMA_MARKETS,
    Limit,
    RateLimiter,
    WouldWaitPastDeadlineError,
    limits_for,
)
from omegacopy.devstack.public_api import max_in_window
from tests.support.public_api import FakeTimer

ROUTES = [("data", "/v2/trades"), ("data", "/v2/holders"), ("data", "/v2/positions"), ("gamma", "/markets/keyset")]


def test_every_route_counts_against_its_own_and_its_hosts_limits() -> None:
    assert limits_for("data", "/v2/trades") == (DATA_GENERAL, DATA_TRADES)
    assert limits_for("data", "/v2/leaderboard") == (DATA_GENERAL,)
    assert limits_for("gamma", "/markets/keyset")[1:] == (GAMMA_MARKETS, GAMMA_LISTING)
    # the conservative side of each documented conflict (v1 page vs newer v2 figures)
    assert (DATA_GENERAL.max_requests, DATA_TRADES.max_requests) == (800, 200)
    assert limits_for("data", "/v2/positions")[1].max_requests == 150


@settings(deadline=None, max_examples=150)
@given(
    arrivals=st.lists(
        st.tuples(st.floats(0, 30, allow_nan=False), st.sampled_from(range(len(ROUTES)))), min_size=1, max_size=120
    ),
    host_limit=st.integers(1, 12),
    route_limit=st.integers(1, 8),
    window=st.sampled_from([1.0, 2.5, 10.0]),
    fraction=st.sampled_from([0.5, 0.95, 1.0]),
    jitter=st.sampled_from([None, 0.0, 0.3]),
)
def test_no_window_ever_holds_more_than_the_limit(
    arrivals: list[tuple[float, int]],
    host_limit: int,
    route_limit: int,
    window: float,
    fraction: float,
    jitter: float | None,
) -> None:
    timer = FakeTimer(start=0.0)
    overrides = {
        "data": Limit("data", host_limit, window),
        "data:/trades": Limit("data:/trades", route_limit, window),
        "data:/positions": Limit("data:/positions", route_limit, window),
        "gamma": Limit("gamma", host_limit, window),
        "gamma:/markets": Limit("gamma:/markets", route_limit, window),
        "gamma:listing": Limit("gamma:listing", route_limit, window),
    }
    limiter = RateLimiter(fraction=fraction, jitter_s=jitter, overrides=overrides, timer=timer)
    granted: dict[str, list[float]] = defaultdict(list)
    for at, route in sorted(arrivals):
        if timer.monotonic() < at:
            timer.advance(at - timer.monotonic())  # the next caller arrives
        host, path = ROUTES[route]
        at_grant = limiter.acquire(host, path)  # type: ignore[arg-type]
        for limit in limiter.limits(host, path):  # type: ignore[arg-type]
            granted[limit.key].append(at_grant)
    for key, times in granted.items():
        enforced = limiter.effective(overrides[key])
        # not in the published window, and not even in the longer one that allows for jitter
        assert max_in_window(times, enforced.window_s) <= enforced.max_requests, key
        assert enforced.window_s >= window


@pytest.mark.parametrize(("published", "fraction"), [(1, 1.0), (7, 1.0), (20, 0.95), (200, 0.95), (800, 0.95)])
def test_a_busy_route_runs_above_90_percent_of_its_limit(published: int, fraction: float) -> None:
    timer = FakeTimer(start=0.0)
    limiter = RateLimiter(fraction=fraction, overrides={"data:/trades": Limit("data:/trades", published)}, timer=timer)
    enforced = limiter.effective(Limit("data:/trades", published))
    windows = 6
    grants = [limiter.acquire("data", "/v2/trades") for _ in range(enforced.max_requests * windows)]
    # a standing start takes L at once, then L every W + J: the run ends on a window boundary
    assert grants[-1] == pytest.approx((windows - 1) * enforced.window_s)
    per_published_window = len(grants) / (grants[-1] + enforced.window_s) * 10.0
    assert per_published_window >= 0.9 * published


def test_the_headroom_keeps_every_published_limit_above_90_percent() -> None:
    limiter = RateLimiter()
    for limit in (DATA_GENERAL, DATA_TRADES, *limits_for("data", "/v2/positions"), *limits_for("gamma", "/markets")):
        assert 0.9 * limit.max_requests <= limiter.effective(limit).max_requests < limit.max_requests


def test_both_the_host_and_the_route_limit_hold() -> None:
    timer = FakeTimer(start=0.0)
    limiter = RateLimiter(
        fraction=1.0,
        jitter_s=0.0,
        overrides={"data": Limit("data", 5), "data:/trades": Limit("data:/trades", 3)},
        timer=timer,
    )
    paths = ["/v2/trades"] * 3 + ["/v2/holders"] * 3 + ["/v2/trades"]
    times = [(path, limiter.acquire("data", path)) for path in paths]
    # 3 trades fill their route; 2 holders fill the host (5); the 3rd holder and 4th trade wait a window
    assert [t for p, t in times if p == "/v2/holders"] == [0.0, 0.0, 10.0]
    assert [t for p, t in times if p == "/v2/trades"] == [0.0, 0.0, 0.0, 10.0]


def test_a_burst_granted_together_cannot_meet_the_next_in_a_server_window() -> None:
    timer = FakeTimer(start=0.0)
    limiter = RateLimiter(fraction=1.0, overrides={"data:/trades": Limit("data:/trades", 10)}, timer=timer)
    first = [limiter.acquire("data", "/v2/trades") for _ in range(10)]
    second = [limiter.acquire("data", "/v2/trades") for _ in range(10)]
    # each first-burst request may reach the server up to 0.25 s late: still a full window apart
    arrivals = [g + 0.25 for g in first] + second
    assert max_in_window(arrivals, 10.0) == 10
    assert second[0] == 10.25


def test_a_pause_holds_every_caller_of_the_host() -> None:
    timer = FakeTimer(start=0.0)
    limiter = RateLimiter(timer=timer)
    limiter.pause("data", 7.0)
    limiter.acquire("data", "/v2/leaderboard")
    assert timer.monotonic() == 7.0
    limiter.acquire("gamma", "/markets/keyset")  # another host is not paused
    assert timer.monotonic() == 7.0


def test_a_wait_past_the_deadline_takes_nothing() -> None:
    timer = FakeTimer(start=0.0)
    limiter = RateLimiter(fraction=1.0, jitter_s=0.0, overrides={"data:/trades": Limit("data:/trades", 1)}, timer=timer)
    limiter.acquire("data", "/v2/trades")
    with pytest.raises(WouldWaitPastDeadlineError):
        limiter.acquire("data", "/v2/trades", deadline=5.0)
    assert timer.monotonic() == 0.0
    limiter.acquire("data", "/v2/trades", deadline=10.0)
    assert timer.monotonic() == 10.0


def test_threads_share_one_limiter_safely() -> None:
    timer = FakeTimer(start=0.0)
    limiter = RateLimiter(fraction=1.0, overrides={"data:/trades": Limit("data:/trades", 4)}, timer=timer)
    grants: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(10):
            at = limiter.acquire("data", "/v2/trades")
            with lock:
                grants.append(at)

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(grants) == 60
    # each thread's sleep moves the shared clock, so time runs ahead: the bound must hold regardless
    assert max_in_window(grants, 10.0) <= 4


def test_a_limit_multiplier_scales_every_published_limit_and_only_upwards() -> None:
    from omegacopy.adapters.polymarket import public_data_from_env
    from omegacopy.adapters.polymarket.limits import PUBLISHED, multiplied

    scaled = multiplied(20)
    assert {k: v.max_requests for k, v in scaled.items()} == {limit.key: limit.max_requests * 20 for limit in PUBLISHED}
    client = public_data_from_env({"PUBLIC_API_LIMIT_MULTIPLIER": "20", "PUBLIC_API_RATE_FRACTION": "1"})
    try:
        positions = client.limiter.limits("data", "/v2/positions")
        assert [(lim.key, lim.max_requests) for lim in positions] == [("data", 16_000), ("data:/positions", 3_000)]
    finally:
        client.close()
    default = public_data_from_env({})
    try:
        trades = default.limiter.limits("data", "/v2/trades")
        assert [lim.max_requests for lim in trades] == [760, 190]  # 95 % of the published 800 and 200
    finally:
        default.close()
    with pytest.raises(ValueError, match="multiplier"):
        multiplied(0.5)
