"""COPY or SKIP: the decision rules for one (strategy, leader trade), as pure functions.

Each rule is its own function returning a `Skip` (or None when the trade passes it); `decide_entry`
and `decide_exit` run them in the order docs/owrr.md gives ("How a decision uses it") and
turn the first failure into a SKIP `Decision` with a machine-readable `reason_code` and a sentence.
Money is Decimal throughout; OWRR (a float score) enters only through the sizing strength.

Modes (per strategy): `consensus: off` drops the two OWRR rules (threshold, confidence) and keeps
every other one; sizing `fixed | proportional | owrr_scaled | kelly` picks the base size
(`base_size`), which the same caps then cut. Kelly needs the leader's track record in the trade's
category (`domain.kelly`): none, too short, or without an edge is a SKIP that says which.

Choices where the definition is silent:
- thresholds and minimum confidence come from the strategy (the tunables only hold the defaults the
  loader puts into StrategyConfig);
- a strategy with no categories (and not `all_categories`) tracks nothing; category and markets-filter
  matching ignore case; a market without a category is copied only by `all` with consensus off
  (OWRR, and so the gate, is per category);
- sizes are rounded DOWN to whole dollars so a cap is never exceeded;
- worst prices are clamped to [0.01, 0.99] and put on the finest CLOB grid (0.0001) in the
  direction that never widens the slippage allowance; the executor rounds to the market's tick;
- the total-exposure cap is applied to the exposure `PortfolioState` describes (this strategy's).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from functools import lru_cache
from typing import Final

from omegacopy.domain.intent import IntentDraft
from omegacopy.domain.kelly import KellyEstimate, TrackRecord, kelly
from omegacopy.domain.models import (
    Confidence,
    ConsensusMode,
    DecisionAction,
    LeaderTrade,
    Outcome,
    PortfolioState,
    PortfolioView,
    SizingMode,
    StrategyConfig,
    TradeAction,
    Tunables,
)
from omegacopy.domain.money import CENT, HUNDRED, ONE, PRICE_STEP, SHARE_STEP, WHOLE, ZERO, from_float, quantize
from omegacopy.domain.owrr import OwrrResult
from omegacopy.domain.portfolio_book import PortfolioBook


class ReasonCode:
    """The `reason_code` values a decision can carry (stored in signals, counted in metrics)."""

    COPY: Final = "copy"
    COPY_EXIT: Final = "copy_exit"
    INVALID_SOURCE: Final = "invalid_source"
    CONFIG_UNAVAILABLE: Final = "config_unavailable"
    KILL_SWITCH: Final = "kill_switch"
    STALE_TRADE: Final = "stale_trade"
    MARKET_CLOSED: Final = "market_closed"
    MARKET_NOT_IN_FILTER: Final = "market_not_in_filter"
    CATEGORY_NOT_TRACKED: Final = "category_not_tracked"
    OWRR_BELOW_THRESHOLD: Final = "owrr_below_threshold"  # YES trade: consensus not bullish enough
    OWRR_ABOVE_THRESHOLD: Final = "owrr_above_threshold"  # NO trade: consensus not bearish enough
    LOW_CONFIDENCE: Final = "low_confidence"
    MAX_POSITIONS: Final = "max_positions"
    INSUFFICIENT_CAPITAL: Final = "insufficient_capital"
    SIZE_BELOW_MINIMUM: Final = "size_below_minimum"
    NO_POSITION: Final = "no_position"
    # sizing `kelly`: the leader's record in the category is missing, too short, or shows no edge
    NO_TRACK_RECORD: Final = "no_track_record"
    FEW_RESOLVED_BETS: Final = "few_resolved_bets"
    NO_EDGE: Final = "no_edge"
    STRATEGY_PAUSED: Final = "strategy_paused"


MIN_CAPITAL_FRACTION: Final = Decimal("0.10")  # of max_position_size_usd, rule 5
MIN_PRICE: Final = CENT
MAX_PRICE: Final = Decimal("0.99")
_HALF: Final = Decimal("0.5")


@dataclass(frozen=True, slots=True)
class Decision:
    """COPY (with the intent it drafts) or SKIP, with a machine-readable reason and a sentence."""

    action: DecisionAction
    reason_code: str
    reason: str
    slider: int | None = None
    confidence: Confidence | None = None
    intent: IntentDraft | None = None
    details: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Skip:
    """A failed rule: why, in code and in words."""

    code: str
    reason: str
    details: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Sizing:
    """How an entry's dollar size came about (kept for the sentence and the audit details)."""

    base_usd: Decimal  # what the sizing mode asked for
    capped_usd: Decimal  # after the caps, before rounding (never negative)
    size_usd: Decimal  # rounded down to whole dollars
    binding_cap: str | None  # name of the cap that cut the base, if any
    strength: Decimal | None  # owrr_scaled only
    kelly: KellyEstimate | None = None  # kelly only

    def details(self) -> dict[str, str]:
        out = {
            "base_usd": str(self.base_usd),
            "capped_usd": str(self.capped_usd),
            "size_usd": str(self.size_usd),
        }
        if self.binding_cap is not None:
            out["binding_cap"] = self.binding_cap
        if self.strength is not None:
            out["strength"] = str(self.strength)
        if self.kelly is not None:
            out.update(self.kelly.details())
        return out


