"""Backtest arithmetic, pure: the fill model, position ledgers, equity curves and drawdown.

The fill model (what a replayed order would have got):
- the order is the executor's own plan (`order_plan.plan_order`): limit price on the market's tick,
  rounded to the safe side of the intent's worst price, size in whole share-cents;
- with an order-book snapshot, it walks the opposite side's depth from the best level while the
  level's price is within the limit; a FOK that cannot fill whole does not fill at all, anything else
  keeps what it got (FAK; GTC/GTD are treated as marketable at their limit: a replay cannot know
  who would have traded against a resting order later);
- without a snapshot, it fills whole at the leader's price plus the slippage (minus for a sell), put
  on the tick against us, and not at all if that price is beyond the limit;
- fees are `fee_bps` of the filled notional, added to a buy's cost and taken from a sell's proceeds,
  so realized P&L is net of fees.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_FLOOR, Decimal
from typing import Final

from omegacopy.domain.clob_models import BookLevel
from omegacopy.domain.decisions import worst_buy_price, worst_sell_price
from omegacopy.domain.intent import IntentDraft
from omegacopy.domain.models import OrderStyle, TradeAction
from omegacopy.domain.money import CENT, ONE, SHARE_STEP, ZERO, quantize, to_micros
from omegacopy.domain.order_amounts import OrderRejected, OrderSide
from omegacopy.domain.order_plan import plan_order, snap_to_tick
from omegacopy.domain.positions import Position, apply_fill, order_side

_BPS: Final = Decimal("10000")


class NoFillReason:
    """Why a simulated order did not fill (the backtest's rejection reasons)."""

    BELOW_MIN_SIZE: Final = "below_min_size"
    CROSSES_WORST_PRICE: Final = "crosses_worst_price"
    NO_LIQUIDITY: Final = "no_liquidity_within_worst_price"
    FOK_NOT_FILLED: Final = "fok_not_filled"
    MARKET_RESOLVED: Final = "market_resolved"
    NO_POSITION: Final = "no_position"
    INVALID_ORDER: Final = "invalid_order"


@dataclass(frozen=True, slots=True)
class FillParams:
    slippage: Decimal = CENT
    fee_bps: Decimal = ZERO
    tick_size: Decimal = CENT
    min_size: Decimal = Decimal("5")


@dataclass(frozen=True, slots=True)
class BookSnapshot:
    """One snapshot of a token's book: bids best (highest) first, asks best (lowest) first."""

    token_id: str
    ts: datetime
    bids: tuple[BookLevel, ...]
    asks: tuple[BookLevel, ...]


@dataclass(frozen=True, slots=True)
class ResolvedMarket:
    condition_id: str
    winning_token_id: str
    resolved_at: datetime


@dataclass(frozen=True, slots=True)
class PricePoint:
    token_id: str
    at: datetime
    price: Decimal


@dataclass(frozen=True, slots=True)
class SimOrder:
    side: OrderSide
    limit_price: Decimal
    size: Decimal
    all_or_nothing: bool = False


@dataclass(frozen=True, slots=True)
class SimFill:
    """What an order got. `status`: filled | partial | rejected (then `reason` says why)."""

    status: str
    shares: Decimal = ZERO
    notional: Decimal = ZERO
    fee: Decimal = ZERO
    reason: str = ""
    from_book: bool = False

    @property
    def avg_price(self) -> Decimal | None:
        return self.notional / self.shares if self.shares > 0 else None


def rejected(reason: str) -> SimFill:
    return SimFill(status="rejected", reason=reason)


def order_for_intent(draft: IntentDraft, params: FillParams) -> SimOrder | SimFill:
    """The order the executor would place for an intent, or the rejection it would meet."""
    try:
        plan = plan_order(draft, tick_size=params.tick_size, min_size=ZERO, now_s=0)
    except OrderRejected:
        return rejected(NoFillReason.INVALID_ORDER)
    if plan.size < params.min_size or plan.size <= 0:
        return rejected(NoFillReason.BELOW_MIN_SIZE)
    return SimOrder(plan.side, plan.price, plan.size, all_or_nothing=draft.order_style is OrderStyle.FOK)


def order_for_shares(
    action: TradeAction, shares: Decimal, leader_price: Decimal, slippage_ceiling: Decimal, params: FillParams
) -> SimOrder | SimFill:
    """A share-denominated marketable order with the same worst price a COPY would get (benchmarks)."""
    buy = action is TradeAction.BUY
    worst = worst_buy_price(leader_price, slippage_ceiling) if buy else worst_sell_price(leader_price, slippage_ceiling)
    limit = snap_to_tick(worst, params.tick_size, up=not buy)
    size = quantize(shares, SHARE_STEP, ROUND_FLOOR)
    if not params.tick_size <= limit <= ONE - params.tick_size:
        return rejected(NoFillReason.INVALID_ORDER)
    if size < params.min_size or size <= 0:
        return rejected(NoFillReason.BELOW_MIN_SIZE)
    return SimOrder(order_side(action), limit, size)


def simulate_fill(order: SimOrder, leader_price: Decimal, book: BookSnapshot | None, params: FillParams) -> SimFill:
    if book is not None:
        return _walk_book(order, book, params)
    buy = order.side is OrderSide.BUY
    raw = leader_price + params.slippage if buy else leader_price - params.slippage
    # a price read from a double (0.43000000000000005) must not cost a whole tick: 6 decimals first
    raw = to_micros(raw)
    price = snap_to_tick(raw, params.tick_size, up=buy)  # against us
    price = min(max(price, params.tick_size), ONE - params.tick_size)
    if (buy and price > order.limit_price) or (not buy and price < order.limit_price):
        return rejected(NoFillReason.CROSSES_WORST_PRICE)
    notional = order.size * price
    return SimFill("filled", order.size, notional, _fee(notional, params))


def _walk_book(order: SimOrder, book: BookSnapshot, params: FillParams) -> SimFill:
    buy = order.side is OrderSide.BUY
    levels = book.asks if buy else book.bids
    remaining = order.size
    shares = notional = ZERO
    for level in levels:
        if remaining <= 0:
            break
        if (buy and level.price > order.limit_price) or (not buy and level.price < order.limit_price):
            break  # levels are best first: every later one is worse still
        take = quantize(min(level.size, remaining), SHARE_STEP, ROUND_FLOOR)
        if take <= 0:
            continue
        shares += take
        notional += take * level.price
        remaining -= take
    if shares <= 0:
        return SimFill("rejected", reason=NoFillReason.NO_LIQUIDITY, from_book=True)
    if order.all_or_nothing and shares < order.size:
        return SimFill("rejected", reason=NoFillReason.FOK_NOT_FILLED, from_book=True)
    status = "filled" if shares == order.size else "partial"
    return SimFill(status, shares, notional, _fee(notional, params), from_book=True)


def _fee(notional: Decimal, params: FillParams) -> Decimal:
    return notional * params.fee_bps / _BPS


# --- ledgers --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LedgerEvent:
    """A change of a ledger: the holding of `key` after it, the cash after it, and a price seen."""

    at: datetime
    key: str
    token_id: str
    shares_after: Decimal
    cash_after: Decimal
    price: Decimal


@dataclass(slots=True)
class Holding:
    token_id: str
    condition_id: str
    position: Position = field(default_factory=Position)
    leader: str = ""


@dataclass(slots=True)
class BacktestLedger:
    """Cash and positions of one simulated book (a strategy, its leaders' benchmark, a shadow).

    Positions are keyed by `key` (the token for a strategy; leader + token where exits mirror one
    leader). Resolution pays $1 per winning share and $0 per other share of the market.
    """

    start_cash: Decimal
    cash: Decimal = ZERO
    holdings: dict[str, Holding] = field(default_factory=dict)
    realized: Decimal = ZERO
    resolution: Decimal = ZERO
    fees: Decimal = ZERO
    bought_usd: Decimal = ZERO
    sold_usd: Decimal = ZERO
    events: list[LedgerEvent] = field(default_factory=list)

    @classmethod
    def with_cash(cls, cash: Decimal) -> BacktestLedger:
        return cls(start_cash=cash, cash=cash)

    def shares(self, key: str) -> Decimal:
        held = self.holdings.get(key)
        return held.position.shares if held is not None else ZERO

    def buy(self, key: str, token_id: str, condition_id: str, fill: SimFill, at: datetime, *, leader: str = "") -> None:
        held = self.holdings.get(key) or Holding(token_id, condition_id, leader=leader)
        held.position = apply_fill(held.position, OrderSide.BUY, fill.shares, fill.notional + fill.fee)
        self.holdings[key] = held
        self.cash -= fill.notional + fill.fee
        self.fees += fill.fee
        self.bought_usd += fill.notional
        self._event(at, key, held, fill)

    def sell(self, key: str, fill: SimFill, at: datetime) -> None:
        held = self.holdings[key]
        before = held.position.realized_pnl_usd
        held.position = apply_fill(held.position, OrderSide.SELL, fill.shares, fill.notional - fill.fee)
        self.realized += held.position.realized_pnl_usd - before
        self.cash += fill.notional - fill.fee
        self.fees += fill.fee
        self.sold_usd += fill.notional
        self._event(at, key, held, fill)

    def resolve(self, resolution: ResolvedMarket) -> Decimal:
        """Pay out every holding of the market; returns the resolution P&L booked."""
        pnl = ZERO
        for key in sorted(self.holdings):
            held = self.holdings[key]
            if held.condition_id != resolution.condition_id or held.position.shares <= 0:
                continue
            price = ONE if held.token_id == resolution.winning_token_id else ZERO
            payout = held.position.shares * price
            pnl += payout - held.position.cost_usd
            self.cash += payout
            held.position = Position(ZERO, ZERO, held.position.realized_pnl_usd)
            self.events.append(LedgerEvent(resolution.resolved_at, key, held.token_id, ZERO, self.cash, price))
        self.resolution += pnl
        return pnl

    def open_holdings(self) -> list[tuple[str, Holding]]:
        return [(k, h) for k, h in sorted(self.holdings.items()) if h.position.shares > 0]

    def _event(self, at: datetime, key: str, held: Holding, fill: SimFill) -> None:
        price = fill.avg_price or ZERO
        self.events.append(LedgerEvent(at, key, held.token_id, held.position.shares, self.cash, price))


# --- marking to market ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Curve:
    """Equity over time (cash + shares at the last traded price), and what the marks were at the end."""

    points: tuple[tuple[datetime, Decimal], ...]
    final_marks: dict[str, Decimal]
    final_equity: Decimal

    def max_drawdown(self) -> tuple[Decimal, Decimal]:
        """(largest fall from a running peak in USD, that fall as a % of the peak; 0 when the peak ≤ 0)."""
        return max_drawdown([v for _, v in self.points])


def mark_to_market(
    events: Sequence[LedgerEvent], prices: Iterable[PricePoint], start_cash: Decimal, start: datetime
) -> Curve:
    """Replays a ledger's changes against the traded prices of its tokens.

    A holding is marked at the last traded price of its token at or before the moment; before any,
    at the price it was last filled at. At one instant, prices are applied before the ledger's events.
    """
    tokens = {e.token_id for e in events}
    by_time: dict[datetime, list[PricePoint]] = defaultdict(list)
    for p in prices:
        if p.token_id in tokens:
            by_time[p.at].append(p)
    ev_by_time: dict[datetime, list[LedgerEvent]] = defaultdict(list)
    for e in events:
        ev_by_time[e.at].append(e)
    marks: dict[str, Decimal] = {}
    fallback: dict[str, Decimal] = {}
    shares: dict[str, tuple[str, Decimal]] = {}
    cash = start_cash
    points: list[tuple[datetime, Decimal]] = [(start, start_cash)]
    started = False
    for at in sorted(set(by_time) | set(ev_by_time)):
        for p in by_time.get(at, ()):
            marks[p.token_id] = p.price
        for e in ev_by_time.get(at, ()):
            started = True
            shares[e.key] = (e.token_id, e.shares_after)
            cash = e.cash_after
            fallback[e.token_id] = e.price
        if not started:
            continue
        value = cash + sum(
            (q * marks.get(token, fallback.get(token, ZERO)) for token, q in shares.values() if q > 0), ZERO
        )
        if value != points[-1][1]:
            points.append((max(at, start), value))
    final_marks = {t: marks.get(t, fallback.get(t, ZERO)) for t in sorted(tokens)}
    return Curve(tuple(points), final_marks, points[-1][1])


def max_drawdown(values: Sequence[Decimal]) -> tuple[Decimal, Decimal]:
    peak: Decimal | None = None
    worst = ZERO
    worst_pct = ZERO
    for v in values:
        if peak is None or v > peak:
            peak = v
            continue
        fall = peak - v
        if fall > worst:
            worst = fall
            worst_pct = (fall / peak * 100) if peak > 0 else ZERO
    return worst, worst_pct
