"""The edges the use cases talk to. Adapters implement them; tests may fake them.

Each port is a Protocol named for what the use case needs, not for the technology behind it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Generic, Literal, Protocol, TypeVar

from omegacopy.domain.balances import BalanceCheck
from omegacopy.domain.clob_models import BalanceAllowance, OrderBook, OrderRecord, PostResult, Trade
from omegacopy.domain.evm_tx import SignedTx
from omegacopy.domain.intent import Intent, IntentProgress, IntentState, Submission
from omegacopy.domain.kelly import TrackRecord
from omegacopy.domain.models import (
    InvalidTrade,
    LeaderTrade,
    PortfolioState,
    StrategyConfig,
    Tunables,
)
from omegacopy.domain.notifications import DailySummary, FillEvent, Notice
from omegacopy.domain.owrr import OwrrResult, WalletMetric, WalletPosition
from omegacopy.domain.positions import BookedFill, Position, Settlement
from omegacopy.domain.public_data import (
    HolderPosition,
    InvalidRecord,
    LeaderboardEntry,
    MarketRecord,
    PositionStatus,
    PublicPosition,
    PublicTrade,
)
from omegacopy.domain.redemption import FeePlan, RedemptionReason, RedemptionRoute, RedemptionState
from omegacopy.domain.resolution import MarketResolution
from omegacopy.domain.signer import Signer
from omegacopy.domain.wallet_metrics import CategoryMetrics

if TYPE_CHECKING:  # the replay's types: only its protocols name them, and every function imports ports
    from omegacopy.domain.backtest import BookSnapshot, PricePoint, ResolvedMarket

_T = TypeVar("_T")
MeasureUnit = Literal["Milliseconds", "Percent"]


class SourceUnavailableError(RuntimeError):
    """The trade or metrics source failed or was too slow: the tick fails closed."""


class TunablesUnavailableError(RuntimeError):
    """No valid tunables have ever been read in this container: nothing may be ordered."""


class NoOrderBookError(LookupError):
    """The exchange has no order book for the token (404): its market cannot trade (closed,
    resolved, or unknown to the exchange)."""


@dataclass(frozen=True, slots=True)
class TradeBatch:
    """What a source returned since a watermark.

    `watermark` is the newest arrival time among the rows read (None when nothing was read): the
    next tick reads from there minus the overlap.
    """

    trades: tuple[LeaderTrade, ...]
    invalid: tuple[InvalidTrade, ...]
    watermark: datetime | None


@dataclass(frozen=True, slots=True)
class SaleRef:
    """A leader sale whose position size *before* the sale the exit rule needs."""

    trade_id: str
    wallet: str
    condition_id: str
    token_id: str
    traded_at: datetime


class TradeSource(Protocol):
    name: str

    def fetch_new_trades(self, wallets: Sequence[str], since: datetime) -> TradeBatch: ...

    def leader_shares_before(self, sales: Sequence[SaleRef]) -> dict[str, Decimal]:
        """trade_id -> the leader's shares in that token just before the sale."""
        ...


@dataclass(frozen=True, slots=True)
class MarketOwrrInputs:
    positions: tuple[WalletPosition, ...]
    metrics: tuple[WalletMetric, ...]
    # rows of this market's inputs that failed validation (`adapters.consensus_rows`): no vote
    rejected: tuple[InvalidRecord, ...] = ()


class OwrrInputs(Protocol):
    def load(self, markets: Mapping[str, str]) -> dict[str, MarketOwrrInputs]:
        """condition_id -> category in; condition_id -> inputs out (one query per table)."""
        ...


@dataclass(frozen=True, slots=True)
class TrackRecordBatch:
    """Leaders' lifetime records by (wallet, category), both lower-case; rows refused by validation
    are in `rejected` (their leaders have no record)."""

    records: dict[tuple[str, str], TrackRecord]
    rejected: tuple[InvalidRecord, ...] = ()


class TrackRecords(Protocol):
    def load(self, keys: Sequence[tuple[str, str]]) -> TrackRecordBatch:
        """(leader wallet, category) pairs in; their lifetime track records out (one batched read)."""
        ...