# --- entry rules, in order -----------------------------------------------------------------------


def check_kill_switch(tunables: Tunables, strategy: StrategyConfig) -> Skip | None:
    # the switch stops real orders; a paper strategy sends none, so it goes on (testing on live data
    # while nothing may trade is what paper mode is for)
    if tunables.kill_switch and not strategy.paper:
        return Skip(ReasonCode.KILL_SWITCH, "Kill switch is on: no new orders")
    return None


def check_staleness(trade: LeaderTrade, tunables: Tunables, now: datetime) -> Skip | None:
    """A trade exactly at the limit is still fresh; a future timestamp (clock skew) counts as fresh."""
    age = now - trade.traded_at
    if age > timedelta(seconds=tunables.staleness_limit_s):
        return Skip(
            ReasonCode.STALE_TRADE,
            f"Trade is {age.total_seconds():.0f}s old, over the {tunables.staleness_limit_s}s staleness limit",
            {"age_s": f"{age.total_seconds():.3f}"},
        )
    return None


def check_market_open(trade: LeaderTrade) -> Skip | None:
    if trade.market_closed:
        return Skip(ReasonCode.MARKET_CLOSED, "Market is closed")
    return None


def check_markets_filter(trade: LeaderTrade, strategy: StrategyConfig) -> Skip | None:
    """An empty filter allows every market."""
    if not strategy.markets_filter:
        return None
    if trade.condition_id.lower() not in _lowered(strategy.markets_filter):
        return Skip(ReasonCode.MARKET_NOT_IN_FILTER, "Market is not in the strategy's markets filter")
    return None


def check_category(trade: LeaderTrade, strategy: StrategyConfig) -> Skip | None:
    """Fails closed: an unknown market category or an empty category list copies nothing.

    `all_categories` tracks every category, but not a market without one while the consensus gate
    is on (OWRR is per category: there would be no consensus to weigh). With consensus off, `all`
    copies such a market too: plain copying asks nothing of the category."""
    if trade.category is None or not trade.category.strip():
        if strategy.all_categories and strategy.consensus is ConsensusMode.OFF:
            return None
        return Skip(ReasonCode.CATEGORY_NOT_TRACKED, "Market has no category")
    if strategy.all_categories:
        return None
    if trade.category.casefold() not in _casefolded(strategy.categories):
        return Skip(
            ReasonCode.CATEGORY_NOT_TRACKED,
            f"Category '{trade.category}' is not tracked by the strategy",
        )
    return None


def check_owrr_threshold(trade: LeaderTrade, strategy: StrategyConfig, owrr: OwrrResult) -> Skip | None:
    """YES needs slider ≥ threshold_yes; NO needs slider ≤ threshold_no (thresholds inclusive)."""
    neutral = " (neutral: insufficient data)" if owrr.is_neutral else ""
    if trade.outcome is Outcome.YES and owrr.slider < strategy.owrr_threshold_yes:
        return Skip(
            ReasonCode.OWRR_BELOW_THRESHOLD,
            f"OWRR {owrr.slider} is below the YES threshold {strategy.owrr_threshold_yes}{neutral}",
        )
    if trade.outcome is Outcome.NO and owrr.slider > strategy.owrr_threshold_no:
        return Skip(
            ReasonCode.OWRR_ABOVE_THRESHOLD,
            f"OWRR {owrr.slider} is above the NO threshold {strategy.owrr_threshold_no}{neutral}",
        )
    return None


