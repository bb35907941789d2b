"""Settlement's PostgreSQL: which markets we are in, our live orders there, and settling positions.

`settling(condition)` is one transaction holding the row locks of the market's open positions;
`record` persists what `domain.positions.settle` computed: the position flat (its slot freed), the
proceeds credited, the settlement row, and the wallet's redemption row (created once per wallet and
market, its expected amount summed over the strategies of that wallet). A paper position settles
in the books the same way and gets no redemption: no shares were ever bought.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg

from omegacopy.adapters.pg_connection import PgConnection
from omegacopy.domain.intent import IntentState
from omegacopy.domain.money import to_micros
from omegacopy.domain.positions import Position, Settlement
from omegacopy.domain.resolution import MARKET_RESOLVED_ORDER_STATUS, MarketResolution
from omegacopy.ports import HeldPosition, LiveOrder

# An order in these states may still fill: its position waits. LOST orders never block (a market
# that resolved trades no more); an order the exchange closed as market-resolved is over whatever
# state its intent still shows.
_BUSY_STATES = [IntentState.SUBMITTING.value, IntentState.UNKNOWN.value, IntentState.ACCEPTED.value]
_LIVE_STATES = [*_BUSY_STATES, IntentState.LOST.value]

_HELD_MARKETS = """
SELECT lower(condition_id) FROM strategy_positions WHERE shares > 0
UNION
SELECT lower(condition_id) FROM order_intents
WHERE state = ANY(%(live)s) AND order_hash IS NOT NULL AND exchange_status IS DISTINCT FROM %(resolved)s
ORDER BY 1
"""
_EXCHANGE_RESOLVED = """
SELECT DISTINCT lower(i.condition_id) FROM order_intents i
WHERE i.exchange_status = %(resolved)s
  AND EXISTS (SELECT 1 FROM strategy_positions p
              WHERE lower(p.condition_id) = lower(i.condition_id) AND p.shares > 0)
ORDER BY 1
"""
_LIVE_ORDERS = """
SELECT intent_id::text, wallet_id, order_hash FROM order_intents
WHERE lower(condition_id) = %(c)s AND state = ANY(%(live)s) AND order_hash IS NOT NULL
  AND exchange_status IS DISTINCT FROM %(resolved)s
ORDER BY created_at
"""
_POSITIONS = """
SELECT p.strategy_id, s.wallet_id, p.token_id, p.shares, p.cost_usd, p.realized_pnl_usd, p.paper,
       EXISTS (SELECT 1 FROM order_intents i
               WHERE i.strategy_id = p.strategy_id AND i.token_id = p.token_id AND i.state = ANY(%(busy)s)
                 AND i.exchange_status IS DISTINCT FROM %(resolved)s) AS busy
FROM strategy_positions p JOIN strategies s ON s.strategy_id = p.strategy_id
WHERE lower(p.condition_id) = %(c)s AND p.shares > 0
ORDER BY p.strategy_id, p.token_id
FOR UPDATE OF p
"""


class PgSettlementTransaction:
    def __init__(self, conn: psycopg.Connection[Any], condition_id: str) -> None:
        self._conn = conn
        self._condition_id = condition_id

    def positions(self) -> list[HeldPosition]:
        rows = self._conn.execute(
            _POSITIONS, {"c": self._condition_id, "busy": _BUSY_STATES, "resolved": MARKET_RESOLVED_ORDER_STATUS}
        ).fetchall()
        return [HeldPosition(sid, wid, token, Position(shares, cost, pnl), busy, paper)
                for sid, wid, token, shares, cost, pnl, paper, busy in rows]  # fmt: skip

    def record(self, held: HeldPosition, settlement: Settlement, resolution: MarketResolution) -> None:
        c = self._conn
        c.execute(
            "UPDATE strategy_positions SET shares = 0, cost_usd = 0, avg_entry_price = 0, realized_pnl_usd = %s,"
            " mark_price = %s, updated_at = now() WHERE strategy_id = %s AND token_id = %s",
            (settlement.position.realized_pnl_usd, to_micros(settlement.payout), held.strategy_id, held.token_id),
        )
        c.execute(
            "UPDATE strategy_settings SET balance_usd = balance_usd + %s, updated_at = now() WHERE strategy_id = %s",
            (settlement.proceeds_usd, held.strategy_id),
        )
        c.execute(
            "INSERT INTO position_settlements (strategy_id, token_id, condition_id, wallet_id, shares, payout,"
            " proceeds_usd, realized_pnl_usd, source, paper) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
            " ON CONFLICT (strategy_id, token_id) DO UPDATE SET shares = position_settlements.shares + EXCLUDED.shares,"
            " proceeds_usd = position_settlements.proceeds_usd + EXCLUDED.proceeds_usd,"
            " realized_pnl_usd = position_settlements.realized_pnl_usd + EXCLUDED.realized_pnl_usd,"
            " settled_at = now()",
            (held.strategy_id, held.token_id, self._condition_id, held.wallet_id, settlement.shares,
             settlement.payout, settlement.proceeds_usd, settlement.realized_pnl_usd, resolution.source.value,
             held.paper),
        )  # fmt: skip
        if held.paper:
            return  # nothing was bought: there is nothing to redeem
        token_ids = list(resolution.token_ids) or sorted(resolution.payouts)
        c.execute(
            "INSERT INTO redemptions (wallet_id, condition_id, neg_risk, token_ids, expected_usd)"
            " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (wallet_id, condition_id) DO UPDATE"
            " SET expected_usd = redemptions.expected_usd + EXCLUDED.expected_usd, updated_at = now()",
            (held.wallet_id, self._condition_id, resolution.neg_risk, token_ids, settlement.proceeds_usd),
        )


class PgSettlementStore:
    def __init__(self, url: str, *, statement_timeout_ms: int = 5_000, connect_timeout_s: int = 5) -> None:
        self._pg = PgConnection(url, statement_timeout_ms=statement_timeout_ms, connect_timeout_s=connect_timeout_s)

    def __repr__(self) -> str:
        return "PgSettlementStore()"

    def _query(self, sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
        try:
            return self._pg.get().execute(sql, params).fetchall()
        except psycopg.OperationalError:
            self._pg.close()
            raise

    def held_markets(self) -> list[str]:
        rows = self._query(_HELD_MARKETS, {"live": _LIVE_STATES, "resolved": MARKET_RESOLVED_ORDER_STATUS})
        return [r[0] for r in rows]

    def exchange_resolved_markets(self) -> list[str]:
        return [r[0] for r in self._query(_EXCHANGE_RESOLVED, {"resolved": MARKET_RESOLVED_ORDER_STATUS})]

    def held_tokens(self, condition_id: str) -> list[str]:
        rows = self._query(
            "SELECT DISTINCT token_id FROM strategy_positions WHERE lower(condition_id) = %(c)s AND shares > 0"
            " ORDER BY 1",
            {"c": condition_id.lower()},
        )
        return [r[0] for r in rows]

    def live_orders(self, condition_id: str) -> list[LiveOrder]:
        rows = self._query(
            _LIVE_ORDERS, {"c": condition_id.lower(), "live": _LIVE_STATES, "resolved": MARKET_RESOLVED_ORDER_STATUS}
        )
        return [LiveOrder(*r) for r in rows]

    @contextmanager
    def settling(self, condition_id: str) -> Iterator[PgSettlementTransaction]:
        conn = self._pg.get()
        try:
            with conn.transaction():
                yield PgSettlementTransaction(conn, condition_id.lower())
        except psycopg.OperationalError:
            self._pg.close()
            raise

    def close(self) -> None:
        self._pg.close()
