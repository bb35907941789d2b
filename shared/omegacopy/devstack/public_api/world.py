"""The emulator's in-memory Polymarket: markets, fills, positions and boards, in the wire shapes.

Rows are stored as the API sends them (Gamma camelCase with JSON-encoded arrays, Data API v2
snake_case), so a test can also publish rows the real API would never send. Everything is
guarded by one lock; the clock decides what is visible.
"""

from __future__ import annotations

import json
import secrets
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from omegacopy.devstack.settable_clock import SettableClock

Number = Decimal | float | int | str


def _num(v: Number) -> float | int:
    """A JSON number as the API sends it (doubles)."""
    if isinstance(v, int) and not isinstance(v, bool):
        return v
    return float(Decimal(str(v)))


@dataclass
class StoredTrade:
    seq: int
    row: dict[str, Any]
    visible_at: float
    maker: bool

    @property
    def wallet(self) -> str:
        return str(self.row.get("proxy_wallet", "")).lower()

    @property
    def timestamp(self) -> int:
        ts = self.row.get("timestamp")
        return ts if isinstance(ts, int) else 0


@dataclass
class WorldMarket:
    seq: int
    row: dict[str, Any]
    tokens: tuple[str, ...]
    names: tuple[str, ...]


@dataclass
class World:
    clock: SettableClock = field(default_factory=SettableClock)
    lock: threading.RLock = field(default_factory=threading.RLock)
    markets: dict[str, WorldMarket] = field(default_factory=dict)
    trades: list[StoredTrade] = field(default_factory=list)
    positions: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)  # (wallet, token) -> row
    boards: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)  # (category, period)
    _seq: int = 0

    def next_seq(self) -> int:
        self._seq += 1
        return self._seq

    # --- Gamma -----------------------------------------------------------------------------------
    def publish_market(
        self,
        condition_id: str,
        *,
        outcomes: Sequence[tuple[str, str]] = (),
        question: str = "",
        category: str | None = None,
        tags: Sequence[str] = (),
        neg_risk: bool = False,
        tick_size: Number = "0.01",
        closed: bool = False,
        end_date: datetime | None = None,
        slug: str | None = None,
        prices: Sequence[Number] | None = None,
        volume_24h: Number = 0,
    ) -> dict[str, Any]:
        """A Gamma market; `outcomes` are (name, CLOB token id) by index (default Yes/No, random ids)."""
        pairs = tuple(outcomes) or (("Yes", _token()), ("No", _token()))
        names = tuple(n for n, _ in pairs)
        tokens = tuple(t for _, t in pairs)
        quoted = prices if prices is not None else [Decimal(1) / len(pairs)] * len(pairs)
        with self.lock:
            seq = self.next_seq()
            row: dict[str, Any] = {
                "id": str(500000 + seq),
                "conditionId": condition_id,
                "questionID": "0x" + secrets.token_hex(32),
                "question": question or f"Question {seq}?",
                "slug": slug or f"market-{seq}",
                "category": category or "",
                "outcomes": json.dumps(list(names)),
                "outcomePrices": json.dumps([str(Decimal(str(p))) for p in quoted]),
                "clobTokenIds": json.dumps(list(tokens)),
                "negRisk": neg_risk,
                "active": not closed,
                "closed": closed,
                "archived": False,
                "acceptingOrders": not closed,
                "enableOrderBook": True,
                "orderPriceMinTickSize": _num(tick_size),
                "orderMinSize": 5,
                "endDate": (end_date or datetime.fromtimestamp(self.clock.now() + 30 * 86400, UTC)).isoformat(),
                "closedTime": None,
                "volume24hr": _num(volume_24h),
                "umaResolutionStatus": "",
                "tags": [{"id": str(i + 1), "slug": t.lower(), "label": t} for i, t in enumerate(tags)],
                "events": [{"id": str(90000 + seq), "slug": f"event-{seq}", "title": f"Event {seq}"}],
            }
            self.markets[condition_id.lower()] = WorldMarket(seq, row, tokens, names)
            return row

    def resolve_market(
        self,
        condition_id: str,
        *,
        winner: int | None = None,
        payouts: Sequence[Number] | None = None,
        uma_status: str = "resolved",
        at: float | None = None,
    ) -> None:
        """Close a market with a payout vector (`winner` pays 1, the others 0), UMA status as given."""
        with self.lock:
            market = self.markets[condition_id.lower()]
            if payouts is None:
                if winner is None:
                    raise ValueError("give the winning index or the payouts")
                payouts = [1 if i == winner else 0 for i in range(len(market.tokens))]
            when = datetime.fromtimestamp(self.clock.now() if at is None else at, UTC)
            market.row.update(
                {
                    "closed": True,
                    "active": False,
                    "acceptingOrders": False,
                    "outcomePrices": json.dumps([str(Decimal(str(p))) for p in payouts]),
                    "umaResolutionStatus": uma_status,
                    "closedTime": when.strftime("%Y-%m-%d %H:%M:%S+00"),
                }
            )

    def token_of(self, condition_id: str, outcome_index: int) -> tuple[str, str]:
        market = self.markets[condition_id.lower()]
        return market.tokens[outcome_index], market.names[outcome_index]

    # --- Data API --------------------------------------------------------------------------------
    def publish_trade(
        self,
        wallet: str,
        condition_id: str,
        *,
        outcome_index: int = 0,
        side: str = "BUY",
        size: Number = 100,
        price: Number = "0.5",
        timestamp: int | None = None,
        tx_hash: str | None = None,
        maker: bool = False,
        visible_at: float | None = None,
        token_id: str | None = None,
        outcome: str | None = None,
    ) -> dict[str, Any]:
        """One fill of `wallet` (as written: mixed case stays mixed), visible from `visible_at` (now)."""
        with self.lock:
            known = self.markets.get(condition_id.lower())
            token, name = (
                (known.tokens[outcome_index], known.names[outcome_index])
                if known is not None and outcome_index < len(known.tokens)
                else ("0", "")
            )
            now = self.clock.now()
            row: dict[str, Any] = {
                "proxy_wallet": wallet,
                "side": side,
                "token_id": token_id if token_id is not None else token,
                "condition_id": condition_id,
                "size": _num(size),
                "price": _num(price),
                "timestamp": int(now) if timestamp is None else timestamp,
                "title": "" if known is None else known.row["question"],
                "slug": "" if known is None else known.row["slug"],
                "icon": "",
                "event_slug": "",
                "outcome": name if outcome is None else outcome,
                "outcome_index": outcome_index,
                "name": "",
                "pseudonym": "",
                "bio": "",
                "profile_image": "",
                "profile_image_optimized": "",
                "transaction_hash": tx_hash or "0x" + secrets.token_hex(32),
            }
            self.trades.append(StoredTrade(self.next_seq(), row, now if visible_at is None else visible_at, maker))
            return row

    def publish_raw_trade(self, row: Mapping[str, Any], *, visible_at: float | None = None) -> None:
        """A trade row exactly as given (malformed on purpose); `proxy_wallet` decides whose it is."""
        with self.lock:
            now = self.clock.now()
            self.trades.append(
                StoredTrade(self.next_seq(), dict(row), now if visible_at is None else visible_at, False)
            )

    def publish_position(
        self,
        wallet: str,
        condition_id: str,
        *,
        outcome_index: int = 0,
        size: Number = 100,
        avg_price: Number = "0.5",
        status: str = "OPEN",
        total_size: Number | None = None,
        realized_pnl: Number = 0,
        current_price: Number | None = None,
        fees: Number = 0,
        last_event_at: int | None = None,
    ) -> dict[str, Any]:
        """One position of `wallet` in one outcome token (replaces the previous one)."""
        with self.lock:
            token, name = self.token_of(condition_id, outcome_index)
            market = self.markets[condition_id.lower()]
            opposite = 1 - outcome_index if len(market.tokens) == 2 else 0
            size_d, avg_d = Decimal(str(size)), Decimal(str(avg_price))
            price_d = Decimal(str(current_price)) if current_price is not None else avg_d
            value = size_d * price_d
            cost = size_d * avg_d
            realized = Decimal(str(realized_pnl))
            row: dict[str, Any] = {
                "proxy_wallet": wallet,
                "token_id": token,
                "condition_id": condition_id,
                "current_size": _num(size_d),
                "total_size": _num(total_size if total_size is not None else size_d),
                "avg_price": _num(avg_d),
                "current_price": _num(price_d),
                "current_value": _num(value),
                "entry_cost_usdc": _num(cost),
                "entry_fees_usdc": _num(fees),
                "total_cost_usdc": _num(cost + Decimal(str(fees))),
                "realized_pnl": _num(realized),
                "unrealized_pnl": _num(value - cost),
                "total_pnl": _num(realized + value - cost),
                "percent_pnl": 0.0,
                "percent_realized_pnl": 0.0,
                "status": status,
                "redeemable": status == "REDEEMABLE",
                "mergeable": False,
                "negative_risk": bool(market.row.get("negRisk")),
                "archived": False,
                "title": market.row["question"],
                "slug": market.row["slug"],
                "icon": "",
                "event_id": "1",
                "event_slug": "",
                "outcome": name,
                "opposite_outcome": market.names[opposite],
                "opposite_token_id": market.tokens[opposite],
                "end_date": str(market.row["endDate"])[:10],
                "outcome_index": outcome_index,
                "last_event_at": int(self.clock.now()) if last_event_at is None else last_event_at,
                "first_entry_at": int(self.clock.now()),
                "name": "",
                "profile_image": "",
                "verified": False,
            }
            self.positions[(wallet.lower(), token)] = row
            return row

    def publish_leaderboard(
        self,
        category: str,
        period: str,
        entries: Iterable[tuple[str, Number, Number] | tuple[str, Number, Number, str]],
    ) -> None:
        """A board: (wallet, pnl, volume[, name]) rows; ranks come from the order served."""
        with self.lock:
            self.boards[(category.lower(), period.lower())] = [
                {
                    "user_id": e[0],
                    "pnl": _num(e[1]),
                    "volume": _num(e[2]),
                    "user_name": e[3] if len(e) > 3 else "",  # type: ignore[misc]
                    "profile_image": "",
                    "x_username": "",
                    "verified": False,
                }
                for e in entries
            ]

    # --- reads (the server calls these under no lock of its own) ---------------------------------
    def visible_trades(self) -> list[StoredTrade]:
        now = self.clock.now()
        with self.lock:
            return [t for t in self.trades if t.visible_at <= now]

    def holders_by_token(self, condition_id: str) -> list[tuple[str, list[dict[str, Any]]]]:
        """Per outcome token (market order): holders of open positions, largest first."""
        with self.lock:
            market = self.markets.get(condition_id.lower())
            if market is None:
                return []
            out = []
            for index, token in enumerate(market.tokens):
                rows = [
                    p
                    for (_, t), p in self.positions.items()
                    if t == token and p["status"] in ("OPEN", "REDEEMABLE") and Decimal(str(p["current_size"])) > 0
                ]
                rows.sort(key=lambda p: (-Decimal(str(p["current_size"])), str(p["proxy_wallet"]).lower()))
                out.append((token, [_holder(p, index) for p in rows]))
            return out


def _holder(position: Mapping[str, Any], index: int) -> dict[str, Any]:
    return {
        "proxy_wallet": position["proxy_wallet"],
        "token_id": position["token_id"],
        "amount": position["current_size"],
        "outcome_index": index,
        "name": "",
        "pseudonym": "",
        "bio": "",
        "profile_image": "",
        "profile_image_optimized": "",
        "display_username_public": False,
        "verified": False,
        "avg_price": position["avg_price"],
        "entry_cost_usdc": position["entry_cost_usdc"],
        "current_price": position["current_price"],
        "current_value": position["current_value"],
        "realized_pnl": position["realized_pnl"],
        "unrealized_pnl": position["unrealized_pnl"],
        "total_pnl": position["total_pnl"],
    }


PNL_FIELDS = (
    "avg_price",
    "entry_cost_usdc",
    "current_price",
    "current_value",
    "realized_pnl",
    "unrealized_pnl",
    "total_pnl",
)


def _token() -> str:
    return str(secrets.randbits(250))
