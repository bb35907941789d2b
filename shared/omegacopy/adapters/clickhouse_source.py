"""ClickHouse as the trade source and the OWRR input source (clickhouse-connect, server-side params).

The SQL here is the contract with `infra/clickhouse`: the live monitor and the backtest both read
through these classes, so there is one implementation of "what a leader traded".

Every row read is validated as one leader trade is (`adapters.source_rows`): new trades and the
history behind a sale row by row in Python, the rows OWRR aggregates by the same rules in SQL. Rows
that arrived after now + the allowed skew are not read at all: they wait for their time, so a row
from the future can neither be decided early nor move the cursor past rows still to come.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, Literal

from omegacopy.adapters.clock import SystemClock
from omegacopy.adapters.consensus_rows import parse_metrics, parse_positions
from omegacopy.adapters.data_api_source import MarketInfo
from omegacopy.adapters.source_rows import invalid_reason_sql, parse_trade_row
from omegacopy.domain.models import InvalidTrade, LeaderTrade, TradeAction
from omegacopy.domain.owrr import LIFETIME_WINDOW, TOP_WALLETS_PER_SIDE, WalletMetric
from omegacopy.domain.public_data import InvalidRecord
from omegacopy.observability import logger, metrics
from omegacopy.ports import Clock, MarketOwrrInputs, SaleRef, SourceUnavailableError, TradeBatch

DEFAULT_FUTURE_SKEW_S = 30


@dataclass(frozen=True, slots=True)
class TableNames:
    trades: str = "trades_raw"
    metrics: str = "wallet_metrics_by_category"
    markets: str = "markets"
    holders: str = "market_holders"


# Wallets travel to ClickHouse as the UInt64 of their first 8 address bytes: the driver formats an
# integer array ~20x faster than it escapes 5,000 address strings character by character. Rows
# are then matched on the full address here, so a prefix collision can never leak a trade in.
# (unhex reads hex in either case, so a mixed-case address finds its wallet.)
_WALLET_KEY = "reinterpretAsUInt64(reverse(unhex(substring({col}, 3, 16))))"


def wallet_key(address: str) -> int:
    try:
        return int(address[2:18], 16)
    except ValueError:
        return 0


# One leader trade row joined with its market: the columns `source_rows.TradeRow` validates.
_TRADE_COLUMNS = """t.trade_id AS trade_id, t.wallet_address AS wallet_address, t.market_id AS market_id,
       t.token_id AS token_id, t.side AS side, t.action AS action, t.shares AS shares,
       t.entry_price AS entry_price, t.usd_value AS usd_value, t.block_time AS block_time,
       t.{arrival} AS ingested_at, m.condition_id IS NOT NULL AS market_known,
       m.yes_token_id AS yes_token_id, m.no_token_id AS no_token_id,
       m.category AS category, {closed} AS closed, m.neg_risk AS neg_risk"""
_MARKETS = (
    "SELECT condition_id, category, closed, neg_risk, yes_token_id, no_token_id{market_cols} FROM {markets} FINAL"
)

# `until` is now + skew live, the replayed tick in a backtest: a row arrives when its arrival time
# has come, never earlier.
_NEW_TRADES = f"""
SELECT {_TRADE_COLUMNS}
FROM {{trades}} AS t
LEFT JOIN ({_MARKETS}) AS m
       ON m.condition_id = t.market_id
WHERE t.{{arrival}} > {{{{since:DateTime64(3, 'UTC')}}}} AND t.{{arrival}} <= {{{{until:DateTime64(3, 'UTC')}}}}
  AND {{wallet_key}} IN {{{{wallets:Array(UInt64)}}}}
SETTINGS join_use_nulls = 1
"""  # noqa: S608 - constants; values travel as server-side parameters

# The backtest's as-of market state: a market counts as closed only if its row was written before
# the tick (`markets` keeps the latest state: a market resolved since would otherwise make every
# replayed trade on it a `market_closed` SKIP).
_CLOSED_UNTIL = "(m.closed AND m.updated_at <= {until:DateTime64(3, 'UTC')})"

# Every row of the sellers' wallet/token pairs before the latest sale, validated in Python like a new
# trade: a corrupt old row must neither stop the tick nor size an exit.
_HISTORY = f"""
SELECT {_TRADE_COLUMNS}
FROM {{trades}} AS t
LEFT JOIN ({_MARKETS} WHERE condition_id IN {{{{markets:Array(String)}}}}) AS m
       ON m.condition_id = t.market_id