@dataclass(frozen=True, slots=True)
class FollowedStrategy:
    config: StrategyConfig
    watched_wallets: frozenset[str]
    portfolio: PortfolioState


@dataclass(frozen=True, slots=True)
class CachedOwrr:
    result: OwrrResult
    computed_at: datetime


@dataclass(frozen=True, slots=True)
class SignalRow:
    strategy_id: str
    source_trade_id: str
    leader_wallet: str
    decision: str
    reason_code: str
    reason: str
    correlation_id: str
    condition_id: str | None = None
    token_id: str | None = None
    outcome: str | None = None
    action: str | None = None
    leader_price: Decimal | None = None
    leader_shares: Decimal | None = None
    leader_usd: Decimal | None = None
    traded_at: datetime | None = None
    owrr: float | None = None
    slider: int | None = None
    confidence: str | None = None
    intent_id: str | None = None


@dataclass
class TickWrite:
    """Everything one tick persists, in one transaction."""

    tick_id: str
    started_at: datetime
    source: str
    watermark: datetime
    seen_trade_ids: list[str] = field(default_factory=list)
    signals: list[SignalRow] = field(default_factory=list)
    intents: list[Intent] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class TickWriteResult:
    signals_written: int
    intents_created: int


class MonitorSession(Protocol):
    """One database session of a tick (one connection, holding the tick lock)."""

    def try_lock(self) -> bool: ...

    def load_strategies(self) -> list[FollowedStrategy]: ...

    def get_cursor(self, source: str) -> datetime | None: ...

    def unseen(self, source: str, trade_ids: Sequence[str]) -> set[str]: ...

    def cached_owrr(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], CachedOwrr]: ...

    def store_owrr(self, rows: Sequence[tuple[str, str, OwrrResult]], computed_at: datetime) -> None: ...

    def write_tick(self, write: TickWrite) -> TickWriteResult: ...

    def pending_intents(self, limit: int) -> list[Intent]:
        """NEW intents not sent yet, in send order (creation time, exits first, id)."""
        ...

    def mark_sent(self, intent_ids: Sequence[str], at: datetime) -> None: ...


class MonitorStore(Protocol):
    def session(self) -> AbstractContextManager[MonitorSession]: ...


@dataclass(frozen=True, slots=True)
class SendResult:
    sent: tuple[str, ...]
    failed: dict[str, str]


class IntentQueue(Protocol):
    def send(self, intents: Sequence[Intent]) -> SendResult:
        """One message per intent, grouped by its wallet, deduplicated by its id."""
        ...


class TunablesSource(Protocol):
    def get(self) -> Tunables:
        """The tunables in force; raises `TunablesUnavailableError` when there are none (fail closed)."""
        ...


class Clock(Protocol):
    """Time, from one source: the wall clock (UTC) for what is stored or sent, the monotonic one
    for durations (it never jumps when the wall clock is set)."""

    def now(self) -> datetime: ...

    def monotonic(self) -> float:
        """Seconds from an arbitrary origin; only differences mean anything."""
        ...


class Telemetry(Protocol):
    """Metrics and the structured log of a use case (each line carries the invocation's keys:
    correlation id, tick id, intent id)."""

    def count(self, name: str, value: float = 1) -> None: ...

    def measure(self, name: str, value: float, unit: MeasureUnit) -> None: ...

    def info(self, message: str, **fields: object) -> None: ...

    def warning(self, message: str, **fields: object) -> None: ...

    def error(self, message: str, **fields: object) -> None: ...


class NullTelemetry:
    """Publishes and logs nothing: for replays (the backtest), whose ticks are not the live system's."""

    def count(self, name: str, value: float = 1) -> None:
        pass

    def measure(self, name: str, value: float, unit: MeasureUnit) -> None:
        pass

    def info(self, message: str, **fields: object) -> None:
        pass

    def warning(self, message: str, **fields: object) -> None:
        pass

    def error(self, message: str, **fields: object) -> None:
        pass


# --- executor -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RiskInputs:
    """What pre-trade risk reads from the books, under the intent's lock."""

    balance_usd: Decimal
    starting_balance_usd: Decimal
    shares_held: Decimal  # in the intent's token
    market_cost_usd: Decimal  # cost held in the intent's market (all outcomes)
    realized_today_usd: Decimal
    # what the strategy's other orders that may still fill hold: USD of its BUYs, shares of its
    # SELLs of this token (resting, in flight)
    reserved_usd: Decimal = Decimal(0)
    reserved_shares: Decimal = Decimal(0)


