"""The live system's numbers, computed once: the terminal summary of a run and the HTML report both
read `LiveNumbers`, so they cannot disagree.

`LiveRows` is what the books hold (read by `adapters.pg_report_source`); `compute` turns it into
the numbers, with one definition of each:
- realized P&L: what the fills realized (fee rows included) plus what settlements paid out over
  cost, in the window;
- unrealized P&L: each open position at its stored mark (the reconciler's mark-to-market price);
  a position without a mark is valued at its cost (no price is guessed);
- equity: cash + the open positions' value; P&L / start: realized + unrealized over the capital;
- trade → order latency: the leader's trade time to our order reaching the exchange (or, for a
  paper intent, to the fill model's answer);
- the mode: paper, live, or paper + live, from the strategies' modes (no strategies: none of them);
- the totals are money: the live strategies' sums whenever there is one, the paper strategies'
  apart (`paper_totals`), so a paper gain never reads as real money; a paper-only run's totals
  are its paper sums (`totals_cover` says which).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from omegacopy.domain.money import ZERO
from omegacopy.domain.positions import unrealized
from omegacopy.reporting.report_model import DecisionPoint


@dataclass(frozen=True, slots=True)
class StrategyRow:
    strategy_id: str
    name: str
    paper: bool
    active: bool
    paused_reason: str | None
    cash_usd: Decimal
    starting_usd: Decimal
    signals: int = 0
    copies: int = 0
    orders: int = 0
    filled: int = 0
    rejected: int = 0
    bought_usd: Decimal = ZERO
    realized_usd: Decimal = ZERO  # fills and fee rows, plus settlements, in the window

    @property
    def status(self) -> str:
        if self.active:
            return "active"
        return f"paused: {self.paused_reason}" if self.paused_reason else "disabled"


@dataclass(frozen=True, slots=True)
class MarkedPosition:
    strategy_id: str
    token_id: str
    condition_id: str
    shares: Decimal
    avg_entry_price: Decimal
    cost_usd: Decimal
    realized_usd: Decimal
    mark: Decimal | None
    mark_source: str | None
    paper: bool = False

    @property
    def unrealized_usd(self) -> Decimal:
        return unrealized(self.shares, self.cost_usd, self.mark)

    @property
    def value_usd(self) -> Decimal:
        return self.cost_usd + self.unrealized_usd if self.shares > 0 else ZERO


@dataclass(frozen=True, slots=True)
class LeaderPnl:
    """One leader as one strategy copied it: its signals, our copies, what they bought and realized."""

    strategy_id: str
    leader: str
    signals: int
    copies: int
    bought_usd: Decimal
    realized_usd: Decimal


@dataclass(frozen=True, slots=True)
class IndexRunRow:
    run_id: str
    started_at: datetime
    status: str
    summary: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class LiveRows:
    start: datetime | None
    end: datetime | None
    decisions: tuple[DecisionPoint, ...] = ()
    latencies_s: tuple[float, ...] = ()
    rejections: tuple[tuple[str, int], ...] = ()
    realized_points: tuple[tuple[str, datetime, Decimal], ...] = ()  # (strategy, at, realized then), in time order
    strategies: tuple[StrategyRow, ...] = ()
    positions: tuple[MarkedPosition, ...] = ()
    leaders: tuple[LeaderPnl, ...] = ()
    index_runs: tuple[IndexRunRow, ...] = ()


@dataclass(frozen=True, slots=True)
class StrategyNumbers:
    row: StrategyRow
    unrealized_usd: Decimal
    positions_value_usd: Decimal
    open_positions: int

    @property
    def strategy_id(self) -> str:
        return self.row.strategy_id

    @property
    def realized_usd(self) -> Decimal:
        return self.row.realized_usd

    @property
    def total_usd(self) -> Decimal:
        return self.row.realized_usd + self.unrealized_usd

    @property
    def equity_usd(self) -> Decimal:
        return self.row.cash_usd + self.positions_value_usd

    @property
    def pnl_pct(self) -> Decimal | None:
        return self.total_usd / self.row.starting_usd * 100 if self.row.starting_usd > 0 else None


@dataclass(frozen=True, slots=True)
class Latency:
    """Seconds; None without a value."""

    n: int
    p50: float | None
    p95: float | None
    max: float | None


@dataclass(frozen=True, slots=True)
class LiveNumbers:
    rows: LiveRows
    strategies: tuple[StrategyNumbers, ...]
    trade_to_order: Latency
    mode: str  # paper | live | paper + live | no strategies
    totals: dict[str, Decimal] = field(default_factory=dict)
    totals_cover: str = "live"  # which strategies `totals` sums: live, or paper when none is live
    paper_totals: dict[str, Decimal] | None = None  # the paper strategies' sums beside live ones

    @property
    def realized_usd(self) -> Decimal:
        return self.totals["realized_usd"]

    @property
    def unrealized_usd(self) -> Decimal:
        return self.totals["unrealized_usd"]

    @property
    def signals(self) -> int:
        return len(self.rows.decisions)

    @property
    def copies(self) -> int:
        return sum(1 for d in self.rows.decisions if d.decision == "COPY")


def percentile(ordered: Sequence[float], p: float) -> float | None:
    """The nearest-rank percentile of sorted values (p in [0, 1]); None when there are none."""
    if not ordered:
        return None
    return ordered[min(len(ordered) - 1, round(p * (len(ordered) - 1)))]


def latency(values: Sequence[float]) -> Latency:
    ordered = sorted(v for v in values if v >= 0)
    return Latency(len(ordered), percentile(ordered, 0.5), percentile(ordered, 0.95), ordered[-1] if ordered else None)


def trading_mode(strategies: Sequence[StrategyRow]) -> str:
    modes = {"paper" if s.paper else "live" for s in strategies}
    return " + ".join(m for m in ("paper", "live") if m in modes) or "no strategies"


def compute(rows: LiveRows) -> LiveNumbers:
    per: list[StrategyNumbers] = []
    for s in rows.strategies:
        held = [p for p in rows.positions if p.strategy_id == s.strategy_id and p.shares > 0]
        per.append(
            StrategyNumbers(
                row=s,
                unrealized_usd=sum((p.unrealized_usd for p in held), ZERO),
                positions_value_usd=sum((p.value_usd for p in held), ZERO),
                open_positions=len(held),
            )
        )
    live = [n for n in per if not n.row.paper]
    paper = [n for n in per if n.row.paper]
    return LiveNumbers(
        rows,
        tuple(per),
        latency(rows.latencies_s),
        trading_mode(rows.strategies),
        _totals(live or paper),
        "live" if live or not paper else "paper",
        _totals(paper) if live and paper else None,
    )


def _totals(strategies: Sequence[StrategyNumbers]) -> dict[str, Decimal]:
    return {
        "starting_usd": sum((n.row.starting_usd for n in strategies), ZERO),
        "cash_usd": sum((n.row.cash_usd for n in strategies), ZERO),
        "positions_value_usd": sum((n.positions_value_usd for n in strategies), ZERO),
        "realized_usd": sum((n.realized_usd for n in strategies), ZERO),
        "unrealized_usd": sum((n.unrealized_usd for n in strategies), ZERO),
        "total_usd": sum((n.total_usd for n in strategies), ZERO),
        "equity_usd": sum((n.equity_usd for n in strategies), ZERO),
    }
