"""Each fault mode maps to the right client outcome; retries are bounded and only where safe."""

from __future__ import annotations

import random
import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from omegacopy.adapters.clob.client import ClobClient
from omegacopy.adapters.clob.errors import (
    ClobBadResponseError,
    ClobHaltedError,
    ClobThrottledError,
    ClobUnavailableError,
)
from omegacopy.adapters.clob.resilience import RetryPolicy
from omegacopy.devstack.paper import FaultMode, PaperExchange, PaperMarket
from omegacopy.domain.clob_models import PostOutcome, PostReason

from .conftest import YES, Env, Sleeps, Trader, sdk_order


class RefuseConnect(httpx.HTTPTransport):
    """Fails the first `times` requests to `path` the way a refused TCP connect does."""

    def __init__(self, times: int, path: str = "/order") -> None:
        super().__init__()
        self.left = times
        self.path = path

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == self.path and self.left > 0:
            self.left -= 1
            raise httpx.ConnectError("[Errno 111] Connection refused", request=request)
        return super().handle_request(request)


@pytest.fixture
def order(market: PaperMarket, trader: Trader) -> Any:
    return sdk_order(trader, market, token_id=YES, side="BUY", price="0.40", size="10")


@dataclass(frozen=True)
class PostFault:
    mode: FaultMode
    options: dict[str, Any]
    outcome: PostOutcome
    reason: PostReason
    booked: bool  # did the exchange book the order despite the fault?

    def __str__(self) -> str:
        return "-".join([self.mode.value, *map(str, self.options.values())])


POST_FAULTS = [
    PostFault(FaultMode.RATE_LIMITED, {"retry_after": 60}, PostOutcome.THROTTLED, PostReason.RATE_LIMITED, False),
    PostFault(FaultMode.SERVER_ERROR, {}, PostOutcome.UNKNOWN, PostReason.SERVER_ERROR, False),
    PostFault(FaultMode.SERVER_ERROR, {"processed": True}, PostOutcome.UNKNOWN, PostReason.SERVER_ERROR, True),
    PostFault(FaultMode.BAD_GATEWAY, {}, PostOutcome.UNKNOWN, PostReason.SERVER_ERROR, False),
    PostFault(FaultMode.TRADING_DISABLED, {}, PostOutcome.HALTED, PostReason.TRADING_DISABLED, False),
    PostFault(FaultMode.CANCEL_ONLY, {}, PostOutcome.HALTED, PostReason.CANCEL_ONLY, False),
    # processed, but the reply is held far longer than the client waits, whatever the machine's load
    PostFault(FaultMode.SLOW, {"delay_s": 600.0}, PostOutcome.UNKNOWN, PostReason.TIMEOUT, True),
    PostFault(FaultMode.DROP_AFTER_ACCEPT, {}, PostOutcome.UNKNOWN, PostReason.CONNECTION_LOST, True),
    PostFault(FaultMode.DROP_BEFORE, {}, PostOutcome.UNKNOWN, PostReason.CONNECTION_LOST, False),
    PostFault(FaultMode.HTML_ERROR, {}, PostOutcome.UNKNOWN, PostReason.SERVER_ERROR, False),
    PostFault(FaultMode.HTML_ERROR, {"status": 200}, PostOutcome.UNKNOWN, PostReason.BAD_RESPONSE, False),
    PostFault(FaultMode.TRUNCATED_JSON, {}, PostOutcome.UNKNOWN, PostReason.BAD_RESPONSE, True),
]