class IntentTransaction(Protocol):
    """One PostgreSQL transaction holding the intent row's lock. It persists what it is given;
    `progress` follows what it persisted."""

    @property
    def intent(self) -> Intent: ...

    @property
    def progress(self) -> IntentProgress: ...

    def risk_inputs(self) -> RiskInputs: ...

    def position(self) -> Position:
        """The strategy's position in the intent's token (locked until the transaction ends); a
        flat position of the other mode (paper vs real) reads as a new one."""
        ...

    def position_is_paper(self) -> bool | None:
        """Whether the shares the position holds are paper ones; None when it holds none."""
        ...

    def mark_submitting(self, submission: Submission) -> None: ...

    def finish(
        self, state: IntentState, *, reason_code: str, message: str, exchange_status: str | None = None
    ) -> None: ...

    def record_fill(self, booked: BookedFill, *, exchange_status: str | None, fee_usd: Decimal = ...) -> None:
        """Persist a booked fill: the position, the balance, the trade row, the intent's fill so far.
        `fee_usd` (a paper fill's; the exchange's fees are booked from its trade records) is
        realized as a loss and leaves the cash. The rows are paper when the intent is."""
        ...

    def note_reconcile_miss(self) -> int: ...


class ExecutorStore(Protocol):
    def locked(self, intent_id: str) -> AbstractContextManager[IntentTransaction | None]: ...

    def reconcilable(self, *, older_than: datetime, limit: int) -> list[str]: ...

    def stale_new(self, *, created_before: datetime, limit: int) -> list[str]:
        """NEW intents created before `created_before`: too old to execute, never delivered again
        (a dead-lettered message), still reserving their capital."""
        ...

    def postpone(self, intent_id: str) -> None: ...


@dataclass(frozen=True, slots=True)
class WalletIdentity:
    wallet_id: str
    address: str  # the EOA that signs
    funder: str  # the maker that holds funds
    signature_type: int


class KeyVault(Protocol):
    def identity(self, wallet_id: str) -> WalletIdentity: ...

    def signer(self, wallet_id: str) -> AbstractContextManager[Signer]:
        """The wallet's key, unwrapped only for the duration of the `with` block."""
        ...


class Exchange(Protocol):
    """The CLOB as one follower wallet sees it (its API credentials)."""

    @property
    def api_key(self) -> str: ...

    def order_book(self, token_id: str) -> OrderBook:
        """Raises `NoOrderBookError` when the exchange has none (404)."""
        ...

    def last_trade_price(self, token_id: str) -> Decimal | None:
        """The price of the token's last trade; None if it never traded."""
        ...

    def post_order(self, body: bytes, *, order_hash: str) -> PostResult: ...

    def get_order(self, order_hash: str) -> OrderRecord | None: ...

    def cancel_order(self, order_hash: str) -> object: ...

    def trades(self, *, token_id: str | None = None, after: int | None = None) -> list[Trade]: ...

    def balance_allowance(self, asset_type: str = "COLLATERAL", token_id: str | None = None) -> BalanceAllowance:
        """The wallet's pUSD (COLLATERAL) or shares of a token (CONDITIONAL), base units."""
        ...


class Exchanges(Protocol):
    def for_wallet(self, wallet_id: str) -> Exchange: ...


@dataclass(frozen=True, slots=True)
class OpenPosition:
    strategy_id: str
    wallet_id: str
    token_id: str
    shares: Decimal
    cost_usd: Decimal
    condition_id: str = ""
    stop_loss_pct: Decimal | None = None
    take_profit_pct: Decimal | None = None
    slippage_ceiling: Decimal = Decimal("0.02")
    paper: bool = False


@dataclass(frozen=True, slots=True)
class StrategyBook:
    strategy_id: str
    balance_usd: Decimal
    starting_balance_usd: Decimal
    realized_today_usd: Decimal
    peak_equity_usd: Decimal | None = None  # the highest equity marked so far
    day_start_equity_usd: Decimal | None = None  # equity at the first mark of `day_started_on`
    day_started_on: date | None = None


