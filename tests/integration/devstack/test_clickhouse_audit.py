"""The local run's proof that only the indexer wrote ClickHouse: rows stamped outside the indexer's
passes, and any row of a table the indexer does not write, are found (the real schema, chDB)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from omegacopy.devstack.clickhouse_audit import WRITE_STAMPS, rows_outside, table_rows
from omegacopy.devstack.seed import MarketSeed, TradeSeed, insert_markets, insert_trades

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
PASSES = [(T0, T0 + timedelta(seconds=2)), (T0 + timedelta(minutes=1), T0 + timedelta(minutes=1, seconds=1))]
MARKET = MarketSeed("0x" + "ab" * 32, "politics", "1", "2")


def trade(trade_id: str, ingested_at: datetime) -> TradeSeed:
    return TradeSeed(trade_id, "0x" + "a1" * 20, MARKET, block_time=ingested_at, ingested_at=ingested_at)


def test_rows_written_inside_a_pass_are_the_indexers(ch: Any) -> None:
    assert set(table_rows(ch).values()) == {0}  # the schema, and nothing in it
    insert_trades(ch, [trade("t1", T0 + timedelta(milliseconds=1500)), trade("t2", PASSES[1][1])])
    assert table_rows(ch)["trades_raw"] == 2
    assert set(rows_outside(ch, PASSES).values()) == {0}


def test_a_row_stamped_outside_every_pass_is_found(ch: Any) -> None:
    insert_trades(ch, [trade("inside", T0 + timedelta(seconds=1)), trade("between", T0 + timedelta(seconds=30)),
                       trade("after", T0 + timedelta(hours=1))])  # fmt: skip
    assert rows_outside(ch, PASSES)["trades_raw"] == 2
    assert rows_outside(ch, [])["trades_raw"] == 3  # no pass ran: every row is someone else's


def test_a_writer_that_does_not_stamp_its_rows_is_found(ch: Any) -> None:
    # the old direct seeding: `markets.updated_at` left to its default, the time of the insert
    insert_markets(ch, [MARKET])
    assert rows_outside(ch, PASSES)["markets"] == 1


def test_every_row_of_a_table_the_indexer_does_not_write_counts(ch: Any) -> None:
    assert "book_snapshots" not in WRITE_STAMPS
    ch.insert("book_snapshots", [["1", T0, "BID", 0.5, 10.0]], column_names=["token_id", "ts", "side", "price", "size"])
    assert rows_outside(ch, PASSES)["book_snapshots"] == 1