@pytest.mark.parametrize("case", POST_FAULTS, ids=str)
def test_post_fault_maps_to_outcome_and_reconcile_sees_the_truth(env: Env, order: Any, case: PostFault) -> None:
    exchange, sleeps = env.exchange, env.sleeps
    mode, options, outcome, reason, booked = case.mode, case.options, case.outcome, case.reason, case.booked
    # Only the held reply may time out: every other reply gets a read timeout no busy machine reaches.
    read_s = 1.0 if mode is FaultMode.SLOW else 30.0
    client = env.make_client(env.trader, timeout=httpx.Timeout(5.0, read=read_s))
    client.check_clock_skew()  # the GET /time before the first order is not under test
    exchange.faults.set(mode, paths=["/order"], **options)

    result = client.post_order(order.body, order_hash=order.order_hash)

    assert (result.outcome, result.reason) == (outcome, reason), result
    assert result.order_hash == order.order_hash
    assert exchange.requests["/order"] == 1  # none of these is retried
    assert sleeps.calls == []
    assert [e.order_hash for e in exchange.ledger()] == ([order.order_hash] if booked else [])
    exchange.faults.clear()
    # reconcile by hash tells the executor what really happened
    found = client.get_order(order.order_hash)
    assert (found is not None) == booked
    if outcome is PostOutcome.UNKNOWN and booked:
        # and a blind re-post would have been caught as a duplicate (belt and braces)
        assert client.post_order(order.body, order_hash=order.order_hash).outcome is PostOutcome.DUPLICATE


def test_connect_failures_are_not_sent_and_retried_with_backoff(
    exchange: PaperExchange, trader: Trader, make_client: Callable[..., ClobClient], sleeps: Sleeps, order: Any
) -> None:
    client = make_client(trader, transport=RefuseConnect(times=2))
    result = client.post_order(order.body, order_hash=order.order_hash)
    assert (result.outcome, result.attempts) == (PostOutcome.ACCEPTED, 3)
    assert exchange.requests["/order"] == 1
    # capped exponential backoff with full jitter: within [0, 0.2] then [0, 0.4]
    assert len(sleeps.calls) == 2
    assert 0 <= sleeps.calls[0] <= 0.2 and 0 <= sleeps.calls[1] <= 0.4


def test_connect_failures_give_up_as_not_sent_after_three_attempts(
    exchange: PaperExchange, trader: Trader, make_client: Callable[..., ClobClient], sleeps: Sleeps, order: Any
) -> None:
    client = make_client(trader, transport=RefuseConnect(times=10))
    result = client.post_order(order.body, order_hash=order.order_hash)
    assert (result.outcome, result.reason, result.attempts) == (PostOutcome.NOT_SENT, PostReason.CONNECT, 3)
    assert result.outcome.may_resend
    assert exchange.requests["/order"] == 0 and exchange.ledger() == []
    assert len(sleeps.calls) == 2


def test_retry_after_is_honoured_through_the_injected_sleep(
    exchange: PaperExchange, trader: Trader, make_client: Callable[..., ClobClient], sleeps: Sleeps, order: Any
) -> None:
    client = make_client(trader)
    client.check_clock_skew()
    exchange.faults.set(FaultMode.RATE_LIMITED, count=1, retry_after=2.5, paths=["/order"])
    result = client.post_order(order.body, order_hash=order.order_hash)
    assert (result.outcome, result.attempts) == (PostOutcome.ACCEPTED, 2)
    assert sleeps.calls == [2.5]
    assert exchange.requests["/order"] == 2


def test_persistent_429_and_425_stop_after_three_attempts(
    exchange: PaperExchange, trader: Trader, make_client: Callable[..., ClobClient], sleeps: Sleeps, order: Any
) -> None:
    client = make_client(trader)
    client.check_clock_skew()
    exchange.faults.set(FaultMode.RATE_LIMITED, retry_after=1, paths=["/order"])
    throttled = client.post_order(order.body, order_hash=order.order_hash)
    assert (throttled.outcome, throttled.attempts, throttled.retry_after_s) == (PostOutcome.THROTTLED, 3, 1.0)
    assert sleeps.calls == [1.0, 1.0]

    exchange.faults.clear()
    exchange.faults.set(FaultMode.RESTARTING, retry_after=None, paths=["/order"])
    restarting = client.post_order(order.body, order_hash=order.order_hash)
    assert (restarting.outcome, restarting.reason) == (PostOutcome.THROTTLED, PostReason.RESTARTING)
    assert exchange.requests["/order"] == 6 and exchange.ledger() == []

    exchange.faults.set(FaultMode.RESTARTING, count=1, retry_after=None, paths=["/order"])
    assert client.post_order(order.body, order_hash=order.order_hash).outcome is PostOutcome.ACCEPTED