@dataclass(frozen=True, slots=True)
class PositionMark:
    """What a position was marked at, and from what: the book's mid, the last trade, the
    resolution's payout, or nothing at all (`price` None: unpriced)."""

    price: Decimal | None
    source: Literal["book", "last_trade", "resolution", "unpriced"]


class PortfolioStore(Protocol):
    def open_positions(self) -> list[OpenPosition]: ...

    def strategy_books(self) -> list[StrategyBook]: ...

    def save_marks(self, marks: Mapping[tuple[str, str], PositionMark]) -> None: ...

    def save_equity(self, strategy_id: str, *, peak_usd: Decimal, day_start_usd: Decimal, day: date) -> None: ...

    def pause_strategy(self, strategy_id: str, reason: str) -> bool: ...

    def queue_exit(self, intent: Intent) -> bool:
        """Write a NEW exit intent (the monitor's outbox sends it); False when it already exists."""
        ...


class MarketResolutions(Protocol):
    """The markets dimension's resolutions (ClickHouse `markets`: resolved, payouts, token_ids)."""

    def payouts(self, condition_ids: Sequence[str]) -> dict[str, Decimal]:
        """token id -> what one share pays, for the markets among these that have resolved."""
        ...


class NoResolutions:
    """No markets dimension at hand: no market is known to have resolved."""

    def payouts(self, condition_ids: Sequence[str]) -> dict[str, Decimal]:
        return {}


@dataclass(frozen=True, slots=True)
class WalletBooks:
    """What the strategies trading from one wallet have booked, all together."""

    wallet_id: str
    cash_usd: Decimal  # their balances
    shares: Mapping[str, Decimal]  # token -> their shares (tokens they hold or held)
    in_flight: bool  # an order of theirs whose fills are not known yet: the books may lag


class BalanceStore(Protocol):
    """PostgreSQL: the books per wallet, the checks against the exchange, and the fee bookings."""

    def wallet_books(self) -> list[WalletBooks]: ...

    def baselines(self, wallet_id: str) -> dict[str, Decimal]:
        """asset -> what the wallet held beyond the books when first checked."""
        ...

    def set_baseline(self, wallet_id: str, asset: str, baseline: Decimal) -> None: ...

    def last_breached(self, wallet_id: str) -> set[str]:
        """The assets whose latest check was beyond the tolerance."""
        ...

    def record_checks(self, checks: Sequence[BalanceCheck]) -> None: ...

    def pause_wallet_strategies(self, wallet_id: str, reason: str) -> list[str]:
        """Pause every active strategy trading from the wallet; the ones paused now."""
        ...

    def trade_cursor(self, wallet_id: str) -> int | None:
        """Match time (unix seconds) the wallet's trade records were read up to; None: never."""
        ...

    def save_trade_cursor(self, wallet_id: str, after_s: int) -> None: ...

    def book_fee(self, order_hash: str, trade_id: str, fee_usd: Decimal, price: Decimal) -> bool:
        """Book the fee one of our orders paid on one match (once: False when already booked, or
        when no intent of ours placed `order_hash`)."""
        ...


# --- Polymarket's public data (Gamma, Data API) -------------------------------------------------


class PublicDataError(RuntimeError):
    """A public-API call failed after its retries (the message never carries a secret)."""


class BudgetExhaustedError(PublicDataError):
    """The run's request or time budget is spent: stop here, resume from the checkpoints."""


@dataclass(frozen=True, slots=True)
class Page(Generic[_T]):
    """One page of a paged read: valid rows, rejected rows, and where the next page starts."""

    rows: tuple[_T, ...]
    invalid: tuple[InvalidRecord, ...]
    next_cursor: str | None