def check_confidence(strategy: StrategyConfig, owrr: OwrrResult) -> Skip | None:
    """`insufficient_data` always skips, even if a strategy's minimum were set that low."""
    if owrr.confidence is Confidence.INSUFFICIENT:
        return Skip(ReasonCode.LOW_CONFIDENCE, "OWRR has insufficient data (fewer than 3 votes on a side)")
    if owrr.confidence.rank < strategy.min_owrr_confidence.rank:
        return Skip(
            ReasonCode.LOW_CONFIDENCE,
            f"OWRR confidence {owrr.confidence.value} is below the minimum {strategy.min_owrr_confidence.value}",
        )
    return None


def check_max_positions(
    trade: LeaderTrade, strategy: StrategyConfig, portfolio: PortfolioView, tunables: Tunables
) -> Skip | None:
    """Only a NEW position counts against the limit; adding to a held (or pending) token is allowed."""
    held = portfolio.holding(trade.token_id)
    if held is not None and (held.shares > 0 or held.cost_usd > 0):
        return None
    limit = min(strategy.max_positions, tunables.max_open_positions_per_strategy)
    if portfolio.open_positions >= limit:
        return Skip(
            ReasonCode.MAX_POSITIONS,
            f"{portfolio.open_positions} open positions, at the limit of {limit}",
        )
    return None


def check_capital(strategy: StrategyConfig, portfolio: PortfolioView) -> Skip | None:
    """Available capital must be at least 10% of the strategy's max position size (equal passes)."""
    needed = strategy.max_position_size_usd * MIN_CAPITAL_FRACTION
    if portfolio.available_usd < needed:
        return Skip(
            ReasonCode.INSUFFICIENT_CAPITAL,
            f"Available capital {_usd(portfolio.available_usd)} is below {_usd(needed)} (10% of the max position size)",
        )
    return None


def check_consensus(trade: LeaderTrade, strategy: StrategyConfig, owrr: OwrrResult) -> Skip | None:
    """The OWRR gate (threshold, then confidence); `consensus: off` has none."""
    if strategy.consensus is ConsensusMode.OFF:
        return None
    return check_owrr_threshold(trade, strategy, owrr) or check_confidence(strategy, owrr)


def check_track_record(
    trade: LeaderTrade, strategy: StrategyConfig, record: TrackRecord | None, tunables: Tunables
) -> Skip | None:
    """Sizing `kelly` only: the leader's record in the category must exist, be long enough (equal
    passes) and show an edge (f* > 0)."""
    if strategy.sizing_mode is not SizingMode.KELLY:
        return None
    category = trade.category or "(none)"
    if record is None:
        return Skip(
            ReasonCode.NO_TRACK_RECORD,
            f"Kelly sizing: no valid lifetime track record of the leader in '{category}'",
        )
    minimum = tunables.kelly_min_resolved_bets
    if record.resolved_bets < minimum:
        return Skip(
            ReasonCode.FEW_RESOLVED_BETS,
            f"Kelly sizing: the leader has {record.resolved_bets} resolved bets in '{category}', fewer than {minimum}",
            {"resolved_bets": str(record.resolved_bets)},
        )
    estimate = kelly(record)
    if not estimate.has_edge:
        return Skip(
            ReasonCode.NO_EDGE,
            f"Kelly sizing: no edge in '{category}' ({_kelly_terms(estimate, record)}, f* {_num(estimate.full)} ≤ 0)",
            estimate.details(),
        )
    return None


def owrr_strength(outcome: Outcome, owrr: float) -> Decimal:
    """How far the consensus leans the trade's way: 0 at 0.5 (or against), 1 at unanimity."""
    value = from_float(owrr)  # 0.72 -> Decimal("0.72"), not its binary expansion
    lean = (value - _HALF) / _HALF if outcome is Outcome.YES else (_HALF - value) / _HALF
    return min(max(lean, ZERO), ONE)


