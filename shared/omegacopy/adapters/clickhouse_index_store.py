"""ClickHouse as the indexer's store (clickhouse-connect; the DDL is infra/clickhouse).

Everything is written in lower case where it is hex (wallets, condition ids), so readers match
exactly. Numbers cross into ClickHouse's Float64 columns here and come back as Decimal through
their shortest text, the one conversion rule for stored floats.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from omegacopy.domain.models import TradeAction
from omegacopy.domain.public_data import (
    NO_INDEX,
    YES_INDEX,
    HolderPosition,
    MarketRecord,
    OutcomeToken,
    PositionStatus,
    PublicPosition,
    PublicTrade,
    Resolution,
    side_of_index,
)
from omegacopy.domain.wallet_metrics import CategoryMetrics
from omegacopy.ports import StoredMarket

_TRADE_COLUMNS = [
    "trade_id", "wallet_address", "market_id", "token_id", "side", "action", "shares", "entry_price", "usd_value",
    "is_closed", "block_time", "ingested_at", "outcome", "outcome_index", "tx_hash",
]  # fmt: skip
_MARKET_COLUMNS = [
    "condition_id", "category", "question", "yes_token_id", "no_token_id", "neg_risk", "closed", "updated_at",
    "outcome_names", "token_ids", "tick_size", "slug", "end_date", "resolved", "payouts", "resolved_at",
]  # fmt: skip
_HOLDER_COLUMNS = [
    "condition_id", "token_id", "outcome_index", "side", "wallet_address", "shares", "avg_price", "snapshot_at",
]  # fmt: skip
_POSITION_COLUMNS = [
    "wallet_address", "condition_id", "token_id", "outcome_index", "status", "size", "avg_price", "total_bought",
    "realized_pnl", "unrealized_pnl", "fees", "last_event_at", "fetched_at",
]  # fmt: skip
_METRIC_COLUMNS = [
    "wallet_address", "category", "window", "metric_2_omega_net", "metric_22_resolved_bets", "updated_at",
    "gains_usd", "losses_usd", "wins", "losing_bets", "last_active",
]  # fmt: skip


def to_decimal(value: float) -> Decimal:
    """A stored Float64 as the Decimal it was written from (its shortest round-tripping text)."""
    return Decimal(repr(float(value)))


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


class ClickHouseIndexStore:
    def __init__(self, client: Any) -> None:
        self._ch = client

    # --- trades ------------------------------------------------------------------------------------------
    def existing_trade_ids(self, trades: Sequence[PublicTrade]) -> set[str]:
        if not trades:
            return set()
        # (market_id, wallet_address) is the table's key prefix: the lookup reads only those parts
        rows = self._ch.query(
            "SELECT DISTINCT trade_id FROM trades_raw WHERE market_id IN {markets:Array(String)}"
            " AND wallet_address IN {wallets:Array(String)} AND trade_id IN {ids:Array(String)}",
            parameters={
                "markets": sorted({t.condition_id for t in trades}),
                "wallets": sorted({t.wallet for t in trades}),
                "ids": sorted({t.trade_id for t in trades}),
            },
        ).result_rows
        return {r[0] for r in rows}

    def write_trades(self, trades: Sequence[PublicTrade], ingested_at: datetime) -> int:
        rows = []
        for t in trades:
            side = side_of_index(t.outcome_index)
            rows.append([
                t.trade_id, t.wallet, t.condition_id, t.token_id, side.value if side else "", t.action.value,
                float(t.shares), float(t.price), float(t.shares * t.price), 0, t.traded_at, ingested_at,
                t.outcome, t.outcome_index, t.tx_hash,
            ])  # fmt: skip
        if rows:
            self._ch.insert("trades_raw", rows, column_names=_TRADE_COLUMNS)
        return len(rows)

    def traded_markets(self, wallets: Sequence[str], since: datetime) -> list[str]:
        rows = self._ch.query(
            "SELECT market_id, max(block_time) AS last FROM trades_raw"
            " WHERE wallet_address IN {wallets:Array(String)} AND block_time >= {since:DateTime64(3, 'UTC')}"
            " GROUP BY market_id ORDER BY last DESC, market_id",
            parameters={"wallets": [w.lower() for w in wallets], "since": since},
        ).result_rows
        return [r[0] for r in rows]

    def wallet_trades(self, wallet: str) -> list[PublicTrade]:
        """A wallet's stored trades, oldest first (leader cards, tests)."""
        rows = self._ch.query(
            "SELECT trade_id, wallet_address, market_id, token_id, outcome_index, outcome, action, shares,"
            " entry_price, block_time, tx_hash FROM trades_raw FINAL WHERE wallet_address = {w:String}"
            " ORDER BY block_time, trade_id",
            parameters={"w": wallet.lower()},
        ).result_rows
        return [
            PublicTrade(
                tid,
                w,
                cid,
                tok,
                int(idx),
                outcome,
                TradeAction(action),
                to_decimal(sh),
                to_decimal(px),
                _utc(ts) or datetime.min.replace(tzinfo=UTC),
                tx,
            )
            for tid, w, cid, tok, idx, outcome, action, sh, px, ts, tx in rows
        ]

    # --- markets -----------------------------------------------------------------------------------------
    def stored_markets(self, condition_ids: Sequence[str]) -> dict[str, StoredMarket]:
        if not condition_ids:
            return {}
        rows = self._ch.query(
            "SELECT condition_id, category, question, yes_token_id, no_token_id, neg_risk, closed, updated_at,"
            " outcome_names, token_ids, tick_size, slug, end_date, resolved, payouts, resolved_at"
            " FROM markets FINAL WHERE condition_id IN {ids:Array(String)}",
            parameters={"ids": sorted({c.lower() for c in condition_ids})},
        ).named_results()
        return {r["condition_id"]: StoredMarket(_market(r), _utc(r["updated_at"]) or _EPOCH) for r in rows}

    def write_markets(self, markets: Sequence[MarketRecord], at: datetime) -> int:
        rows = []
        resolutions = []
        for m in markets:
            yes, no = m.token(YES_INDEX), m.token(NO_INDEX)
            res = m.resolution
            rows.append([
                m.condition_id, m.category or "", m.question, yes.token_id if yes else "", no.token_id if no else "",
                int(m.neg_risk), int(m.closed), at, [o.name for o in m.outcomes], [o.token_id for o in m.outcomes],
                float(m.tick_size) if m.tick_size is not None else None, m.slug, m.end_date, int(res is not None),
                [float(p) for p in res.payouts] if res else [], res.resolved_at if res else None,
            ])  # fmt: skip
            if res is not None and res.winning_index is not None and (winner := m.token(res.winning_index)):
                resolutions.append([m.condition_id, winner.token_id, res.resolved_at or at, at])
        if rows:
            self._ch.insert("markets", rows, column_names=_MARKET_COLUMNS)
        if resolutions:  # the backtest settles positions from this table
            self._ch.insert("market_resolutions", resolutions,
                            column_names=["condition_id", "winning_token_id", "resolved_at", "updated_at"])  # fmt: skip
        return len(rows)

    # --- holders ------------------------------------------------------------------------------------------
    def write_holders(self, condition_id: str, holders: Sequence[HolderPosition], at: datetime) -> int:
        rows = []
        for h in holders:
            side = side_of_index(h.outcome_index)
            if side is None:
                continue  # OWRR weighs the two sides of a binary market only
            rows.append([h.condition_id, h.token_id, h.outcome_index, side.value, h.wallet, float(h.shares),
                         float(h.avg_price) if h.avg_price is not None else None, at])  # fmt: skip
        if rows:
            self._ch.insert("market_holders", rows, column_names=_HOLDER_COLUMNS)
        return len(rows)

    def top_holders(self, condition_ids: Sequence[str], per_side: int) -> set[str]:
        if not condition_ids:
            return set()
        rows = self._ch.query(
            _NEWEST_HOLDERS + " ORDER BY condition_id, side, value DESC, wallet_address LIMIT {n:UInt32} BY"
            " condition_id, side",
            parameters={"markets": sorted({c.lower() for c in condition_ids}), "n": per_side},
        ).result_rows
        return {r[2] for r in rows}

    # --- positions and metrics -----------------------------------------------------------------------------
    def write_positions(self, positions: Sequence[PublicPosition], at: datetime) -> int:
        rows = [
            [
                p.wallet,
                p.condition_id,
                p.token_id,
                p.outcome_index,
                p.status.value,
                float(p.size),
                float(p.avg_price),
                float(p.total_bought),
                float(p.realized_pnl),
                float(p.unrealized_pnl),
                float(p.fees),
                p.last_event_at,
                at,
            ]
            for p in positions
        ]
        if rows:
            self._ch.insert("wallet_positions", rows, column_names=_POSITION_COLUMNS)
        return len(rows)

    def wallet_positions(self, wallets: Sequence[str]) -> dict[str, list[PublicPosition]]:
        out: dict[str, list[PublicPosition]] = {w.lower(): [] for w in wallets}
        if not out:
            return out
        rows = self._ch.query(
            "SELECT wallet_address, condition_id, token_id, outcome_index, status, size, avg_price, total_bought,"
            " realized_pnl, unrealized_pnl, fees, last_event_at FROM wallet_positions FINAL"
            " WHERE wallet_address IN {w:Array(String)} ORDER BY wallet_address, token_id",
            parameters={"w": sorted(out)},
        ).result_rows
        for w, cid, tok, idx, status, size, avg, bought, rpnl, upnl, fees, last in rows:
            out[w].append(PublicPosition(w, cid, tok, int(idx), PositionStatus(status), to_decimal(size),
                                         to_decimal(avg), to_decimal(bought), to_decimal(rpnl), to_decimal(upnl),
                                         to_decimal(fees), _utc(last)))  # fmt: skip
        return out

    def write_metrics(self, rows: Sequence[CategoryMetrics], at: datetime) -> int:
        out = [
            [m.wallet, m.category, m.window, float(m.omega_net) if m.omega_net is not None else None,
             m.resolved_bets, at, float(m.gains_usd), float(m.losses_usd), m.wins, m.losing_bets, m.last_active]
            for m in rows
        ]  # fmt: skip
        if out:
            self._ch.insert("wallet_metrics_by_category", out, column_names=_METRIC_COLUMNS)
        return len(out)

    def wallet_metric_rows(self, wallet: str) -> list[CategoryMetrics]:
        """A wallet's stored metrics (the newest row of each category and window)."""
        rows = self._ch.query(
            "SELECT wallet_address, category, `window`, metric_2_omega_net, metric_22_resolved_bets, wins,"
            " losing_bets, gains_usd, losses_usd, last_active FROM wallet_metrics_by_category FINAL"
            " WHERE wallet_address = {w:String} ORDER BY category, `window`",
            parameters={"w": wallet.lower()},
        ).result_rows
        return [
            CategoryMetrics(w, c, win, to_decimal(om) if om is not None else None, int(bets or 0), int(wins),
                            int(losing), to_decimal(g), to_decimal(lo), _utc(last))
            for w, c, win, om, bets, wins, losing, g, lo, last in rows
        ]  # fmt: skip


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# Each market's newest snapshot, valued at cost (shares x entry price, as OWRR ranks open risk).
_NEWEST_HOLDERS = """
SELECT condition_id, side, wallet_address, shares, avg_price, shares * ifNull(avg_price, 0) AS value
FROM market_holders
WHERE condition_id IN {markets:Array(String)}
  AND (condition_id, snapshot_at) IN (
      SELECT condition_id, max(snapshot_at) FROM market_holders
      WHERE condition_id IN {markets:Array(String)} GROUP BY condition_id)
"""


def _market(r: dict[str, Any]) -> MarketRecord:
    names: list[str] = list(r["outcome_names"] or [])
    tokens: list[str] = list(r["token_ids"] or [])
    if not tokens:  # a row written by an indexer that knows only the two binary tokens
        tokens = [t for t in (r["yes_token_id"], r["no_token_id"]) if t]
        names = ["Yes", "No"][: len(tokens)]
    outcomes = tuple(OutcomeToken(i, names[i] if i < len(names) else "", t) for i, t in enumerate(tokens))
    resolution = None
    if r["resolved"]:
        resolution = Resolution(tuple(to_decimal(p) for p in r["payouts"]), _utc(r["resolved_at"]))
    tick = r["tick_size"]
    return MarketRecord(
        condition_id=r["condition_id"],
        question=r["question"],
        category=r["category"] or None,
        outcomes=outcomes,
        neg_risk=bool(r["neg_risk"]),
        tick_size=to_decimal(tick) if tick is not None else None,
        closed=bool(r["closed"]),
        resolution=resolution,
        end_date=_utc(r["end_date"]),
        slug=r["slug"],
    )