class PublicData(Protocol):
    """Polymarket's public Gamma and Data API (v2), rate-limited and validated.

    Paged reads yield page by page so a caller can write and checkpoint as it goes; `cursor`
    resumes a walk where a stored `next_cursor` left it.
    """

    def wallet_trades(
        self, wallet: str, *, start: datetime | None, cursor: str | None = None
    ) -> Iterator[Page[PublicTrade]]:
        """Every fill of `wallet` (maker and taker) at or after `start` (None: its whole history)."""
        ...

    def wallet_market_trades(self, wallet: str, condition_id: str) -> Page[PublicTrade]:
        """Every fill of `wallet` in one market (all pages in one)."""
        ...

    def markets(self, condition_ids: Sequence[str]) -> Page[MarketRecord]:
        """The markets with these condition ids, open or closed (all pages in one)."""
        ...

    def holders(self, condition_id: str) -> Page[HolderPosition]:
        """The largest holders of each outcome token of one market, with their entry prices."""
        ...

    def wallet_positions(
        self, wallet: str, status: PositionStatus, *, since: datetime | None = None, cursor: str | None = None
    ) -> Iterator[Page[PublicPosition]]:
        """A wallet's positions of one status whose last event is at or after `since`, page by page."""
        ...

    def top_markets(self, *, category: str | None, limit: int) -> Page[MarketRecord]:
        """Open markets with the most volume in the last 24 h, of one category or all."""
        ...

    def leaderboard(self, *, category: str, period: str, limit: int) -> Page[LeaderboardEntry]:
        """The trader leaderboard of one category and period (`day|week|month|all`), by P&L."""
        ...


# --- the indexer ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """Where one stream of one key stopped: `cursor` while a paged walk is unfinished."""

    watermark: datetime | None = None
    cursor: str | None = None
    refreshed_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class StoredMarket:
    market: MarketRecord
    updated_at: datetime


class IndexStore(Protocol):
    """ClickHouse as the indexer writes and consults it."""

    def existing_trade_ids(self, trades: Sequence[PublicTrade]) -> set[str]:
        """The ids among `trades` that are already stored."""
        ...

    def write_trades(self, trades: Sequence[PublicTrade], ingested_at: datetime) -> int: ...

    def stored_markets(self, condition_ids: Sequence[str]) -> dict[str, StoredMarket]: ...

    def write_markets(self, markets: Sequence[MarketRecord], at: datetime) -> int: ...

    def traded_markets(self, wallets: Sequence[str], since: datetime) -> list[str]:
        """Condition ids these wallets traded in since `since`, most recently traded first."""
        ...

    def write_holders(self, condition_id: str, holders: Sequence[HolderPosition], at: datetime) -> int: ...

    def top_holders(self, condition_ids: Sequence[str], per_side: int) -> set[str]:
        """The wallets OWRR weighs in these markets' newest snapshots (top `per_side` by value)."""
        ...

    def write_positions(self, positions: Sequence[PublicPosition], at: datetime) -> int: ...

    def wallet_positions(self, wallets: Sequence[str]) -> dict[str, list[PublicPosition]]: ...

    def write_metrics(self, rows: Sequence[CategoryMetrics], at: datetime) -> int: ...


class IndexBookkeeping(Protocol):
    """PostgreSQL: what to index (the watchlists, the held markets) and where each stream stopped."""

    def tracked_wallets(self) -> list[str]: ...

    def held_markets(self) -> list[str]: ...

    def checkpoints(self, stream: str, keys: Sequence[str]) -> dict[str, Checkpoint]: ...

    def save_checkpoint(self, stream: str, key: str, checkpoint: Checkpoint) -> None: ...

    def save_checkpoints(self, stream: str, checkpoints: Mapping[str, Checkpoint]) -> None: ...

    def record_rejects(self, rejects: Sequence[InvalidRecord]) -> int: ...

    def start_run(self, run_id: str, at: datetime) -> bool:
        """False when another run holds the indexer's lock."""
        ...

    def finish_run(self, run_id: str, status: str, summary: Mapping[str, object], at: datetime) -> None: ...


# --- resolved markets: settlement and on-chain redemption ---------------------------------------


@dataclass(frozen=True, slots=True)
class ResolutionRead:
    """The resolved markets among those asked about, and the rows whose resolution was refused."""

    resolved: dict[str, MarketResolution]
    invalid: tuple[InvalidRecord, ...] = ()


class ResolutionReader(Protocol):
    """The markets dimension: which of these markets resolved, and how each outcome paid."""

    def resolutions(self, condition_ids: Sequence[str]) -> ResolutionRead: ...


