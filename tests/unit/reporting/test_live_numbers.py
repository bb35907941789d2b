"""The live numbers, computed once for the report and the run's summary."""

from __future__ import annotations

from decimal import Decimal

from omegacopy.reporting.live_numbers import LiveRows, MarkedPosition, StrategyRow, compute, latency, percentile

D = Decimal


def _strategy(sid: str, *, paper: bool = False, realized: str = "0") -> StrategyRow:
    return StrategyRow(sid, sid, paper, True, None, cash_usd=D("900"), starting_usd=D("1000"), realized_usd=D(realized))


def _position(sid: str, token: str, shares: str, cost: str, mark: str | None) -> MarkedPosition:
    return MarkedPosition(
        sid, token, "0xm", D(shares), D("0.5"), D(cost), D("0"), None if mark is None else D(mark), None
    )


def test_unrealized_at_the_stored_mark_and_at_cost_without_one() -> None:
    rows = LiveRows(
        start=None,
        end=None,
        strategies=(_strategy("s1", realized="-4"), _strategy("s2", paper=True)),
        positions=(
            _position("s1", "a", "200", "100", "0.55"),  # +10
            _position("s1", "b", "100", "40", None),  # unpriced: valued at cost, no gain
            _position("s1", "c", "0", "0", "0.9"),  # flat: nothing
            _position("s2", "a", "100", "50", "0.45"),  # −5
        ),
    )

    n = compute(rows)

    s1, s2 = n.strategies
    assert (s1.unrealized_usd, s1.positions_value_usd, s1.open_positions) == (D("10"), D("150"), 2)
    assert (s1.total_usd, s1.equity_usd, s1.pnl_pct) == (D("6"), D("1050"), D("0.6"))
    assert (s2.unrealized_usd, s2.equity_usd) == (D("-5"), D("945"))
    # the totals are money: the live strategy's alone; the paper one's stand apart
    assert (n.totals["unrealized_usd"], n.totals["realized_usd"], n.totals_cover) == (D("10"), D("-4"), "live")
    assert n.paper_totals is not None and n.paper_totals["unrealized_usd"] == D("-5")
    assert n.mode == "paper + live"


def test_a_paper_only_run_totals_its_paper_and_says_so() -> None:
    rows = LiveRows(None, None, strategies=(_strategy("p", paper=True, realized="3"),))
    n = compute(rows)
    assert (n.totals["realized_usd"], n.totals_cover, n.paper_totals) == (D("3"), "paper", None)
    live_only = compute(LiveRows(None, None, strategies=(_strategy("l", realized="2"),)))
    assert (live_only.totals["realized_usd"], live_only.totals_cover, live_only.paper_totals) == (D("2"), "live", None)


def test_the_mode_names_what_the_strategies_are() -> None:
    assert compute(LiveRows(None, None, strategies=(_strategy("s1"),))).mode == "live"
    assert compute(LiveRows(None, None, strategies=(_strategy("s1", paper=True),))).mode == "paper"
    assert compute(LiveRows(None, None)).mode == "no strategies"


def test_one_percentile_for_every_reader() -> None:
    assert percentile([], 0.5) is None
    assert percentile([1.0, 2.0, 3.0, 4.0], 0.5) == 3.0  # nearest rank, as the summary always had it
    lat = latency([3.0, -1.0, 1.0, 2.0])  # a negative latency (clock skew) is not a latency
    assert (lat.n, lat.p50, lat.p95, lat.max) == (3, 2.0, 3.0, 3.0)
