"""The outcome table of the CLOB client, driven directly (no server), plus its small parts."""

from __future__ import annotations

import email.utils
import json
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from omegacopy.adapters.clob.client import classify_order_response, classify_transport_error
from omegacopy.adapters.clob.resilience import RetryBudget, TokenBucket, parse_retry_after
from omegacopy.domain.clob_models import PostOutcome, PostReason

from .conftest import FakeMonotonic

HASH = "0x" + "ab" * 32
NOW = 1_800_000_000.0


def reply(success: bool, status: str = "", error: str = "", order_id: str = HASH, **extra: Any) -> bytes:
    body: dict[str, Any] = {"success": success, "errorMsg": error, "orderID": order_id, "status": status}
    body |= {"makingAmount": "", "takingAmount": "", "tradeIDs": [], "transactionsHashes": []} | extra
    return json.dumps(body).encode()


def err(message: str) -> bytes:
    return json.dumps({"error": message}).encode()


def classify(status: int, content: bytes, headers: dict[str, str] | None = None) -> tuple[PostOutcome, PostReason]:
    result = classify_order_response(status, headers or {}, content, expected_hash=HASH, now_s=NOW)
    return result.outcome, result.reason


HTML = b"<!DOCTYPE html><html><body>oops</body></html>"
DISABLED = "Trading is currently disabled. Check polymarket.com for updates"
CANCEL_ONLY = "Trading is currently cancel-only. New orders are not accepted, but cancels are allowed."
TICK = "order 0x1 is invalid. Price (0.411) breaks minimum tick size rule: 0.01"
PRECISION = "invalid amounts, the market buy orders maker amount supports a max accuracy of 2 decimals"
CASES = [
    (200, reply(True, "live"), PostOutcome.ACCEPTED, PostReason.OK),
    (200, reply(True, "matched"), PostOutcome.ACCEPTED, PostReason.OK),
    (200, reply(True, "delayed", "order match delayed due to market conditions"), PostOutcome.ACCEPTED, PostReason.OK),
    (200, reply(True, "live", order_id=""), PostOutcome.UNKNOWN, PostReason.BAD_RESPONSE),
    (200, reply(True, "weird"), PostOutcome.UNKNOWN, PostReason.BAD_RESPONSE),
    (200, reply(False, "live", "something odd"), PostOutcome.UNKNOWN, PostReason.BAD_RESPONSE),
    (200, reply(False, "", "not enough balance / allowance"), PostOutcome.REJECTED, PostReason.BALANCE),
    (200, reply(False, "unmatched", ""), PostOutcome.REJECTED, PostReason.UNMATCHED),
    (200, reply(False, "", "order 0x1 is invalid. Duplicated."), PostOutcome.DUPLICATE, PostReason.DUPLICATE),
    (200, reply(False, "", "identical order already placed"), PostOutcome.DUPLICATE, PostReason.DUPLICATE),
    (200, HTML, PostOutcome.UNKNOWN, PostReason.BAD_RESPONSE),
    (200, reply(True, "live")[:30], PostOutcome.UNKNOWN, PostReason.BAD_RESPONSE),
    (200, b'{"orderID": "0x1", "status": "live"}', PostOutcome.UNKNOWN, PostReason.BAD_RESPONSE),
    (200, b"[]", PostOutcome.UNKNOWN, PostReason.BAD_RESPONSE),
    (400, err(TICK), PostOutcome.REJECTED, PostReason.TICK_SIZE),
    (400, err(PRECISION), PostOutcome.REJECTED, PostReason.PRECISION),
    (400, err("order crosses the book"), PostOutcome.REJECTED, PostReason.POST_ONLY_CROSSES),
    (400, err("not enough balance / allowance: balance 0"), PostOutcome.REJECTED, PostReason.BALANCE),
    (400, err("maker address not allowed, use a deposit wallet"), PostOutcome.REJECTED, PostReason.SIGNATURE),
    (400, HTML, PostOutcome.REJECTED, PostReason.OTHER),
    (401, err("Unauthorized/Invalid api key"), PostOutcome.REJECTED, PostReason.AUTH),
    (403, HTML, PostOutcome.REJECTED, PostReason.AUTH),  # Cloudflare / geoblock page
    (404, err("not found"), PostOutcome.REJECTED, PostReason.OTHER),
    (408, b"", PostOutcome.UNKNOWN, PostReason.SERVER_ERROR),
    (425, err("restarting"), PostOutcome.THROTTLED, PostReason.RESTARTING),
    (429, err("Too Many Requests"), PostOutcome.THROTTLED, PostReason.RATE_LIMITED),
    (500, err("could not run the execution"), PostOutcome.UNKNOWN, PostReason.SERVER_ERROR),
    # a 5xx body "proving" rejection is still not trusted: see the module docstring
    (500, reply(False, "", "not enough balance / allowance"), PostOutcome.UNKNOWN, PostReason.SERVER_ERROR),
    (502, HTML, PostOutcome.UNKNOWN, PostReason.SERVER_ERROR),
    (504, b"", PostOutcome.UNKNOWN, PostReason.SERVER_ERROR),
    (503, err(DISABLED), PostOutcome.HALTED, PostReason.TRADING_DISABLED),
    (503, err(CANCEL_ONLY), PostOutcome.HALTED, PostReason.CANCEL_ONLY),
    (
        503,
        err("post-only mode: only post-only orders and cancels are allowed"),
        PostOutcome.HALTED,
        PostReason.POST_ONLY_MODE,
    ),
    (503, HTML, PostOutcome.UNKNOWN, PostReason.SERVER_ERROR),
    (302, b"", PostOutcome.UNKNOWN, PostReason.BAD_RESPONSE),
]