@dataclass(frozen=True, slots=True)
class LiveOrder:
    intent_id: str
    wallet_id: str
    order_hash: str


@dataclass(frozen=True, slots=True)
class HeldPosition:
    strategy_id: str
    wallet_id: str
    token_id: str
    position: Position
    busy: bool  # an order of the strategy in this token is still in flight: settle it later
    paper: bool = False  # paper shares: settled in the books, never redeemed on chain


class SettlementTransaction(Protocol):
    """One PostgreSQL transaction holding the row locks of one market's open positions."""

    def positions(self) -> list[HeldPosition]: ...

    def record(self, held: HeldPosition, settlement: Settlement, resolution: MarketResolution) -> None:
        """The position closed, the capital credited, the settlement row, the wallet's redemption row."""
        ...


class SettlementStore(Protocol):
    def held_markets(self) -> list[str]:
        """Condition ids with an open position or a live order of ours."""
        ...

    def exchange_resolved_markets(self) -> list[str]:
        """Held markets in which the exchange cancelled an order of ours as market-resolved."""
        ...

    def held_tokens(self, condition_id: str) -> list[str]:
        """The outcome tokens of this market we hold shares of."""
        ...

    def live_orders(self, condition_id: str) -> list[LiveOrder]: ...

    def settling(self, condition_id: str) -> AbstractContextManager[SettlementTransaction]: ...


class ChainError(RuntimeError):
    """The node was unreachable, timed out or answered nonsense: nothing was decided, retry later."""


class ChainRevertError(ChainError):
    """The node executed the call and it reverted (a definite answer about the chain's state)."""


@dataclass(frozen=True, slots=True)
class LogEntry:
    address: str
    topics: tuple[bytes, ...]
    data: bytes


@dataclass(frozen=True, slots=True)
class Receipt:
    tx_hash: str
    status: int  # 1 success, 0 reverted
    block_number: int
    gas_used: int
    logs: tuple[LogEntry, ...] = ()


@dataclass(frozen=True, slots=True)
class FeeQuote:
    base_fee: int  # wei per gas, of the latest block
    priority_fee: int  # wei per gas the node suggests


class BroadcastOutcome(StrEnum):
    ACCEPTED = "accepted"  # the node took it (or already had it)
    REJECTED = "rejected"  # the node refused it for a definite reason (reconcile decides what it means)
    UNKNOWN = "unknown"  # no definite answer: the receipt lookup decides, the same bytes go out again


@dataclass(frozen=True, slots=True)
class Broadcast:
    outcome: BroadcastOutcome
    message: str = ""


class Chain(Protocol):
    """A Polygon JSON-RPC node."""

    def chain_id(self) -> int: ...

    def call(self, to: str, data: bytes) -> bytes: ...

    def estimate_gas(self, sender: str, to: str, data: bytes) -> int: ...

    def fee_quote(self) -> FeeQuote: ...

    def nonce(self, address: str, *, pending: bool) -> int: ...

    def send_raw_transaction(self, raw: bytes) -> Broadcast: ...

    def receipt(self, tx_hash: str) -> Receipt | None: ...


@dataclass(frozen=True, slots=True)
class RedemptionRow:
    wallet_id: str
    condition_id: str
    state: RedemptionState
    neg_risk: bool
    token_ids: tuple[str, ...]
    expected_usd: Decimal
    created_at: datetime
    sender: str | None = None
    nonce: int | None = None
    tx_hash: str | None = None
    raw_tx: bytes | None = None
    broadcasts: int = 0


class RedemptionTransaction(Protocol):
    """One PostgreSQL transaction holding a redemption row's lock and its wallet's nonce lock."""

    @property
    def row(self) -> RedemptionRow: ...

    def highest_pending_nonce(self, sender: str) -> int | None:
        """The highest nonce of this sender's SUBMITTED redemptions (None: none in flight)."""
        ...

    def mark_submitted(self, route: RedemptionRoute, signed: SignedTx, nonce: int, fees: FeePlan) -> None: ...

    def note_broadcast(self, message: str | None) -> None: ...

    def wait(self, reason: RedemptionReason, message: str) -> None:
        """Nothing done this time (state unchanged): why, for the operator."""
        ...

    def finish(
        self,
        state: RedemptionState,
        reason: RedemptionReason,
        message: str,
        *,
        receipt: Receipt | None = None,
        payout_units: int | None = None,
    ) -> None: ...


