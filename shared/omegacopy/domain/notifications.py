"""What people are told, and from what: alarms, fills and the daily summary as channel-neutral
notices (`Notice`). The channels (Slack, Telegram) only lay a notice out in their own format.

Nothing here may carry a secret: the inputs are an alarm's public fields, a fill as the books hold
it (ids, amounts, prices) and aggregates of the books. Addresses are shortened (0x12ab…cd34): a
notice is for reading, the database keeps the full ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Final

from omegacopy.domain.money import CENT, HUNDRED, ZERO, quantize

MAX_LEADERS: Final = 5  # the daily summary's top leaders
MAX_REASONS: Final = 8  # skip reasons listed one by one; the rest are summed as "other"


class Level(StrEnum):
    """How loud a notice is: a channel colours or prefixes it by this."""

    ALERT = "alert"  # an alarm went off: someone should look
    RESOLVED = "resolved"  # an alarm cleared
    INFO = "info"  # a fill, a summary, a message


@dataclass(frozen=True, slots=True)
class Notice:
    """One message for people. `facts` are (label, value) pairs a channel may lay out as a table;
    `key` identifies what it reports (an alarm's transition, a fill's trade row)."""

    kind: str  # alarm | fill | summary | message
    level: Level
    title: str
    lines: tuple[str, ...] = ()
    facts: tuple[tuple[str, str], ...] = ()
    key: str = ""


@dataclass(frozen=True, slots=True)
class AlarmChange:
    """A CloudWatch alarm that changed state (the JSON CloudWatch publishes to SNS)."""

    name: str
    description: str
    new_state: str  # ALARM | OK | INSUFFICIENT_DATA
    old_state: str
    reason: str
    changed_at: datetime | None
    region: str = ""


@dataclass(frozen=True, slots=True)
class FillEvent:
    """A fill the executor booked (what it publishes once the books have it)."""

    strategy_id: str
    intent_id: str
    correlation_id: str
    side: str  # BUY | SELL
    token_id: str
    condition_id: str
    shares: Decimal
    price: Decimal
    usd: Decimal
    realized_pnl_usd: Decimal
    position_shares: Decimal  # the strategy's shares of the token after the fill
    is_exit: bool
    trade_id: str
    filled_at: datetime
    paper: bool = False  # filled on paper by the fill model: no order reached the exchange


@dataclass(frozen=True, slots=True)
class StrategyDay:
    strategy_id: str
    name: str
    state: str  # active | paused: … | disabled
    capital_usd: Decimal
    realized_pnl_usd: Decimal  # booked in the window
    unrealized_pnl_usd: Decimal  # open positions at their last marks, now
    copies: int
    skips: int
    fills: int
    paper: bool = False  # filled on paper: its P&L is not money, and is kept out of the totals


@dataclass(frozen=True, slots=True)
class LeaderDay:
    wallet: str
    copies: int
    skips: int
    bought_usd: Decimal  # what our copies of this leader's trades bought, filled, in the window
    realized_pnl_usd: Decimal  # what sales of those copies realized in the window


@dataclass(frozen=True, slots=True)
class DailySummary:
    start: datetime
    end: datetime
    strategies: tuple[StrategyDay, ...]
    skip_reasons: tuple[tuple[str, int], ...]  # most frequent first
    leaders: tuple[LeaderDay, ...]  # best first (see `top_leaders`)
    stage: str = ""

    @property
    def realized_pnl_usd(self) -> Decimal:
        """Of the live strategies: money."""
        return sum((s.realized_pnl_usd for s in self.strategies if not s.paper), ZERO)

    @property
    def unrealized_pnl_usd(self) -> Decimal:
        return sum((s.unrealized_pnl_usd for s in self.strategies if not s.paper), ZERO)

    @property
    def paper_pnl_usd(self) -> Decimal | None:
        """Realized + unrealized of the paper strategies; None when there are none."""
        paper = [s for s in self.strategies if s.paper]
        return sum((s.realized_pnl_usd + s.unrealized_pnl_usd for s in paper), ZERO) if paper else None

    @property
    def copies(self) -> int:
        return sum(s.copies for s in self.strategies)

    @property
    def skips(self) -> int:
        return sum(count for _, count in self.skip_reasons)


# --- alarms ----------------------------------------------------------------------------------------

_STATE_WORDS: Final = {"ALARM": "firing", "OK": "cleared", "INSUFFICIENT_DATA": "has insufficient data"}


def alarm_notice(alarm: AlarmChange, *, stage: str = "") -> Notice:
    """`omegacopy-prod-tick-failures firing`, the description (which names its runbook section) and
    CloudWatch's reason."""
    state = alarm.new_state.upper()
    level = Level.ALERT if state == "ALARM" else Level.RESOLVED if state == "OK" else Level.INFO
    title = f"{alarm.name} {_STATE_WORDS.get(state, state.lower())}"
    lines = tuple(line for line in (alarm.description, alarm.reason) if line)
    facts = [("state", f"{alarm.old_state} → {alarm.new_state}")]
    if alarm.changed_at is not None:
        facts.append(("at", _when(alarm.changed_at)))
    if stage:
        facts.append(("stage", stage))
    if alarm.region:
        facts.append(("region", alarm.region))
    changed = alarm.changed_at.isoformat() if alarm.changed_at else ""
    return Notice("alarm", level, title, lines, tuple(facts), key=f"alarm:{alarm.name}:{state}:{changed}")


