"""The monitor's ports held in memory, for the backtest's replay: `run_tick` runs unchanged
against them (`MemoryReplayPorts` builds them for each replay).

- `BacktestStore` (ReplayStore): strategies read once (from PostgreSQL, by the caller), with the
  portfolio the replay's own fills give them; signals, intents, cursor, seen trades and the OWRR
  cache kept in memory with the same uniqueness rules as the tables.
- `BacktestQueue` (IntentQueue): hands every intent sent to the replay's fill model.
- `FixedTunables`, `TickClock`: the tunables of the run and the tick's time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime

from omegacopy.adapters.fixed_tunables import FixedTunables
from omegacopy.domain.intent import Intent
from omegacopy.domain.models import PortfolioState, Tunables
from omegacopy.domain.owrr import OwrrResult
from omegacopy.ports import (
    CachedOwrr,
    FollowedStrategy,
    RecordedSignal,
    SendResult,
    TickWrite,
    TickWriteResult,
)


@dataclass
class _State:
    cursor: dict[str, datetime] = field(default_factory=dict)
    seen: dict[str, set[str]] = field(default_factory=dict)
    owrr: dict[tuple[str, str], CachedOwrr] = field(default_factory=dict)
    signal_keys: set[tuple[str, str]] = field(default_factory=set)
    signals: list[RecordedSignal] = field(default_factory=list)
    intents: dict[str, Intent] = field(default_factory=dict)
    intent_created: dict[str, datetime] = field(default_factory=dict)
    unsent: list[str] = field(default_factory=list)
    sent_at: dict[str, datetime] = field(default_factory=dict)


class BacktestSession:
    def __init__(self, store: BacktestStore) -> None:
        self._store = store
        self._state = store.state

    def try_lock(self) -> bool:
        return True  # one replay, one tick at a time

    def load_strategies(self) -> list[FollowedStrategy]:
        out = []
        for strat in self._store.strategies:
            portfolio = self._store.portfolio_of(strat)
            config = replace(strat.config, balance_usd=portfolio.balance_usd)
            out.append(FollowedStrategy(config=config, watched_wallets=strat.watched_wallets, portfolio=portfolio))
        self._store.last_portfolios = {s.config.strategy_id: s.portfolio for s in out}
        return out

    def get_cursor(self, source: str) -> datetime | None:
        return self._state.cursor.get(source)

    def unseen(self, source: str, trade_ids: Sequence[str]) -> set[str]:
        seen = self._state.seen.get(source, set())
        return {t for t in trade_ids if t not in seen}

    def cached_owrr(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], CachedOwrr]:
        return {k: self._state.owrr[k] for k in keys if k in self._state.owrr}

    def store_owrr(self, rows: Sequence[tuple[str, str, OwrrResult]], computed_at: datetime) -> None:
        for cid, cat, result in rows:
            self._state.owrr[(cid, cat)] = CachedOwrr(result, computed_at)

    def write_tick(self, write: TickWrite) -> TickWriteResult:
        state = self._state
        intents = 0
        for intent in write.intents:
            if intent.intent_id in state.intents:
                continue
            state.intents[intent.intent_id] = intent
            state.intent_created[intent.intent_id] = write.started_at
            state.unsent.append(intent.intent_id)
            intents += 1
        signals = 0
        for sig in write.signals:
            key = (sig.strategy_id, sig.source_trade_id)
            if key in state.signal_keys:
                continue
            state.signal_keys.add(key)
            state.signals.append(RecordedSignal(write.started_at, write.tick_id, sig))
            signals += 1
        state.seen.setdefault(write.source, set()).update(write.seen_trade_ids)
        previous = state.cursor.get(write.source)
        state.cursor[write.source] = write.watermark if previous is None else max(previous, write.watermark)
        return TickWriteResult(signals_written=signals, intents_created=intents)

    def pending_intents(self, limit: int) -> list[Intent]:
        # The live order: creation time, exits first, then id.
        rows = sorted(
            (self._state.intents[i] for i in self._state.unsent),
            key=lambda r: (self._state.intent_created[r.intent_id], not r.draft.is_exit, r.intent_id),
        )
        return rows[:limit]

    def mark_sent(self, intent_ids: Sequence[str], at: datetime) -> None:
        done = set(intent_ids)
        for intent_id in intent_ids:
            self._state.sent_at.setdefault(intent_id, at)
        self._state.unsent = [i for i in self._state.unsent if i not in done]


class BacktestStore:
    """`portfolio_of` gives a strategy's portfolio as the replay's fills left it (cash, holdings, pending)."""

    def __init__(
        self,
        strategies: Sequence[FollowedStrategy],
        portfolio_of: Callable[[FollowedStrategy], PortfolioState],
        *,
        cursors: dict[str, datetime] | None = None,
    ) -> None:
        self.strategies = list(strategies)
        self.portfolio_of = portfolio_of
        self.state = _State(cursor=dict(cursors or {}))
        self.last_portfolios: dict[str, PortfolioState] = {}

    @contextmanager
    def session(self) -> Iterator[BacktestSession]:
        yield BacktestSession(self)

    def mark_seen(self, source: str, trade_ids: Sequence[str]) -> None:
        self.state.seen.setdefault(source, set()).update(trade_ids)

    def start_cursor(self, source: str, at: datetime) -> None:
        self.state.cursor[source] = at

    def last_portfolio(self, strategy_id: str) -> PortfolioState | None:
        return self.last_portfolios.get(strategy_id)

    def recorded_signals(self) -> list[RecordedSignal]:
        return self.state.signals

    def cached(self, condition_id: str, category: str) -> OwrrResult | None:
        hit = self.state.owrr.get((condition_id, category))
        return hit.result if hit is not None else None


class BacktestQueue:
    """Every intent sent goes to `on_send(intent, sent_at)`; sends never fail."""

    def __init__(self, clock: Callable[[], datetime], on_send: Callable[[Intent, datetime], None]) -> None:
        self._clock = clock
        self._on_send = on_send

    def send(self, intents: Sequence[Intent]) -> SendResult:
        now = self._clock()
        for intent in intents:
            self._on_send(intent, now)
        return SendResult(sent=tuple(i.intent_id for i in intents), failed={})


class TickClock:
    """The replay's clock: set to each tick's instant. Its monotonic time stands still: a replay
    measures no durations."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at

    def monotonic(self) -> float:
        return 0.0

    def set(self, at: datetime) -> None:
        self.at = at


class MemoryReplayPorts:
    """`ReplayPorts`: a fresh in-memory store, queue, clock and tunables for each replay."""

    def clock(self, at: datetime) -> TickClock:
        return TickClock(at)

    def store(
        self, strategies: Sequence[FollowedStrategy], portfolio_of: Callable[[FollowedStrategy], PortfolioState]
    ) -> BacktestStore:
        return BacktestStore(strategies, portfolio_of)

    def queue(self, now: Callable[[], datetime], on_send: Callable[[Intent, datetime], None]) -> BacktestQueue:
        return BacktestQueue(now, on_send)

    def tunables(self, tunables: Tunables) -> FixedTunables:
        return FixedTunables(tunables)
