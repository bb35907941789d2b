"""The nouns of copy trading: leader trades, strategies, decisions, order intents.

Pure data. Money is Decimal; token ids are decimal strings; wallet addresses are lower-case hex.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum


class Outcome(StrEnum):
    """Which outcome token of a binary market a trade is in."""

    YES = "YES"
    NO = "NO"


class TradeAction(StrEnum):
    BUY = "BUY"
    SELL = "SELL"


class Confidence(StrEnum):
    INSUFFICIENT = "insufficient_data"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"

    @property
    def rank(self) -> int:
        return _CONFIDENCE_RANK[self]

    @property
    def weight(self) -> Decimal:
        return _CONFIDENCE_WEIGHT[self]


_CONFIDENCE_RANK = {
    Confidence.INSUFFICIENT: 0,
    Confidence.LOW: 1,
    Confidence.MEDIUM: 2,
    Confidence.HIGH: 3,
}
_CONFIDENCE_WEIGHT = {
    Confidence.INSUFFICIENT: Decimal("0"),
    Confidence.LOW: Decimal("0.4"),
    Confidence.MEDIUM: Decimal("0.7"),
    Confidence.HIGH: Decimal("1.0"),
}


class SizingMode(StrEnum):
    OWRR = "owrr"
    FIXED = "fixed"
    PROPORTIONAL = "proportional"


class OrderStyle(StrEnum):
    """How the executor places a copy: marketable (FAK/FOK) or passive limit (GTC/GTD)."""

    FAK = "FAK"
    FOK = "FOK"
    GTC = "GTC"
    GTD = "GTD"


class DecisionAction(StrEnum):
    COPY = "COPY"
    SKIP = "SKIP"


@dataclass(frozen=True, slots=True)
class LeaderTrade:
    """One validated leader trade, joined with its market's dimension row."""

    trade_id: str
    wallet: str
    condition_id: str
    token_id: str
    outcome: Outcome
    action: TradeAction
    shares: Decimal
    price: Decimal
    usd_value: Decimal
    traded_at: datetime
    category: str | None
    market_closed: bool
    neg_risk: bool = False


@dataclass(frozen=True, slots=True)
class InvalidTrade:
    """A source row that failed validation: it still yields an `invalid_source` SKIP per strategy."""

    trade_id: str
    wallet: str
    detail: str


@dataclass(frozen=True, slots=True)
class StrategyConfig:
    """A strategy's settings and copy configuration (strategy_settings row)."""

    strategy_id: str
    name: str
    follower_wallet_id: str
    balance_usd: Decimal
    max_position_size_usd: Decimal
    max_positions: int
    risk_per_trade_percent: Decimal
    categories: frozenset[str]
    owrr_threshold_yes: int = 60
    owrr_threshold_no: int = 40
    min_owrr_confidence: Confidence = Confidence.MEDIUM
    markets_filter: frozenset[str] = frozenset()
    sizing_mode: SizingMode = SizingMode.OWRR
    fixed_size_usd: Decimal = Decimal("0")
    proportional_fraction: Decimal = Decimal("0")
    slippage_ceiling: Decimal = Decimal("0.02")
    order_style: OrderStyle = OrderStyle.FAK
    all_categories: bool = False  # `categories: all`: every category the market dimension knows


@dataclass(frozen=True, slots=True)
class PositionHolding:
    """What a strategy holds in one outcome token: filled shares, and the cost basis of those plus
    any entry still pending (so limits count money already committed)."""

    token_id: str
    condition_id: str
    shares: Decimal
    cost_usd: Decimal


@dataclass(frozen=True, slots=True)
class PortfolioState:
    """A strategy's exposure as the decision rules see it.

    `reserved_usd` is capital committed to entries not yet settled (pending intents), so two copies
    in one tick cannot spend the same dollar twice.
    """

    balance_usd: Decimal
    reserved_usd: Decimal = Decimal("0")
    holdings: tuple[PositionHolding, ...] = ()

    @property
    def available_usd(self) -> Decimal:
        return self.balance_usd - self.reserved_usd

    @property
    def open_positions(self) -> int:
        # a pending entry (cost committed, nothing filled yet) is a position being opened
        return sum(1 for h in self.holdings if h.shares > 0 or h.cost_usd > 0)

    @property
    def total_exposure_usd(self) -> Decimal:
        return sum((h.cost_usd for h in self.holdings if h.shares > 0 or h.cost_usd > 0), Decimal("0"))

    def holding(self, token_id: str) -> PositionHolding | None:
        for h in self.holdings:
            if h.token_id == token_id:
                return h
        return None


@dataclass(frozen=True, slots=True)
class Tunables:
    """Operator tunables (SSM), already validated."""

    kill_switch: bool = False
    staleness_limit_s: int = 300
    max_open_positions_per_strategy: int = 50
    max_position_usd: Decimal = Decimal("5000")
    max_total_exposure_usd: Decimal = Decimal("50000")
    owrr_threshold_yes: int = 60
    owrr_threshold_no: int = 40
    min_owrr_confidence: Confidence = Confidence.MEDIUM
    owrr_cache_ttl_s: int = 300
    min_order_usd: Decimal = Decimal("10")
    # executor: pre-trade risk and order placement
    max_order_usd: Decimal = Decimal("1000")
    max_market_exposure_usd: Decimal = Decimal("2500")
    daily_loss_limit_pct: Decimal = Decimal("10")
    drawdown_limit_pct: Decimal = Decimal("50")
    price_collar: Decimal = Decimal("0.05")
    book_max_age_s: int = 5
    intent_max_age_s: int = 120
    iceberg_slice_usd: Decimal = Decimal("500")
    clock_skew_limit_s: int = 5


@dataclass(frozen=True, slots=True)
class IntentDraft:
    """What a COPY asks the executor to do: buy `usd_amount` or sell `shares` of `token_id`.

    `worst_price` is the limit the order may not cross: leader price ± the strategy's slippage
    ceiling, clamped inside (0, 1).
    """

    action: TradeAction
    token_id: str
    condition_id: str
    leader_price: Decimal
    worst_price: Decimal
    usd_amount: Decimal | None
    shares: Decimal | None
    order_style: OrderStyle
    is_exit: bool = False


@dataclass(frozen=True, slots=True)
class Decision:
    action: DecisionAction
    reason_code: str
    reason: str
    slider: int | None = None
    confidence: Confidence | None = None
    intent: IntentDraft | None = None
    details: dict[str, str] = field(default_factory=dict)
