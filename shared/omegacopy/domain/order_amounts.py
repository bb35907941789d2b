"""Maker/taker amounts of a CLOB V2 order, in 6-decimal base units (shares and pUSD alike).

Exact `Decimal` arithmetic, the same two-step rounding as the official unified SDK
(`polymarket-client`), proven identical by the differential tests. On top of the SDK we refuse
what the exchange is reported to refuse, so a doomed order is never signed or sent:

* a price off the tick grid or outside [tick, 1 - tick];
* a size/amount that is non-positive, non-finite, absurdly large, or rounds to zero;
* amounts beyond the server's precision rules (`PRECISION_RULES`, see `check_precision`);
* a protected market BUY whose rounding would let it reach the next possible ask.

All arithmetic runs in a private decimal context, so a caller changing the thread's context
cannot change an order.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_EVEN, Decimal, InvalidOperation
from enum import IntEnum, StrEnum
from typing import Final

from omegacopy.domain.money import ORDER_MATH_CONTEXT


class OrderRejected(ValueError):  # noqa: N818 - the name other modules code against
    """An order we refuse to build, sign or send. The message says why; it never holds secrets."""


class OrderKind(StrEnum):
    LIMIT = "limit"
    MARKET = "market"


class OrderSide(IntEnum):
    """The EIP-712 `uint8 side` of the V2 order struct."""

    BUY = 0
    SELL = 1

    @property
    def wire(self) -> str:
        """How the JSON body spells the side."""
        return self.name


@dataclass(frozen=True, slots=True)
class RoundConfig:
    """Decimals kept for the price, the share size and the computed amount, per tick size."""

    price: int
    size: int
    amount: int


ROUNDING: Final[dict[Decimal, RoundConfig]] = {
    Decimal("0.1"): RoundConfig(price=1, size=2, amount=3),
    Decimal("0.01"): RoundConfig(price=2, size=2, amount=4),
    Decimal("0.005"): RoundConfig(price=3, size=2, amount=5),
    Decimal("0.0025"): RoundConfig(price=4, size=2, amount=6),
    Decimal("0.001"): RoundConfig(price=3, size=2, amount=5),
    Decimal("0.0001"): RoundConfig(price=4, size=2, amount=6),
}
TICK_SIZES: Final[tuple[Decimal, ...]] = tuple(ROUNDING)
# The finest tick any market can move to: no resting price can lie strictly between p and p + this.
MIN_TICK_SIZE: Final[Decimal] = min(ROUNDING)

# Largest share size or USD amount we will sign. Far above any real order; it bounds the
# arithmetic (the exactness argument in `_two_step_round` needs ≤ 14 integer digits).
MAX_ORDER_QUANTITY: Final[Decimal] = Decimal(10**9)

BASE_UNITS: Final[int] = 10**6  # 6 decimals, collateral and conditional tokens alike

# Every inexact step is rounded explicitly with quantize, never by the context.
_CTX: Final = ORDER_MATH_CONTEXT
_ONE: Final[Decimal] = Decimal(1)
_QUANTIZERS: Final[dict[int, Decimal]] = {d: Decimal(1).scaleb(-d) for d in range(0, 16)}


@dataclass(frozen=True, slots=True)
class OrderAmounts:
    """The signed amounts: BUY pays `maker_amount` pUSD for `taker_amount` shares; SELL the reverse.

    `price` is the (validated, on-grid) limit price the amounts were derived from.
    """

    side: OrderSide
    maker_amount: int
    taker_amount: int
    price: Decimal

    @property
    def shares(self) -> int:
        return self.taker_amount if self.side is OrderSide.BUY else self.maker_amount

    @property
    def collateral(self) -> int:
        return self.maker_amount if self.side is OrderSide.BUY else self.taker_amount


# (side, marketable) -> (max maker decimals, max taker decimals) in whole units; None = no rule.
# Sources are issue reports of the live server's 400 "invalid amounts" errors, not docs:
# * limit BUY taker ≤ 2 (py-clob-client #253): shares always are, after rounding down.
# * FOK/FAK BUY maker ≤ 2, taker ≤ 4 whatever the tick ("the market buy orders maker amount
#   supports a max accuracy of 2 decimals, taker amount a max of 4 decimals":
#   py-clob-client-v2 #99 on V2, rs-clob-client #114). On ticks finer than 0.01 the SDK's share
#   count often has 5-6 decimals, so many market BUYs there are refused.
# Not enforced, evidence too thin: the same error text claims limit BUY maker ≤ 4, and a "sell
# orders" variant (py-clob-client #121) claims maker ≤ 2 / taker ≤ 4 for some FOK orders.
PRECISION_RULES: Final[dict[tuple[OrderSide, bool], tuple[int | None, int | None]]] = {
    (OrderSide.BUY, False): (None, 2),
    (OrderSide.BUY, True): (2, 4),
}
_MARKETABLE_ORDER_TYPES: Final[frozenset[str]] = frozenset({"FOK", "FAK"})
_RESTING_ORDER_TYPES: Final[frozenset[str]] = frozenset({"GTC", "GTD"})


def _is_marketable(kind_or_order_type: OrderKind | str) -> bool:
    if isinstance(kind_or_order_type, OrderKind):
        return kind_or_order_type is OrderKind.MARKET
    value = str(kind_or_order_type)
    if value in _MARKETABLE_ORDER_TYPES:
        return True
    if value in _RESTING_ORDER_TYPES:
        return False
    try:
        return OrderKind(value) is OrderKind.MARKET
    except ValueError:
        raise OrderRejected(
            f"unknown order kind/type {value!r}: expected limit, market, GTC, GTD, FOK or FAK"
        ) from None


def _decimals_of_base_units(units: int) -> int:
    """How many decimals a 6-decimal base-unit integer has once written in whole units."""
    if units % BASE_UNITS == 0:
        return 0
    decimals = 6
    while units % 10 == 0:
        units //= 10
        decimals -= 1
    return decimals


def check_precision(side: OrderSide, kind_or_order_type: OrderKind | str, maker_amount: int, taker_amount: int) -> None:
    """Raise `OrderRejected` if the amounts break a reported server precision rule.

    `kind_or_order_type` is an `OrderKind` or an order type string: GTC/GTD rest (limit rules),
    FOK/FAK take liquidity (market rules) — a limit-priced FOK is judged by the market rules.
    """
    side = OrderSide(side)
    marketable = _is_marketable(kind_or_order_type)
    if maker_amount <= 0 or taker_amount <= 0:
        raise OrderRejected(f"amounts must be positive (maker {maker_amount}, taker {taker_amount} base units)")
    rule = PRECISION_RULES.get((side, marketable))
    if rule is None:
        return
    style = "marketable (FOK/FAK)" if marketable else "resting (GTC/GTD)"
    for role, units, limit in (("maker", maker_amount, rule[0]), ("taker", taker_amount, rule[1])):
        decimals = _decimals_of_base_units(units)
        if limit is not None and decimals > limit:
            raise OrderRejected(
                f"{style} {side.wire}: {role} amount {_units_text(units)} has {decimals} decimals, "
                f"the server's precision allows {limit} (maker {_units_text(maker_amount)}, "
                f"taker {_units_text(taker_amount)})"
            )


def _units_text(units: int) -> str:
    return str(Decimal(units).scaleb(-6, _CTX).normalize(_CTX))


def _coerce(name: str, value: object) -> Decimal:
    """Decimal from Decimal/int/str. Floats are refused: they are where the old clients went wrong."""
    if isinstance(value, bool | float):
        raise OrderRejected(f"{name} must be a Decimal, int or decimal string, not {type(value).__name__}")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, str):
        try:
            result = Decimal(value.strip())
        except InvalidOperation:
            raise OrderRejected(f"{name} is not a decimal number: {value!r}") from None
    else:
        raise OrderRejected(f"{name} must be a Decimal, got {type(value).__name__}")
    if not result.is_finite():
        raise OrderRejected(f"{name} must be finite, got {result}")
    return result


def decimal_places(value: Decimal) -> int:
    exponent = value.normalize(_CTX).as_tuple().exponent
    if not isinstance(exponent, int):  # pragma: no cover - finite values only
        return 0
    return max(0, -exponent)


def _round(value: Decimal, decimals: int, rounding: str) -> Decimal:
    if decimal_places(value) <= decimals:
        return value
    return value.quantize(_QUANTIZERS[decimals], rounding=rounding, context=_CTX)


def _two_step_round(value: Decimal, decimals: int) -> Decimal:
    """Keep `value` if it fits in `decimals`; else round up at decimals+4, then down at decimals.

    Net effect: round down, except that a value within 1e-(decimals+4) below the next grid point
    snaps up to it. The SDK does this in the thread's default 28-digit context; our quotients are
    exact to 60 digits. They agree: a quotient m/p has denominator < 10^4 in units of the
    (decimals+4)-th place, so it is never within 1e-14 of a grid point without being on it, and
    28 digits of a value < 10^14 resolve 1e-14.
    """
    if decimal_places(value) <= decimals:
        return value
    value = _round(value, decimals + 4, ROUND_CEILING)
    if decimal_places(value) > decimals:
        value = _round(value, decimals, ROUND_FLOOR)
    return value


def _to_base_units(value: Decimal) -> int:
    scaled = _CTX.multiply(value, Decimal(BASE_UNITS)).quantize(_ONE, rounding=ROUND_HALF_EVEN, context=_CTX)
    return int(scaled)


def rounding_config(tick_size: Decimal) -> RoundConfig:
    tick = _coerce("tick_size", tick_size)
    config = ROUNDING.get(tick)
    if config is None:
        allowed = ", ".join(str(t) for t in TICK_SIZES)
        raise OrderRejected(f"unsupported tick size {tick}: expected one of {allowed}")
    return config


def validate_price(price: Decimal, tick_size: Decimal) -> Decimal:
    """The price, if it is finite, inside [tick, 1 - tick] and a multiple of the tick."""
    tick = _coerce("tick_size", tick_size)
    rounding_config(tick)
    value = _coerce("price", price)
    if value <= 0 or value >= 1:
        raise OrderRejected(f"price {value} must be strictly between 0 and 1")
    if value < tick or value > _ONE - tick:
        raise OrderRejected(f"price {value} must be between {tick} and {_ONE - tick} for tick size {tick}")
    if decimal_places(value) > decimal_places(tick) or _CTX.remainder(value, tick) != 0:
        raise OrderRejected(f"price {value} is off the tick grid of {tick} (refresh the market's tick size)")
    return value


def _validate_quantity(name: str, value: Decimal | None) -> Decimal:
    if value is None:
        raise OrderRejected(f"{name} is required")
    quantity = _coerce(name, value)
    if quantity <= 0:
        raise OrderRejected(f"{name} must be positive, got {quantity}")
    if quantity > MAX_ORDER_QUANTITY:
        raise OrderRejected(f"{name} {quantity} exceeds the sanity maximum {MAX_ORDER_QUANTITY}")
    return quantity


def order_amounts(
    side: OrderSide,
    kind: OrderKind,
    price: Decimal,
    tick_size: Decimal,
    *,
    size: Decimal | None = None,
    amount: Decimal | None = None,
) -> OrderAmounts:
    """Maker/taker base units for one order.

    * limit BUY/SELL: `size` shares (rounded down to 2 decimals) at `price`;
    * market BUY: spend `amount` pUSD (rounded down to cents) at worst `price`;
    * market SELL: `size` shares at worst `price`.

    Raises `OrderRejected` for anything the exchange would refuse (see the module docstring).
    """
    side = OrderSide(side)
    kind = OrderKind(kind)
    config = rounding_config(tick_size)
    px = validate_price(price, tick_size)
    market_buy = kind is OrderKind.MARKET and side is OrderSide.BUY
    if market_buy:
        if size is not None:
            raise OrderRejected("a market BUY is sized by amount (USD), not size")
        notional = _round(_validate_quantity("amount", amount), config.size, ROUND_FLOOR)
        if notional <= 0:
            raise OrderRejected(f"amount {amount} rounds down to zero at {config.size} decimals")
        # Shares received; the SDK rounds them down (two-step), so maker/taker sits at or a hair
        # above `px` and an ask resting exactly at `px` can still be lifted.
        shares = _two_step_round(_CTX.divide(notional, px), config.amount)
        maker, taker = _to_base_units(notional), _to_base_units(shares)
        if taker <= 0:
            raise OrderRejected(f"amount {notional} buys zero shares at price {px}")
        # As the SDK does for a protected (max_price) market BUY: the rounded ratio must stay
        # strictly below the next price any market could quote, or the order could fill there.
        next_price = px + MIN_TICK_SIZE
        if _CTX.compare(_CTX.multiply(Decimal(taker), next_price), Decimal(maker)) <= 0:
            raise OrderRejected(
                f"market BUY of {notional} at {px} rounds to {_units_text(taker)} shares, an "
                f"effective price at or above {next_price}: increase the amount"
            )
    else:
        if amount is not None:
            raise OrderRejected(f"a {kind} {side.wire} is sized by size (shares), not amount")
        shares = _round(_validate_quantity("size", size), config.size, ROUND_FLOOR)
        if shares <= 0:
            raise OrderRejected(f"size {size} rounds down to zero at {config.size} decimals")
        # price × shares is exact here (≤ price decimals + 2 ≤ amount decimals); the two-step
        # rounding is kept for parity with the SDK.
        collateral = _two_step_round(_CTX.multiply(shares, px), config.amount)
        if side is OrderSide.BUY:
            maker, taker = _to_base_units(collateral), _to_base_units(shares)
        else:
            maker, taker = _to_base_units(shares), _to_base_units(collateral)
    check_precision(side, kind, maker, taker)
    return OrderAmounts(side=side, maker_amount=maker, taker_amount=taker, price=px)


__all__ = [
    "BASE_UNITS",
    "MAX_ORDER_QUANTITY",
    "MIN_TICK_SIZE",
    "PRECISION_RULES",
    "ROUNDING",
    "TICK_SIZES",
    "OrderAmounts",
    "OrderKind",
    "OrderRejected",
    "OrderSide",
    "RoundConfig",
    "check_precision",
    "decimal_places",
    "order_amounts",
    "rounding_config",
    "validate_price",
]
