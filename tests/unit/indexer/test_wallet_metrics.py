"""Our own omega, on cases computed by hand (docs/data.md): what counts, how, and the edge cases
where we differ from the original analytics product on purpose."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from omegacopy.domain.public_data import MarketRecord, OutcomeToken, PositionStatus, PublicPosition, Resolution
from omegacopy.domain.wallet_metrics import (
    NEUTRAL_OMEGA,
    OMEGA_CAP,
    OVERALL,
    ResolvedPosition,
    omega,
    position_pnl,
    resolved_positions,
    summarize,
    wallet_metrics,
)

NOW = datetime(2026, 12, 1, tzinfo=UTC)
W = "0x" + "ab" * 20


def market(cid: str, category: str | None = "politics", payouts: tuple[str, ...] | None = ("1", "0"),
           resolved_days_ago: float = 10) -> MarketRecord:  # fmt: skip
    res = (
        None
        if payouts is None
        else Resolution(tuple(Decimal(p) for p in payouts), NOW - timedelta(days=resolved_days_ago))
    )
    return MarketRecord(
        condition_id=cid,
        question=f"q {cid}",
        category=category,
        outcomes=(OutcomeToken(0, "Up", f"{cid}-0"), OutcomeToken(1, "Down", f"{cid}-1")),
        neg_risk=False,
        tick_size=Decimal("0.01"),
        closed=res is not None,
        resolution=res,
    )


def pos(
    cid: str,
    index: int,
    *,
    size: str = "0",
    avg: str = "0.5",
    realized: str = "0",
    fees: str = "0",
    status: PositionStatus = PositionStatus.CLOSED,
    wallet: str = W,
    at: datetime = NOW,
) -> PublicPosition:
    amounts = (Decimal(size), Decimal(avg), Decimal("100"), Decimal(realized), Decimal("0"), Decimal(fees))
    return PublicPosition(wallet, cid, f"{cid}-{index}", index, status, *amounts, at)


def resolved(pnl: str, category: str = "politics", days_ago: float = 1) -> ResolvedPosition:
    return ResolvedPosition(W, category, "0xc", "t", Decimal(pnl), NOW - timedelta(days=days_ago))


# --- the P&L of one position -----------------------------------------------------------------------
def test_a_winner_held_to_resolution_pays_one_dollar_a_share_less_its_cost_and_fees() -> None:
    # 100 shares bought at 0.40 held through a YES win: 100 x (1 - 0.40) = 60, minus 0.50 fees
    p = pos("0xa", 0, size="100", avg="0.40", fees="0.50", status=PositionStatus.REDEEMABLE)
    assert position_pnl(p, market("0xa")) == Decimal("59.50")


def test_a_loser_held_to_resolution_loses_its_cost() -> None:
    p = pos("0xa", 1, size="200", avg="0.25", status=PositionStatus.REDEEMABLE)
    assert position_pnl(p, market("0xa")) == Decimal("-50.00")


def test_a_position_sold_before_resolution_counts_at_what_it_realized() -> None:
    p = pos("0xa", 1, size="0", realized="12.34", fees="0.34")
    assert position_pnl(p, market("0xa")) == Decimal("12.00")


def test_part_sold_part_held_adds_both() -> None:
    # sold half earlier for +10; 50 left at 0.30 on the winning side: 50 x 0.70 = 35
    p = pos("0xa", 0, size="50", avg="0.30", realized="10", status=PositionStatus.REDEEMABLE)
    assert position_pnl(p, market("0xa")) == Decimal("45.00")


def test_a_split_payout_pays_its_share() -> None:
    p = pos("0xa", 0, size="100", avg="0.40", status=PositionStatus.REDEEMABLE)
    assert position_pnl(p, market("0xa", payouts=("0.5", "0.5"))) == Decimal("10.00")


def test_an_unresolved_market_does_not_count_even_if_the_position_was_sold() -> None:
    p = pos("0xa", 0, realized="99")
    assert position_pnl(p, market("0xa", payouts=None)) is None
    assert resolved_positions([p], {"0xa": market("0xa", payouts=None)}) == []


def test_positions_of_markets_the_dimension_lacks_are_left_out() -> None:
    assert resolved_positions([pos("0xa", 0, realized="5")], {}) == []


def test_one_position_per_token_the_latest_row_wins() -> None:
    old = pos("0xa", 0, realized="5", at=NOW - timedelta(days=2))
    new = pos("0xa", 0, realized="7", at=NOW - timedelta(days=1))
    out = resolved_positions([new, old], {"0xa": market("0xa")})
    assert [p.pnl_usd for p in out] == [Decimal("7")]


def test_addresses_of_any_case_are_one_wallet() -> None:
    upper = pos("0xa", 0, realized="5", wallet=W.upper().replace("0X", "0x"))
    out = resolved_positions([upper, pos("0xa", 0, realized="5")], {"0xa": market("0xa")})
    assert len(out) == 1 and out[0].wallet == W


# --- omega -----------------------------------------------------------------------------------------
def test_omega_is_gross_gains_over_gross_losses() -> None:
    # +60 +40 -25 -25 -> 100 / 50
    rows = [resolved("60"), resolved("40"), resolved("-25"), resolved("-25")]
    m = summarize(W, "politics", "lifetime", rows, None)
    assert m.omega_net == Decimal("2.0000")
    assert (m.gains_usd, m.losses_usd, m.realized_pnl_usd) == (Decimal("100"), Decimal("50"), Decimal("50"))
    assert (m.resolved_bets, m.wins, m.losing_bets) == (4, 2, 2)
    assert m.win_rate == Decimal("0.5")


def test_omega_is_rounded_to_four_places() -> None:
    assert omega(Decimal("10"), Decimal("3"), 2) == Decimal("3.3333")


def test_gains_without_losses_store_the_cap_not_null() -> None:
    assert omega(Decimal("5"), Decimal("0"), 1) == OMEGA_CAP == Decimal("99999.9999")


def test_huge_ratios_are_capped() -> None:
    assert omega(Decimal("1e12"), Decimal("0.000001"), 2) == OMEGA_CAP


def test_null_only_when_there_is_no_resolved_position() -> None:
    assert omega(Decimal("0"), Decimal("0"), 0) is None
    m = summarize(W, "sports", "lifetime", [], None)
    assert m.omega_net is None and m.resolved_bets == 0


def test_all_losses_is_zero() -> None:
    assert omega(Decimal("0"), Decimal("30"), 3) == Decimal("0.0000")


def test_nothing_won_nothing_lost_is_neutral() -> None:
    assert omega(Decimal("0"), Decimal("0"), 2) == NEUTRAL_OMEGA


def test_flat_positions_count_as_bets_but_neither_wins_nor_losses() -> None:
    m = summarize(W, "politics", "lifetime", [resolved("0"), resolved("10")], None)
    assert (m.resolved_bets, m.wins, m.losing_bets) == (2, 1, 0)


# --- categories and windows --------------------------------------------------------------------------
def test_rows_per_category_and_window_plus_overall() -> None:
    rows = [resolved("10", "politics", 5), resolved("-5", "politics", 60), resolved("-4", "sports", 200)]
    out = {(m.category, m.window): m for m in wallet_metrics(W, rows, now=NOW, categories=["crypto"])}
    assert set(out) == {(c, w) for c in ("politics", "sports", "crypto", OVERALL) for w in ("lifetime", "30d", "90d")}
    assert out[("politics", "lifetime")].omega_net == Decimal("2.0000")
    assert out[("politics", "30d")].omega_net == OMEGA_CAP  # only the +10 resolved within 30 days
    assert out[("politics", "90d")].resolved_bets == 2
    assert out[("sports", "90d")].omega_net is None  # resolved 200 days ago
    assert out[("sports", "lifetime")].omega_net == Decimal("0.0000")
    assert out[("crypto", "lifetime")].omega_net is None  # traded there, nothing resolved yet
    assert out[(OVERALL, "lifetime")].omega_net == Decimal("1.1111")  # 10 / 9
    assert out[(OVERALL, "lifetime")].resolved_bets == 3


def test_categories_are_compared_in_lower_case() -> None:
    out = wallet_metrics(W, [resolved("10", "Politics")], now=NOW, categories=["POLITICS"])
    assert sorted({m.category for m in out}) == [OVERALL, "politics"]


def test_positions_whose_market_has_no_category_count_only_overall() -> None:
    rp = resolved_positions([pos("0xa", 0, size="10", avg="0.5", status=PositionStatus.REDEEMABLE)],
                            {"0xa": market("0xa", category=None)})  # fmt: skip
    out = wallet_metrics(W, rp, now=NOW)
    assert {m.category for m in out} == {OVERALL}


@pytest.mark.parametrize("days", [29.9, 30.0])
def test_a_window_includes_its_boundary(days: float) -> None:
    out = {(m.category, m.window): m for m in wallet_metrics(W, [resolved("1", days_ago=days)], now=NOW)}
    assert out[("politics", "30d")].resolved_bets == 1