def test_a_batch_under_a_5xx_is_unknown_for_every_order(
    exchange: PaperExchange, market: PaperMarket, trader: Trader, client: ClobClient
) -> None:
    orders = [sdk_order(trader, market, token_id=YES, side="BUY", price=p, size="10") for p in ("0.30", "0.31")]
    client.check_clock_skew()
    exchange.faults.set(FaultMode.SERVER_ERROR, paths=["/orders"], processed=True)
    results = client.post_orders([o.body for o in orders], order_hashes=[o.order_hash for o in orders])
    assert [(r.outcome, r.order_hash) for r in results] == [(PostOutcome.UNKNOWN, o.order_hash) for o in orders]
    assert len(exchange.ledger()) == 2


def test_halted_exchange_still_lets_cancels_through_in_cancel_only(
    exchange: PaperExchange, trader: Trader, client: ClobClient, order: Any
) -> None:
    assert client.post_order(order.body).outcome is PostOutcome.ACCEPTED
    exchange.faults.set(FaultMode.CANCEL_ONLY)
    assert client.cancel_order(order.order_hash).canceled == (order.order_hash,)
    exchange.faults.set(FaultMode.TRADING_DISABLED)
    with pytest.raises(ClobHaltedError):
        client.cancel_order(order.order_hash)


# --- reads -----------------------------------------------------------------------------------------
def test_get_5xx_is_retried_then_succeeds(exchange: PaperExchange, client: ClobClient, sleeps: Sleeps) -> None:
    exchange.faults.set(FaultMode.SERVER_ERROR, count=2, paths=["/book"])
    assert client.order_book(YES).best_bid is not None
    assert exchange.requests["/book"] == 3 and len(sleeps.calls) == 2


@pytest.mark.parametrize(
    ("mode", "options", "error"),
    [
        (FaultMode.HTML_ERROR, {}, ClobUnavailableError),
        (FaultMode.HTML_ERROR, {"status": 200}, ClobBadResponseError),
        (FaultMode.TRUNCATED_JSON, {}, ClobBadResponseError),
        (FaultMode.BAD_GATEWAY, {}, ClobUnavailableError),
        (FaultMode.RATE_LIMITED, {"retry_after": 0.5}, ClobThrottledError),
        (FaultMode.DROP_BEFORE, {}, ClobUnavailableError),
    ],
    ids=["html-502", "html-200", "truncated", "502", "429", "dropped"],
)
def test_get_faults_become_clear_errors_after_three_attempts(
    env: Env, mode: FaultMode, options: dict[str, Any], error: type[Exception]
) -> None:
    env.exchange.faults.set(mode, paths=["/book"], **options)
    with pytest.raises(error) as caught:
        env.client.order_book(YES)
    assert "/book" in str(caught.value)
    assert env.exchange.requests["/book"] == 3 and len(env.sleeps.calls) == 2


def test_unreachable_exchange_is_unavailable(make_client: Callable[..., ClobClient], sleeps: Sleeps) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = make_client(None, base_url=f"http://127.0.0.1:{port}")
    with pytest.raises(ClobUnavailableError, match="ConnectError"):
        client.server_time()
    assert len(sleeps.calls) == 2


def test_retries_are_bounded_under_half_failing_reads(
    exchange: PaperExchange, make_client: Callable[..., ClobClient], sleeps: Sleeps
) -> None:
    logical = 200
    exchange.faults.set(FaultMode.SERVER_ERROR, probability=0.5, paths=["/book"], seed=20261121)
    client = make_client(None, rng=random.Random(5))
    failures = 0
    for _ in range(logical):
        try:
            client.order_book(YES)
        except ClobUnavailableError:
            failures += 1
    total = exchange.requests["/book"]
    assert total <= 1.5 * logical, total  # the retry budget caps the amplification
    assert total - logical == len(sleeps.calls)  # every extra request was a deliberate retry
    assert 0 < failures < logical


def test_retry_policy_caps_attempts_per_call(
    exchange: PaperExchange, make_client: Callable[..., ClobClient], sleeps: Sleeps
) -> None:
    client = make_client(None, retry=RetryPolicy(max_attempts=1))
    exchange.faults.set(FaultMode.SERVER_ERROR, count=1, paths=["/book"])
    with pytest.raises(ClobUnavailableError):
        client.order_book(YES)
    assert exchange.requests["/book"] == 1 and sleeps.calls == []
