"""The Data API trade source on the public-data client, against the public-API emulator over HTTP."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from omegacopy.adapters.data_api_source import DataApiTradeSource, MarketInfo
from omegacopy.devstack.public_api import Fault, PublicApiEmulator
from omegacopy.devstack.seed import MarketSeed, insert_markets
from omegacopy.domain.models import Outcome, TradeAction
from omegacopy.ports import SaleRef, SourceUnavailableError
from omegacopy.wiring.monitor import build_monitor_deps
from tests.integration.public_api.conftest import ClientFactory
from tests.support.public_api import EmulatorWallClock, condition_id, token_id, tx_hash

LEADER = "0x" + "ab" * 20
OTHER = "0x" + "cd" * 20


class Markets:
    """A `MarketLookup` over a dict, recording what it was asked."""

    def __init__(self, known: dict[str, MarketInfo]) -> None:
        self.known = known
        self.asked: list[list[str]] = []

    def __call__(self, ids: Sequence[str]) -> dict[str, MarketInfo]:
        self.asked.append(list(ids))
        return {c: self.known[c] for c in ids if c in self.known}


def _binary(
    api: PublicApiEmulator, names: tuple[str, str] = ("Yes", "No"), category: str = "weather"
) -> tuple[str, MarketInfo]:
    cid, yes, no = condition_id(), token_id(), token_id()
    api.publish_market(cid, outcomes=[(names[0], yes), (names[1], no)], category=category)
    return cid, MarketInfo(category=category, closed=False, neg_risk=False, yes_token_id=yes, no_token_id=no)


def _source(
    api: PublicApiEmulator, make_client: ClientFactory, markets: Markets | None, **kw: Any
) -> DataApiTradeSource:
    client = make_client(page_size=kw.pop("page_size", 1000))
    return DataApiTradeSource(client, markets=markets, clock=EmulatorWallClock(api.clock), **kw)


def _now(api: PublicApiEmulator) -> datetime:
    return datetime.fromtimestamp(api.clock.now(), UTC)


def test_fills_of_each_watched_wallet_are_read_mapped_and_validated(
    api: PublicApiEmulator, make_client: ClientFactory
) -> None:
    rain, rain_info = _binary(api)
    btc, btc_info = _binary(api, ("Up", "Down"), "crypto")
    unknown, _ = _binary(api)
    now = int(api.clock.now())
    api.publish_trade(
        LEADER.upper().replace("0X", "0x"), rain, outcome_index=0, size="120.5", price="0.62", timestamp=now - 10
    )
    api.publish_trade(LEADER, btc, outcome_index=1, side="SELL", size=40, price="0.3", timestamp=now - 5, maker=True)
    api.publish_trade(LEADER, rain, timestamp=now - 3 * 3600)  # before the window: not read
    api.publish_trade(LEADER, unknown, timestamp=now - 4)  # the markets dimension does not know it
    api.publish_trade(LEADER, rain, outcome_index=0, token_id=btc_info.yes_token_id, timestamp=now - 3)  # wrong token
    api.publish_trade(OTHER, rain, outcome_index=1, size=7, timestamp=now - 2)
    markets = Markets({rain: rain_info, btc: btc_info})
    source = _source(api, make_client, markets)

    batch = source.fetch_new_trades([LEADER, OTHER], _now(api) - timedelta(minutes=5))

    good = sorted(batch.trades, key=lambda t: t.traded_at)
    assert [(t.wallet, t.action, t.outcome, t.token_id, t.shares, t.price, t.category) for t in good] == [
        (LEADER, TradeAction.BUY, Outcome.YES, rain_info.yes_token_id, Decimal("120.5"), Decimal("0.62"), "weather"),
        (LEADER, TradeAction.SELL, Outcome.NO, btc_info.no_token_id, Decimal(40), Decimal("0.3"), "crypto"),
        (OTHER, TradeAction.BUY, Outcome.NO, rain_info.no_token_id, Decimal(7), Decimal("0.5"), "weather"),
    ]
    details = sorted(i.detail for i in batch.invalid)
    assert len(details) == 2
    assert any("unknown market" in d for d in details)
    assert any(f"is not outcome 0 of market {rain}" in d for d in details)
    assert batch.watermark == datetime.fromtimestamp(now - 2, UTC)
    # the same fills read again have the same ids: the monitor decides each once
    again = source.fetch_new_trades([LEADER, OTHER], _now(api) - timedelta(minutes=5))
    assert {t.trade_id for t in again.trades} == {t.trade_id for t in good}
    assert {i.trade_id for i in again.invalid} == {i.trade_id for i in batch.invalid}


def test_the_window_is_paged_to_its_end(api: PublicApiEmulator, make_client: ClientFactory) -> None:
    cid, info = _binary(api)
    now = int(api.clock.now())
    for i in range(25):
        api.publish_trade(LEADER, cid, size=1 + i, timestamp=now - 10 * i)
    source = _source(api, make_client, Markets({cid: info}), page_size=4)

    batch = source.fetch_new_trades([LEADER], _now(api) - timedelta(minutes=5))

    assert len(batch.trades) == 25
    assert api.requests("/v2/trades") == 7


def test_a_fill_published_late_is_still_read_within_the_lookback(
    api: PublicApiEmulator, make_client: ClientFactory
) -> None:
    cid, info = _binary(api)
    now = int(api.clock.now())
    api.publish_trade(LEADER, cid, size=1, timestamp=now - 5)
    source = _source(api, make_client, Markets({cid: info}), lookback_s=600)
    first = source.fetch_new_trades([LEADER], _now(api) - timedelta(minutes=5))
    assert first.watermark is not None

    # published now, stamped 400 s ago: behind the cursor minus the overlap, inside the lookback
    late = api.publish_trade(LEADER, cid, size=2, timestamp=now - 400)
    api.publish_trade(LEADER, cid, size=3, timestamp=now - 900)  # beyond the lookback
    second = source.fetch_new_trades([LEADER], first.watermark - timedelta(seconds=120))

    assert sorted(t.shares for t in second.trades) == [Decimal(1), Decimal(2)]
    assert {t.trade_id for t in first.trades} < {t.trade_id for t in second.trades}
    assert late["size"] == 2


def test_a_future_stamp_never_moves_the_watermark_past_now(api: PublicApiEmulator, make_client: ClientFactory) -> None:
    cid, info = _binary(api)
    now = int(api.clock.now())
    api.publish_trade(LEADER, cid, size=1, timestamp=now + 120)  # within the skew: a valid fill
    api.publish_trade(LEADER, cid, size=2, timestamp=now + 3600)  # beyond it: refused, recorded
    source = _source(api, make_client, Markets({cid: info}))

    batch = source.fetch_new_trades([LEADER], _now(api) - timedelta(minutes=5))

    assert [t.shares for t in batch.trades] == [Decimal(1)]
    assert batch.watermark is not None and batch.watermark <= _now(api)
    [bad] = batch.invalid
    assert bad.wallet == LEADER and "timestamp" in bad.detail and "data_api.trades" in bad.detail


def test_outcomes_other_than_binary_sides_are_refused(api: PublicApiEmulator, make_client: ClientFactory) -> None:
    cid = condition_id()
    api.publish_market(cid, outcomes=[("A", token_id()), ("B", token_id()), ("C", token_id())])
    api.publish_trade(LEADER, cid, outcome_index=2)
    source = _source(api, make_client, Markets({}))
    batch = source.fetch_new_trades([LEADER], _now(api) - timedelta(minutes=5))
    assert batch.trades == () and "not a binary side" in batch.invalid[0].detail


def test_without_a_markets_dimension_every_fill_is_unknown(api: PublicApiEmulator, make_client: ClientFactory) -> None:
    cid, _ = _binary(api)
    api.publish_trade(LEADER, cid)
    batch = _source(api, make_client, None).fetch_new_trades([LEADER], _now(api) - timedelta(minutes=5))
    assert batch.trades == () and "unknown market" in batch.invalid[0].detail


def test_an_api_failure_fails_the_tick_closed(api: PublicApiEmulator, make_client: ClientFactory) -> None:
    cid, info = _binary(api)
    api.publish_trade(LEADER, cid)
    api.faults.set(Fault.DOWN, retry_after=None)
    source = _source(api, make_client, Markets({cid: info}))
    with pytest.raises(SourceUnavailableError, match="503"):
        source.fetch_new_trades([LEADER, OTHER], _now(api) - timedelta(minutes=5))


def test_a_tick_that_cannot_finish_in_time_fails_closed(api: PublicApiEmulator, make_client: ClientFactory) -> None:
    cid, info = _binary(api)
    api.publish_trade(LEADER, cid)
    api.faults.set(Fault.POOL_TIMEOUT, retry_after=15)
    source = _source(api, make_client, Markets({cid: info}), call_deadline_s=20)
    with pytest.raises(SourceUnavailableError, match="deadline"):
        source.fetch_new_trades([LEADER], _now(api) - timedelta(minutes=5))


def test_shares_before_a_sale_come_from_the_wallets_fills_in_that_market(
    api: PublicApiEmulator, make_client: ClientFactory
) -> None:
    cid, info = _binary(api)
    now = int(api.clock.now())
    api.publish_trade(LEADER, cid, outcome_index=0, size=100, timestamp=now - 300)
    api.publish_trade(LEADER, cid, outcome_index=0, size=50, timestamp=now - 200, maker=True)
    api.publish_trade(LEADER, cid, outcome_index=1, size=999, timestamp=now - 150)  # the other token
    api.publish_trade(LEADER, cid, outcome_index=0, side="SELL", size=30, timestamp=now - 100)
    api.publish_trade(LEADER, cid, outcome_index=0, side="SELL", size=60, timestamp=now - 10, tx_hash=tx_hash())
    api.publish_trade(LEADER, cid, outcome_index=0, size=500, timestamp=now - 5)  # after the sale
    source = _source(api, make_client, Markets({cid: info}))
    batch = source.fetch_new_trades([LEADER], _now(api) - timedelta(minutes=10))
    sale = next(t for t in batch.trades if t.shares == 60)

    before = source.leader_shares_before(
        [SaleRef(sale.trade_id, sale.wallet, sale.condition_id, sale.token_id, sale.traded_at)]
    )

    assert before == {sale.trade_id: Decimal(120)}  # 100 + 50 - 30; the sale itself and later fills excluded


def test_the_source_is_selected_by_configuration(
    api: PublicApiEmulator, ch: Any, ch_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    cid, yes, no = condition_id(), token_id(), token_id()
    api.publish_market(cid, outcomes=[("Yes", yes), ("No", no)])
    insert_markets(ch, [MarketSeed(cid, "weather", yes, no)])
    api.publish_trade(LEADER, cid, outcome_index=1)
    env = {
        "EXECUTION_QUEUE_URL": "https://sqs.eu-west-1.amazonaws.com/123456789012/q.fifo",
        "DATABASE_URL": "postgresql://unused@127.0.0.1:1/x",
        "CLICKHOUSE_URL": ch_url,
        "TRADE_SOURCE": "data_api",
        "DATA_API_URL": api.data_url,
        "DATA_API_LOOKBACK_S": "900",
    }
    source = build_monitor_deps(env).source
    assert source.name == "data_api"
    # category, state and the outcome's token come from the ClickHouse markets dimension
    batch = source.fetch_new_trades([LEADER], datetime.now(UTC) - timedelta(minutes=5))
    assert [(t.category, t.outcome, t.token_id) for t in batch.trades] == [("weather", Outcome.NO, no)]
    assert build_monitor_deps({**env, "TRADE_SOURCE": "clickhouse"}).source.name == "clickhouse"


def test_one_wallet_that_cannot_be_read_does_not_stop_the_others(
    api: PublicApiEmulator, make_client: ClientFactory
) -> None:
    cid, info = _binary(api)
    now = int(api.clock.now())
    api.publish_trade(LEADER, cid, timestamp=now - 5)
    api.publish_trade(OTHER, cid, timestamp=now - 4)
    client = make_client(max_attempts=1)
    source = DataApiTradeSource(client, markets=Markets({cid: info}), clock=EmulatorWallClock(api.clock),
                                max_concurrency=1)  # fmt: skip
    api.faults.set(Fault.SERVER_ERROR, count=1)  # the first wallet read (LEADER, in address order) fails

    batch = source.fetch_new_trades([OTHER, LEADER], _now(api) - timedelta(minutes=5))

    assert {t.wallet for t in batch.trades} == {OTHER}
    again = source.fetch_new_trades([OTHER, LEADER], _now(api) - timedelta(minutes=5))
    assert {t.wallet for t in again.trades} == {LEADER, OTHER}  # read again inside the look-back
