"""ClickHouse as the trade source and the OWRR input source (clickhouse-connect, server-side params).

The SQL here is the contract with `infra/clickhouse`: the live monitor and the backtest both read
through these classes, so there is one implementation of "what a leader traded".
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Literal

from omegacopy.adapters.data_api_source import MarketInfo
from omegacopy.adapters.source_rows import parse_trade_row
from omegacopy.domain.models import InvalidTrade, LeaderTrade
from omegacopy.domain.owrr import LIFETIME_WINDOW, TOP_WALLETS_PER_SIDE, WalletMetric, WalletPosition
from omegacopy.ports import MarketOwrrInputs, SaleRef, SourceUnavailableError, TradeBatch


@dataclass(frozen=True, slots=True)
class TableNames:
    trades: str = "trades_raw"
    metrics: str = "wallet_metrics_by_category"
    markets: str = "markets"


# Wallets travel to ClickHouse as the UInt64 of their first 8 address bytes: the driver formats an
# integer array ~20x faster than it escapes 5,000 address strings character by character. Rows
# are then matched on the full address here, so a prefix collision can never leak a trade in.
_WALLET_KEY = "reinterpretAsUInt64(reverse(unhex(substring({col}, 3, 16))))"


def wallet_key(address: str) -> int:
    try:
        return int(address[2:18], 16)
    except ValueError:
        return 0


_NEW_TRADES = """
SELECT t.trade_id AS trade_id, t.wallet_address AS wallet_address, t.market_id AS market_id,
       t.token_id AS token_id, t.side AS side, t.action AS action, t.shares AS shares,
       t.entry_price AS entry_price, t.usd_value AS usd_value, t.block_time AS block_time,
       t.{arrival} AS ingested_at, m.condition_id IS NOT NULL AS market_known,
       m.category AS category, {closed} AS closed, m.neg_risk AS neg_risk
FROM {trades} AS t
LEFT JOIN (SELECT condition_id, category, closed, neg_risk{market_cols} FROM {markets} FINAL) AS m
       ON m.condition_id = t.market_id
WHERE t.{arrival} > {{since:DateTime64(3, 'UTC')}} AND {wallet_key} IN {{wallets:Array(UInt64)}}{until}
SETTINGS join_use_nulls = 1
"""

# The backtest's as-of bound (None live: the query text above is then exactly the live one). A replay
# tick sees only rows that had arrived by the tick, and a market counts as closed only if its row was
# written before the tick (`markets` keeps the latest state: a market resolved since would otherwise
# make every replayed trade on it a `market_closed` SKIP).
_UNTIL = "\n  AND t.{arrival} <= {{until:DateTime64(3, 'UTC')}}"
_CLOSED_UNTIL = "(m.closed AND m.updated_at <= {until:DateTime64(3, 'UTC')})"

# Shares a leader held in a token just before each sale: every earlier row of that wallet/token.
# The big side is pre-filtered by market (the table's sort key) and the sales are the join's
# right side, so the hash table is tiny.
_SHARES_BEFORE = """
SELECT s.trade_id AS trade_id,
       sumIf(t.shares, t.action = 'BUY') - sumIf(t.shares, t.action = 'SELL') AS before
FROM (
    SELECT wallet_address, token_id, action, shares, block_time FROM {trades}
    WHERE market_id IN {{markets:Array(String)}} AND wallet_address IN {{wallets:Array(String)}}
      AND token_id IN {{tokens:Array(String)}}
) AS t
INNER JOIN (
    SELECT tupleElement(z, 1) AS trade_id, tupleElement(z, 2) AS wallet, tupleElement(z, 3) AS token,
           tupleElement(z, 4) AS ts
    FROM (SELECT arrayJoin(arrayZip({{ids:Array(String)}}, {{wallets:Array(String)}},
          {{tokens:Array(String)}}, {{times:Array(DateTime64(3, 'UTC'))}})) AS z)
) AS s ON t.wallet_address = s.wallet AND t.token_id = s.token
WHERE t.block_time < s.ts
GROUP BY s.trade_id
"""

# OWRR step 1 for all markets at once: open buy rows per (market, side, wallet), top 20 by value.
_POSITIONS = """
SELECT market_id, side, wallet_address, sum(shares) AS total_shares,
       sum(shares * entry_price) / sum(shares) AS avg_entry, sum(usd_value) AS total_value
FROM {trades}
WHERE market_id IN {{markets:Array(String)}} AND is_closed = 0 AND action = 'BUY'{as_of}
GROUP BY market_id, side, wallet_address
ORDER BY market_id, side, total_value DESC, wallet_address
LIMIT {top} BY market_id, side
"""

_METRICS = """
SELECT wallet_address, category, `window`, metric_2_omega_net, metric_22_resolved_bets
FROM {metrics}
WHERE {wallet_key} IN {{wallets:Array(UInt64)}} AND category IN {{categories:Array(String)}}
  AND `window` = {{window:String}}
