"""The client when the API throttles, fails, stalls or the run's budget runs out (emulator over HTTP)."""

from __future__ import annotations

import email.utils
from datetime import UTC, datetime, timedelta

import pytest

from omegacopy.adapters.polymarket import (
    Limit,
    MalformedResponseError,
    PolymarketPublicData,
    PublicApiRejectedError,
    PublicApiThrottledError,
    PublicApiUnavailableError,
    RunBudget,
)
from omegacopy.devstack.public_api import Fault, PublicApiEmulator, window_stats
from omegacopy.ports import BudgetExhaustedError
from tests.integration.public_api.conftest import ClientFactory
from tests.support.public_api import LinkedTimer, condition_id

LEADER = "0x" + "5a" * 20
CTF_CONTRACT = "0x4D97DCd97eC945f40cF65F87097ACe5EA0476045"
NO_CLIENT_LIMIT = {"data": Limit("data", 100_000), "data:/trades": Limit("data:/trades", 100_000)}


def _seed(api: PublicApiEmulator, n: int) -> str:
    cid = condition_id()
    api.publish_market(cid)
    now = int(api.clock.now())
    for i in range(n):
        api.publish_trade(LEADER, cid, size=1 + i, timestamp=now - i)
    return cid


def _read_all(client: PolymarketPublicData) -> int:
    return _read_all_of(client, LEADER)


def _read_all_of(client: PolymarketPublicData, wallet: str) -> int:
    return sum(len(p.rows) for p in client.wallet_trades(wallet, start=None))


def test_a_429_is_waited_out_as_retry_after_says_and_counted(
    api: PublicApiEmulator, make_client: ClientFactory, timer: LinkedTimer
) -> None:
    _seed(api, 3)
    api.limits["data:/trades"] = 2  # the emulator's own limit: the third request in 10 s is refused
    client = make_client(page_size=1, overrides=NO_CLIENT_LIMIT)

    assert _read_all(client) == 3

    statuses = [r.status for r in api.request_log]
    assert statuses == [200, 200, 429, 200]
    stats = client.stats().by_route["data:/v2/trades"]
    assert (stats.requests, stats.throttled, stats.retries, stats.errors) == (4, 1, 1, 0)
    # the emulator said Retry-After: 10 (its window frees then); the client waited exactly that
    assert timer.slept == [10.0]


def test_retry_after_as_an_http_date(api: PublicApiEmulator, client: PolymarketPublicData, timer: LinkedTimer) -> None:
    _seed(api, 1)
    when = datetime.fromtimestamp(api.clock.now(), UTC) + timedelta(seconds=7)
    api.faults.set(Fault.RATE_LIMITED, count=1, retry_after=email.utils.format_datetime(when, usegmt=True))

    assert _read_all(client) == 1
    assert len(timer.slept) == 1 and 6 <= timer.slept[0] <= 8
    assert client.stats().total().throttled == 1


def test_a_retry_after_longer_than_accepted_fails_the_call(
    api: PublicApiEmulator, client: PolymarketPublicData
) -> None:
    _seed(api, 1)
    api.faults.set(Fault.RATE_LIMITED, count=1, retry_after=3600)
    with pytest.raises(PublicApiThrottledError, match="429"):
        _read_all(client)
    assert api.requests() == 1


def test_5xx_are_retried_with_capped_jittered_backoff(
    api: PublicApiEmulator, client: PolymarketPublicData, timer: LinkedTimer
) -> None:
    _seed(api, 2)
    api.faults.set(Fault.DOWN, count=2, retry_after=None)

    assert _read_all(client) == 2

    assert [r.status for r in api.request_log] == [503, 503, 200]
    assert len(timer.slept) == 2
    assert 0 <= timer.slept[0] <= 0.5 and 0 <= timer.slept[1] <= 1.0  # full jitter under 0.5 * 2^n
    assert client.stats().total().retries == 2


def test_a_503_request_timeout_honours_retry_after(
    api: PublicApiEmulator, client: PolymarketPublicData, timer: LinkedTimer
) -> None:
    _seed(api, 1)
    api.faults.set(Fault.POOL_TIMEOUT, count=1, retry_after=3)
    assert _read_all(client) == 1
    assert timer.slept == [3.0]


def test_attempts_are_bounded(api: PublicApiEmulator, make_client: ClientFactory) -> None:
    _seed(api, 1)
    api.faults.set(Fault.SERVER_ERROR)
    client = make_client(max_attempts=3)
    with pytest.raises(PublicApiUnavailableError, match="HTTP 500 internal"):
        _read_all(client)
    assert api.requests() == 3
    assert client.stats().total().errors == 1


def test_a_stalled_reply_times_out_and_the_retry_gets_through(
    api: PublicApiEmulator, make_client: ClientFactory
) -> None:
    _seed(api, 1)
    api.faults.set(Fault.SLOW, count=1, delay_s=2.0)
    client = make_client(timeout_s=0.2)
    assert _read_all(client) == 1
    assert client.stats().total().retries == 1


