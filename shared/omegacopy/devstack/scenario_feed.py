"""How the local run's world reaches Polymarket's public APIs (the emulator): everything there is
before the run, then each leader fill as it arrives. Nothing here touches ClickHouse: only the
indexer writes it, from what these APIs serve.

`publish_world`: the Gamma markets (the run's and the resolved history, resolutions included),
every wallet's positions, the watched leaders' fills of the days before, the category boards.

`LeaderFeed.publish`: one fill on the Data API, visible from now, and the leader's position moved as
the API would show it. It returns the fill's trade id — the id the monitor and the indexer give it
(`adapters.polymarket.trade_identity`) — so the run can follow the fill into signals, intents and
`trades_raw`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from omegacopy.adapters.polymarket.trade_identity import FillIdentities, fill_key
from omegacopy.devstack.public_api import PublicApiEmulator
from omegacopy.devstack.scenario import (
    MIXED_CASE_LEADER,
    TICK_SIZE,
    LeaderTradeEvent,
    PositionSpec,
    Scenario,
)
from omegacopy.domain.evm import to_checksum_address
from omegacopy.domain.money import ZERO, from_float, quantize

DAY_S = 86_400
_AVG_STEP = Decimal("0.0001")


@dataclass(frozen=True)
class WorldCounts:
    markets: int
    resolved_markets: int
    positions: int
    leader_fills: int
    boards: int


def publish_world(api: PublicApiEmulator, sc: Scenario, now: datetime) -> WorldCounts:
    """Everything the public APIs show when the run starts (ages become times before `now`)."""
    at = now.timestamp()
    shown = _Shown(sc)
    for h in sc.history_markets:
        api.publish_market(h.condition_id, outcomes=[("Yes", h.tokens[0]), ("No", h.tokens[1])], question=h.question,
                           category=h.category, tick_size=TICK_SIZE, slug=_slug(h.question))  # fmt: skip
        api.resolve_market(h.condition_id, winner=h.winner, at=at - h.resolved_days_ago * DAY_S)
    for m in sc.markets:
        price = m.start_yes_price
        api.publish_market(
            m.condition_id,
            outcomes=[(m.outcome_names[0], m.yes_token), (m.outcome_names[1], m.no_token)],
            question=m.question,
            slug=_slug(m.question),
            category=None if m.category_from_tags else m.category,
            tags=m.tags,
            neg_risk=m.neg_risk,
            tick_size=TICK_SIZE,
            prices=[price, 1 - price],
            volume_24h=10_000 * (1 + m.yes_voters + m.no_voters),
        )
        if m.closed and m.resolution is not None:
            api.resolve_market(m.condition_id, winner=m.index(m.resolution), at=at - 2 * DAY_S)
    payout = {h.condition_id: h.winner for h in sc.history_markets}
    for p in sc.positions:
        winner = payout.get(p.condition_id)
        current = None if winner is None else (1 if p.outcome_index == winner else 0)
        _publish_position(api, shown(p.wallet), p, current_price=current, last_event_at=int(at - p.age_days * DAY_S))
    for f in sc.leader_fills:
        market = sc.market(f.market_key)
        api.publish_trade(shown(f.wallet), market.condition_id, outcome_index=market.index(f.outcome), side="BUY",
                          size=f.shares, price=f.price, timestamp=int(at - f.age_s), tx_hash=f.tx_hash)  # fmt: skip
    for category, board in sc.boards.items():
        api.publish_leaderboard(category, "all", board)
    resolved = len(sc.history_markets) + sum(1 for m in sc.markets if m.closed)
    return WorldCounts(len(sc.history_markets) + len(sc.markets), resolved, len(sc.positions), len(sc.leader_fills),
                       len(sc.boards))  # fmt: skip


def _slug(question: str) -> str:
    """Gamma's kind of slug: the question in lower case, words joined by dashes."""
    return re.sub(r"[^a-z0-9]+", "-", question.lower()).strip("-")


def _publish_position(
    api: PublicApiEmulator, wallet: str, p: PositionSpec, *, current_price: Decimal | int | None, last_event_at: int
) -> None:
    api.publish_position(
        wallet,
        p.condition_id,
        outcome_index=p.outcome_index,
        size=p.size,
        avg_price=p.avg_price,
        status=p.status,
        total_size=p.total_bought if p.total_bought is not None else p.size,
        realized_pnl=p.realized_pnl,
        current_price=current_price,
        fees=p.fees,
        last_event_at=last_event_at,
    )


