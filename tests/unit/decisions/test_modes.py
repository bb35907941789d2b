"""Strategy modes at their boundaries: `consensus: owrr | off` and sizing `fixed | proportional |
owrr_scaled | kelly` (Kelly from the leader's track record, capped by the strategy's fraction)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest

from omegacopy.domain.decisions import Decision, ReasonCode, decide
from omegacopy.domain.kelly import TrackRecord
from omegacopy.domain.models import (
    Confidence,
    ConsensusMode,
    DecisionAction,
    LeaderTrade,
    PortfolioState,
    SizingMode,
    StrategyConfig,
    Tunables,
)
from omegacopy.domain.owrr import OwrrResult, neutral_owrr

from .factories import NOW, TUNABLES, D, entry, holding, others, owrr, portfolio, sell, strategy, trade

OFF = ConsensusMode.OFF
KELLY = SizingMode.KELLY


def copied_usd(d: Decision) -> Decimal:
    assert d.action is DecisionAction.COPY, d.reason
    assert d.intent is not None and d.intent.usd_amount is not None
    return d.intent.usd_amount


def skipped(d: Decision, code: str) -> str:
    assert d.action is DecisionAction.SKIP, d.reason
    assert d.reason_code == code, d.reason
    assert d.intent is None
    return d.reason


def record(bets: int = 40, wins: int = 24, losing: int = 16, gains: str = "2400", losses: str = "1600") -> TrackRecord:
    """24 wins of $100 and 16 losses of $100 over 40 bets: p = 0.6, b = 1, f* = 0.2."""
    return TrackRecord("0xleader", "politics", bets, wins, losing, D(gains), D(losses))


# --- consensus ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "consensus_result",
    [
        owrr(0.59),  # a YES just below the threshold: the gate would skip it
        owrr(0.90, Confidence.LOW),  # strong but low confidence
        neutral_owrr("politics"),  # no consensus at all (insufficient data)
    ],
)
def test_consensus_off_copies_what_the_owrr_gate_would_skip(consensus_result: OwrrResult) -> None:
    fixed = strategy(sizing_mode=SizingMode.FIXED, fixed_size_usd=D("50"))
    assert entry(s=fixed, o=consensus_result).action is DecisionAction.SKIP
    d = entry(s=replace(fixed, consensus=OFF), o=consensus_result)
    assert copied_usd(d) == D("50")
    assert d.reason == "Consensus off: copying the leader"
    assert (d.slider, d.confidence) == (None, None)  # nothing read, nothing recorded
    assert "owrr" not in d.details


def test_consensus_on_still_gates_at_the_threshold() -> None:
    s = strategy(sizing_mode=SizingMode.FIXED, fixed_size_usd=D("50"))
    assert copied_usd(entry(s=s, o=owrr(0.60))) == D("50")
    skipped(entry(s=s, o=owrr(0.59)), ReasonCode.OWRR_BELOW_THRESHOLD)


@pytest.mark.parametrize(
    ("overrides", "t", "p", "tun", "code"),
    [
        ({}, trade(), portfolio(), Tunables(kill_switch=True), ReasonCode.KILL_SWITCH),
        ({}, trade(traded_at=NOW - timedelta(seconds=301)), portfolio(), TUNABLES, ReasonCode.STALE_TRADE),
        ({}, trade(market_closed=True), portfolio(), TUNABLES, ReasonCode.MARKET_CLOSED),
        ({"markets_filter": frozenset({"0xother"})}, trade(), portfolio(), TUNABLES, ReasonCode.MARKET_NOT_IN_FILTER),
        ({}, trade(category="sports"), portfolio(), TUNABLES, ReasonCode.CATEGORY_NOT_TRACKED),
        ({}, trade(category=None), portfolio(), TUNABLES, ReasonCode.CATEGORY_NOT_TRACKED),
        ({"max_positions": 2}, trade(), portfolio("10000", "0", *others(2)), TUNABLES, ReasonCode.MAX_POSITIONS),
        ({}, trade(), portfolio("99.99"), TUNABLES, ReasonCode.INSUFFICIENT_CAPITAL),
        ({"fixed_size_usd": D("9.99")}, trade(), portfolio(), TUNABLES, ReasonCode.SIZE_BELOW_MINIMUM),
    ],
)
def test_consensus_off_keeps_every_other_rule(
    overrides: dict[str, object], t: LeaderTrade, p: PortfolioState, tun: Tunables, code: str
) -> None:
    base: dict[str, object] = {"consensus": OFF, "sizing_mode": SizingMode.FIXED, "fixed_size_usd": D("50")}
    skipped(entry(t=t, s=strategy(**{**base, **overrides}), p=p, tun=tun), code)


def test_a_market_without_a_category_is_copied_only_by_all_categories_with_consensus_off() -> None:
    no_category = trade(category=None)
    plain_all = strategy(
        consensus=OFF, all_categories=True, categories=frozenset(), sizing_mode=SizingMode.FIXED, fixed_size_usd=D("50")
    )
    assert copied_usd(entry(t=no_category, s=plain_all)) == D("50")
    skipped(entry(t=no_category, s=replace(plain_all, consensus=ConsensusMode.OWRR)), ReasonCode.CATEGORY_NOT_TRACKED)
    skipped(entry(t=trade(category="  "), s=replace(plain_all, all_categories=False, categories=frozenset({"x"}))),
            ReasonCode.CATEGORY_NOT_TRACKED)  # fmt: skip


def test_consensus_off_with_owrr_scaled_sizing_sizes_by_the_consensus_without_gating() -> None:
    # strength 0 (neutral) → half the risk budget; 0.72 → the docs' $360
    s = strategy(consensus=OFF)
    assert copied_usd(entry(s=s, o=neutral_owrr("politics"))) == D("250")
    d = entry(s=s, o=owrr(0.72))
    assert copied_usd(d) == D("360")
    assert d.slider == 72  # the slider was read for the size: it is recorded


def test_an_exit_is_copied_whatever_the_mode_and_without_a_track_record() -> None:
    s = strategy(consensus=OFF, sizing_mode=KELLY, kelly_fraction=D("0.25"))
    d = decide(sell(shares=D("50")), s, owrr(0.1), portfolio("10000", "0", holding()), TUNABLES, NOW, D("100"))
    assert d.reason_code == ReasonCode.COPY_EXIT
    assert d.intent is not None and d.intent.shares == D("50")


# --- sizing: owrr_scaled, fixed, proportional ----------------------------------------------------


def test_owrr_scaled_is_the_former_owrr_mode() -> None:
    assert SizingMode("owrr") is SizingMode.OWRR_SCALED
    assert copied_usd(entry(s=strategy(sizing_mode=SizingMode("owrr")))) == D("360")


def test_proportional_sizing_at_the_minimum_order() -> None:
    s = strategy(sizing_mode=SizingMode.PROPORTIONAL, proportional_fraction=D("0.1"))
    assert copied_usd(entry(t=trade(usd_value=D("100")), s=s)) == D("10")
    skipped(entry(t=trade(usd_value=D("99.99")), s=s), ReasonCode.SIZE_BELOW_MINIMUM)


# --- sizing: kelly --------------------------------------------------------------------------------


def kelly_strategy(fraction: str = "0.25", **overrides: object) -> StrategyConfig:
    return strategy(sizing_mode=KELLY, kelly_fraction=D(fraction), **overrides)


def test_kelly_stakes_the_fraction_of_full_kelly_of_the_cash() -> None:
    # f* = 0.6 − 0.4/1 = 0.2; quarter Kelly → 5% of $10,000 = $500
    d = entry(s=kelly_strategy(), record=record())
    assert copied_usd(d) == D("500")
    assert d.details["kelly_full"] == "0.200000"
    assert d.details["kelly_win_rate"] == "0.600000"
    assert d.reason == "OWRR 72, confidence medium; Kelly 0.2 × 0.25 of the cash (win rate 60% over 40 bets, payoff 1)"
    # full Kelly: 20% of the cash, $2,000, cut to the $1,000 position limit
    full = entry(s=kelly_strategy("1"), record=record())
    assert copied_usd(full) == D("1000")
    assert full.details["binding_cap"] == "per-position limit"


def test_kelly_uses_the_cash_not_the_starting_capital() -> None:
    assert copied_usd(entry(s=kelly_strategy(), p=portfolio("4000"), record=record())) == D("200")


def test_kelly_payoff_is_the_average_win_over_the_average_loss() -> None:
    # 10 wins averaging $300, 30 losses averaging $100: p = 0.25, b = 3 → f* = 0.25 − 0.75/3 = 0 → no edge
    even = record(bets=40, wins=10, losing=30, gains="3000", losses="3000")
    reason = skipped(entry(s=kelly_strategy(), record=even), ReasonCode.NO_EDGE)
    assert "win rate 25% over 40 bets, payoff 3" in reason and "f* 0 ≤ 0" in reason
    # one dollar more of gains: a (tiny) edge, sized and then below the minimum order
    edge = replace(even, gains_usd=D("3001"))
    skipped(entry(s=kelly_strategy(), record=edge), ReasonCode.SIZE_BELOW_MINIMUM)
    # a clear edge: b = 4 → f* = 0.25 − 0.75/4 = 0.0625 → quarter Kelly of $10,000 = $156
    assert copied_usd(entry(s=kelly_strategy(), record=replace(even, gains_usd=D("4000")))) == D("156")


def test_kelly_skips_a_leader_without_a_record_in_the_category() -> None:
    reason = skipped(entry(s=kelly_strategy(), record=None), ReasonCode.NO_TRACK_RECORD)
    assert "'politics'" in reason


def test_kelly_needs_the_minimum_number_of_resolved_bets_equal_passes() -> None:
    tun = Tunables(kill_switch=False, kelly_min_resolved_bets=40)
    assert copied_usd(entry(s=kelly_strategy(), record=record(), tun=tun)) == D("500")
    short = record(bets=39, wins=23)
    reason = skipped(entry(s=kelly_strategy(), record=short, tun=tun), ReasonCode.FEW_RESOLVED_BETS)
    assert "39 resolved bets" in reason and "fewer than 40" in reason


def test_kelly_without_a_win_has_no_edge_and_without_a_loss_stakes_the_win_rate() -> None:
    skipped(entry(s=kelly_strategy(), record=record(wins=0, losing=40, gains="0", losses="4000")), ReasonCode.NO_EDGE)
    # 30 wins, no loss, 10 flat bets: payoff unbounded → f* = p = 0.75; quarter → 18.75% → $1,875 → $1,000 cap
    unbeaten = record(bets=40, wins=30, losing=0, gains="900", losses="0")
    d = entry(s=kelly_strategy(), record=unbeaten)
    assert d.details["kelly_full"] == "0.750000" and d.details["kelly_payoff"] == "unbounded"
    assert d.details["base_usd"] == "1875.00000000"
    assert copied_usd(d) == D("1000")


def test_kelly_with_the_consensus_gate_is_gated_first() -> None:
    skipped(entry(s=kelly_strategy(), o=owrr(0.5), record=record()), ReasonCode.OWRR_BELOW_THRESHOLD)
    plain = kelly_strategy(consensus=OFF)
    d = entry(s=plain, o=owrr(0.5), record=record())
    assert copied_usd(d) == D("500")
    assert d.reason.startswith("Consensus off: copying the leader; Kelly 0.2 × 0.25")


def test_kelly_runs_after_the_capital_rules() -> None:
    # out of capital is the reason, not the missing record
    skipped(entry(s=kelly_strategy(), p=portfolio("99"), record=None), ReasonCode.INSUFFICIENT_CAPITAL)
