"""Iceberg slicing: how many intents one copied entry becomes, and the dollars of each.

An entry above the slice size is split so the book is not swept at once, but a trade can never
become more than `max_slices` intents (slices grow instead) and no slice is below the minimum
order (fewer slices instead): a tiny slice setting must not turn one copy into thousands of
intents, nor into intents of $0.
"""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

_ONE = Decimal("1")


def slice_amounts(usd: Decimal, *, slice_usd: Decimal, min_slice_usd: Decimal, max_slices: int) -> list[Decimal]:
    """Dollar amounts summing to `usd`: whole dollars but the last, at most `max_slices` of them,
    each at least `min_slice_usd` (rounded up to a whole dollar) unless `usd` itself is smaller."""
    if usd <= 0 or usd <= slice_usd or max_slices <= 1:
        return [usd]
    floor_usd = max(min_slice_usd.to_integral_value(rounding=ROUND_CEILING), _ONE)
    target = max(slice_usd, floor_usd)
    wanted = int((usd / target).to_integral_value(rounding=ROUND_CEILING))
    affordable = int((usd / floor_usd).to_integral_value(rounding=ROUND_FLOOR))
    count = max(1, min(wanted, max_slices, affordable))
    if count == 1:
        return [usd]
    base = (usd / count).to_integral_value(rounding=ROUND_FLOOR)
    return [base] * (count - 1) + [usd - base * (count - 1)]