class RedemptionStore(Protocol):
    def open_redemptions(self, limit: int) -> list[RedemptionRow]:
        """NEW, SUBMITTED and BLOCKED rows, SUBMITTED first, the least recently touched first."""
        ...

    def locked(self, wallet_id: str, condition_id: str) -> AbstractContextManager[RedemptionTransaction | None]: ...

    def overdue(self, older_than: datetime) -> int:
        """Open redemptions (NEW, SUBMITTED, BLOCKED) created before `older_than`."""


# --- notifications -------------------------------------------------------------------------------


class DeliveryError(RuntimeError):
    """A channel did not take a notice after its retries. The message names the channel and what it
    answered, never its URL or token."""


class NoticeChannel(Protocol):
    """A place people read notices (a Slack webhook, a Telegram chat)."""

    @property
    def name(self) -> str: ...

    def send(self, notice: Notice) -> None:
        """Delivered when it returns; `DeliveryError` when the channel refused or never answered."""
        ...


class FillEvents(Protocol):
    def publish(self, event: FillEvent) -> None:
        """Announce a booked fill (best effort: the books already hold it)."""
        ...


class SummarySource(Protocol):
    def daily_summary(self, start: datetime, end: datetime) -> DailySummary:
        """P&L, copies, skips by reason and leaders over [start, end), read consistently."""
        ...


# --- the backtest's replay ---------------------------------------------------------------------------


class BacktestSources(Protocol):
    """The live sources, bounded to what was known at an instant."""

    def trade_source(self, until: datetime) -> TradeSource: ...

    def owrr_inputs(self, as_of: datetime) -> OwrrInputs: ...

    def track_records(self) -> TrackRecords:
        """The leaders' track records (Kelly sizing): the current ones, as OWRR's metrics are."""
        ...


class MarketHistory(Protocol):
    def book_at(self, token_id: str, at: datetime, max_age_s: int) -> BookSnapshot | None:
        """The last snapshot of the token at or before `at`, if not older than `max_age_s`."""
        ...

    def resolutions(self, start: datetime, end: datetime) -> list[ResolvedMarket]: ...

    def price_points(self, token_ids: Sequence[str], start: datetime, end: datetime) -> list[PricePoint]:
        """Every traded price of those tokens in [start, end), in time order."""
        ...


@dataclass(frozen=True, slots=True)
class RecordedSignal:
    """A signal the replayed tick wrote, with the tick that wrote it."""

    tick_at: datetime
    tick_id: str
    row: SignalRow


class ReplayStore(MonitorStore, Protocol):
    """The monitor's store as a replay holds it, and what the replay reads back from it."""

    def start_cursor(self, source: str, at: datetime) -> None:
        """The replay reads `source` from `at`."""
        ...

    def mark_seen(self, source: str, trade_ids: Sequence[str]) -> None: ...

    def cached(self, condition_id: str, category: str) -> OwrrResult | None:
        """The OWRR the ticks cached for the market and category, if any."""
        ...

    def last_portfolio(self, strategy_id: str) -> PortfolioState | None:
        """The strategy's portfolio as the last tick loaded it."""
        ...

    def recorded_signals(self) -> Sequence[RecordedSignal]:
        """Every signal written, in the order written."""
        ...


class ReplayClock(Clock, Protocol):
    def set(self, at: datetime) -> None:
        """The replay's time is now `at`."""
        ...


class ReplayPorts(Protocol):
    """The monitor's ports for one replay, held in memory, the tick running unchanged against them."""

    def clock(self, at: datetime) -> ReplayClock: ...

    def store(
        self, strategies: Sequence[FollowedStrategy], portfolio_of: Callable[[FollowedStrategy], PortfolioState]
    ) -> ReplayStore: ...

    def queue(self, now: Callable[[], datetime], on_send: Callable[[Intent, datetime], None]) -> IntentQueue: ...

    def tunables(self, tunables: Tunables) -> TunablesSource: ...