ORDER BY updated_at
"""


class ClickHouseTradeSource:
    """`until` (backtest only): read as of that instant. `arrival_column="block_time"` replays a table
    whose `ingested_at` is a backfill time, taking the block time as the moment a row arrived."""

    name = "clickhouse"

    def __init__(
        self,
        client: Any,
        tables: TableNames | None = None,
        *,
        until: datetime | None = None,
        arrival_column: Literal["ingested_at", "block_time"] = "ingested_at",
    ) -> None:
        self._client = client
        self._until = until
        t = tables or TableNames()
        self._new_trades = _NEW_TRADES.format(
            trades=t.trades,
            markets=t.markets,
            wallet_key=_WALLET_KEY.format(col="t.wallet_address"),
            arrival=arrival_column,
            closed="m.closed" if until is None else _CLOSED_UNTIL,
            market_cols="" if until is None else ", updated_at",
            until="" if until is None else _UNTIL.format(arrival=arrival_column),
        )
        self._shares_before = _SHARES_BEFORE.format(trades=t.trades)

    def fetch_new_trades(self, wallets: Sequence[str], since: datetime) -> TradeBatch:
        try:
            result = self._client.query(
                self._new_trades,
                parameters={
                    "wallets": sorted({wallet_key(w) for w in wallets}),
                    "since": since,
                    **({} if self._until is None else {"until": self._until}),
                },
            )
        except Exception as exc:
            raise SourceUnavailableError(f"clickhouse trade query failed: {type(exc).__name__}: {exc}") from exc
        trades: list[LeaderTrade] = []
        invalid: list[InvalidTrade] = []
        watermark: datetime | None = None
        watched = {w.lower() for w in wallets}
        for raw in result.named_results():
            if str(raw.get("wallet_address") or "").lower() not in watched:
                continue
            ingested = raw.get("ingested_at")
            if isinstance(ingested, datetime):
                # clickhouse-connect returns naive datetimes for UTC columns
                ingested = ingested if ingested.tzinfo else ingested.replace(tzinfo=UTC)
                watermark = ingested if watermark is None or ingested > watermark else watermark
            parsed = parse_trade_row(raw)
            (trades if isinstance(parsed, LeaderTrade) else invalid).append(parsed)  # type: ignore[arg-type]
        return TradeBatch(tuple(trades), tuple(invalid), watermark)

    def leader_shares_before(self, sales: Sequence[SaleRef]) -> dict[str, Decimal]:
        if not sales:
            return {}
        try:
            result = self._client.query(
                self._shares_before,
                parameters={
                    "ids": [s.trade_id for s in sales],
                    "wallets": [s.wallet for s in sales],
                    "tokens": [s.token_id for s in sales],
                    "times": [s.traded_at for s in sales],
                    "markets": sorted({s.condition_id for s in sales}),
                },
            )
        except Exception as exc:
            raise SourceUnavailableError(f"clickhouse position query failed: {type(exc).__name__}") from exc
        return {row[0]: Decimal(repr(float(row[1]))) for row in result.result_rows}


class ClickHouseOwrrInputs:
    """`as_of` (backtest only): open positions from rows traded by then (metrics stay the current ones)."""

    def __init__(self, client: Any, tables: TableNames | None = None, *, as_of: datetime | None = None) -> None:
        self._client = client
        self._as_of = as_of
        t = tables or TableNames()
        bound = "" if as_of is None else "\n  AND block_time <= {as_of:DateTime64(3, 'UTC')}"
        self._positions = _POSITIONS.format(trades=t.trades, top=TOP_WALLETS_PER_SIDE, as_of=bound)
        self._metrics = _METRICS.format(metrics=t.metrics, wallet_key=_WALLET_KEY.format(col="wallet_address"))

    def load(self, markets: Mapping[str, str]) -> dict[str, MarketOwrrInputs]:
        if not markets:
            return {}
        params: dict[str, Any] = {"markets": list(markets)}
        if self._as_of is not None:
            params["as_of"] = self._as_of
        rows = self._client.query(self._positions, parameters=params).result_rows
        positions: dict[str, list[WalletPosition]] = defaultdict(list)
        wallets: set[str] = set()
        for market_id, side, wallet, shares, avg_entry, value in rows:
            positions[market_id].append(WalletPosition(wallet, side, float(shares), float(avg_entry), float(value)))
            wallets.add(wallet)
        metrics_rows = []
        if wallets:
            metrics_rows = self._client.query(
                self._metrics,
                parameters={
                    "wallets": sorted({wallet_key(w) for w in wallets}),
                    "categories": sorted(set(markets.values())),
                    "window": LIFETIME_WINDOW,
                },
            ).result_rows
        # Index metrics by (wallet, category), keeping read order (docs/owrr.md: the last row read
        # counts), so each market gets only the rows of its own wallets.
        by_key: dict[tuple[str, str], list[WalletMetric]] = defaultdict(list)
        for w, c, win, omega, bets in metrics_rows:
            if w not in wallets:
                continue
            by_key[(w, c)].append(WalletMetric(w, c, win, omega, bets))
        out: dict[str, MarketOwrrInputs] = {}
        for cid, cat in markets.items():
            market_positions = tuple(positions.get(cid, ()))
            market_metrics = tuple(
                m for w in dict.fromkeys(p.wallet_address for p in market_positions) for m in by_key.get((w, cat), ())
            )
            out[cid] = MarketOwrrInputs(market_positions, market_metrics)
        return out


class ClickHouseMarketLookup:
    """The `markets` dimension as a `MarketLookup` for sources that carry no category (the Data API)."""

    def __init__(self, client: Any, tables: TableNames | None = None) -> None:
        self._client = client
        self._sql = (
            f"SELECT condition_id, category, closed, neg_risk FROM {(tables or TableNames()).markets} FINAL"  # noqa: S608
            " WHERE condition_id IN {ids:Array(String)}"
        )

    def __call__(self, condition_ids: Sequence[str]) -> dict[str, MarketInfo]:
        if not condition_ids:
            return {}
        rows = self._client.query(self._sql, parameters={"ids": sorted(set(condition_ids))}).result_rows
        return {
            cid: MarketInfo(category=cat or None, closed=bool(closed), neg_risk=bool(nr))
            for cid, cat, closed, nr in rows
        }
