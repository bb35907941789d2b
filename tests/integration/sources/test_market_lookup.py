"""The monitor's market lookup: the ClickHouse dimension, and Gamma (the emulator over HTTP) for a
market the indexer has not seen yet."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from omegacopy.adapters.clickhouse_source import ClickHouseMarketLookup
from omegacopy.adapters.data_api_source import DataApiTradeSource
from omegacopy.adapters.market_lookup import GammaBackedMarketLookup
from omegacopy.devstack.public_api import Fault, PublicApiEmulator
from omegacopy.devstack.seed import MarketSeed, insert_markets
from omegacopy.domain.models import Outcome
from tests.integration.public_api.conftest import ClientFactory
from tests.support.public_api import EmulatorWallClock, condition_id, token_id

LEADER = "0x" + "ab" * 20


def test_a_market_the_dimension_lacks_comes_from_gamma(api: PublicApiEmulator, make_client: ClientFactory,
                                                       ch: Any) -> None:  # fmt: skip
    known, new = condition_id(), condition_id()
    yes, no, up, down = token_id(), token_id(), token_id(), token_id()
    api.publish_market(known, outcomes=[("Yes", yes), ("No", no)], category="Politics")
    insert_markets(ch, [MarketSeed(known, "politics", yes, no)])
    api.publish_market(new, outcomes=[("Up", up), ("Down", down)], category="Crypto", neg_risk=True)
    client = make_client()
    lookup = GammaBackedMarketLookup(ClickHouseMarketLookup(ch), client)

    found = lookup([known, new.upper().replace("0X", "0x")])

    assert found[known].category == "politics"
    info = found[new]
    assert (info.category, info.closed, info.neg_risk, info.yes_token_id, info.no_token_id) == (
        "crypto", False, True, up, down,
    )  # fmt: skip
    assert api.requests("/markets/keyset") >= 1
    before = api.requests("/markets/keyset")
    lookup([known])  # everything known: Gamma is not asked
    assert api.requests("/markets/keyset") == before


def test_gamma_down_leaves_the_market_unknown_without_failing_the_tick(
    api: PublicApiEmulator, make_client: ClientFactory, ch: Any
) -> None:
    cid, yes, no = condition_id(), token_id(), token_id()
    api.publish_market(cid, outcomes=[("Yes", yes), ("No", no)], category="sports")
    api.publish_trade(LEADER, cid, outcome_index=0, timestamp=int(api.clock.now()) - 5)
    api.faults.set(Fault.DOWN, host="gamma")
    client = make_client(max_attempts=1)
    source = DataApiTradeSource(client, markets=GammaBackedMarketLookup(ClickHouseMarketLookup(ch), client),
                                clock=EmulatorWallClock(api.clock))  # fmt: skip

    batch = source.fetch_new_trades([LEADER], datetime.fromtimestamp(api.clock.now(), UTC) - timedelta(minutes=5))

    assert batch.trades == ()
    assert [b.detail for b in batch.invalid] == [f"unknown market {cid}"]

    api.faults.clear()
    again = source.fetch_new_trades([LEADER], datetime.fromtimestamp(api.clock.now(), UTC) - timedelta(minutes=5))
    assert [(t.category, t.outcome) for t in again.trades] == [("sports", Outcome.YES)]
