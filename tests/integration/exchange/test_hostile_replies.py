"""Hostile exchange replies are bad replies, never crashes: every reply is parsed strictly and
validated with a pydantic model before use."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from omegacopy.adapters.clob.client import ClobClient, classify_order_response
from omegacopy.adapters.clob.errors import ClobBadResponseError
from omegacopy.domain.clob_models import PostOutcome, PostReason

from .conftest import YES, Trader, sdk_order

DEEP = b"[" * 200_000 + b"]" * 200_000
BOOK = (
    b'{"market": "0xabc", "asset_id": "%s", "bids": [], "asks": [], "tick_size": "0.01", "neg_risk": false}'
    % YES.encode()
)


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
        ("/book", BOOK.replace(b'"0.01"', b'"NaN"'), lambda c: c.order_book(YES)),
        ("/book", BOOK.replace(b'"0.01"', b'"Infinity"'), lambda c: c.order_book(YES)),
        ("/book", BOOK.replace(b'"neg_risk": false', b'"neg_risk": "false"'), lambda c: c.order_book(YES)),
        ("/book", BOOK.replace(YES.encode(), b"1"), lambda c: c.order_book(YES)),
        ("/balance-allowance", b'{"balance": "1e400"}', lambda c: c.balance_allowance()),
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
    assert client.order_book(YES).tick_size > 0
    order = sdk_order(trader, market, token_id=YES, side="BUY", price="0.40", size="10")
    assert client.post_order(order.body, order_hash=order.order_hash).outcome is PostOutcome.ACCEPTED
