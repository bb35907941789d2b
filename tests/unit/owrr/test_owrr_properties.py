"""Property tests: OWRR is a share in [0, 1], and it is symmetric under swapping YES and NO."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from omegacopy.domain.models import Confidence
from omegacopy.domain.owrr import WalletMetric, WalletPosition, compute_owrr, js_round

from .factories import CATEGORY

# Dyadic prices k/64: 1 − p and 1 − (1 − p) are exact, so mirrored risks are bit-identical.
dyadic_price = st.integers(min_value=0, max_value=64).map(lambda k: k / 64)
omegas = st.one_of(
    st.none(),
    st.just(0.0),
    st.floats(min_value=-1, max_value=10, allow_nan=False),
)
wallet_row = st.tuples(
    st.floats(min_value=0, max_value=1e6, allow_nan=False),  # shares
    dyadic_price,
    st.floats(min_value=0, max_value=1e6, allow_nan=False),  # position value
    omegas,
    st.integers(min_value=0, max_value=40),  # resolved bets
)
sides = st.lists(wallet_row, max_size=25)

Row = tuple[float, float, float, float | None, int]


def build(yes: list[Row], no: list[Row], mirror: bool = False) -> tuple[list[WalletPosition], list[WalletMetric]]:
    positions: list[WalletPosition] = []
    metrics: list[WalletMetric] = []
    for side, rows, prefix in (("YES", yes, "0xy"), ("NO", no, "0xn")):
        for i, (shares, price, value, omega, bets) in enumerate(rows):
            wallet = f"{prefix}{i:02d}"
            if mirror:  # the same wallet on the other side at the mirrored price
                side_out, price_out = ("NO" if side == "YES" else "YES"), 1 - price
            else:
                side_out, price_out = side, price
            positions.append(WalletPosition(wallet, side_out, shares, price_out, value))
            metrics.append(WalletMetric(wallet, CATEGORY, "lifetime", omega, bets))
    return positions, metrics


@settings(max_examples=300, deadline=None)
@given(sides, sides)
def test_owrr_is_a_share_and_the_slider_its_rounding(yes: list[Row], no: list[Row]) -> None:
    r = compute_owrr(CATEGORY, *build(yes, no))
    assert 0.0 <= r.owrr <= 1.0
    assert 0 <= r.slider <= 100
    assert r.slider == js_round(100 * r.owrr)
    assert r.yes_qualified == len(r.yes_votes) <= 20
    assert r.no_qualified == len(r.no_votes) <= 20
    assert all(v.vote > 0 and 0.1 <= v.omega <= 5.0 and v.resolved_bets >= 10 for v in r.yes_votes)
    if r.confidence is Confidence.INSUFFICIENT:
        assert (r.owrr, r.slider) == (0.5, 50)
    else:
        assert min(r.yes_qualified, r.no_qualified) >= 3


@settings(max_examples=300, deadline=None)
@given(sides, sides)
def test_swapping_yes_and_no_mirrors_the_result(yes: list[Row], no: list[Row]) -> None:
    r = compute_owrr(CATEGORY, *build(yes, no))
    m = compute_owrr(CATEGORY, *build(yes, no, mirror=True))

    assert m.confidence is r.confidence
    assert (m.yes_qualified, m.no_qualified) == (r.no_qualified, r.yes_qualified)
    assert (m.yes_score, m.no_score) == (r.no_score, r.yes_score)
    assert math.isclose(m.owrr, 1 - r.owrr, rel_tol=0, abs_tol=1e-12)
    # slider mirrors to 100 − slider; only at an exact .5 tie does half-up round both ways up
    frac = 100 * r.owrr - math.floor(100 * r.owrr)
    if abs(frac - 0.5) > 1e-9:
        assert m.slider == 100 - r.slider
    else:
        assert m.slider in (100 - r.slider, 101 - r.slider)
