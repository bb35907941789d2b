"""The emulator's documented behaviours, spoken to with plain httpx (no client in between)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from omegacopy.devstack.public_api import ApiRequestRecord, PublicApiEmulator, max_in_window, window_stats
from tests.support.public_api import condition_id

LEADER = "0x" + "5a" * 20
YEAR_S = 365 * 86400


@pytest.fixture
def http(api: PublicApiEmulator) -> Iterator[httpx.Client]:
    with httpx.Client(timeout=5) as client:
        yield client


def _get(http: httpx.Client, url: str, **params: Any) -> httpx.Response:
    return http.get(url, params=params)


def test_v2_refuses_offset_with_the_error_envelope(api: PublicApiEmulator, http: httpx.Client) -> None:
    reply = _get(http, f"{api.data_url}/v2/trades", user=LEADER, offset=100)
    assert reply.status_code == 400
    body = reply.json()
    assert (body["code"], body["parameter"], body["retryable"]) == ("invalid_request", "offset", False)
    assert body["trace_id"] == reply.headers["x-trace-id"]


def test_unknown_routes_are_404(api: PublicApiEmulator, http: httpx.Client) -> None:
    assert _get(http, f"{api.data_url}/v2/nope").json()["code"] == "not_found"
    assert _get(http, f"{api.data_url}/v2/nope").status_code == 404
    assert _get(http, f"{api.gamma_url}/v2/trades", user=LEADER).status_code == 404  # the wrong host
    assert _get(http, f"{api.data_url}/markets/keyset").status_code == 404


def test_over_the_limit_is_429_with_retry_after_and_the_envelope(api: PublicApiEmulator, http: httpx.Client) -> None:
    api.limits["data:/trades"] = 3
    replies = [_get(http, f"{api.data_url}/v2/trades", user=LEADER) for _ in range(4)]
    assert [r.status_code for r in replies] == [200, 200, 200, 429]
    refused = replies[-1]
    assert refused.json()["code"] == "rate_limited" and refused.json()["retryable"] is True
    assert 1 <= int(refused.headers["Retry-After"]) <= 10
    # other routes of the host still have room; the trades window frees after 10 s
    assert _get(http, f"{api.data_url}/v2/leaderboard").status_code == 200
    api.clock.shift(10)
    assert _get(http, f"{api.data_url}/v2/trades", user=LEADER).status_code == 200


def test_cursors_must_come_back_with_the_same_filters(api: PublicApiEmulator, http: httpx.Client) -> None:
    cid = condition_id()
    api.publish_market(cid)
    for i in range(3):
        api.publish_trade(LEADER, cid, size=1 + i)
    first = _get(http, f"{api.data_url}/v2/trades", user=LEADER, limit=1).json()
    cursor = first["pagination"]["next_cursor"]
    assert first["pagination"]["has_more"] is True and cursor

    bare = _get(http, f"{api.data_url}/v2/trades", cursor=cursor)
    changed = _get(http, f"{api.data_url}/v2/trades", user=LEADER, side="BUY", cursor=cursor)
    same = _get(http, f"{api.data_url}/v2/trades", user=LEADER, cursor=cursor, limit=50)

    assert bare.status_code == 400 and changed.status_code == 400
    assert same.status_code == 200 and len(same.json()["data"]) == 1  # the cursor's page size wins


def test_limits_on_page_sizes(api: PublicApiEmulator, http: httpx.Client) -> None:
    cid = condition_id()
    api.publish_market(cid)
    assert _get(http, f"{api.data_url}/v2/trades", user=LEADER, limit=1001).status_code == 400
    assert _get(http, f"{api.data_url}/v2/holders", condition=cid, include_pnl="true", limit=101).status_code == 400
    assert _get(http, f"{api.data_url}/v2/holders", condition=cid, limit=1000).status_code == 200
    two = f"{cid},{condition_id()}"
    assert _get(http, f"{api.data_url}/v2/holders", condition=two, include_pnl="true").status_code == 400
    assert _get(http, f"{api.gamma_url}/markets/keyset", limit=101).status_code == 422
    assert _get(http, f"{api.gamma_url}/markets/keyset", offset=10).status_code == 422


def test_trades_hide_maker_fills_unless_asked_and_window_by_start(api: PublicApiEmulator, http: httpx.Client) -> None:
    cid = condition_id()
    api.publish_market(cid)
    now = int(api.clock.now())
    api.publish_trade(LEADER, cid, size=1, maker=True)
    api.publish_trade(LEADER, cid, size=2)
    api.publish_trade(LEADER, cid, size=3, timestamp=now - 4 * YEAR_S)

    def sizes(**params: Any) -> list[float]:
        reply = _get(http, f"{api.data_url}/v2/trades", user=LEADER, **params)
        return sorted(row["size"] for row in reply.json()["data"])

    assert sizes() == [2]  # taker_only defaults to true; an omitted start means three years
    assert sizes(taker_only="false") == [1, 2]
    assert sizes(taker_only="false", start=1) == [1, 2, 3]
    assert sizes(taker_only="false", start=now + 10) == []
    # the condition shape ignores start and serves three years
    by_market = _get(http, f"{api.data_url}/v2/trades", user=LEADER, condition=cid, taker_only="false", start=now + 10)
    assert sorted(r["size"] for r in by_market.json()["data"]) == [1, 2]


def test_gamma_hides_closed_markets_unless_closed_true(api: PublicApiEmulator, http: httpx.Client) -> None:
    open_cid, closed_cid = condition_id(), condition_id()
    api.publish_market(open_cid)
    api.publish_market(closed_cid)
    api.resolve_market(closed_cid, winner=0)

    def listed(**params: Any) -> list[str]:
        query: list[tuple[str, str | int | float | bool | None]] = [
            ("condition_ids", open_cid),
            ("condition_ids", closed_cid),
        ]
        query += [(k, str(v)) for k, v in params.items()]
        reply = http.get(f"{api.gamma_url}/markets/keyset", params=query)
        return [m["conditionId"] for m in reply.json()["markets"]]

    assert listed() == [open_cid]
    assert listed(closed="true") == [closed_cid]


def test_the_request_log_gives_the_most_requests_in_any_window() -> None:
    log = [ApiRequestRecord("data", "/v2/trades", t, 200) for t in (0.0, 1.0, 9.9, 10.0, 10.5, 25.0)]
    log += [ApiRequestRecord("gamma", "/markets/keyset", 3.0, 200)]

    stats = window_stats(log, 10.0)

    assert max_in_window([0.0, 1.0, 9.9, 10.0, 10.5, 25.0], 10.0) == 4  # (0.5, 10.5]
    assert max_in_window([0.0, 10.0], 10.0) == 1  # windows are half-open: (0, 10]
    assert stats["data:/v2/trades"].max_in_window == 4 and stats["data:/v2/trades"].requests == 6
    assert stats["gamma"].requests == 1
    assert stats["data"].per_window == pytest.approx(6 * 10.0 / 35.0)
