"""From an intent's draft to the exact order the executor signs: side, price on the tick grid, size.

Copies default to a marketable FAK (or FOK) whose worst price is the leader's price plus the
strategy's slippage ceiling; passive styles rest a GTC/GTD limit at the leader's price. Prices
round toward the safe side of the grid: a BUY never pays above its worst price, a SELL never
accepts below it.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from omegacopy.domain.intent import IntentDraft
from omegacopy.domain.models import OrderStyle, TradeAction
from omegacopy.domain.money import SHARE_STEP, to_cents, to_share_step
from omegacopy.domain.order_amounts import OrderKind, OrderRejected, OrderSide
from omegacopy.domain.positions import order_side

# GTD: the exchange expires the order 60 s before `expiration`, which must be ≥ now + 180 s.
GTD_LIFETIME_S = 900


@dataclass(frozen=True, slots=True)
class OrderPlan:
    side: OrderSide
    kind: OrderKind
    price: Decimal
    size: Decimal
    order_type: str
    expiration: int
    tick_size: Decimal

    @property
    def notional_usd(self) -> Decimal:
        return self.size * self.price


def snap_to_tick(price: Decimal, tick: Decimal, *, up: bool) -> Decimal:
    steps = (price / tick).to_integral_value(rounding=ROUND_CEILING if up else ROUND_FLOOR)
    return steps * tick


def marketable_buy_shares(usd: Decimal, price: Decimal) -> Decimal:
    """Most shares (2 decimals) that `usd` buys at `price` whose cost has at most 2 decimals.

    The exchange is reported to reject FOK/FAK BUYs whose collateral amount has more than 2
    decimals, so the size steps down by a cent of a share until the cost is whole cents.
    """
    shares = to_share_step(usd / price)
    # at most 100 steps: price has ≤ 4 decimals, so some multiple of 0.01 shares within 1 share fits
    for _ in range(101):
        if shares <= 0:
            break
        if (shares * price) == to_cents(shares * price):
            return shares
        shares -= SHARE_STEP
    raise OrderRejected(f"${usd} at {price} buys no whole-cent marketable order")


def plan_order(draft: IntentDraft, *, tick_size: Decimal, min_size: Decimal, now_s: int) -> OrderPlan:
    buy = draft.action is TradeAction.BUY
    passive = draft.order_style in (OrderStyle.GTC, OrderStyle.GTD)
    reference = draft.leader_price if passive else draft.worst_price
    price = snap_to_tick(reference, tick_size, up=not buy)
    if not tick_size <= price <= 1 - tick_size:
        raise OrderRejected(f"price {price} outside the market's range for tick {tick_size}")
    if buy:
        if draft.usd_amount is None or draft.usd_amount <= 0:
            raise OrderRejected("a BUY intent needs a positive USD amount")
        # a resting order may cost any fraction of a cent; a marketable one must not
        size = to_share_step(draft.usd_amount / price) if passive else marketable_buy_shares(draft.usd_amount, price)
    else:
        if draft.shares is None or draft.shares <= 0:
            raise OrderRejected("a SELL intent needs a positive share count")
        size = to_share_step(draft.shares)
    if size < min_size:
        raise OrderRejected(f"size {size} below the market minimum {min_size}")
    expiration = now_s + GTD_LIFETIME_S if draft.order_style is OrderStyle.GTD else 0
    return OrderPlan(
        side=order_side(draft.action),
        kind=OrderKind.LIMIT,
        price=price,
        size=size,
        order_type=draft.order_style.value,
        expiration=expiration,
        tick_size=tick_size,
    )