def base_size(
    trade: LeaderTrade,
    strategy: StrategyConfig,
    owrr: OwrrResult,
    portfolio: PortfolioView,
    track_record: TrackRecord | None = None,
) -> tuple[Decimal, Decimal | None, KellyEstimate | None]:
    """The size the sizing mode asks for, before caps; and the OWRR strength or the Kelly estimate
    when one was used."""
    mode = strategy.sizing_mode
    if mode is SizingMode.FIXED:
        return strategy.fixed_size_usd, None, None
    if mode is SizingMode.PROPORTIONAL:
        return trade.usd_value * strategy.proportional_fraction, None, None
    if mode is SizingMode.KELLY:
        # cash × kelly_fraction × f*; nothing without a record that shows an edge (the rule
        # `check_track_record` has skipped those already)
        if track_record is None or track_record.resolved_bets <= 0:
            return ZERO, None, None
        estimate = kelly(track_record)
        return portfolio.balance_usd * strategy.kelly_fraction * max(estimate.full, ZERO), None, estimate
    # owrr_scaled: balance × risk% × (0.5 + 0.5 × strength) — 50% to 100% of the risk budget.
    strength = owrr_strength(trade.outcome, owrr.owrr)
    budget = portfolio.balance_usd * strategy.risk_per_trade_percent / HUNDRED
    return budget * (_HALF + _HALF * strength), strength, None


def size_entry(  # noqa: PLR0917 — the positional order follows `decide_entry`'s
    trade: LeaderTrade,
    strategy: StrategyConfig,
    owrr: OwrrResult,
    portfolio: PortfolioView,
    tunables: Tunables,
    track_record: TrackRecord | None = None,
) -> Sizing:
    """Base size, capped by per-position room, available capital and total-exposure room."""
    base, strength, estimate = base_size(trade, strategy, owrr, portfolio, track_record)
    held = portfolio.holding(trade.token_id)
    held_cost = held.cost_usd if held is not None else ZERO
    caps = (
        ("per-position limit", min(strategy.max_position_size_usd, tunables.max_position_usd) - held_cost),
        ("available capital", portfolio.available_usd),
        ("total exposure cap", tunables.max_total_exposure_usd - portfolio.total_exposure_usd),
    )
    capped = max(base, ZERO)
    binding: str | None = None
    for name, room in caps:
        if room < capped:
            capped, binding = max(room, ZERO), name
    size = quantize(capped, WHOLE, ROUND_FLOOR)
    return Sizing(base, capped, size, binding, strength, estimate)


def check_min_size(sizing: Sizing, tunables: Tunables) -> Skip | None:
    if sizing.size_usd >= tunables.min_order_usd:
        return None
    if sizing.binding_cap is not None:
        why = (
            f"Size {_usd(sizing.base_usd)} was cut to {_usd(sizing.size_usd)} by the {sizing.binding_cap}, "
            f"below the {_usd(tunables.min_order_usd)} minimum order"
        )
    else:
        why = (
            f"Size {_usd(sizing.base_usd)} rounds down to {_usd(sizing.size_usd)}, "
            f"below the {_usd(tunables.min_order_usd)} minimum order"
        )
    return Skip(ReasonCode.SIZE_BELOW_MINIMUM, why, sizing.details())


def worst_buy_price(leader_price: Decimal, slippage: Decimal) -> Decimal:
    """Leader price + slippage, floored to the grid (never above the ceiling), inside [0.01, 0.99]."""
    return _clamp_price(quantize(leader_price + slippage, PRICE_STEP, ROUND_FLOOR))


def worst_sell_price(leader_price: Decimal, slippage: Decimal) -> Decimal:
    """Leader price − slippage, raised to the grid (never below the floor), inside [0.01, 0.99]."""
    return _clamp_price(quantize(leader_price - slippage, PRICE_STEP, ROUND_CEILING))


# --- composition ---------------------------------------------------------------------------------


def decide_entry(  # noqa: PLR0917 — positional signature is the tick's contract
    trade: LeaderTrade,
    strategy: StrategyConfig,
    owrr: OwrrResult,
    portfolio: PortfolioView,
    tunables: Tunables,
    now: datetime,
    *,
    track_record: TrackRecord | None = None,
) -> Decision:
    """A leader BUY: the entry rules in order; COPY buys a dollar amount.

    `owrr` is only read when the strategy `needs_owrr` (the gate, or owrr_scaled sizing); the
    slider and confidence are recorded only then. `track_record` is the leader's record in the
    trade's category, read by Kelly sizing only."""
    slider, confidence = (owrr.slider, owrr.confidence) if strategy.needs_owrr else (None, None)
    skip = (
        check_kill_switch(tunables, strategy)
        or check_staleness(trade, tunables, now)
        or check_market_open(trade)
        or check_markets_filter(trade, strategy)
        or check_category(trade, strategy)
        or check_consensus(trade, strategy, owrr)
        or check_max_positions(trade, strategy, portfolio, tunables)
        or check_capital(strategy, portfolio)
        or check_track_record(trade, strategy, track_record, tunables)
    )
    if skip is not None:
        return _skip_decision(skip, slider, confidence)
    sizing = size_entry(trade, strategy, owrr, portfolio, tunables, track_record)
    skip = check_min_size(sizing, tunables)
    if skip is not None:
        return _skip_decision(skip, slider, confidence)
    intent = copy_draft(trade, strategy, usd_amount=sizing.size_usd)
    details = {"owrr": repr(owrr.owrr)} if strategy.needs_owrr else {}
    return Decision(
        action=DecisionAction.COPY,
        reason_code=ReasonCode.COPY,
        reason=_copy_reason(strategy, owrr, sizing, track_record),
        slider=slider,
        confidence=confidence,
        intent=intent,
        details={**details, **sizing.details()},
    )


