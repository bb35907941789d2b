"""The Data API trade source against a loopback HTTP server speaking the public API's shapes."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlparse

import pytest

from omegacopy.adapters.data_api_source import DataApiTradeSource, MarketInfo
from omegacopy.devstack.seed import MarketSeed, insert_markets
from omegacopy.domain.models import InvalidTrade, LeaderTrade, Outcome, TradeAction
from omegacopy.ports import SourceUnavailableError
from omegacopy.wiring import build_monitor_deps

LEADER = "0x" + "ab" * 20
OTHER = "0x" + "cd" * 20
NOW = int(datetime.now(UTC).timestamp())  # windows are relative to it, never to the clock when a test runs


def _trade(**over: Any) -> dict[str, Any]:
    row = {
        "proxyWallet": LEADER,
        "side": "BUY",
        "asset": "71321045679252212594626385532706912750332728571942532289631379312455583992563",
        "conditionId": "0xcond1",
        "size": 120.5,
        "price": 0.62,
        "timestamp": NOW - 10,
        "title": "Will it rain?",
        "slug": "will-it-rain",
        "eventSlug": "rain",
        "outcome": "Yes",
        "outcomeIndex": 0,
        "transactionHash": "0x" + "11" * 32,
    }
    row.update(over)
    return row


class _Api(BaseHTTPRequestHandler):
    pages: ClassVar[dict[str, Any]] = {}
    calls: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        url = urlparse(self.path)
        user = parse_qs(url.query).get("user", [""])[0]
        type(self).calls.append(user)
        page = type(self).pages.get(user, [])
        if page == "500":
            self.send_response(500)
            self.end_headers()
            return
        body = json.dumps(page).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def api() -> Iterator[tuple[str, type[_Api]]]:
    handler = type("Api", (_Api,), {"pages": {}, "calls": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", handler
    server.shutdown()
    server.server_close()


def _markets(ids: Any) -> dict[str, MarketInfo]:
    return {"0xcond1": MarketInfo(category="weather", closed=False, neg_risk=False)}


def test_trades_of_each_watched_wallet_are_read_and_validated(api: tuple[str, type[_Api]]) -> None:
    url, handler = api
    handler.pages = {
        LEADER: [
            _trade(),
            _trade(side="SELL", outcome="No", outcomeIndex=1, timestamp=NOW - 5, transactionHash="0x" + "22" * 32),
            _trade(timestamp=NOW - 3600, transactionHash="0x" + "33" * 32),  # before the window: ignored
            _trade(asset=1.2e76, transactionHash="0x" + "44" * 32),  # a float token id: corrupt
            _trade(price=-0.5, transactionHash="0x" + "55" * 32),
        ],
        OTHER: [_trade(proxyWallet=OTHER, conditionId="0xunknown", transactionHash="0x" + "66" * 32)],
    }
    source = DataApiTradeSource(url, markets=_markets)

    batch = source.fetch_new_trades([LEADER, OTHER], datetime.fromtimestamp(NOW, UTC) - timedelta(minutes=5))

    assert sorted(handler.calls) == sorted([LEADER, OTHER])
    good = sorted(batch.trades, key=lambda t: t.traded_at)
    assert [(t.action, t.outcome, t.price, t.shares, t.category) for t in good] == [
        (TradeAction.BUY, Outcome.YES, Decimal("0.62"), Decimal("120.5"), "weather"),
        (TradeAction.SELL, Outcome.NO, Decimal("0.62"), Decimal("120.5"), "weather"),
    ]
    assert all(isinstance(t, LeaderTrade) and t.token_id.isdigit() for t in good)
    details = sorted(i.detail for i in batch.invalid)
    assert len(details) == 3 and all(isinstance(i, InvalidTrade) for i in batch.invalid)
    assert any("token_id" in d for d in details)
    assert any("entry_price" in d for d in details)
    assert any("unknown market" in d for d in details)
    assert batch.watermark == datetime.fromtimestamp(NOW - 5, UTC)
    # the same fill read twice has the same id: the monitor decides it once
    again = source.fetch_new_trades([LEADER], datetime.fromtimestamp(NOW, UTC) - timedelta(minutes=5))
    assert {t.trade_id for t in again.trades} == {t.trade_id for t in good}


def test_an_api_failure_fails_the_tick_closed(api: tuple[str, type[_Api]]) -> None:
    url, handler = api
    handler.pages = {LEADER: "500"}
    with pytest.raises(SourceUnavailableError):
        DataApiTradeSource(url).fetch_new_trades([LEADER], datetime.fromtimestamp(NOW, UTC) - timedelta(minutes=5))


def test_the_source_is_selected_by_configuration(
    api: tuple[str, type[_Api]], ch: Any, ch_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, handler = api
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    insert_markets(ch, [MarketSeed("0xcond1", "weather", "1", "2")])
    handler.pages = {LEADER: [_trade()]}
    env = {
        "EXECUTION_QUEUE_URL": "https://sqs.eu-west-1.amazonaws.com/123456789012/q.fifo",
        "DATABASE_URL": "postgresql://unused@127.0.0.1:1/x",
        "CLICKHOUSE_URL": ch_url,
        "TRADE_SOURCE": "data_api",
        "DATA_API_URL": url,
    }
    source = build_monitor_deps(env).source
    assert source.name == "data_api"
    # categories and market state come from the ClickHouse markets dimension
    batch = source.fetch_new_trades([LEADER], datetime.fromtimestamp(NOW, UTC) - timedelta(minutes=5))
    assert [t.category for t in batch.trades] == ["weather"]
    assert build_monitor_deps({**env, "TRADE_SOURCE": "clickhouse"}).source.name == "clickhouse"
