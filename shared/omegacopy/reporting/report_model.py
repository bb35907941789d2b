"""What a report shows, as plain data: the loaders (live PostgreSQL, a backtest) fill it, the
renderer (`html_report`) draws it. Stdlib only."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True, slots=True)
class DecisionPoint:
    """One signal: a COPY or a SKIP (with its reason) of one strategy at one moment."""

    at: datetime
    strategy_id: str
    decision: str  # COPY | SKIP
    reason_code: str
    action: str | None = None  # BUY | SELL (None: an invalid source row)
    slider: int | None = None  # the market's OWRR slider when the decision looked at it


@dataclass(frozen=True, slots=True)
class Series:
    """A line of the P&L chart. `group` (a strategy id) picks the colour; `dashed` for benchmarks."""

    label: str
    group: str
    points: tuple[tuple[datetime, float], ...]
    dashed: bool = False


@dataclass(frozen=True, slots=True)
class Card:
    """A headline number. `tone`: pos | neg | '' (neutral)."""

    label: str
    value: str
    detail: str = ""
    tone: str = ""


@dataclass(frozen=True, slots=True)
class Cell:
    text: str
    tone: str = ""  # pos | neg | muted | ''
    numeric: bool = False


@dataclass(frozen=True, slots=True)
class Table:
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    note: str = ""
    narrow_hidden: tuple[int, ...] = ()  # columns a narrow screen leaves out (never the money)


@dataclass(frozen=True, slots=True)
class ReportModel:
    title: str
    subtitle: str
    kind: str  # backtest | live
    badge: str = ""  # what the header's badge says (default: the kind): paper, live, paper + live, …
    period_start: datetime | None = None
    period_end: datetime | None = None
    generated_at: datetime | None = None
    cards: tuple[Card, ...] = ()
    decisions: tuple[DecisionPoint, ...] = ()
    pnl: tuple[Series, ...] = ()
    pnl_note: str = ""
    leader_pnl: tuple[tuple[str, float], ...] = ()  # beside the P&L: each leader's share of it
    leader_note: str = ""
    latencies_s: tuple[float, ...] = ()
    latency_note: str = ""
    rejections: tuple[tuple[str, int], ...] = ()
    rejection_note: str = ""
    tables: tuple[Table, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)