@pytest.mark.parametrize(("status", "content", "outcome", "reason"), CASES)
def test_order_reply_classification(status: int, content: bytes, outcome: PostOutcome, reason: PostReason) -> None:
    assert classify(status, content) == (outcome, reason)


def test_accepted_reply_carries_amounts_and_flags_a_foreign_order_id() -> None:
    body = reply(True, "matched", order_id="0x" + "cd" * 32, tradeIDs=["t1"], transactionsHashes=["0xtx"])
    body = body.replace(b'"makingAmount": ""', b'"makingAmount": "5.2"')
    result = classify_order_response(200, {}, body, expected_hash=HASH, now_s=NOW)
    assert result.outcome is PostOutcome.ACCEPTED and result.hash_mismatch
    assert (result.order_hash, str(result.making_amount), result.trade_ids) == ("0x" + "cd" * 32, "5.2", ("t1",))


def test_retry_after_header_forms() -> None:
    in_ten = email.utils.formatdate(NOW + 10, usegmt=True)
    result = classify_order_response(429, {"retry-after": in_ten}, b"", expected_hash=HASH, now_s=NOW)
    assert result.retry_after_s == 10
    assert parse_retry_after("2", NOW) == 2.0
    assert parse_retry_after("1.5", NOW) == 1.5
    assert parse_retry_after(email.utils.formatdate(NOW - 100, usegmt=True), NOW) == 0
    for garbage in (None, "", "-1", "soon", "inf"):
        assert parse_retry_after(garbage, NOW) is None


@pytest.mark.parametrize(
    ("error", "outcome", "reason"),
    [
        (httpx.ConnectError("refused"), PostOutcome.NOT_SENT, PostReason.CONNECT),
        (httpx.ConnectTimeout("slow syn"), PostOutcome.NOT_SENT, PostReason.CONNECT),
        (httpx.PoolTimeout("no connection"), PostOutcome.NOT_SENT, PostReason.CONNECT),
        (httpx.ReadTimeout("no reply"), PostOutcome.UNKNOWN, PostReason.TIMEOUT),
        (httpx.WriteTimeout("half sent"), PostOutcome.UNKNOWN, PostReason.TIMEOUT),
        (httpx.RemoteProtocolError("Server disconnected"), PostOutcome.UNKNOWN, PostReason.CONNECTION_LOST),
        (httpx.ReadError("reset"), PostOutcome.UNKNOWN, PostReason.CONNECTION_LOST),
        (httpx.WriteError("broken pipe"), PostOutcome.UNKNOWN, PostReason.CONNECTION_LOST),
    ],
)
def test_transport_errors(error: httpx.HTTPError, outcome: PostOutcome, reason: PostReason) -> None:
    result = classify_transport_error(error, expected_hash=HASH)
    assert (result.outcome, result.reason, result.order_hash) == (outcome, reason, HASH)


@settings(deadline=None)  # pure CPU work: a busy machine must not fail it
@given(status=st.integers(100, 599), content=st.binary(max_size=300))
def test_classification_never_crashes_and_only_2xx_accepts(status: int, content: bytes) -> None:
    result = classify_order_response(status, {"retry-after": "x"}, content, expected_hash=HASH, now_s=NOW)
    assert isinstance(result.outcome, PostOutcome)
    if result.outcome is PostOutcome.ACCEPTED:
        assert 200 <= status < 300


def test_token_bucket_waits_then_refuses_beyond_the_max_wait() -> None:
    mono = FakeMonotonic()
    bucket = TokenBucket(rate_per_s=2, burst=2, monotonic=mono)
    assert [bucket.try_acquire(max_wait_s=1) for _ in range(3)] == [0.0, 0.0, 0.5]
    assert bucket.try_acquire(max_wait_s=0.5) is None  # would need 1.0 s: nothing taken
    mono.now += 1.0
    assert bucket.try_acquire(max_wait_s=0) == 0.0


def test_retry_budget_earns_a_fraction_per_request() -> None:
    budget = RetryBudget(ratio=0.5, reserve=1)
    assert budget.try_spend() and not budget.try_spend()
    budget.on_request()
    assert not budget.try_spend()
    budget.on_request()
    assert budget.try_spend()
