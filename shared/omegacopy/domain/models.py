"""The nouns of copy trading: leader trades, strategies, portfolios, tunables (intents: `domain.intent`).

Pure data. Money is Decimal; token ids are decimal strings; wallet addresses are lower-case hex.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field


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
    """How an entry's dollar size is chosen (`domain.decisions.base_size`)."""

    OWRR_SCALED = "owrr_scaled"  # a share of the cash, scaled by the consensus strength
    FIXED = "fixed"
    PROPORTIONAL = "proportional"  # a fraction of the leader's dollars
    KELLY = "kelly"  # fractional Kelly from the leader's track record in the category

    @classmethod
    def _missing_(cls, value: object) -> SizingMode | None:
        # `owrr` is what rows and files written before `owrr_scaled` existed say
        return cls.OWRR_SCALED if value == "owrr" else None


class ConsensusMode(StrEnum):
    """Whether a copy must pass the OWRR gate (threshold and confidence) first."""

    OWRR = "owrr"
    OFF = "off"  # plain copying: every other rule still applies


class TradingMode(StrEnum):
    """Whether a strategy's copies reach the exchange (`live`) or are filled on paper against the
    live order book by the fill model (`paper`: nothing is signed or posted)."""

    PAPER = "paper"
    LIVE = "live"


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
    sizing_mode: SizingMode = SizingMode.OWRR_SCALED
    fixed_size_usd: Decimal = Decimal("0")
    proportional_fraction: Decimal = Decimal("0")
    slippage_ceiling: Decimal = Decimal("0.02")
    order_style: OrderStyle = OrderStyle.FAK
    all_categories: bool = False  # `categories: all`: every category the market dimension knows
    consensus: ConsensusMode = ConsensusMode.OWRR
    kelly_fraction: Decimal = Decimal("0")  # sizing `kelly`: the share of full Kelly staked (0.25 = quarter)
    paper: bool = False  # mode `paper`: its intents are filled by the fill model, never posted

    # paused (by the operator or a loss limit): copies no entries, still follows its leaders' exits
    paused_reason: str | None = None

    @property
    def needs_owrr(self) -> bool:
        """Whether a decision of this strategy reads the market's OWRR (to gate or to size)."""
        return self.consensus is ConsensusMode.OWRR or self.sizing_mode is SizingMode.OWRR_SCALED


@dataclass(frozen=True, slots=True)
class PositionHolding:
    """What a strategy holds in one outcome token: filled shares, and the cost basis of those plus
    any entry still pending (so limits count money already committed)."""

    token_id: str
    condition_id: str
    shares: Decimal
    cost_usd: Decimal


class PortfolioView(Protocol):
    """What the decision rules read of a strategy's portfolio (a `PortfolioState` snapshot, or the
    `PortfolioBook` a tick updates as it copies)."""

    @property
    def balance_usd(self) -> Decimal: ...

    @property
    def reserved_usd(self) -> Decimal: ...

    @property
    def available_usd(self) -> Decimal: ...

    @property
    def open_positions(self) -> int: ...

    @property
    def total_exposure_usd(self) -> Decimal: ...

    def holding(self, token_id: str) -> PositionHolding | None: ...


def is_open(h: PositionHolding) -> bool:
    # a pending entry (cost committed, nothing filled yet) is a position being opened
    return h.shares > 0 or h.cost_usd > 0


@dataclass(frozen=True, slots=True)
class PortfolioState:
    """A strategy's exposure as the decision rules see it.

    `reserved_usd` is capital committed to entries not yet settled (pending intents), so two copies
    in one tick cannot spend the same dollar twice.
    """

    balance_usd: Decimal
    reserved_usd: Decimal = Decimal("0")
    holdings: tuple[PositionHolding, ...] = ()
    # token -> holding, built on first lookup: a lookup per trade must not scan every holding
    _by_token: dict[str, PositionHolding] | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def available_usd(self) -> Decimal:
        return self.balance_usd - self.reserved_usd

    @property
    def open_positions(self) -> int:
        return sum(1 for h in self.holdings if is_open(h))

    @property
    def total_exposure_usd(self) -> Decimal:
        return sum((h.cost_usd for h in self.holdings if is_open(h)), Decimal("0"))

    def holding(self, token_id: str) -> PositionHolding | None:
        index = self._by_token
        if index is None:
            index = {}
            for h in self.holdings:
                index.setdefault(h.token_id, h)  # the first one, as a scan would find
            object.__setattr__(self, "_by_token", index)
        return index.get(token_id)