WHERE t.market_id IN {{{{markets:Array(String)}}}} AND lower(t.wallet_address) IN {{{{wallets:Array(String)}}}}
  AND t.token_id IN {{{{tokens:Array(String)}}}} AND t.block_time < {{{{before:DateTime64(3, 'UTC')}}}}
SETTINGS join_use_nulls = 1
"""  # noqa: S608 - constants; values travel as server-side parameters

# OWRR inputs: the open BUY rows of the touched markets that pass the trade-row rules, summed per
# (market, side, wallet) with sides and addresses compared case-insensitively, top 20 by value.
_CONSENSUS_ROWS = """FROM {trades} AS t
LEFT JOIN (SELECT condition_id, yes_token_id, no_token_id FROM {markets} FINAL
           WHERE condition_id IN {{markets:Array(String)}}) AS m
       ON m.condition_id = t.market_id
WHERE t.market_id IN {{markets:Array(String)}} AND t.is_closed = 0{as_of}"""

_POSITIONS = """
SELECT market_id, side, wallet_address, sum(shares) AS total_shares,
       sum(shares * entry_price) / sum(shares) AS weighted_avg_entry_price, sum(usd_value) AS total_position_value
FROM (
    SELECT t.market_id AS market_id, upper(t.side) AS side, lower(t.wallet_address) AS wallet_address,
           t.shares AS shares, t.entry_price AS entry_price, t.usd_value AS usd_value
    {rows} AND upper(t.action) = 'BUY' AND {reason} = ''
)
GROUP BY market_id, side, wallet_address
ORDER BY market_id, side, total_position_value DESC, wallet_address
LIMIT {top} BY market_id, side
SETTINGS join_use_nulls = 1
"""

# The rows the query above left out, by market and reason (counted, and logged once per tick).
_REJECTED = """
SELECT t.market_id AS market_id, {reason} AS reason, count() AS n, any(t.trade_id) AS example
{rows} AND reason != ''
GROUP BY market_id, reason
SETTINGS join_use_nulls = 1
"""

# The holders of each market's newest snapshot, one row each (validated in Python like any consensus
# row): what the largest holders hold now, leaders included, whatever history was indexed.
_HOLDER_ROWS = """
SELECT condition_id AS market_id, side, wallet_address, shares AS total_shares,
       avg_price AS weighted_avg_entry_price, shares * avg_price AS total_position_value
FROM {holders} FINAL
WHERE condition_id IN {{markets:Array(String)}}
  AND (condition_id, snapshot_at) IN (
      SELECT condition_id, max(snapshot_at) FROM {holders}
      WHERE condition_id IN {{markets:Array(String)}} GROUP BY condition_id)