def _copy_reason(strategy: StrategyConfig, owrr: OwrrResult, sizing: Sizing, track_record: TrackRecord | None) -> str:
    """Why this COPY: the consensus it passed (or that there is no gate), and a Kelly size's terms."""
    if strategy.consensus is ConsensusMode.OFF:
        reason = "Consensus off: copying the leader"
    else:
        reason = f"OWRR {owrr.slider}, confidence {owrr.confidence.value}"
    if sizing.kelly is not None and track_record is not None:
        reason += (
            f"; Kelly {_num(sizing.kelly.full)} × {_num(strategy.kelly_fraction)} of the cash"
            f" ({_kelly_terms(sizing.kelly, track_record)})"
        )
    return reason


def _kelly_terms(estimate: KellyEstimate, record: TrackRecord) -> str:
    payoff = "unbounded" if estimate.payoff is None else _num(quantize(estimate.payoff, CENT))
    return f"win rate {_pct(estimate.win_rate)} over {record.resolved_bets} bets, payoff {payoff}"


def copy_draft(
    trade: LeaderTrade, strategy: StrategyConfig, *, usd_amount: Decimal | None = None, shares: Decimal | None = None
) -> IntentDraft:
    """The order a COPY of `trade` drafts: an entry buys `usd_amount`, an exit sells `shares`, in the
    strategy's style, never beyond the leader's price moved by the strategy's slippage ceiling."""
    price, slippage = trade.price, strategy.slippage_ceiling
    exit_ = shares is not None
    return IntentDraft(
        action=TradeAction.SELL if exit_ else TradeAction.BUY,
        token_id=trade.token_id,
        condition_id=trade.condition_id,
        leader_price=price,
        worst_price=worst_sell_price(price, slippage) if exit_ else worst_buy_price(price, slippage),
        usd_amount=usd_amount,
        shares=shares,
        order_style=strategy.order_style,
        is_exit=exit_,
    )


def exit_fraction(trade_shares: Decimal, leader_shares_before: Decimal | None) -> Decimal | None:
    """Fraction of their position the leader sold; None means everything (unknown or ≥ 100%)."""
    if leader_shares_before is None or leader_shares_before <= 0:
        return None
    fraction = trade_shares / leader_shares_before
    return None if fraction >= 1 else max(fraction, ZERO)


def exit_shares(held_shares: Decimal, fraction: Decimal | None) -> Decimal:
    """Shares to sell, rounded DOWN to 2 decimals (never more than held)."""
    raw = held_shares if fraction is None else held_shares * fraction
    return quantize(raw, SHARE_STEP, ROUND_FLOOR)


def check_holding(trade: LeaderTrade, portfolio: PortfolioView) -> Skip | None:
    held = portfolio.holding(trade.token_id)
    if held is None or held.shares <= 0:
        return Skip(ReasonCode.NO_POSITION, "Leader sold, but the strategy holds no shares of this token")
    return None