class Tunables(BaseModel):
    """Operator tunables (SSM `/omegacopy/<stage>/tunables/<name>`): each one's default, bounds and
    description, defined here and nowhere else.

    The SSM adapter validates every value with this model; `template.yaml` declares one SSM parameter
    per field, whose value, description and AllowedPattern the IaC tests check against it. Bounds
    keep a typo (an extra zero, a stray decimal point) from loosening a limit: a value outside them
    is refused and the last good one stays in force. Money has at most 6 decimals. The kill switch
    is ON by default, so missing configuration never means trading.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", validate_default=True, allow_inf_nan=False)

    kill_switch: bool = Field(
        default=True,
        description="true = no new real orders anywhere (the executor refuses every live intent; paper"
        " strategies go on filling on paper)",
    )
    staleness_limit_s: int = Field(
        default=300, ge=1, le=3_600, description="never order from leader data older than this (seconds)"
    )
    max_open_positions_per_strategy: int = Field(
        default=50, ge=0, le=10_000, description="global cap on open positions per strategy"
    )
    max_position_usd: Decimal = Field(
        default=Decimal("5000"), ge=0, le=1_000_000, decimal_places=6, description="global cap on one position (USD)"
    )
    max_total_exposure_usd: Decimal = Field(
        default=Decimal("50000"),
        ge=0,
        le=10_000_000,
        decimal_places=6,
        description="global cap on total exposure (USD)",
    )
    owrr_threshold_yes: int = Field(
        default=60, ge=0, le=100, description="default OWRR score at or above which a YES buy is copied (0-100)"
    )
    owrr_threshold_no: int = Field(
        default=40, ge=0, le=100, description="default OWRR score at or below which a NO buy is copied (0-100)"
    )
    min_owrr_confidence: Confidence = Field(
        default=Confidence.MEDIUM, description="insufficient_data | low | medium | high"
    )
    owrr_cache_ttl_s: int = Field(default=300, ge=0, le=3_600, description="OWRR cache time to live (seconds)")
    min_order_usd: Decimal = Field(
        default=Decimal("10"), ge=1, le=10_000, decimal_places=6, description="smallest order placed (USD)"
    )
    max_order_usd: Decimal = Field(
        default=Decimal("1000"), ge=1, le=1_000_000, decimal_places=6, description="largest single order (USD)"
    )
    max_market_exposure_usd: Decimal = Field(
        default=Decimal("2500"),
        ge=0,
        le=10_000_000,
        decimal_places=6,
        description="cap on exposure to one market (USD)",
    )
    daily_loss_limit_pct: Decimal = Field(
        default=Decimal("10"),
        gt=0,
        le=100,
        decimal_places=6,
        description="a strategy losing this share of its capital in a day is paused (percent)",
    )
    drawdown_limit_pct: Decimal = Field(
        default=Decimal("50"),
        gt=0,
        le=100,
        decimal_places=6,
        description="a strategy this far below its capital is paused (percent)",
    )
    price_collar: Decimal = Field(
        default=Decimal("0.05"),
        ge=Decimal("0.001"),
        le=Decimal("0.5"),
        decimal_places=6,
        description="max distance between the order price and the fresh book (probability units)",
    )
    book_max_age_s: int = Field(
        default=5, ge=1, le=300, description="order book older than this is refetched before pricing (seconds)"
    )
    intent_max_age_s: int = Field(
        default=120, ge=5, le=3_600, description="intents older than this expire instead of executing (seconds)"
    )
    iceberg_slice_usd: Decimal = Field(
        default=Decimal("500"),
        ge=10,
        le=1_000_000,
        decimal_places=6,
        description="entries above this are split into slices of about this size, none below min_order_usd",
    )
    iceberg_max_slices: int = Field(
        default=20, ge=1, le=100, description="most intents one copied trade may become (slices grow to fit)"
    )
    clock_skew_limit_s: int = Field(
        default=5, ge=1, le=300, description="max tolerated skew between our clock and the exchange's (seconds)"
    )
    # the indexer (functions/indexer): what it keeps fresh, and how much one pass may spend
    indexer_run_budget_s: int = Field(
        default=240,
        ge=30,
        le=840,
        description="an indexer pass stops at a checkpoint after this long (seconds; the function times out at 900)",
    )
    indexer_holders_max_age_s: int = Field(
        default=600,
        ge=60,
        le=86_400,
        description="the holders of a market leaders trade are re-read when older than this (seconds)",
    )
    indexer_metrics_max_age_s: int = Field(
        default=21_600,
        ge=300,
        le=604_800,
        description="a weighed wallet's positions and omega are refreshed when older than this (seconds)",
    )
    indexer_market_max_age_s: int = Field(
        default=300,
        ge=0,
        le=86_400,
        description="an open market's row is re-read when older than this, to catch its resolution (seconds)",
    )
    indexer_trade_lookback_s: int = Field(
        default=3_600,
        ge=0,
        le=604_800,
        description="each pass re-reads a leader's trades this far behind its checkpoint (seconds)",
    )
    indexer_traded_window_days: int = Field(
        default=7, ge=1, le=90, description="markets a leader traded within this many days keep fresh holders (days)"
    )
    indexer_max_holder_markets: int = Field(
        default=500, ge=0, le=10_000, description="most markets whose holders one indexer pass refreshes"
    )
    indexer_max_metric_wallets: int = Field(
        default=2_000, ge=0, le=100_000, description="most wallets whose positions one indexer pass refreshes"
    )
    redemptions_enabled: bool = Field(
        default=False,
        description="true = resolved positions are redeemed on chain (signed with the wallet key); false = none signed",
    )
    redemption_gas_limit_cap: int = Field(
        default=600_000, ge=50_000, le=5_000_000, description="most gas one redemption transaction may use"
    )
    redemption_max_fee_gwei: int = Field(
        default=2_000, ge=1, le=100_000, description="highest max fee per gas a redemption may offer (gwei)"
    )
    redemption_stuck_after_s: int = Field(
        default=3_600,
        ge=300,
        le=604_800,
        description="a redemption not confirmed this long after its market settled raises RedemptionsStuck (seconds)",
    )
    kelly_min_resolved_bets: int = Field(
        default=20,
        ge=1,
        le=10_000,
        description="Kelly sizing skips a leader with fewer resolved bets than this in the trade's category",
    )
    balance_drift_tolerance_usd: Decimal = Field(
        default=Decimal("1"),
        ge=0,
        le=100_000,
        decimal_places=6,
        description="a wallet whose exchange balances drift further from the books pauses its entries (USD or shares)",
    )
