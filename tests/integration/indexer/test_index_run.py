"""The indexer pass against the real ClickHouse and PostgreSQL (the public API in memory here; the
client itself is tested against the emulator over HTTP)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from omegacopy.adapters.clickhouse_index_store import ClickHouseIndexStore
from omegacopy.adapters.clickhouse_source import ClickHouseOwrrInputs
from omegacopy.adapters.pg_index_books import PgIndexBooks
from omegacopy.app.index_run import IndexDeps, run_index
from omegacopy.devstack.seed import StrategySeed, insert_strategies
from omegacopy.domain.owrr import compute_owrr
from omegacopy.domain.public_data import HolderPosition, InvalidRecord, PositionStatus, PublicPosition, PublicTrade
from omegacopy.domain.wallet_metrics import OMEGA_CAP
from omegacopy.ports import Checkpoint

from .conftest import LEADER, NOW, OPEN_MARKET, IndexerWorld, closed_position, market, trade

YES_HOLDERS = [f"0x{'c' * 39}{i}" for i in range(4)]
NO_HOLDERS = [f"0x{'d' * 39}{i}" for i in range(4)]


def seed_market_with_voters(world: IndexerWorld) -> None:
    """An open politics market, 7 leader fills in it, 4 YES and 4 NO holders with 12 resolved
    politics positions each: YES holders won 9 x $50 and lost 3 x $25 (omega 6), NO holders won
    and lost 6 x $10 (omega 1)."""
    data = world.data
    m = market(OPEN_MARKET, "politics")
    data.markets_by_id[m.condition_id] = m
    data.trades.extend(trade(i, m) for i in range(7))
    history = [market(f"0x{i + 100:064x}", "politics", winner=i % 2) for i in range(12)]
    data.markets_by_id.update({h.condition_id: h for h in history})
    for wallet in YES_HOLDERS + NO_HOLDERS:
        for j, h in enumerate(history):
            won = j < 9 if wallet in YES_HOLDERS else j % 2 == 0
            pnl = ("50" if won else "-25") if wallet in YES_HOLDERS else ("10" if won else "-10")
            data.positions.append(closed_position(wallet, h, 0, pnl, NOW - timedelta(days=30 - j)))
    holders = [HolderPosition(m.condition_id, m.outcomes[0].token_id, 0, w, Decimal("1000"), Decimal("0.6"))
               for w in YES_HOLDERS]  # fmt: skip
    holders += [HolderPosition(m.condition_id, m.outcomes[1].token_id, 1, w, Decimal("300"), Decimal("0.4"))
                for w in NO_HOLDERS]  # fmt: skip
    holders.append(HolderPosition(m.condition_id, m.outcomes[0].token_id, 0, LEADER, Decimal("700"), Decimal("0.55")))
    data.holders_by_market[m.condition_id] = holders
    data.positions.append(PublicPosition(LEADER, m.condition_id, m.outcomes[0].token_id, 0, PositionStatus.OPEN,
                                         Decimal("700"), Decimal("0.55"), Decimal("700"), Decimal("0"), Decimal("0"),
                                         Decimal("0"), NOW - timedelta(minutes=1)))  # fmt: skip


def test_a_pass_fills_every_table_the_monitor_reads(indexer_world: IndexerWorld) -> None:
    seed_market_with_voters(indexer_world)
    summary = indexer_world.run()

    assert summary.status == "ok"
    assert summary.trades_written == 7 and indexer_world.count("trades_raw") == 7
    assert summary.holder_markets == 1 and summary.holders_written == 9
    assert summary.metric_wallets == 9  # 8 voters + the leader
    store = ClickHouseIndexStore(indexer_world.ch)
    stored = store.stored_markets([OPEN_MARKET])[OPEN_MARKET].market
    assert stored == indexer_world.data.markets_by_id[OPEN_MARKET]

    by_key = {(m.category, m.window): m for m in store.wallet_metric_rows(YES_HOLDERS[0])}
    assert by_key[("politics", "lifetime")].omega_net == Decimal("6.0000")
    assert by_key[("politics", "lifetime")].resolved_bets == 12
    assert by_key[("politics", "lifetime")].gains_usd == Decimal("450")
    assert by_key[("politics", "lifetime")].losses_usd == Decimal("75")
    assert {m.category for m in store.wallet_metric_rows(LEADER)} == {"politics", "overall"}

    # OWRR now has real inputs: the newest holder snapshot, our own omega
    inputs = ClickHouseOwrrInputs(indexer_world.ch, positions_from="holders").load({OPEN_MARKET: "politics"})
    market_inputs = inputs[OPEN_MARKET]
    result = compute_owrr("politics", market_inputs.positions, market_inputs.metrics)
    assert (result.yes_qualified, result.no_qualified) == (4, 4)  # the leader has no resolved bets: no vote
    assert result.slider == 90


def test_a_second_pass_writes_nothing(indexer_world: IndexerWorld) -> None:
    seed_market_with_voters(indexer_world)
    indexer_world.run()
    before = {
        t: indexer_world.count(t) for t in ("trades_raw", "markets", "market_holders", "wallet_metrics_by_category")
    }
    indexer_world.clock.at += timedelta(seconds=60)
    again = indexer_world.run()

    assert (again.trades_written, again.markets_written, again.holders_written, again.metric_rows_written) == (
        0,
        0,
        0,
        0,
    )
    after = {t: indexer_world.count(t) for t in before}
    assert after == before
    assert indexer_world.data.calls["holders"] == 1  # fresh within holders_max_age_s: not re-read


class CountingStore(ClickHouseIndexStore):
    """The real store, counting the rows of each positions insert."""

    def __init__(self, client: Any) -> None:
        super().__init__(client)
        self.position_inserts: list[int] = []
        self.trade_inserts: list[int] = []

    def write_positions(self, positions: Sequence[PublicPosition], at: datetime) -> int:
        self.position_inserts.append(len(positions))
        return super().write_positions(positions, at)

    def write_trades(self, trades: Sequence[PublicTrade], ingested_at: datetime) -> int:
        self.trade_inserts.append(len(trades))
        return super().write_trades(trades, ingested_at)


def test_the_rows_of_many_wallets_go_in_one_insert(indexer_world: IndexerWorld) -> None:
    seed_market_with_voters(indexer_world)
    second = "0x" + "a2" * 20
    insert_strategies(indexer_world.pg, [StrategySeed("s2", "w-follower", [second])])
    m = indexer_world.data.markets_by_id[OPEN_MARKET]
    indexer_world.data.trades.extend(trade(20 + i, m, wallet=second) for i in range(3))
    store = CountingStore(indexer_world.ch)
    books = PgIndexBooks(indexer_world.pg_url)
    try:
        deps = IndexDeps(indexer_world.data, store, books, indexer_world.clock, indexer_world.settings)
        summary = run_index(deps, "run-batched")
    finally:
        books.close()

    assert store.trade_inserts == [7 + 3] and summary.trade_wallets_done == 2  # one insert, not one per wallet
    wallets = [*YES_HOLDERS, *NO_HOLDERS, LEADER]
    assert summary.positions_written == 8 * 12 + 1 == indexer_world.count("wallet_positions")
    assert store.position_inserts == [summary.positions_written]
    books = PgIndexBooks(indexer_world.pg_url)
    try:
        fetched = books.checkpoints("positions", wallets)
        indexed = books.checkpoints("trades", [LEADER, second])
    finally:
        books.close()
    assert {w: m.refreshed_at for w, m in fetched.items()} == dict.fromkeys(wallets, NOW)
    assert {w: (m.watermark is not None, m.cursor) for w, m in indexed.items()} == {
        LEADER: (True, None),
        second: (True, None),
    }


def test_two_equal_fills_of_one_transaction_are_both_kept(indexer_world: IndexerWorld) -> None:
    m = market(OPEN_MARKET, "politics")
    indexer_world.data.markets_by_id[m.condition_id] = m
    a = trade(1, m)
    b = trade(1, m)
    object.__setattr__(b, "trade_id", "t0001#1")  # the client's ordinal tells them apart
    indexer_world.data.trades.extend([a, b])
    assert indexer_world.run().trades_written == 2


def test_a_trade_published_late_is_indexed_once_on_the_next_pass(indexer_world: IndexerWorld) -> None:
    seed_market_with_voters(indexer_world)
    indexer_world.run()
    m = indexer_world.data.markets_by_id[OPEN_MARKET]
    # traded 10 minutes before the newest indexed fill, published only now: inside the look-back
    late = trade(50, m, at=NOW - timedelta(minutes=64))
    indexer_world.data.trades.append(late)
    indexer_world.clock.at += timedelta(minutes=5)
    summary = indexer_world.run()
    assert summary.trades_written == 1
    ids = [t.trade_id for t in ClickHouseIndexStore(indexer_world.ch).wallet_trades(LEADER)]
    assert ids.count("t0050") == 1 and len(ids) == 8


def test_a_pass_out_of_budget_resumes_where_it_stopped(indexer_world: IndexerWorld) -> None:
    seed_market_with_voters(indexer_world)
    indexer_world.data.budget = 2  # two pages of three fills, then nothing
    first = indexer_world.run()
    assert first.status == "budget"
    assert first.trades_written == 6
    mark = PgIndexBooks(indexer_world.pg_url).checkpoints("trades", [LEADER])[LEADER]
    assert mark.cursor == "6" and mark.watermark is None  # not complete: no watermark yet

    indexer_world.data.budget = None
    second = indexer_world.run()
    assert second.status == "ok"
    assert second.trades_written == 1
    assert indexer_world.count("trades_raw") == 7
    mark = PgIndexBooks(indexer_world.pg_url).checkpoints("trades", [LEADER])[LEADER]
    assert mark.cursor is None and mark.watermark is not None


def test_rejected_rows_are_recorded_with_their_reason(indexer_world: IndexerWorld) -> None:
    seed_market_with_voters(indexer_world)
    indexer_world.data.invalid_trades.append(InvalidRecord("data_api.trades", f"{LEADER}:0xbad", "price: above 1"))
    summary = indexer_world.run()
    assert summary.rejected_rows == 1
    rows = indexer_world.pg.execute("SELECT source, key, reason, times_seen FROM public_data_rejects").fetchall()
    assert rows == [("data_api.trades", f"{LEADER}:0xbad", "price: above 1", 1)]
    indexer_world.clock.at += timedelta(minutes=1)
    indexer_world.run()
    assert indexer_world.pg.execute("SELECT times_seen FROM public_data_rejects").fetchone() == (2,)


def test_a_never_losing_voter_gets_the_cap(indexer_world: IndexerWorld) -> None:
    seed_market_with_voters(indexer_world)
    winner = YES_HOLDERS[1]
    indexer_world.data.positions = [p for p in indexer_world.data.positions if p.wallet != winner or p.realized_pnl > 0]
    indexer_world.run()
    rows = {(m.category, m.window): m for m in ClickHouseIndexStore(indexer_world.ch).wallet_metric_rows(winner)}
    assert rows[("politics", "lifetime")].omega_net == OMEGA_CAP


def test_resolution_of_an_open_market_is_picked_up_when_its_row_is_due(indexer_world: IndexerWorld) -> None:
    seed_market_with_voters(indexer_world)
    indexer_world.run()
    resolved = market(OPEN_MARKET, "politics", winner=0, days_ago=0)
    indexer_world.data.markets_by_id[OPEN_MARKET] = resolved
    indexer_world.clock.at += timedelta(seconds=indexer_world.settings.market_max_age_s + 1)
    indexer_world.run()
    stored = ClickHouseIndexStore(indexer_world.ch).stored_markets([OPEN_MARKET])[OPEN_MARKET].market
    assert stored.resolution is not None and stored.resolution.winning_index == 0 and stored.closed
    winners = indexer_world.ch.query(
        "SELECT winning_token_id FROM market_resolutions FINAL WHERE condition_id = {c:String}",
        parameters={"c": OPEN_MARKET},
    ).result_rows
    assert winners == [(resolved.outcomes[0].token_id,)]


def test_checkpoints_round_trip(indexer_world: IndexerWorld) -> None:
    books = PgIndexBooks(indexer_world.pg_url)
    books.save_checkpoint("trades", LEADER, Checkpoint(NOW, "abc", NOW))
    books.save_checkpoint("trades", LEADER, Checkpoint(NOW, None, NOW + timedelta(seconds=1)))
    assert books.checkpoints("trades", [LEADER, "0xother"]) == {
        LEADER: Checkpoint(NOW, None, NOW + timedelta(seconds=1))
    }


def test_only_one_pass_runs_at_a_time(indexer_world: IndexerWorld) -> None:
    first, second = PgIndexBooks(indexer_world.pg_url), PgIndexBooks(indexer_world.pg_url)
    assert first.start_run("a", NOW)
    assert not second.start_run("b", NOW)
    first.finish_run("a", "ok", {}, NOW)
    assert second.start_run("b", NOW)
    second.finish_run("b", "ok", {}, NOW)
