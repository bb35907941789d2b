"""Money and quantities as Decimal: the contexts, the named steps and quantizers, float conversion.

Every amount is a `Decimal` (or integer base units on the wire). Rounding is always explicit: a
quantizer names the step it rounds to and takes the rounding mode that keeps the books safe
(shares DOWN, so we never sell what we do not hold; a cost UP, so a limit never understates it).

- `CONTEXT`: the arithmetic money relies on (28 digits, banker's rounding, errors trap). It is
  Python's default context, named here so no module changes it for the others; quantizers pass it
  explicitly, so a caller's thread context cannot change a rounded amount.
- `ORDER_MATH_CONTEXT`: the exact, wider context the signed order amounts are computed in
  (`order_amounts`): 60 digits ≫ the ≤ 24 significant digits any order needs.
- Floats (ClickHouse `Float64` columns, JSON numbers) become Decimal through `from_float` only:
  the shortest text that reads back as the same double (0.55 stays 0.55, never its binary
  expansion), and never NaN or infinity.
"""

from __future__ import annotations

import math
from decimal import (
    ROUND_DOWN,
    ROUND_HALF_EVEN,
    Context,
    Decimal,
    DivisionByZero,
    InvalidOperation,
    Overflow,
)
from typing import Final

_TRAPS: Final = [InvalidOperation, DivisionByZero, Overflow]
CONTEXT: Final = Context(prec=28, rounding=ROUND_HALF_EVEN, traps=_TRAPS)
ORDER_MATH_CONTEXT: Final = Context(prec=60, rounding=ROUND_HALF_EVEN, traps=_TRAPS)

ZERO: Final = Decimal("0")
ONE: Final = Decimal("1")
HUNDRED: Final = Decimal("100")

# The steps amounts are rounded to.
WHOLE: Final = Decimal("1")  # whole dollars (entry sizes)
TENTH: Final = Decimal("0.1")  # percentages as people read them
CENT: Final = Decimal("0.01")  # a US cent; also the exchange's share-size step
SHARE_STEP: Final = CENT  # orders are sized in hundredths of a share
PRICE_STEP: Final = Decimal("0.0001")  # the finest tick any market trades at
RATIO_STEP: Final = Decimal("0.0001")  # ratios and percentages in machine-readable output
MICRO: Final = Decimal("0.000001")  # 6 decimals: pUSD and share base units, numeric(…, 6) columns


def quantize(value: Decimal, step: Decimal, rounding: str = ROUND_HALF_EVEN) -> Decimal:
    """`value` on the grid of `step`, rounded as asked, in the money context."""
    return value.quantize(step, rounding=rounding, context=CONTEXT)


def to_cents(value: Decimal, rounding: str = ROUND_HALF_EVEN) -> Decimal:
    return quantize(value, CENT, rounding)


def to_micros(value: Decimal, rounding: str = ROUND_HALF_EVEN) -> Decimal:
    return quantize(value, MICRO, rounding)


def to_share_step(value: Decimal, rounding: str = ROUND_DOWN) -> Decimal:
    """A share count the exchange accepts; DOWN by default: never more than there is."""
    return quantize(value, SHARE_STEP, rounding)


def from_float(value: float) -> Decimal:
    """The Decimal a float stands for: its shortest round-tripping text. NaN and ±inf are refused."""
    if not math.isfinite(value):
        raise ValueError(f"not a finite amount: {value!r}")
    return Decimal(repr(float(value)))


def parse_amount(value: object) -> Decimal:
    """An amount from JSON or text: a Decimal, int or str as written, a float by `from_float`.

    Raises ValueError for anything else, and for NaN or infinity.
    """
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, bool):
        raise ValueError(f"not an amount: {value!r}")
    elif isinstance(value, int | str):
        try:
            result = Decimal(value)
        except ArithmeticError:
            raise ValueError(f"not an amount: {value!r}") from None
    elif isinstance(value, float):
        return from_float(value)
    else:
        raise ValueError(f"not an amount: {value!r}")
    if not result.is_finite():
        raise ValueError(f"not a finite amount: {value!r}")
    return result
