"""Ticks of the real handler reading leader trades from the Data API (the public-API emulator)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from omegacopy.devstack.public_api import PublicApiEmulator, start_public_api
from omegacopy.devstack.seed import MarketSeed, insert_markets
from tests.integration.monitor.conftest import LEADER, MonitorWorld
from tests.support.public_api import condition_id, token_id

MANUAL: dict[str, Any] = {}  # a manual invoke: every tick gets its own id


@pytest.fixture
def api() -> Iterator[PublicApiEmulator]:
    with start_public_api() as running:
        yield running


def test_a_trade_published_late_is_decided_once(
    world: MonitorWorld, invoke: Any, api: PublicApiEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    cid, yes, no = condition_id(), token_id(), token_id()
    api.publish_market(cid, outcomes=[("Yes", yes), ("No", no)], category="Politics")
    insert_markets(world.ch, [MarketSeed(cid, "politics", yes, no)])
    monkeypatch.setenv("TRADE_SOURCE", "data_api")
    monkeypatch.setenv("DATA_API_URL", api.data_url)
    now = int(api.clock.now())
    on_time = api.publish_trade(LEADER, cid, outcome_index=0, size=50, price="0.6", timestamp=now - 10)

    assert invoke(MANUAL)["status"] == "ok"
    # published after that tick moved the cursor past its time (and past the overlap): a late trade
    late = api.publish_trade(LEADER, cid, outcome_index=1, size=20, price="0.3", timestamp=now - 400)
    assert invoke(MANUAL)["status"] == "ok"
    assert invoke(MANUAL)["status"] == "ok"

    signals = world.signals()
    per_trade = Counter(s["source_trade_id"] for s in signals)
    # two strategies follow the leader: one signal each per trade, over three ticks
    assert sorted(per_trade.values()) == [2, 2]
    assert len({(s["strategy_id"], s["source_trade_id"]) for s in signals}) == 4
    assert on_time["timestamp"] > late["timestamp"]
    reasons = {s["reason_code"] for s in signals if s["strategy_id"] == "s-sports"}
    assert reasons == {"category_not_tracked"}  # the politics market came through the dimension
