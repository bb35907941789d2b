"""Iceberg slices: a trade never becomes more than `max_slices` intents, none below the minimum."""

from __future__ import annotations

from decimal import ROUND_CEILING, Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from omegacopy.domain.iceberg import slice_amounts

D = Decimal
dollars = st.integers(min_value=1, max_value=5_000_000).map(D)
slices = st.decimals(min_value=D("0.000001"), max_value=D("100000"), places=6)
minimums = st.decimals(min_value=D("0"), max_value=D("500"), places=2)


@settings(max_examples=500, deadline=None)
@given(usd=dollars, slice_usd=slices, min_slice=minimums, max_slices=st.integers(1, 100))
def test_slices_sum_to_the_amount_within_every_cap(
    usd: Decimal, slice_usd: Decimal, min_slice: Decimal, max_slices: int
) -> None:
    amounts = slice_amounts(usd, slice_usd=slice_usd, min_slice_usd=min_slice, max_slices=max_slices)
    assert sum(amounts) == usd
    assert 1 <= len(amounts) <= max_slices
    if len(amounts) > 1:
        floor = max(min_slice.to_integral_value(rounding=ROUND_CEILING), D(1))
        assert min(amounts) >= floor  # never a slice below the minimum, never $0
        assert all(a == a.to_integral_value() for a in amounts)


def test_the_reported_explosions_are_capped() -> None:
    # 0.01 made 100,000 intents for one $1,000 copy; 0.1 made 9,999 intents of $0
    tiny = slice_amounts(D("1000"), slice_usd=D("0.01"), min_slice_usd=D("10"), max_slices=20)
    assert len(tiny) == 20 and set(tiny) == {D("50")}
    small = slice_amounts(D("1000"), slice_usd=D("0.1"), min_slice_usd=D("10"), max_slices=10_000)
    assert len(small) == 100 and min(small) == D("10")


def test_the_usual_split() -> None:
    assert slice_amounts(D("1200"), slice_usd=D("500"), min_slice_usd=D("10"), max_slices=20) == [
        D("400"),
        D("400"),
        D("400"),
    ]
    assert slice_amounts(D("488"), slice_usd=D("500"), min_slice_usd=D("10"), max_slices=20) == [D("488")]
    assert slice_amounts(D("15"), slice_usd=D("10"), min_slice_usd=D("10"), max_slices=20) == [D("15")]
