"""Position accounting: shares, cost basis (average entry), realized and unrealized P&L, and the
booking of an order's fills.

Every book in the system goes through here: the executor's (`book_fill`, persisted as computed),
settlement at a market's resolution (`settle`), mark-to-market, the live report, the local run's
summary and the backtest (`apply_fill`, `unrealized`).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from omegacopy.domain.models import TradeAction
from omegacopy.domain.money import ONE, ZERO, to_micros
from omegacopy.domain.order_amounts import OrderSide

# The row id of a fill the exchange gave no new trade id for (see `book_fill`). It is ours, not
# the exchange's: the fill that brought the order's cumulative matched size to the number after it.
CUMULATIVE_TRADE_ID_PREFIX = "cumulative:"


@dataclass(frozen=True, slots=True)
class Position:
    shares: Decimal = ZERO
    cost_usd: Decimal = ZERO
    realized_pnl_usd: Decimal = ZERO

    @property
    def avg_entry_price(self) -> Decimal:
        return self.cost_usd / self.shares if self.shares > 0 else ZERO


def order_side(action: TradeAction) -> OrderSide:
    return OrderSide.BUY if action is TradeAction.BUY else OrderSide.SELL


def apply_fill(position: Position, side: OrderSide, shares: Decimal, usd: Decimal) -> Position:
    """A BUY adds shares at cost; a SELL realises P&L against the average entry of what it sells."""
    if shares <= 0:
        return position
    if side is OrderSide.BUY:
        return Position(position.shares + shares, position.cost_usd + usd, position.realized_pnl_usd)
    sold = min(shares, position.shares)
    if sold == position.shares:
        released_cost = position.cost_usd  # a close releases all of it: no dust on a flat position
    else:
        released_cost = position.cost_usd * sold / position.shares if position.shares > 0 else ZERO
    return Position(
        shares=position.shares - sold,
        cost_usd=position.cost_usd - released_cost,
        realized_pnl_usd=position.realized_pnl_usd + (usd - released_cost),
    )


def unrealized(shares: Decimal, cost_usd: Decimal, mark: Decimal | None) -> Decimal:
    """What an open holding would gain (or lose) at `mark`. A flat holding has none, and one with no
    mark is valued at its cost: no price is guessed."""
    if shares <= 0 or mark is None:
        return ZERO
    return shares * mark - cost_usd


@dataclass(frozen=True, slots=True)
class Settlement:
    """A position closed by its market's resolution: every share paid `payout` (0..1 USD).

    `proceeds_usd` is what the strategy's capital is credited; `position` is the flat position
    after it, carrying the realized P&L.
    """

    shares: Decimal
    payout: Decimal
    proceeds_usd: Decimal
    realized_pnl_usd: Decimal
    position: Position


def settle(position: Position, payout: Decimal) -> Settlement | None:
    """Close `position` at its outcome's payout per share; None when nothing is held.

    Proceeds round DOWN to the micro-dollar, as the chain's integer payout does: the books never
    credit more than a redemption can bring in.
    """
    if not ZERO <= payout <= ONE:
        raise ValueError(f"a payout per share is between 0 and 1, not {payout}")
    if position.shares <= 0:
        return None
    proceeds = to_micros(position.shares * payout, ROUND_DOWN)
    pnl = proceeds - position.cost_usd
    return Settlement(
        shares=position.shares,
        payout=payout,
        proceeds_usd=proceeds,
        realized_pnl_usd=pnl,
        position=Position(ZERO, ZERO, position.realized_pnl_usd + pnl),
    )


@dataclass(frozen=True, slots=True)
class CumulativeFill:
    """What one order has filled in total so far, as one observation of it says (a POST reply, or
    the exchange's record of the order), with the exchange's ids of the trades behind it."""

    total_shares: Decimal = ZERO
    total_usd: Decimal = ZERO
    trade_ids: tuple[str, ...] = ()

    @classmethod
    def from_post_reply(
        cls, action: TradeAction, *, making: Decimal, taking: Decimal, trade_ids: tuple[str, ...]
    ) -> CumulativeFill:
        """makingAmount / takingAmount of a POST reply: what matched at once. A BUY makes USD and
        takes shares; a SELL makes shares and takes USD."""
        if action is TradeAction.SELL:
            return cls(total_shares=making, total_usd=taking, trade_ids=trade_ids)
        return cls(total_shares=taking, total_usd=making, trade_ids=trade_ids)


@dataclass(frozen=True, slots=True)
class BookedFill:
    """The part of an observation not booked yet, and everything it changes.

    `cash_usd` is signed (a BUY spends, a SELL receives); `position` is the strategy's position in
    the token after it; `filled` is the order's cumulative fill to record on the intent;
    `trade_id` names the trade row (unique per order).
    """

    side: OrderSide
    shares: Decimal
    usd: Decimal
    price: Decimal
    cash_usd: Decimal
    realized_pnl_usd: Decimal
    position: Position
    avg_entry_price: Decimal
    trade_id: str
    filled: CumulativeFill


def book_fill(
    action: TradeAction, *, booked: CumulativeFill, observed: CumulativeFill, position: Position
) -> BookedFill | None:
    """Book what `observed` adds beyond `booked` (what the intent has recorded) to `position`.

    Idempotent by construction: it books the delta of two cumulative observations, so a reply and a
    later reconcile never count a fill twice; None when nothing new filled.

    The trade row is named by the exchange's ids of the trades new in this observation (joined by
    commas, sorted); when the observation names no new trade (a lagging trade list), by
    `cumulative:<total shares>`, our deterministic id for the step that brought the order there.
    """
    new_shares = observed.total_shares - booked.total_shares
    if new_shares <= 0:
        return None
    new_usd = observed.total_usd - booked.total_usd
    side = order_side(action)
    after = apply_fill(position, side, new_shares, new_usd)
    known = set(booked.trade_ids)
    new_ids = sorted({t for t in observed.trade_ids if t not in known})
    total_text = format(observed.total_shares.normalize(), "f")
    return BookedFill(
        side=side,
        shares=new_shares,
        usd=new_usd,
        price=to_micros(new_usd / new_shares),
        cash_usd=-new_usd if side is OrderSide.BUY else new_usd,
        realized_pnl_usd=after.realized_pnl_usd - position.realized_pnl_usd,
        position=after,
        avg_entry_price=to_micros(after.avg_entry_price),
        trade_id=",".join(new_ids) if new_ids else f"{CUMULATIVE_TRADE_ID_PREFIX}{total_text}",
        filled=CumulativeFill(observed.total_shares, observed.total_usd, tuple(sorted(known | set(new_ids)))),
    )
