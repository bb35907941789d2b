"""The Kelly estimate from a track record: p, b and f* = p − (1 − p)/b, exact and never overstated."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from omegacopy.domain.kelly import TrackRecord, kelly

D = Decimal


def rec(bets: int, wins: int, losing: int, gains: str, losses: str) -> TrackRecord:
    return TrackRecord("0xleader", "politics", bets, wins, losing, D(gains), D(losses))


def test_the_textbook_case() -> None:
    # 60% wins at even payoff: f* = 0.6 − 0.4 = 0.2
    estimate = kelly(rec(10, 6, 4, "600", "400"))
    assert (estimate.win_rate, estimate.payoff, estimate.full) == (D("0.6"), D("1"), D("0.2"))
    assert estimate.has_edge


def test_flat_bets_count_against_the_win_rate() -> None:
    # 6 wins, 2 losses, 2 flat: p = 0.6 (not 0.75), b = (600/6)/(200/2) = 1
    assert kelly(rec(10, 6, 2, "600", "200")).full == D("0.2")


def test_the_edge_boundary_is_exact() -> None:
    # p = 0.5, b = 1 → f* = 0 exactly: no edge
    assert not kelly(rec(10, 5, 5, "500", "500")).has_edge
    assert kelly(rec(10, 5, 5, "500.01", "500")).has_edge


def test_f_star_is_rounded_down_to_six_places() -> None:
    # p = 2/3, b = 1 → f* = 1/3 → 0.333333 (never 0.333334)
    assert kelly(rec(3, 2, 1, "2", "1")).full == D("0.333333")


def test_no_loss_means_an_unbounded_payoff_and_f_star_is_the_win_rate() -> None:
    estimate = kelly(rec(8, 6, 0, "60", "0"))
    assert estimate.payoff is None and estimate.full == D("0.75")
    assert kelly(rec(5, 5, 0, "50", "0")).full == D("1")  # never above 1


def test_no_win_has_no_edge() -> None:
    assert kelly(rec(5, 0, 5, "0", "50")).full < 0
    assert kelly(rec(5, 0, 0, "0", "0")).full == 0  # all flat


def test_a_record_without_a_resolved_bet_has_no_estimate() -> None:
    with pytest.raises(ValueError, match="resolved bet"):
        kelly(rec(0, 0, 0, "0", "0"))


@settings(deadline=None, max_examples=300)  # pure arithmetic: a busy machine must not fail it
@given(
    wins=st.integers(1, 500),
    losing=st.integers(1, 500),
    flat=st.integers(0, 100),
    gains=st.integers(1, 10**7),
    losses=st.integers(1, 10**7),
)
def test_f_star_matches_exact_arithmetic_within_one_step_below(
    wins: int, losing: int, flat: int, gains: int, losses: int
) -> None:
    bets = wins + losing + flat
    p = Fraction(wins, bets)
    b = Fraction(gains, wins) / Fraction(losses, losing)
    exact = min(p - (1 - p) / b, Fraction(1))
    assume(abs(exact) < 1)
    full = Fraction(kelly(rec(bets, wins, losing, str(gains), str(losses))).full)
    assert full <= exact < full + Fraction(1, 10**6)
    assert full <= p