def test_a_reply_that_never_comes_fails_closed(api: PublicApiEmulator, make_client: ClientFactory) -> None:
    _seed(api, 1)
    api.faults.set(Fault.SLOW, delay_s=2.0)
    with pytest.raises(PublicApiUnavailableError, match="timed out"):
        _read_all(make_client(timeout_s=0.2, max_attempts=2))


def test_dropped_connections_and_cut_bodies_are_retried(api: PublicApiEmulator, client: PolymarketPublicData) -> None:
    _seed(api, 1)
    api.faults.set(Fault.DROP, count=1)
    api.faults.set(Fault.GARBLED, count=1)
    assert _read_all(client) == 1
    assert api.faults.fired(Fault.DROP) == 1 and api.faults.fired(Fault.GARBLED) == 1
    assert client.stats().total().retries == 2


def test_a_body_that_is_not_a_v2_page_is_refused(api: PublicApiEmulator, client: PolymarketPublicData) -> None:
    _seed(api, 1)
    api.faults.set(Fault.BARE_ARRAY, count=1)  # a v1-style bare array
    with pytest.raises(MalformedResponseError, match="/v2/trades: not a v2 page"):
        _read_all(client)
    assert api.requests() == 1


def test_a_4xx_is_not_retried(api: PublicApiEmulator, client: PolymarketPublicData) -> None:
    with pytest.raises(PublicApiRejectedError, match="HTTP 400 invalid_request") as info:
        _read_all_of(client, CTF_CONTRACT)  # a protocol contract: the API refuses it as a user
    assert info.value.status == 400 and info.value.code == "invalid_request"
    assert api.requests() == 1
    assert client.stats().total().errors == 1


def test_the_request_budget_stops_before_sending(api: PublicApiEmulator, make_client: ClientFactory) -> None:
    _seed(api, 5)
    client = make_client(page_size=1, budget=RunBudget(max_requests=2))
    pages = client.wallet_trades(LEADER, start=None)
    assert len(next(pages).rows) == 1 and len(next(pages).rows) == 1
    with pytest.raises(BudgetExhaustedError, match="2 requests"):
        next(pages)
    assert api.requests() == 2


def test_the_deadline_stops_a_request_that_could_not_finish(
    api: PublicApiEmulator, make_client: ClientFactory, timer: LinkedTimer
) -> None:
    _seed(api, 3)
    client = make_client(timeout_s=5.0, budget=RunBudget.within(timer, 4.0))
    with pytest.raises(BudgetExhaustedError, match="deadline"):
        _read_all(client)
    assert api.requests() == 0


def test_the_deadline_stops_a_wait_for_the_rate_limit(
    api: PublicApiEmulator, make_client: ClientFactory, timer: LinkedTimer
) -> None:
    _seed(api, 5)
    one_per_10s = {"data:/trades": Limit("data:/trades", 2)}  # x 0.95 -> 1 per 10 s
    client = make_client(page_size=1, timeout_s=1.0, overrides=one_per_10s, budget=RunBudget.within(timer, 15.0))
    pages = client.wallet_trades(LEADER, start=None)
    next(pages)
    next(pages)  # waited 10.25 s (a window and its jitter allowance) for its slot
    with pytest.raises(BudgetExhaustedError, match="rate-limit slot"):
        next(pages)
    assert api.requests() == 2 and timer.slept == [10.25]


def test_retries_stop_at_the_deadline(api: PublicApiEmulator, make_client: ClientFactory, timer: LinkedTimer) -> None:
    _seed(api, 1)
    api.faults.set(Fault.POOL_TIMEOUT, retry_after=5)
    client = make_client(timeout_s=1.0, budget=RunBudget.within(timer, 8.0))
    with pytest.raises(BudgetExhaustedError, match="retry"):
        _read_all(client)
    assert api.requests() == 2  # 0 s and 5 s; a third at 10 s could not finish by 8 s


def test_the_limiter_keeps_the_emulator_from_ever_throttling(
    api: PublicApiEmulator, make_client: ClientFactory
) -> None:
    _seed(api, 114)  # six full windows of 19 (20 x 0.95): the run ends on a window boundary
    api.clock.set(api.clock.now())  # only the client's waits move time: the run's own duration does not count
    api.window_s = 1.0
    api.limits.update({"data": 40, "data:/trades": 20})
    client = make_client(
        page_size=1, overrides={"data": Limit("data", 40, 1.0), "data:/trades": Limit("data:/trades", 20, 1.0)}
    )

    assert _read_all(client) == 114

    assert all(r.status == 200 for r in api.request_log)
    stats = window_stats(api.request_log, 1.0)["data:/v2/trades"]
    assert stats.requests == 114
    assert stats.max_in_window <= 20
    assert stats.per_window >= 0.9 * 20  # sustained at >= 90 % of the limit
