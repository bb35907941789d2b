"""Mark-to-market never goes blind: a missing book falls back to the resolution or the last trade,
neither pauses the strategy (fail closed) with a metric; the day's loss includes unrealized losses
and drawdown is measured from the peak."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from omegacopy.adapters.clickhouse_index_store import ClickHouseIndexStore
from omegacopy.adapters.clickhouse_resolutions import ClickHouseResolutions
from omegacopy.adapters.pg_executor_store import PgExecutorStore, PgPortfolioStore
from omegacopy.app.execute_intent import execute_intent
from omegacopy.app.mark_to_market import MarkSummary, mark_to_market
from omegacopy.domain.public_data import MarketRecord, OutcomeToken, Resolution
from tests.integration.executor.conftest import CONDITION, NO, YES, ExecutorWorld
from tests.support.telemetry import RecordingTelemetry


class Resolutions:
    """The markets dimension as mark-to-market reads it, held in memory (the ClickHouse adapter is
    tested against ClickHouse below)."""

    def __init__(self, payouts: dict[str, Decimal] | None = None) -> None:
        self.known = payouts or {}
        self.asked: list[list[str]] = []

    def payouts(self, condition_ids: Sequence[str]) -> dict[str, Decimal]:
        self.asked.append(list(condition_ids))
        return dict(self.known) if CONDITION in condition_ids else {}


def bought(world: ExecutorWorld, usd: str = "60") -> Decimal:
    """A FILLED entry in YES; the shares held."""
    assert execute_intent(world.deps(), world.intent(usd=Decimal(usd)), lambda: 20_000).state == "FILLED"
    position = world.position()
    assert position is not None
    return Decimal(position["shares"])


def mark(world: ExecutorWorld, resolutions: Any = None) -> tuple[MarkSummary, RecordingTelemetry]:
    deps = world.deps()
    store = deps.store
    assert isinstance(store, PgExecutorStore)
    telemetry = RecordingTelemetry()
    summary = mark_to_market(
        PgPortfolioStore(store), deps.exchanges, deps.tunables, telemetry, clock=deps.clock, resolutions=resolutions
    )
    return summary, telemetry


def paused_reason(world: ExecutorWorld) -> str | None:
    row = world.pg.execute("SELECT paused_reason FROM strategies WHERE strategy_id = 's-exec'").fetchone()
    return None if row is None else row[0]


def test_a_book_that_vanished_falls_back_to_the_last_trade(world: ExecutorWorld) -> None:
    bought(world)
    world.exchange.set_book(YES)  # no levels left: no two-sided book

    summary, telemetry = mark(world)

    position = world.position()
    assert position is not None and (position["mark_price"], position["mark_source"]) == (Decimal("0.6"), "last_trade")
    assert (summary.unpriced, paused_reason(world), telemetry.counts["UnpricedPositions"]) == (0, None, 0)


def test_an_unreachable_markets_dimension_degrades_to_the_last_trade(world: ExecutorWorld) -> None:
    class Unreachable:
        def payouts(self, condition_ids: Sequence[str]) -> dict[str, Decimal]:
            raise ConnectionError("clickhouse is away")

    bought(world)
    world.exchange.set_book(YES)

    summary, telemetry = mark(world, Unreachable())

    assert summary.by_source == {"last_trade": 1} and summary.paused == []
    assert [m for m, _ in telemetry.logged("warning")] == ["market resolutions unreadable"]


def test_a_resolved_market_is_marked_at_its_payout_and_a_loss_to_zero_trips_the_limit(world: ExecutorWorld) -> None:
    bought(world)
    world.exchange.resolve_market(CONDITION, NO)  # the YES we hold is worth nothing; the book is gone
    world.set_tunable("drawdown_limit_pct", "5")

    summary, telemetry = mark(world, Resolutions({YES: Decimal(0), NO: Decimal(1)}))

    position = world.position()
    assert position is not None and (position["mark_price"], position["mark_source"]) == (0, "resolution")
    assert summary.paused == ["s-exec"] and "drawdown" in (paused_reason(world) or "")
    assert telemetry.measures["StrategyDrawdownPct"] == pytest.approx(5.983)  # $59.83 of $1,000, gone


def test_a_position_with_nothing_to_price_it_pauses_its_strategy(world: ExecutorWorld) -> None:
    held = bought(world)
    world.exchange.resolve_market(CONDITION, YES)
    unknown = Resolutions()  # the markets dimension has not seen the resolution yet
    world.pg.execute("UPDATE strategy_positions SET token_id = %s", (NO,))  # a token that never traded

    summary, telemetry = mark(world, unknown)

    assert (summary.positions, summary.unpriced, summary.by_source) == (1, 1, {"unpriced": 1})
    assert summary.paused == ["s-exec"] and "cannot be priced" in (paused_reason(world) or "")
    assert telemetry.counts["UnpricedPositions"] == 1
    assert unknown.asked == [[CONDITION]]
    row = world.pg.execute("SELECT mark_source, shares FROM strategy_positions").fetchone()
    assert row == ("unpriced", held)


def test_the_days_loss_includes_unrealized_losses(world: ExecutorWorld) -> None:
    bought(world, "300")
    world.set_tunable("daily_loss_limit_pct", "5")
    world.set_tunable("drawdown_limit_pct", "90")
    first, _ = mark(world)  # the day's first mark: its equity is the day's start
    assert first.paused == []
    # nothing sold, nothing realized: the book drops to a 0.40 mid
    world.exchange.set_book(YES, bids=[(Decimal("0.39"), Decimal("100"))], asks=[(Decimal("0.41"), Decimal("100"))])

    later, telemetry = mark(world)

    assert later.paused == ["s-exec"] and "daily loss" in (paused_reason(world) or "")
    assert telemetry.measures["DailyLossPct"] > 5


def test_drawdown_is_measured_from_the_peak(world: ExecutorWorld) -> None:
    held = bought(world, "300")
    world.set_tunable("drawdown_limit_pct", "5")
    world.set_tunable("daily_loss_limit_pct", "90")
    # the market runs up to a 0.90 mid: equity well above the starting $1,000
    world.exchange.set_book(YES, bids=[(Decimal("0.89"), Decimal("100"))], asks=[(Decimal("0.91"), Decimal("100"))])
    assert mark(world)[0].paused == []
    peak = world.pg.execute("SELECT peak_equity_usd FROM strategy_settings").fetchone()
    assert peak is not None and peak[0] > 1000
    # back to 0.70: still above the starting capital, but more than 5 % below the peak
    world.exchange.set_book(YES, bids=[(Decimal("0.69"), Decimal("100"))], asks=[(Decimal("0.71"), Decimal("100"))])

    summary, _ = mark(world)

    equity = world.balance() + held * Decimal("0.70")
    assert equity > 1000 and summary.paused == ["s-exec"]
    assert "from its peak" in (paused_reason(world) or "")


def test_resolutions_are_read_from_the_markets_dimension(ch: Any) -> None:
    at = datetime(2026, 11, 1, tzinfo=UTC)
    tokens = (OutcomeToken(0, "Yes", "101"), OutcomeToken(1, "No", "102"))
    resolved = MarketRecord("0x" + "5e" * 32, "q?", "politics", tokens, False, Decimal("0.01"), True,
                            Resolution((Decimal(0), Decimal(1)), at))  # fmt: skip
    open_market = MarketRecord(
        "0x" + "0e" * 32, "q?", "politics", (OutcomeToken(0, "Yes", "201"), OutcomeToken(1, "No", "202")),
        False, Decimal("0.01"), False, None,
    )  # fmt: skip
    ClickHouseIndexStore(ch).write_markets([resolved, open_market], at)

    payouts = ClickHouseResolutions(connect=lambda: ch).payouts(["0x" + "5e" * 32, "0x" + "0e" * 32, "0xunknown"])

    assert payouts == {"101": Decimal(0), "102": Decimal(1)}