ORDER BY market_id, side, total_position_value DESC, wallet_address
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
    whose `ingested_at` is a backfill time, taking the block time as the moment a row arrived.

    Live, rows are read up to `clock.now() + future_skew_s` (by arrival, and trade times beyond it
    are invalid rows)."""

    name = "clickhouse"

    def __init__(
        self,
        client: Any,
        tables: TableNames | None = None,
        *,
        until: datetime | None = None,
        arrival_column: Literal["ingested_at", "block_time"] = "ingested_at",
        clock: Clock | None = None,
        future_skew_s: int = DEFAULT_FUTURE_SKEW_S,
    ) -> None:
        self._client = client
        self._until = until
        self._clock = clock or SystemClock()
        self._skew = timedelta(seconds=future_skew_s)
        t = tables or TableNames()
        self._new_trades = _NEW_TRADES.format(
            trades=t.trades,
            markets=t.markets,
            wallet_key=_WALLET_KEY.format(col="t.wallet_address"),
            arrival=arrival_column,
            closed="m.closed" if until is None else _CLOSED_UNTIL,
            market_cols="" if until is None else ", updated_at",
        )
        self._history = _HISTORY.format(
            trades=t.trades, markets=t.markets, arrival=arrival_column, closed="m.closed", market_cols=""
        )

    def _not_after(self) -> datetime:
        return self._until if self._until is not None else self._clock.now() + self._skew

    def fetch_new_trades(self, wallets: Sequence[str], since: datetime) -> TradeBatch:
        not_after = self._not_after()
        try:
            result = self._client.query(
                self._new_trades,
                parameters={"wallets": sorted({wallet_key(w) for w in wallets}), "since": since, "until": not_after},
            )
        except Exception as exc:
            raise SourceUnavailableError(f"clickhouse trade query failed: {type(exc).__name__}") from None
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
            parsed = parse_trade_row(raw, not_after=not_after)
            (trades if isinstance(parsed, LeaderTrade) else invalid).append(parsed)  # type: ignore[arg-type]
        return TradeBatch(tuple(trades), tuple(invalid), watermark)

    def leader_shares_before(self, sales: Sequence[SaleRef]) -> dict[str, Decimal]:
        """Shares the leader held in the token before each sale: BUY minus SELL of the valid rows
        strictly earlier (invalid rows are left out, as they were never copied either)."""
        if not sales:
            return {}
        not_after = self._not_after()
        try:
            result = self._client.query(
                self._history,
                parameters={
                    "markets": sorted({s.condition_id for s in sales}),
                    "wallets": sorted({s.wallet.lower() for s in sales}),
                    "tokens": sorted({s.token_id for s in sales}),
                    "before": max(s.traded_at for s in sales),
                },
            )
        except Exception as exc:
            raise SourceUnavailableError(f"clickhouse position query failed: {type(exc).__name__}") from None
        history: dict[tuple[str, str], dict[str, LeaderTrade]] = defaultdict(dict)
        rejected: Counter[str] = Counter()
        for raw in result.named_results():
            parsed = parse_trade_row(raw, not_after=not_after)
            if isinstance(parsed, InvalidTrade):
                rejected[parsed.detail] += 1
                continue
            history[(parsed.wallet, parsed.token_id)].setdefault(parsed.trade_id, parsed)  # a duplicate row counts once
        if rejected:
            _report_rejected("InvalidHistoryRows", "leader history rows left out of exits", rejected)
        out: dict[str, Decimal] = {}
        for sale in sales:
            earlier = [
                t
                for t in history.get((sale.wallet.lower(), sale.token_id), {}).values()
                if t.traded_at < sale.traded_at and t.trade_id != sale.trade_id
            ]
            if earlier:
                out[sale.trade_id] = sum(
                    (t.shares if t.action is TradeAction.BUY else -t.shares for t in earlier), Decimal(0)
                )
        return out


class ClickHouseOwrrInputs:
    """Open positions from the indexer's holder snapshots (`positions_from="holders"`, live) or from
    the open BUY rows of `trades_raw` (an external indexer's contract, and the backtest).

    `as_of` (backtest only, trades): open positions from rows traded by then (metrics stay the current
    ones). Live, a row traded after `clock.now() + future_skew_s` is rejected like any invalid row."""

    def __init__(
        self,
        client: Any,
        tables: TableNames | None = None,
        *,
        as_of: datetime | None = None,
        positions_from: Literal["trades", "holders"] = "trades",
        clock: Clock | None = None,
        future_skew_s: int = DEFAULT_FUTURE_SKEW_S,
    ) -> None:
        self._client = client
        self._as_of = as_of
        self._clock = clock or SystemClock()
        self._skew = timedelta(seconds=future_skew_s)
        t = tables or TableNames()
        self._rejected: str | None
        if positions_from == "holders":
            # one row per holder of the newest snapshot, each validated in Python (no SQL sum a bad
            # row could poison); OWRR itself keeps the top 20 per side
            self._positions = _HOLDER_ROWS.format(holders=t.holders)
            self._rejected = None
            self._source = f"clickhouse.{t.holders}"
        else:
            bound = "" if as_of is None else "\n  AND t.block_time <= {as_of:DateTime64(3, 'UTC')}"
            rows = _CONSENSUS_ROWS.format(trades=t.trades, markets=t.markets, as_of=bound)
            reason = invalid_reason_sql("t", "m")
            self._positions = _POSITIONS.format(rows=rows, reason=reason, top=TOP_WALLETS_PER_SIDE)
            self._rejected = _REJECTED.format(rows=rows, reason=reason)
            self._source = f"clickhouse.{t.trades}"
        self._metrics = _METRICS.format(metrics=t.metrics, wallet_key=_WALLET_KEY.format(col="wallet_address"))
        self._metrics_source = f"clickhouse.{t.metrics}"

    def load(self, markets: Mapping[str, str]) -> dict[str, MarketOwrrInputs]:
        if not markets:
            return {}
        params: dict[str, Any] = {"markets": list(markets)}
        params["not_after"] = self._as_of if self._as_of is not None else self._clock.now() + self._skew
        if self._as_of is not None:
            params["as_of"] = self._as_of
        positions = parse_positions(self._client.query(self._positions, parameters=params).named_results(),
                                    source=self._source)  # fmt: skip
        rejected: dict[str, list[InvalidRecord]] = defaultdict(list)
        for market_id, row in positions.rejected:
            rejected[market_id].append(row)
        if self._rejected is not None:
            for market_id, reason, n, example in self._client.query(self._rejected, parameters=params).result_rows:
                rejected[market_id].append(
                    InvalidRecord(self._source, f"{market_id}/{example}", f"{reason} ({n} rows)")
                )
        wallets = {p.wallet_address for ps in positions.by_market.values() for p in ps}
        valid_metrics: list[WalletMetric] = []
        bad_metrics: list[InvalidRecord] = []
        if wallets:
            metric_rows = self._client.query(
                self._metrics,
                parameters={
                    "wallets": sorted({wallet_key(w) for w in wallets}),
                    "categories": sorted(set(markets.values())),
                    "window": LIFETIME_WINDOW,
                },
            ).named_results()
            valid_metrics, bad_metrics = parse_metrics(metric_rows, source=self._metrics_source)
        # Index metrics by (wallet, category), keeping read order (docs/owrr.md: the last row read
        # counts), so each market gets only the rows of its own wallets.
        by_key: dict[tuple[str, str], list[WalletMetric]] = defaultdict(list)
        for m in valid_metrics:
            if m.wallet_address in wallets:
                by_key[(m.wallet_address, m.category)].append(m)
        bad_by_wallet: dict[str, list[InvalidRecord]] = defaultdict(list)
        for bad in bad_metrics:
            bad_by_wallet[bad.key.split("/", 1)[0].lower()].append(bad)
        out: dict[str, MarketOwrrInputs] = {}
        for cid, cat in markets.items():
            market_positions = tuple(positions.by_market.get(cid, ()))
            voters = list(dict.fromkeys(p.wallet_address for p in market_positions))
            market_metrics = tuple(m for w in voters for m in by_key.get((w, cat), ()))
            market_rejected = rejected.get(cid, []) + [b for w in voters for b in bad_by_wallet.get(w, ())]
            out[cid] = MarketOwrrInputs(market_positions, market_metrics, tuple(market_rejected))
        return out


class ClickHouseMarketLookup:
    """The `markets` dimension as a `MarketLookup` for sources that carry no category (the Data API)."""

    def __init__(self, client: Any, tables: TableNames | None = None) -> None:
        self._client = client
        markets = (tables or TableNames()).markets
        self._sql = (
            f"SELECT condition_id, category, closed, neg_risk, yes_token_id, no_token_id FROM {markets} FINAL"  # noqa: S608
            " WHERE condition_id IN {ids:Array(String)}"
        )

    def __call__(self, condition_ids: Sequence[str]) -> dict[str, MarketInfo]:
        if not condition_ids:
            return {}
        rows = self._client.query(self._sql, parameters={"ids": sorted(set(condition_ids))}).result_rows
        return {
            cid: MarketInfo(
                category=cat or None,
                closed=bool(closed),
                neg_risk=bool(nr),
                yes_token_id=yes or None,
                no_token_id=no or None,
            )
            for cid, cat, closed, nr, yes, no in rows
        }


def _report_rejected(metric: str, what: str, reasons: Counter[str]) -> None:
    """One metric and one log line for the rows a read left out, with their reasons."""
    metrics.add_metric(name=metric, unit="Count", value=sum(reasons.values()))
    logger.warning(what, extra={"rejected": dict(reasons.most_common(10))})