def decide_exit(  # noqa: PLR0917 — positional signature is the tick's contract
    trade: LeaderTrade,
    strategy: StrategyConfig,
    portfolio: PortfolioView,
    leader_shares_before: Decimal | None,
    tunables: Tunables,
    now: datetime,
) -> Decision:
    """A leader SELL: sell the same fraction of our holding. No OWRR/category/capital rules apply —
    getting out must not be blocked by the conditions for getting in."""
    skip = (
        check_kill_switch(tunables, strategy)
        or check_staleness(trade, tunables, now)
        or check_holding(trade, portfolio)
    )
    if skip is not None:
        return _skip_decision(skip, None, None)
    held = portfolio.holding(trade.token_id)
    assert held is not None  # check_holding passed
    fraction = exit_fraction(trade.shares, leader_shares_before)
    shares = exit_shares(held.shares, fraction)
    details = {
        "held_shares": str(held.shares),
        "fraction": "1" if fraction is None else str(fraction),
        "leader_shares_before": "unknown" if leader_shares_before is None else str(leader_shares_before),
    }
    if shares <= 0:
        return _skip_decision(
            Skip(
                ReasonCode.SIZE_BELOW_MINIMUM,
                f"Selling {_pct(fraction)} of {_num(held.shares)} shares rounds down to 0 shares",
                details,
            ),
            None,
            None,
        )
    intent = copy_draft(trade, strategy, shares=shares)
    return Decision(
        action=DecisionAction.COPY,
        reason_code=ReasonCode.COPY_EXIT,
        reason=(
            f"Leader sold {_pct(fraction)} of their position; selling {_num(shares)} of {_num(held.shares)} shares"
        ),
        intent=intent,
        details=details,
    )


def decide(  # noqa: PLR0917 — positional signature is the tick's contract
    trade: LeaderTrade,
    strategy: StrategyConfig,
    owrr: OwrrResult,
    portfolio: PortfolioView,
    tunables: Tunables,
    now: datetime,
    leader_shares_before: Decimal | None = None,
    *,
    track_record: TrackRecord | None = None,
) -> Decision:
    """BUY → entry rules, SELL → exit rules. A paused strategy copies no entries, but still follows
    its leaders out of what it holds."""
    if trade.action is TradeAction.SELL:
        return decide_exit(trade, strategy, portfolio, leader_shares_before, tunables, now)
    if strategy.paused_reason is not None:
        paused = Skip(ReasonCode.STRATEGY_PAUSED, f"Strategy paused ({strategy.paused_reason}): no new entries")
        return _skip_decision(paused, None, None)
    return decide_entry(trade, strategy, owrr, portfolio, tunables, now, track_record=track_record)


def invalid_source(detail: str) -> Decision:
    """The SKIP every interested strategy records for a source row that failed validation."""
    return Decision(
        action=DecisionAction.SKIP,
        reason_code=ReasonCode.INVALID_SOURCE,
        reason=f"Invalid source trade: {detail}",
        details={"detail": detail},
    )


def config_unavailable() -> Decision:
    """The SKIP every strategy records while no valid tunables can be read (fail closed)."""
    return Decision(
        action=DecisionAction.SKIP,
        reason_code=ReasonCode.CONFIG_UNAVAILABLE,
        reason="Configuration (tunables) unavailable: no orders until it can be read",
    )


def apply_decision(portfolio: PortfolioState, decision: Decision) -> PortfolioState:
    """The portfolio as later trades of the same tick must see it after `decision` (see
    `PortfolioBook.apply`; a tick keeps one book per strategy instead, so n COPYs cost O(n))."""
    if decision.action is not DecisionAction.COPY or decision.intent is None:
        return portfolio
    book = PortfolioBook(portfolio)
    return book.snapshot() if book.apply(decision.intent) else portfolio


# --- helpers -------------------------------------------------------------------------------------


def _skip_decision(skip: Skip, slider: int | None, confidence: Confidence | None) -> Decision:
    return Decision(
        action=DecisionAction.SKIP,
        reason_code=skip.code,
        reason=skip.reason,
        slider=slider,
        confidence=confidence,
        details=dict(skip.details),
    )


@lru_cache(maxsize=4096)
def _lowered(values: frozenset[str]) -> frozenset[str]:
    # once per distinct set (a frozenset caches its hash): a per-trade rebuild grew with the filter
    return frozenset(v.lower() for v in values)


@lru_cache(maxsize=4096)
def _casefolded(values: frozenset[str]) -> frozenset[str]:
    return frozenset(v.casefold() for v in values)


def _clamp_price(price: Decimal) -> Decimal:
    return min(max(price, MIN_PRICE), MAX_PRICE)


def _usd(amount: Decimal) -> str:
    if amount == amount.to_integral_value():
        return f"${amount:,.0f}"
    return f"${amount:,.2f}"


def _pct(fraction: Decimal | None) -> str:
    if fraction is None:
        return "100%"
    return f"{_num(quantize(fraction * HUNDRED, CENT))}%"


def _num(value: Decimal) -> str:
    """Plain notation without trailing zeros: 100.00 → 100, 9.250 → 9.25 (never 1E+2)."""
    return f"{value.normalize():f}"
