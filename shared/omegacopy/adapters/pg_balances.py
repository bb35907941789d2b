"""The books per wallet, the checks against the exchange and the fee bookings, in PostgreSQL
(shares the executor's connection, like the portfolio store)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal

from omegacopy.adapters.pg_executor_store import PgExecutorStore
from omegacopy.domain.balances import BalanceCheck
from omegacopy.ports import WalletBooks

FEE_TRADE_PREFIX = "fee:"  # a fee row's exchange_trade_id: the match it was charged on

_WALLET_CASH = """
SELECT s.wallet_id, sum(st.balance_usd),
       bool_or(EXISTS (SELECT 1 FROM order_intents i
                       WHERE i.strategy_id = s.strategy_id AND i.state IN ('SUBMITTING', 'UNKNOWN')))
FROM strategies s JOIN strategy_settings st ON st.strategy_id = s.strategy_id
WHERE st.mode = 'live'
GROUP BY s.wallet_id ORDER BY s.wallet_id
"""
# tokens held, or traded in the last day (a position sold out must be out at the exchange too)
_WALLET_SHARES = """
SELECT s.wallet_id, p.token_id, sum(p.shares)
FROM strategy_positions p JOIN strategies s ON s.strategy_id = p.strategy_id
WHERE NOT p.paper AND (p.shares > 0 OR p.updated_at > now() - interval '1 day')
GROUP BY 1, 2
"""
_BOOK_FEE = """
WITH ours AS (SELECT intent_id, strategy_id, token_id, action FROM order_intents WHERE order_hash = %(h)s)
INSERT INTO strategy_trades (strategy_id, intent_id, order_hash, exchange_trade_id, token_id, side, price,
                             shares, usd_value, fee_usd, realized_pnl_usd)
SELECT strategy_id, intent_id, %(h)s, %(t)s, token_id, action, %(p)s, 0, 0, %(fee)s, -%(fee)s FROM ours
ON CONFLICT (order_hash, exchange_trade_id) DO NOTHING
RETURNING strategy_id
"""


class PgBalanceStore:
    def __init__(self, store: PgExecutorStore) -> None:
        self._store = store

    def wallet_books(self) -> list[WalletBooks]:
        conn = self._store.connection()
        shares: dict[str, dict[str, Decimal]] = defaultdict(dict)
        for wallet_id, token_id, held in conn.execute(_WALLET_SHARES).fetchall():
            shares[wallet_id][token_id] = held
        return [
            WalletBooks(wallet_id, cash, shares.get(wallet_id, {}), bool(in_flight))
            for wallet_id, cash, in_flight in conn.execute(_WALLET_CASH).fetchall()
        ]

    def baselines(self, wallet_id: str) -> dict[str, Decimal]:
        rows = (
            self._store.connection()
            .execute("SELECT asset, baseline FROM wallet_balance_baselines WHERE wallet_id = %s", (wallet_id,))
            .fetchall()
        )
        return {asset: baseline for asset, baseline in rows}

    def set_baseline(self, wallet_id: str, asset: str, baseline: Decimal) -> None:
        self._store.connection().execute(
            "INSERT INTO wallet_balance_baselines (wallet_id, asset, baseline) VALUES (%s, %s, %s)"
            " ON CONFLICT (wallet_id, asset) DO NOTHING",
            (wallet_id, asset, baseline),
        )

    def last_breached(self, wallet_id: str) -> set[str]:
        rows = (
            self._store.connection()
            .execute(
                "SELECT DISTINCT ON (asset) asset, breached FROM wallet_balance_checks WHERE wallet_id = %s"
                " ORDER BY asset, check_id DESC",
                (wallet_id,),
            )
            .fetchall()
        )
        return {asset for asset, breached in rows if breached}

    def record_checks(self, checks: Sequence[BalanceCheck]) -> None:
        conn = self._store.connection()
        with conn.transaction(), conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO wallet_balance_checks (wallet_id, asset, exchange_amount, booked_amount, baseline,"
                " drift, tolerance, breached) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                [_check_row(c) for c in checks],
            )

    def pause_wallet_strategies(self, wallet_id: str, reason: str) -> list[str]:
        rows = (
            self._store.connection()
            .execute(
                "UPDATE strategies SET paused_reason = %s WHERE wallet_id = %s AND paused_reason IS NULL"
                " RETURNING strategy_id",
                (reason, wallet_id),
            )
            .fetchall()
        )
        return sorted(r[0] for r in rows)

    def trade_cursor(self, wallet_id: str) -> int | None:
        row = (
            self._store.connection()
            .execute("SELECT after_s FROM wallet_trade_cursors WHERE wallet_id = %s", (wallet_id,))
            .fetchone()
        )
        return None if row is None else int(row[0])

    def save_trade_cursor(self, wallet_id: str, after_s: int) -> None:
        self._store.connection().execute(
            "INSERT INTO wallet_trade_cursors (wallet_id, after_s) VALUES (%s, %s)"
            " ON CONFLICT (wallet_id) DO UPDATE SET after_s = EXCLUDED.after_s, updated_at = now()",
            (wallet_id, after_s),
        )

    def book_fee(self, order_hash: str, trade_id: str, fee_usd: Decimal, price: Decimal) -> bool:
        conn = self._store.connection()
        with conn.transaction():
            row = conn.execute(
                _BOOK_FEE, {"h": order_hash, "t": f"{FEE_TRADE_PREFIX}{trade_id}", "p": price, "fee": fee_usd}
            ).fetchone()
            if row is None:
                return False  # booked already, or not our order
            conn.execute(
                "UPDATE strategy_settings SET balance_usd = balance_usd - %s, updated_at = now()"
                " WHERE strategy_id = %s",
                (fee_usd, row[0]),
            )
        return True


def _check_row(c: BalanceCheck) -> tuple[object, ...]:
    return (c.wallet_id, c.asset, c.exchange_amount, c.booked_amount, c.baseline, c.drift, c.tolerance, c.breached)
