"""Pre-trade risk: the last checks before a key is unwrapped and an order signed.

Exits (sells that reduce a position) are never blocked by entry limits: only the book and the
shares actually held can stop them.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from omegacopy.domain.models import Tunables
from omegacopy.domain.order_amounts import OrderSide
from omegacopy.domain.order_plan import OrderPlan


@dataclass(frozen=True, slots=True)
class RiskContext:
    balance_usd: Decimal
    position_shares: Decimal
    market_exposure_usd: Decimal  # cost basis already held in this market (all outcomes)
    realized_pnl_today_usd: Decimal
    best_bid: Decimal | None
    best_ask: Decimal | None
    # the capital the daily-loss limit is a percentage of (the strategy's starting balance);
    # None: the current balance
    capital_base_usd: Decimal | None = None


@dataclass(frozen=True, slots=True)
class RiskVerdict:
    ok: bool
    reason_code: str = "ok"
    message: str = ""


OK = RiskVerdict(ok=True)


def _refuse(code: str, message: str) -> RiskVerdict:
    return RiskVerdict(ok=False, reason_code=code, message=message)


def check_book_exists(plan: OrderPlan, ctx: RiskContext, tunables: Tunables) -> RiskVerdict | None:
    touch = ctx.best_ask if plan.side is OrderSide.BUY else ctx.best_bid
    if touch is None:
        side = "asks to buy from" if plan.side is OrderSide.BUY else "bids to sell to"
        return _refuse("no_book", f"no fresh order book: no {side}")
    return None


def check_marketable(plan: OrderPlan, ctx: RiskContext, tunables: Tunables) -> RiskVerdict | None:
    """A FAK/FOK that cannot trade at its worst price would only be killed: don't send it."""
    if plan.order_type not in ("FAK", "FOK"):
        return None
    if plan.side is OrderSide.BUY and ctx.best_ask is not None and ctx.best_ask > plan.price:
        return _refuse("price_moved", f"best ask {ctx.best_ask} is above the worst price {plan.price}")
    if plan.side is OrderSide.SELL and ctx.best_bid is not None and ctx.best_bid < plan.price:
        return _refuse("price_moved", f"best bid {ctx.best_bid} is below the worst price {plan.price}")
    return None


def check_collar(plan: OrderPlan, ctx: RiskContext, tunables: Tunables) -> RiskVerdict | None:
    touch = ctx.best_ask if plan.side is OrderSide.BUY else ctx.best_bid
    if touch is not None and abs(plan.price - touch) > tunables.price_collar:
        return _refuse(
            "price_collar", f"price {plan.price} is more than {tunables.price_collar} from the book ({touch})"
        )
    return None


def check_shares_held(plan: OrderPlan, ctx: RiskContext, tunables: Tunables) -> RiskVerdict | None:
    if plan.side is OrderSide.SELL and plan.size > ctx.position_shares:
        return _refuse("insufficient_shares", f"selling {plan.size} shares but holding {ctx.position_shares}")
    return None


def check_order_value(plan: OrderPlan, ctx: RiskContext, tunables: Tunables) -> RiskVerdict | None:
    if plan.notional_usd > tunables.max_order_usd:
        return _refuse("max_order_value", f"order ${plan.notional_usd} above the ${tunables.max_order_usd} limit")
    return None


def check_balance(plan: OrderPlan, ctx: RiskContext, tunables: Tunables) -> RiskVerdict | None:
    if plan.notional_usd > ctx.balance_usd:
        return _refuse("insufficient_balance", f"order ${plan.notional_usd} above the balance ${ctx.balance_usd}")
    return None


def check_market_exposure(plan: OrderPlan, ctx: RiskContext, tunables: Tunables) -> RiskVerdict | None:
    after = ctx.market_exposure_usd + plan.notional_usd
    if after > tunables.max_market_exposure_usd:
        return _refuse(
            "market_exposure", f"exposure ${after} would exceed ${tunables.max_market_exposure_usd} in this market"
        )
    return None


def check_daily_loss(plan: OrderPlan, ctx: RiskContext, tunables: Tunables) -> RiskVerdict | None:
    base = ctx.capital_base_usd if ctx.capital_base_usd is not None else ctx.balance_usd
    limit = base * tunables.daily_loss_limit_pct / 100
    if limit > 0 and -ctx.realized_pnl_today_usd >= limit:
        return _refuse("daily_loss_limit", f"today's realized loss ${-ctx.realized_pnl_today_usd} reached ${limit}")
    return None


_ALWAYS = (check_book_exists, check_marketable, check_collar, check_shares_held)
_ENTRY_ONLY = (check_order_value, check_balance, check_market_exposure, check_daily_loss)


def check_pre_trade(plan: OrderPlan, *, is_exit: bool, ctx: RiskContext, tunables: Tunables) -> RiskVerdict:
    checks = _ALWAYS if is_exit or plan.side is OrderSide.SELL else _ALWAYS + _ENTRY_ONLY
    for check in checks:
        verdict = check(plan, ctx, tunables)
        if verdict is not None:
            return verdict
    return OK
