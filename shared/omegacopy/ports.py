"""The edges the use cases talk to. Adapters implement them; tests may fake them.

Each port is a Protocol named for what the use case needs, not for the technology behind it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from omegacopy.domain.models import (
    InvalidTrade,
    LeaderTrade,
    PortfolioState,
    StrategyConfig,
    Tunables,
)
from omegacopy.domain.owrr import OwrrResult, WalletMetric, WalletPosition


class SourceUnavailableError(RuntimeError):
    """The trade or metrics source failed or was too slow: the tick fails closed."""


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


class OwrrInputs(Protocol):
    def load(self, markets: Mapping[str, str]) -> dict[str, MarketOwrrInputs]:
        """condition_id -> category in; condition_id -> inputs out (one query per table)."""
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


@dataclass(frozen=True, slots=True)
class IntentRow:
    intent_id: str
    strategy_id: str
    wallet_id: str
    source_trade_id: str
    correlation_id: str
    action: str
    is_exit: bool
    token_id: str
    condition_id: str
    neg_risk: bool
    usd_amount: Decimal | None
    shares: Decimal | None
    leader_price: Decimal
    worst_price: Decimal
    order_style: str


@dataclass(frozen=True, slots=True)
class QueuedIntent:
    """An outbox entry: what goes on the queue (ids only) and its FIFO group."""

    intent_id: str
    correlation_id: str
    group_id: str


@dataclass
class TickWrite:
    """Everything one tick persists, in one transaction."""

    tick_id: str
    started_at: datetime
    source: str
    watermark: datetime
    seen_trade_ids: list[str] = field(default_factory=list)
    signals: list[SignalRow] = field(default_factory=list)
    intents: list[IntentRow] = field(default_factory=list)


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

    def pending_intents(self, limit: int) -> list[QueuedIntent]: ...

    def mark_sent(self, intent_ids: Sequence[str], at: datetime) -> None: ...


class MonitorStore(Protocol):
    def session(self) -> AbstractContextManager[MonitorSession]: ...


@dataclass(frozen=True, slots=True)
class SendResult:
    sent: tuple[str, ...]
    failed: dict[str, str]


class IntentQueue(Protocol):
    def send(self, intents: Sequence[QueuedIntent]) -> SendResult: ...


class TunablesSource(Protocol):
    def get(self) -> Tunables: ...


class Clock(Protocol):
    def now(self) -> datetime: ...