class _Shown:
    """A wallet as the APIs spell it: one watched leader in EIP-55 mixed case, the others lower case."""

    def __init__(self, sc: Scenario) -> None:
        self._mixed = {w.address for w in sc.watched if w.name == MIXED_CASE_LEADER}

    def __call__(self, wallet: str) -> str:
        return to_checksum_address(wallet) if wallet in self._mixed else wallet


@dataclass
class _Holding:
    size: Decimal = ZERO
    cost: Decimal = ZERO
    bought: Decimal = ZERO
    realized: Decimal = ZERO


class LeaderFeed:
    """The watched leaders' fills during the run, and the positions they move."""

    def __init__(self, api: PublicApiEmulator, sc: Scenario) -> None:
        self._api = api
        self._sc = sc
        self._shown = _Shown(sc)
        leaders = {w.address for w in sc.watched}
        self._held: dict[tuple[str, str, int], _Holding] = {}
        for p in sc.positions:
            if p.wallet in leaders and p.status == "OPEN":
                self._held[(p.wallet, p.condition_id, p.outcome_index)] = _Holding(
                    p.size, p.size * p.avg_price, p.size, p.realized_pnl
                )

    def publish(self, event: LeaderTradeEvent, *, timestamp: int) -> str | None:
        """The fill on the Data API from now on; its trade id (None for a row no reader accepts)."""
        market = self._sc.market(event.market_key)
        index = market.index(event.outcome)
        wallet = self._shown(event.wallet)
        if event.unknown_market is not None:
            row = self._api.publish_trade(wallet, event.unknown_market, outcome_index=index, side=event.action,
                                          size=event.shares, price=event.price, timestamp=timestamp,
                                          tx_hash=event.tx_hash, token_id=event.unknown_token,
                                          outcome=market.outcome_names[index])  # fmt: skip
            return fill_id(row)
        price = event.price_override if event.price_override is not None else event.price
        row = self._api.publish_trade(wallet, market.condition_id, outcome_index=index, side=event.action,
                                      size=event.shares, price=price, timestamp=timestamp,
                                      tx_hash=event.tx_hash)  # fmt: skip
        if event.price_override is not None:
            return None  # malformed: every reader refuses it (recorded, never decided as a trade)
        self._move(event, wallet, market.condition_id, index, timestamp)
        return fill_id(row)

    def _move(self, event: LeaderTradeEvent, wallet: str, condition_id: str, index: int, timestamp: int) -> None:
        held = self._held.setdefault((event.wallet, condition_id, index), _Holding())
        if event.action == "BUY":
            held.size += event.shares
            held.cost += event.shares * event.price
            held.bought += event.shares
        else:
            avg = held.cost / held.size if held.size > 0 else event.price
            sold = min(event.shares, held.size)
            held.realized += sold * (event.price - avg)
            held.size -= sold
            held.cost = held.size * avg
        avg = quantize(held.cost / held.size, _AVG_STEP) if held.size > 0 else event.price
        spec = PositionSpec(event.wallet, condition_id, index, held.size, avg, "OPEN" if held.size > 0 else "CLOSED",
                            quantize(held.realized, _AVG_STEP), ZERO, held.bought)  # fmt: skip
        _publish_position(self._api, wallet, spec, current_price=event.price, last_event_at=timestamp)


def fill_id(row: dict[str, Any]) -> str:
    """The trade id the monitor and the indexer give this row (the first fill of its kind in a walk)."""
    timestamp = int(row["timestamp"])
    key = fill_key(
        wallet=str(row["proxy_wallet"]),
        tx_hash=str(row["transaction_hash"]),
        token_id=str(row["token_id"]),
        side=str(row["side"]),
        size=_wire_decimal(row["size"]),
        price=_wire_decimal(row["price"]),
        timestamp=timestamp,
    )
    return FillIdentities().id_for(key, timestamp)


def _wire_decimal(value: object) -> Decimal:
    """A JSON number as the client reads it: the shortest text of the double the API sent."""
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return from_float(value)
    raise TypeError(f"not a JSON number: {value!r}")


__all__ = ["LeaderFeed", "WorldCounts", "fill_id", "publish_world"]
