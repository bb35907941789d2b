"""Position accounting on fills: shares, cost basis (average entry) and realized P&L."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from omegacopy.domain.order_amounts import OrderSide

_ZERO = Decimal("0")


@dataclass(frozen=True, slots=True)
class Position:
    shares: Decimal = _ZERO
    cost_usd: Decimal = _ZERO
    realized_pnl_usd: Decimal = _ZERO

    @property
    def avg_entry_price(self) -> Decimal:
        return self.cost_usd / self.shares if self.shares > 0 else _ZERO


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
        released_cost = position.cost_usd * sold / position.shares if position.shares > 0 else _ZERO
    return Position(
        shares=position.shares - sold,
        cost_usd=position.cost_usd - released_cost,
        realized_pnl_usd=position.realized_pnl_usd + (usd - released_cost),
    )
