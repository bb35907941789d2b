"""ClickHouse for the backtest: the live sources bounded to an instant, and the market history
(`book_snapshots`, `market_resolutions`, traded prices; DDL in infra/clickhouse/002_backtest.sql).

The optional tables may be missing (a ClickHouse the DDL never ran on): then there are no books
(the fill model uses the leader's price) and no resolutions.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, Literal

from omegacopy.adapters.clickhouse_source import ClickHouseOwrrInputs, ClickHouseTradeSource, TableNames
from omegacopy.adapters.clickhouse_track_records import ClickHouseTrackRecords
from omegacopy.domain.backtest import BookSnapshot, PricePoint, ResolvedMarket
from omegacopy.domain.clob_models import BookLevel
from omegacopy.domain.money import from_float


@dataclass(frozen=True, slots=True)
class HistoryTables:
    books: str = "book_snapshots"
    resolutions: str = "market_resolutions"


_BOOK = """
SELECT ts, side, price, size FROM {books}
WHERE token_id = {{token:String}} AND ts = (
    SELECT max(ts) FROM {books}
    WHERE token_id = {{token:String}} AND ts <= {{at:DateTime64(3, 'UTC')}} AND ts >= {{oldest:DateTime64(3, 'UTC')}}
)
ORDER BY side, price
"""

_RESOLUTIONS = """
SELECT condition_id, winning_token_id, resolved_at FROM {resolutions} FINAL
WHERE resolved_at >= {{start:DateTime64(3, 'UTC')}} AND resolved_at < {{end:DateTime64(3, 'UTC')}}
ORDER BY resolved_at, condition_id
"""

_PRICES = """
SELECT token_id, block_time, entry_price FROM {trades}
WHERE token_id IN {{tokens:Array(String)}}
  AND block_time >= {{start:DateTime64(3, 'UTC')}} AND block_time < {{end:DateTime64(3, 'UTC')}}
ORDER BY block_time, trade_id
"""


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _dec(value: Any) -> Decimal:
    return from_float(float(value))


class ClickHouseBacktest:
    """Both ports of the replay: `BacktestSources` and `MarketHistory`."""

    def __init__(
        self,
        client: Any,
        tables: TableNames | None = None,
        history: HistoryTables | None = None,
        *,
        arrival_column: Literal["ingested_at", "block_time"] = "ingested_at",
    ) -> None:
        self._client = client
        self._tables = tables or TableNames()
        self._history = history or HistoryTables()
        self._arrival: Literal["ingested_at", "block_time"] = arrival_column
        self._present: dict[str, bool] = {}

    # -- BacktestSources
    def trade_source(self, until: datetime) -> ClickHouseTradeSource:
        return ClickHouseTradeSource(self._client, self._tables, until=until, arrival_column=self._arrival)

    def owrr_inputs(self, as_of: datetime) -> ClickHouseOwrrInputs:
        return ClickHouseOwrrInputs(self._client, self._tables, as_of=as_of)

    def track_records(self) -> ClickHouseTrackRecords:
        return ClickHouseTrackRecords(self._client, self._tables)

    # -- MarketHistory
    def book_at(self, token_id: str, at: datetime, max_age_s: int) -> BookSnapshot | None:
        if not self._exists(self._history.books):
            return None
        rows = self._client.query(
            _BOOK.format(books=self._history.books),
            parameters={"token": token_id, "at": at, "oldest": at - timedelta(seconds=max_age_s)},
        ).result_rows
        if not rows:
            return None
        levels: dict[str, list[BookLevel]] = defaultdict(list)
        ts = _utc(rows[0][0])
        for _, side, price, size in rows:
            if float(size) > 0:
                levels[str(side).upper()].append(BookLevel(_dec(price), _dec(size)))
        bids = tuple(sorted(levels["BID"], key=lambda lv: lv.price, reverse=True))
        asks = tuple(sorted(levels["ASK"], key=lambda lv: lv.price))
        return BookSnapshot(token_id, ts, bids, asks)

    def resolutions(self, start: datetime, end: datetime) -> list[ResolvedMarket]:
        if not self._exists(self._history.resolutions):
            return []
        rows = self._client.query(
            _RESOLUTIONS.format(resolutions=self._history.resolutions), parameters={"start": start, "end": end}
        ).result_rows
        return [ResolvedMarket(str(cid), str(token), _utc(at)) for cid, token, at in rows]

    def price_points(self, token_ids: Sequence[str], start: datetime, end: datetime) -> list[PricePoint]:
        if not token_ids:
            return []
        rows = self._client.query(
            _PRICES.format(trades=self._tables.trades),
            parameters={"tokens": sorted(set(token_ids)), "start": start, "end": end},
        ).result_rows
        return [PricePoint(str(token), _utc(at), _dec(price)) for token, at, price in rows]

    def _exists(self, table: str) -> bool:
        if table not in self._present:
            self._present[table] = bool(self._client.command(f"EXISTS TABLE {table}"))
        return self._present[table]

    def window_rows(self, wallets: Sequence[str], start: datetime, end: datetime) -> tuple[int, int]:
        """(rows of these wallets traded in the window, of which arrived in it): a replay by arrival time
        of a backfilled table sees none of them, and the operator should be told."""
        if not wallets:
            return 0, 0
        row = self._client.query(
            f"SELECT count(), countIf(ingested_at >= {{start:DateTime64(3, 'UTC')}}"  # noqa: S608 - table name
            f" AND ingested_at < {{end:DateTime64(3, 'UTC')}}) FROM {self._tables.trades}"
            " WHERE lower(wallet_address) IN {wallets:Array(String)}"
            " AND block_time >= {start:DateTime64(3, 'UTC')} AND block_time < {end:DateTime64(3, 'UTC')}",
            parameters={"wallets": sorted({w.lower() for w in wallets}), "start": start, "end": end},
        ).result_rows[0]
        return int(row[0]), int(row[1])