# --- fills -------------------------------------------------------------------------------------------


def fill_notice(fill: FillEvent) -> Notice:
    """`s-politics bought 125.5 shares at 0.62 ($77.81)`, with the realized P&L of a sale."""
    verb = "bought" if fill.side.upper() == "BUY" else "sold"
    mode = "[PAPER] " if fill.paper else ""  # a real fill is the norm; a paper one must never pass for it
    title = f"{mode}{fill.strategy_id} {verb} {_num(fill.shares)} shares at {_num(fill.price)} ({_usd(fill.usd)})"
    facts = [
        ("token", _short(fill.token_id)),
        ("market", _short(fill.condition_id)),
        ("position now", f"{_num(fill.position_shares)} shares"),
    ]
    if fill.side.upper() == "SELL":
        facts.append(("realized P&L", _signed_usd(fill.realized_pnl_usd)))
    facts.append(("intent", fill.intent_id))
    facts.append(("at", _when(fill.filled_at)))
    lines = (
        "Exit: the leader sold." if fill.is_exit else "",
        "Paper: filled against the live order book, no order was sent." if fill.paper else "",
    )
    return Notice("fill", Level.INFO, title, tuple(x for x in lines if x), tuple(facts), key=f"fill:{fill.trade_id}")


# --- the daily summary ---------------------------------------------------------------------------------


def top_leaders(leaders: list[LeaderDay], limit: int = MAX_LEADERS) -> tuple[LeaderDay, ...]:
    """Best first: realized P&L, then copies, then dollars bought; ties by address (stable)."""
    ranked = sorted(leaders, key=lambda x: (-x.realized_pnl_usd, -x.copies, -x.bought_usd, x.wallet))
    return tuple(ranked[:limit])


def summary_notice(summary: DailySummary) -> Notice:
    """P&L, copies and skips by reason, each strategy in one line, and the top leaders."""
    realized, unrealized = summary.realized_pnl_usd, summary.unrealized_pnl_usd
    title = f"Daily summary {_when(summary.start)} → {_when(summary.end)}"
    if summary.stage:
        title += f" ({summary.stage})"
    facts: list[tuple[str, str]] = [
        ("realized P&L", _signed_usd(realized)),
        ("unrealized P&L (now)", _signed_usd(unrealized)),
        ("copies", str(summary.copies)),
        ("skips", str(summary.skips)),
    ]
    if summary.paper_pnl_usd is not None:
        facts.insert(2, ("paper P&L (not money)", _signed_usd(summary.paper_pnl_usd)))
    lines: list[str] = []
    if summary.skip_reasons:
        shown = summary.skip_reasons[:MAX_REASONS]
        rest = sum(count for _, count in summary.skip_reasons[MAX_REASONS:])
        parts = [f"{reason} {count}" for reason, count in shown] + ([f"other {rest}"] if rest else [])
        lines.append("Skips by reason: " + ", ".join(parts))
    if summary.strategies:
        lines.append("Strategies:")
        for s in summary.strategies:
            total = s.realized_pnl_usd + s.unrealized_pnl_usd
            share = f" ({_pct(total / s.capital_usd * HUNDRED)})" if s.capital_usd > 0 else ""
            lines.append(
                f"• {s.name}{' [paper]' if s.paper else ''}: {_signed_usd(total)}{share}, {s.copies} copies,"
                f" {s.skips} skips,"
                f" {s.fills} fills" + ("" if s.state == "active" else f" — {s.state}")
            )
    else:
        lines.append("No strategy.")
    if summary.leaders:
        lines.append("Top leaders:")
        lines.extend(
            f"• {_short(x.wallet)}: {_signed_usd(x.realized_pnl_usd)} realized, {x.copies} copies,"
            f" {x.skips} skips, {_usd(x.bought_usd)} bought"
            for x in summary.leaders
        )
    return Notice("summary", Level.INFO, title, tuple(lines), tuple(facts), key=f"summary:{summary.end.isoformat()}")


# --- anything else ----------------------------------------------------------------------------------


def message_notice(subject: str, text: str) -> Notice:
    """A message published to the topic by hand (an operator's test, an AWS notice)."""
    return Notice("message", Level.INFO, subject or "Message", (text,) if text else ())


def unreadable_notice(what: str, reason: str) -> Notice:
    """An event that did not validate: people still hear that something happened, and why it
    could not be shown."""
    return Notice("message", Level.ALERT, f"Unreadable {what}", (f"It could not be read: {reason}",))


# --- formatting ---------------------------------------------------------------------------------------


def _when(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M UTC")


def _num(value: Decimal) -> str:
    return f"{value.normalize():f}"


def _usd(amount: Decimal) -> str:
    return f"${quantize(amount, CENT):,.2f}"


def _signed_usd(amount: Decimal) -> str:
    cents = quantize(amount, CENT)
    return f"−${-cents:,.2f}" if cents < 0 else f"+${cents:,.2f}"


def _pct(value: Decimal) -> str:
    cents = quantize(value, CENT)
    return f"−{-cents}%" if cents < 0 else f"+{cents}%"


def _short(text: str) -> str:
    return f"{text[:6]}…{text[-4:]}" if len(text) > 14 else text
