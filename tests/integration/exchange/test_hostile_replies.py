"""Hostile exchange replies are bad replies, never crashes: every reply is parsed strictly and
validated with a pydantic model before use."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from omegacopy.adapters.clob_client import (
    ClobBadResponseError,
    ClobClient,
    PostOutcome,
    PostReason,
    classify_order_response,
)

from .conftest import YES, Trader, sdk_order

DEEP = b"[" * 200_000 + b"]" * 200_000


class HostileReplies(httpx.HTTPTransport):
    """The paper exchange, except that the given paths answer with the given bodies (status 200)."""

    def __init__(self, replies: dict[str, bytes]) -> None:
        super().__init__()
        self.replies = replies

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = self.replies.get(request.url.path)
        if body is not None:
            return httpx.Response(200, content=body, headers={"Content-Type": "application/json"}, request=request)
        return super().handle_request(request)


@pytest.mark.parametrize(
    "body",
    [DEEP, b'{"success": true, "success": false}', b'{"success": true, "makingAmount": NaN}', b"\xff\xfe"],
    ids=["deep", "duplicate-key", "nan", "not-utf8"],
)
def test_a_hostile_order_reply_is_a_bad_response(body: bytes) -> None:
    result = classify_order_response(200, {}, body, expected_hash="0xabc", now_s=0)
    assert (result.outcome, result.reason) == (PostOutcome.UNKNOWN, PostReason.BAD_RESPONSE)


@pytest.mark.parametrize(
    ("path", "body", "call"),
    [
        ("/tick-size", b'{"minimum_tick_size": "NaN"}', lambda c: c.tick_size(YES)),
        ("/tick-size", b'{"minimum_tick_size": "Infinity"}', lambda c: c.tick_size(YES)),
        ("/tick-size", b'{"minimum_tick_size": 7}', lambda c: c.tick_size(YES)),
        ("/neg-risk", b'{"neg_risk": "false"}', lambda c: c.neg_risk(YES)),
        ("/time", b'"NaN"', lambda c: c.server_time()),
        ("/time", b"true", lambda c: c.server_time()),
        ("/time", b'"soon"', lambda c: c.server_time()),
        ("/time", DEEP, lambda c: c.server_time()),
    ],
)
def test_hostile_reads_are_refused_as_bad_replies(
    make_client: Callable[..., ClobClient], trader: Trader, path: str, body: bytes, call: Callable[[ClobClient], Any]
) -> None:
    client = make_client(trader, transport=HostileReplies({path: body}))
    with pytest.raises(ClobBadResponseError):
        call(client)


def test_an_honest_reply_still_reads(make_client: Callable[..., ClobClient], trader: Trader, market: Any) -> None:
    client = make_client(trader, transport=HostileReplies({}))
    assert client.server_time() > 0
    assert client.tick_size(YES) > 0
    order = sdk_order(trader, market, token_id=YES, side="BUY", price="0.40", size="10")
    assert client.post_order(order.body, order_hash=order.order_hash).outcome is PostOutcome.ACCEPTED
