"""Stop-loss and take-profit: when a marked position should be closed, and at what worst price."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from omegacopy.domain.decisions import worst_sell_price

_HUNDRED = Decimal("100")


@dataclass(frozen=True, slots=True)
class ExitTrigger:
    kind: str  # "stop_loss" | "take_profit"
    worst_price: Decimal
    reason: str


def exit_trigger(
    *,
    avg_entry: Decimal,
    mark: Decimal,
    stop_loss_pct: Decimal | None,
    take_profit_pct: Decimal | None,
    slippage: Decimal,
) -> ExitTrigger | None:
    """The trigger a position at `mark` has hit, if any (stop-loss wins when both could apply)."""
    if avg_entry <= 0:
        return None
    if stop_loss_pct is not None and mark <= avg_entry * (1 - stop_loss_pct / _HUNDRED):
        return ExitTrigger(
            "stop_loss",
            worst_sell_price(mark, slippage),
            f"mark {mark} is {stop_loss_pct}% or more below the average entry {avg_entry:.4f}",
        )
    if take_profit_pct is not None and mark >= avg_entry * (1 + take_profit_pct / _HUNDRED):
        return ExitTrigger(
            "take_profit",
            worst_sell_price(mark, slippage),
            f"mark {mark} is {take_profit_pct}% or more above the average entry {avg_entry:.4f}",
        )
    return None
