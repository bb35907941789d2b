"""Backtest: replay leader-trade history through the live tick, tick by tick, and simulate the fills.

`run_backtest` drives the real `run_tick` every `tick_s` seconds over [start, end) with the real
trade and OWRR sources bounded to what was known at each tick (`BacktestSources`), an in-memory
store and queue (`ReplayPorts`), the run's fixed tunables and a clock set to the tick. Every
intent the tick sends is placed `latency_s` later and filled by the fill model
(`domain.backtest`), whose fills move the strategy's cash and positions, which the next tick's
decisions see. Markets that resolve in the window pay out $1 per winning share.

Beside each strategy it runs two counterfactual books through the same fill model:
- the leaders: every trade of the strategy's watched wallets copied at the leader's own share size,
  with no filter and no capital limit (their exits sell the same fraction of that book's holding);
- the shadows, one per SKIP reason: every skipped leader BUY copied anyway, at
  * the size the sizing rule gives (`size_entry`, with the OWRR and the portfolio of that tick) when
    the SKIP came from the sizing itself (`size_below_minimum`), else
  * the leader's notional capped at the strategy's `max_position_size_usd` (the SKIP happened
    before sizing),
  exiting when that leader sells (same fraction) and paid at resolution — "did the filters help?".

Everything is a pure function of the data: replaying a period twice gives identical numbers.
"""

from __future__ import annotations

import heapq
import math
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from omegacopy.app.run_tick import MonitorSettings, TickDeps, run_tick
from omegacopy.domain.backtest import (
    BacktestLedger,
    FillParams,
    NoFillReason,
    PricePoint,
    ResolvedMarket,
    SimFill,
    SimOrder,
    mark_to_market,
    order_for_intent,
    order_for_shares,
    rejected,
    simulate_fill,
)
from omegacopy.domain.decisions import ReasonCode, copy_draft, exit_fraction, exit_shares, size_entry
from omegacopy.domain.intent import Intent
from omegacopy.domain.models import LeaderTrade, PortfolioState, PositionHolding, TradeAction, Tunables
from omegacopy.domain.money import HUNDRED, RATIO_STEP, ZERO, quantize, to_micros
from omegacopy.domain.owrr import neutral_owrr
from omegacopy.domain.positions import unrealized
from omegacopy.ports import (
    BacktestSources,
    FollowedStrategy,
    MarketHistory,
    NullTelemetry,
    RecordedSignal,
    ReplayPorts,
    SaleRef,
    TradeBatch,
    TradeSource,
)

_MS = timedelta(milliseconds=1)

SIZING_RULE = "sizing rule"
LEADER_NOTIONAL_RULE = "leader notional capped at max position"


@dataclass(frozen=True, slots=True)
class BacktestConfig:
    start: datetime
    end: datetime
    tick_s: int = 30
    latency_s: int = 30
    book_max_age_s: int = 300
    fill: FillParams = field(default_factory=FillParams)
    # a replay decides with trading released (the built-in default keeps the kill switch ON)
    tunables: Tunables = field(default_factory=lambda: Tunables(kill_switch=False))
    settings: MonitorSettings = field(default_factory=MonitorSettings)

    @property
    def ticks(self) -> int:
        return max(0, math.ceil((self.end - self.start).total_seconds() / self.tick_s))


# --- results --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SimulatedOrder:
    """One simulated order of a strategy (an intent placed `latency_s` after its tick sent it)."""

    strategy_id: str
    intent_id: str
    source_trade_id: str
    action: str
    token_id: str
    traded_at: datetime | None
    sent_at: datetime
    placed_at: datetime
    fill: SimFill  # what it got: filled, partly, or rejected (and why)

    @property
    def latency_s(self) -> float | None:
        """Leader trade → order placed."""
        return (self.placed_at - self.traded_at).total_seconds() if self.traded_at else None


@dataclass(frozen=True, slots=True)
class SignalPoint:
    at: datetime  # the tick that decided it
    strategy_id: str
    decision: str
    reason_code: str
    action: str | None
    slider: int | None
    traded_at: datetime | None


@dataclass(frozen=True, slots=True)
class BookResult:
    """P&L of one simulated book. `return_pct` is total P&L per $ bought (None when nothing was bought);
    `max_drawdown_pct` is of the peak equity, or per $ bought for a book without starting cash."""

    orders: int
    filled: int
    partial: int
    rejected: int
    bought_usd: Decimal
    sold_usd: Decimal
    fees: Decimal
    realized: Decimal
    resolution: Decimal
    unrealized: Decimal
    total: Decimal
    return_pct: Decimal | None
    max_drawdown_usd: Decimal
    max_drawdown_pct: Decimal
    open_positions: int
    curve: tuple[tuple[datetime, Decimal], ...]  # P&L (equity minus starting cash) over time

    @property
    def fill_rate(self) -> Decimal | None:
        return Decimal(self.filled + self.partial) / Decimal(self.orders) if self.orders else None


@dataclass(frozen=True, slots=True)
class ShadowResult:
    reason_code: str
    signals: int
    size_rule: str
    book: BookResult


@dataclass(frozen=True, slots=True)
class StrategyResult:
    strategy_id: str
    name: str
    start_balance: Decimal
    leaders: tuple[str, ...]
    signals: int
    copies: int
    skips: dict[str, int]
    book: BookResult
    rejections: dict[str, int]
    leaders_book: BookResult
    shadows: tuple[ShadowResult, ...]


@dataclass(frozen=True, slots=True)
class BacktestResult:
    config: BacktestConfig
    ticks: int
    trades_seen: int
    strategies: tuple[StrategyResult, ...]
    signals: tuple[SignalPoint, ...]
    orders: tuple[SimulatedOrder, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (Decimals and datetimes as text): identical for identical replays."""
        c = self.config
        out: dict[str, Any] = _jsonable(
            {
                "period": {"from": c.start, "to": c.end},
                "settings": {
                    "tick_s": c.tick_s,
                    "latency_s": c.latency_s,
                    "book_max_age_s": c.book_max_age_s,
                    "slippage": c.fill.slippage,
                    "fee_bps": c.fill.fee_bps,
                    "tick_size": c.fill.tick_size,
                    "min_size": c.fill.min_size,
                    "shadow_size_rule": {
                        ReasonCode.SIZE_BELOW_MINIMUM: SIZING_RULE,
                        "other entry skips": LEADER_NOTIONAL_RULE,
                    },
                },
                "ticks": self.ticks,
                "trades_seen": self.trades_seen,
                "strategies": [_strategy_dict(s) for s in self.strategies],
                "orders": [_order_dict(o) for o in self.orders],
            }
        )
        return out


def _ratio(value: Decimal | None) -> Decimal | None:
    return quantize(value, RATIO_STEP) if value is not None else None


def _book_dict(b: BookResult) -> dict[str, Any]:
    return {
        "orders": b.orders,
        "filled": b.filled,
        "partial": b.partial,
        "rejected": b.rejected,
        "fill_rate": _ratio(b.fill_rate),
        "bought_usd": b.bought_usd,
        "sold_usd": b.sold_usd,
        "fees": b.fees,
        "realized_pnl": b.realized,
        "resolution_pnl": b.resolution,
        "unrealized_pnl": b.unrealized,
        "total_pnl": b.total,
        "return_pct": _ratio(b.return_pct),
        "max_drawdown_usd": b.max_drawdown_usd,
        "max_drawdown_pct": _ratio(b.max_drawdown_pct),
        "open_positions": b.open_positions,
    }


def _strategy_dict(s: StrategyResult) -> dict[str, Any]:
    return {
        "strategy_id": s.strategy_id,
        "name": s.name,
        "start_balance": s.start_balance,
        "leaders": list(s.leaders),
        "signals": s.signals,
        "copies": s.copies,
        "skips": s.skips,
        "strategy": _book_dict(s.book),
        "rejections": s.rejections,
        "leaders_copied_blindly": _book_dict(s.leaders_book),
        "shadow_by_skip_reason": [
            {"reason_code": x.reason_code, "signals": x.signals, "size_rule": x.size_rule, **_book_dict(x.book)}
            for x in s.shadows
        ],
    }


def _order_dict(o: SimulatedOrder) -> dict[str, Any]:
    return {
        "strategy_id": o.strategy_id,
        "intent_id": o.intent_id,
        "source_trade_id": o.source_trade_id,
        "action": o.action,
        "token_id": o.token_id,
        "traded_at": o.traded_at,
        "placed_at": o.placed_at,
        **{k: getattr(o.fill, k) for k in ("status", "reason", "shares", "notional", "fee", "from_book")},
    }


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, Decimal):
        # at most 6 decimals, like the numeric(…, 6) columns (float prices can leave long tails)
        exponent = value.as_tuple().exponent
        return str(to_micros(value) if isinstance(exponent, int) and exponent < -6 else value)
    if isinstance(value, datetime):
        return value.isoformat()
    return value


# --- the replay -----------------------------------------------------------------------------------


class _RecordingSource:
    """The tick's trade source, remembering what it returned (the shadows and benchmarks need it)."""

    def __init__(self, inner: TradeSource, trades: dict[str, LeaderTrade], before: dict[str, Decimal]) -> None:
        self.name = inner.name
        self._inner = inner
        self._trades = trades
        self._before = before

    def fetch_new_trades(self, wallets: Sequence[str], since: datetime) -> TradeBatch:
        batch = self._inner.fetch_new_trades(wallets, since)
        for t in batch.trades:
            self._trades.setdefault(t.trade_id, t)
        return batch

    def leader_shares_before(self, sales: Sequence[SaleRef]) -> dict[str, Decimal]:
        out = self._inner.leader_shares_before(sales)
        for trade_id, shares in out.items():
            self._before.setdefault(trade_id, shares)
        return out


@dataclass
class _Stats:
    orders: int = 0
    filled: int = 0
    partial: int = 0
    rejected: int = 0

    def count(self, fill: SimFill) -> None:
        self.orders += 1
        if fill.status == "filled":
            self.filled += 1
        elif fill.status == "partial":
            self.partial += 1
        else:
            self.rejected += 1


ProgressFn = Callable[[int, int, int, int], None]  # ticks done, ticks total, trades seen, copies


class _Replay:
    def __init__(
        self,
        strategies: Sequence[FollowedStrategy],
        sources: BacktestSources,
        market: MarketHistory,
        config: BacktestConfig,
        ports: ReplayPorts,
    ) -> None:
        self.config = config
        self.telemetry = NullTelemetry()
        self.sources = sources
        self.market = market
        self.strategies = {s.config.strategy_id: s for s in strategies}
        self.ledgers = {sid: BacktestLedger.with_cash(s.config.balance_usd) for sid, s in self.strategies.items()}
        self.pending: dict[str, dict[str, Intent]] = {sid: {} for sid in self.strategies}
        self.stats = {sid: _Stats() for sid in self.strategies}
        self.rejections: dict[str, Counter[str]] = {sid: Counter() for sid in self.strategies}
        self.orders: list[SimulatedOrder] = []
        self.leaders = {sid: BacktestLedger.with_cash(ZERO) for sid in self.strategies}
        self.leader_stats = {sid: _Stats() for sid in self.strategies}
        self.shadows: dict[tuple[str, str], BacktestLedger] = {}
        self.shadow_stats: dict[tuple[str, str], _Stats] = defaultdict(_Stats)
        self.shadow_signals: Counter[tuple[str, str]] = Counter()
        self.shadow_rules: dict[tuple[str, str], str] = {}
        self.resolved: dict[str, ResolvedMarket] = {}
        self.trades: dict[str, LeaderTrade] = {}
        self.before: dict[str, Decimal] = {}
        self.clock = ports.clock(config.start)
        self.store = ports.store(strategies, self._portfolio_of)
        self.queue = ports.queue(self.clock.now, self._on_send)
        self.tunables = ports.tunables(config.tunables)
        self._events: list[tuple[datetime, int, int]] = []
        self._handlers: dict[int, Callable[[], None]] = {}
        self._seq = 0
        self._signals_done = 0
        self.trades_seen = 0
        self.copies = 0

    # -- scheduling: (time, priority, sequence) keeps the order total and deterministic
    def _schedule(self, at: datetime, priority: int, handler: Callable[[], None]) -> None:
        self._seq += 1
        self._handlers[self._seq] = handler
        heapq.heappush(self._events, (at, priority, self._seq))

    def _run_due(self, until: datetime | None) -> None:
        while self._events and (until is None or self._events[0][0] <= until):
            _, _, seq = heapq.heappop(self._events)
            self._handlers.pop(seq)()

    # -- the store's view of a strategy: the replay's cash, positions and pending entries
    def _portfolio_of(self, strat: FollowedStrategy) -> PortfolioState:
        sid = strat.config.strategy_id
        ledger = self.ledgers[sid]
        holdings = {
            h.token_id: PositionHolding(h.token_id, h.condition_id, h.position.shares, h.position.cost_usd)
            for _, h in ledger.open_holdings()
        }
        reserved = ZERO
        for intent in self.pending[sid].values():
            d = intent.draft
            if d.is_exit:
                continue
            usd = d.usd_amount or ZERO
            reserved += usd
            # as the PostgreSQL loader counts a pending entry: its cost, but no shares until filled
            prev = holdings.get(d.token_id)
            holdings[d.token_id] = (
                PositionHolding(d.token_id, d.condition_id, ZERO, usd)
                if prev is None
                else PositionHolding(prev.token_id, prev.condition_id, prev.shares, prev.cost_usd + usd)
            )
        return PortfolioState(balance_usd=ledger.cash, reserved_usd=reserved, holdings=tuple(holdings.values()))

    # -- strategy orders
    def _on_send(self, intent: Intent, sent_at: datetime) -> None:
        self.pending[intent.strategy_id][intent.intent_id] = intent
        placed_at = sent_at + timedelta(seconds=self.config.latency_s)
        self._schedule(placed_at, 1, lambda: self._fill_intent(intent, sent_at, placed_at))

    def _fill_intent(self, intent: Intent, sent_at: datetime, placed_at: datetime) -> None:
        sid = intent.strategy_id
        self.pending[sid].pop(intent.intent_id, None)
        ledger = self.ledgers[sid]
        d = intent.draft
        fill: SimFill
        if d.condition_id in self.resolved:
            fill = rejected(NoFillReason.MARKET_RESOLVED)
        elif d.action is TradeAction.SELL and ledger.shares(d.token_id) <= 0:
            fill = rejected(NoFillReason.NO_POSITION)
        else:
            if d.action is TradeAction.SELL and d.shares is not None:
                d = replace(d, shares=min(d.shares, ledger.shares(d.token_id)))
            order = order_for_intent(d, self.config.fill)
            fill = self._simulate(order, d.token_id, d.leader_price, placed_at)
            if fill.shares > 0:
                if d.action is TradeAction.BUY:
                    ledger.buy(d.token_id, d.token_id, d.condition_id, fill, placed_at)
                else:
                    ledger.sell(d.token_id, fill, placed_at)
        self.stats[sid].count(fill)
        if fill.status == "rejected":
            self.rejections[sid][fill.reason] += 1
        trade = self.trades.get(intent.source_trade_id)
        self.orders.append(
            SimulatedOrder(
                strategy_id=sid,
                intent_id=intent.intent_id,
                source_trade_id=intent.source_trade_id,
                action=d.action.value,
                token_id=d.token_id,
                traded_at=trade.traded_at if trade else None,
                sent_at=sent_at,
                placed_at=placed_at,
                fill=fill,
            )
        )

    def _simulate(self, order: SimOrder | SimFill, token_id: str, leader_price: Decimal, at: datetime) -> SimFill:
        if isinstance(order, SimFill):
            return order
        book = self.market.book_at(token_id, at, self.config.book_max_age_s)
        return simulate_fill(order, leader_price, book, self.config.fill)

    # -- resolutions
    def _resolve(self, res: ResolvedMarket) -> None:
        self.resolved.setdefault(res.condition_id, res)
        for ledger in (*self.ledgers.values(), *self.leaders.values(), *self.shadows.values()):
            ledger.resolve(res)

    def _schedule_resolution(self, res: ResolvedMarket) -> None:
        # first at its instant: an order placed the moment a market resolves does not fill
        self._schedule(res.resolved_at, 0, lambda: self._resolve(res))

    # -- the counterfactual books, fed from each tick's signals
    def _after_tick(self) -> None:
        signals = self.store.recorded_signals()
        for rec in signals[self._signals_done :]:
            self._counterfactuals(rec)
        self._signals_done = len(signals)

    def _counterfactuals(self, rec: RecordedSignal) -> None:
        row = rec.row
        if row.action is None or row.leader_price is None or row.token_id is None or row.condition_id is None:
            return  # an invalid source row: nothing to copy
        sid = row.strategy_id
        strat = self.strategies[sid]
        placed_at = rec.tick_at + timedelta(seconds=self.config.latency_s)
        key = f"{row.leader_wallet}|{row.token_id}"
        if row.action == TradeAction.BUY:
            self._schedule(placed_at, 2, lambda: self._leader_buy(sid, rec, key, placed_at))
            if row.decision == "SKIP":
                usd, rule = self._shadow_size(rec, strat)
                self.shadow_signals[(sid, row.reason_code)] += 1
                self.shadows.setdefault((sid, row.reason_code), BacktestLedger.with_cash(ZERO))
                self.shadow_rules[(sid, row.reason_code)] = rule
                if usd > 0:
                    self._schedule(placed_at, 2, lambda: self._shadow_buy(sid, rec, key, usd, placed_at))
        elif row.action == TradeAction.SELL:
            self._schedule(placed_at, 2, lambda: self._mirror_sell(sid, rec, key, placed_at))

    def _shadow_size(self, rec: RecordedSignal, strat: FollowedStrategy) -> tuple[Decimal, str]:
        row = rec.row
        cap = strat.config.max_position_size_usd
        trade = self.trades.get(row.source_trade_id)
        if row.reason_code == ReasonCode.SIZE_BELOW_MINIMUM and trade is not None:
            category = trade.category or ""
            owrr = self.store.cached(trade.condition_id, category) or neutral_owrr(trade.category)
            portfolio = self.store.last_portfolio(strat.config.strategy_id) or self._portfolio_of(strat)
            sizing = size_entry(trade, strat.config, owrr, portfolio, self.config.tunables)
            return sizing.size_usd, SIZING_RULE
        return min(row.leader_usd or ZERO, cap), LEADER_NOTIONAL_RULE

    def _leader_buy(self, sid: str, rec: RecordedSignal, key: str, at: datetime) -> None:
        row = rec.row
        assert row.leader_shares is not None and row.leader_price is not None and row.token_id and row.condition_id
        if row.condition_id in self.resolved:
            self.leader_stats[sid].count(rejected(NoFillReason.MARKET_RESOLVED))
            return
        slippage = self.strategies[sid].config.slippage_ceiling
        order = order_for_shares(TradeAction.BUY, row.leader_shares, row.leader_price, slippage, self.config.fill)
        fill = self._simulate(order, row.token_id, row.leader_price, at)
        self.leader_stats[sid].count(fill)
        if fill.shares > 0:
            self.leaders[sid].buy(key, row.token_id, row.condition_id, fill, at, leader=row.leader_wallet)

    def _shadow_buy(self, sid: str, rec: RecordedSignal, key: str, usd: Decimal, at: datetime) -> None:
        row = rec.row
        assert row.leader_price is not None and row.token_id and row.condition_id
        shadow_key = (sid, row.reason_code)
        if row.condition_id in self.resolved:
            self.shadow_stats[shadow_key].count(rejected(NoFillReason.MARKET_RESOLVED))
            return
        # every signal's trade came through the recording source
        draft = copy_draft(self.trades[row.source_trade_id], self.strategies[sid].config, usd_amount=usd)
        order = order_for_intent(draft, self.config.fill)
        fill = self._simulate(order, row.token_id, row.leader_price, at)
        self.shadow_stats[shadow_key].count(fill)
        if fill.shares > 0:
            self.shadows[shadow_key].buy(key, row.token_id, row.condition_id, fill, at, leader=row.leader_wallet)

    def _mirror_sell(self, sid: str, rec: RecordedSignal, key: str, at: datetime) -> None:
        """The leader sold: the benchmark and every shadow holding that followed them sell the same fraction."""
        row = rec.row
        assert row.leader_shares is not None and row.leader_price is not None and row.token_id
        if row.condition_id in self.resolved:
            return
        fraction = exit_fraction(row.leader_shares, self.before.get(row.source_trade_id))
        slippage = self.strategies[sid].config.slippage_ceiling
        books: list[tuple[BacktestLedger, _Stats]] = [(self.leaders[sid], self.leader_stats[sid])]
        books += [(self.shadows[k], self.shadow_stats[k]) for k in sorted(self.shadows) if k[0] == sid]
        for ledger, stats in books:
            held = ledger.shares(key)
            if held <= 0:
                continue
            shares = exit_shares(held, fraction)
            if shares <= 0:
                continue
            order = order_for_shares(TradeAction.SELL, shares, row.leader_price, slippage, self.config.fill)
            fill = self._simulate(order, row.token_id, row.leader_price, at)
            stats.count(fill)
            if fill.shares > 0:
                ledger.sell(key, fill, at)

    # -- the run
    def run(self, progress: ProgressFn | None) -> None:
        cfg = self.config
        for res in self.market.resolutions(cfg.start, cfg.end):
            self._schedule_resolution(res)
        self._start_cursor()
        total = cfg.ticks
        for k in range(1, total + 1):
            at = cfg.start + timedelta(seconds=cfg.tick_s * k)
            self._run_due(at)
            self.clock.set(at)
            until = min(at, cfg.end - _MS)
            source = _RecordingSource(self.sources.trade_source(until), self.trades, self.before)
            deps = TickDeps(
                store=self.store,
                source=source,
                owrr_inputs=self.sources.owrr_inputs(until),
                queue=self.queue,
                tunables=self.tunables,
                clock=self.clock,
                telemetry=self.telemetry,
                settings=cfg.settings,
                track_records=self.sources.track_records(),
            )
            summary = run_tick(deps, tick_id=f"bt-{at:%Y%m%dT%H%M%S}Z")
            self.trades_seen += summary.trades_seen
            self.copies += summary.copies
            self._after_tick()
            if progress is not None:
                progress(k, total, self.trades_seen, self.copies)
        self._run_due(None)  # orders placed after the last tick still fill

    def _start_cursor(self) -> None:
        """The replay reads from `start`. Its first tick re-reads an overlap before it: those trades are
        history, not the replay's, so they are marked seen."""
        cfg = self.config
        source = self.sources.trade_source(cfg.start - _MS)
        self.store.start_cursor(source.name, cfg.start)
        wallets = sorted({w for s in self.strategies.values() for w in s.watched_wallets})
        if not wallets:
            return
        batch = source.fetch_new_trades(wallets, cfg.start - timedelta(seconds=cfg.settings.overlap_s))
        ids = [t.trade_id for t in batch.trades] + [t.trade_id for t in batch.invalid]
        self.store.mark_seen(source.name, ids)


def run_backtest(
    strategies: Sequence[FollowedStrategy],
    sources: BacktestSources,
    market: MarketHistory,
    config: BacktestConfig,
    *,
    ports: ReplayPorts,
    progress: ProgressFn | None = None,
) -> BacktestResult:
    """Replay [config.start, config.end) for `strategies` (their cash starts at their `balance_usd`,
    flat: live holdings and pending intents are not carried into the replay).

    The replayed ticks run against `ports` (the monitor's ports held in memory) and report to the
    null telemetry: a replay's ticks are not the live system's
    (no metric is published, no line logged), and it runs thousands of them."""
    flat = [
        FollowedStrategy(s.config, s.watched_wallets, PortfolioState(balance_usd=s.config.balance_usd))
        for s in sorted(strategies, key=lambda s: s.config.strategy_id)
    ]
    replay = _Replay(flat, sources, market, config, ports)
    replay.run(progress)
    return _results(replay)


# --- results --------------------------------------------------------------------------------------


def _results(r: _Replay) -> BacktestResult:
    cfg = r.config
    ledgers: list[BacktestLedger] = [*r.ledgers.values(), *r.leaders.values(), *r.shadows.values()]
    tokens = sorted({e.token_id for ledger in ledgers for e in ledger.events})
    prices = r.market.price_points(tokens, cfg.start, cfg.end) if tokens else []

    signals = r.store.recorded_signals()
    per_strategy: dict[str, list[RecordedSignal]] = defaultdict(list)
    for rec in signals:
        per_strategy[rec.row.strategy_id].append(rec)

    results = []
    for sid, strat in r.strategies.items():
        recs = per_strategy.get(sid, [])
        skips = Counter(x.row.reason_code for x in recs if x.row.decision == "SKIP")
        shadows = tuple(
            ShadowResult(
                reason_code=reason,
                signals=r.shadow_signals[(s, reason)],
                size_rule=r.shadow_rules.get((s, reason), LEADER_NOTIONAL_RULE),
                book=_book(r.shadows[(s, reason)], r.shadow_stats[(s, reason)], prices, cfg.start),
            )
            for s, reason in sorted(r.shadows)
            if s == sid
        )
        results.append(
            StrategyResult(
                strategy_id=sid,
                name=strat.config.name,
                start_balance=strat.config.balance_usd,
                leaders=tuple(sorted(strat.watched_wallets)),
                signals=len(recs),
                copies=sum(1 for x in recs if x.row.decision == "COPY"),
                skips=dict(sorted(skips.items())),
                book=_book(r.ledgers[sid], r.stats[sid], prices, cfg.start),
                rejections=dict(sorted(r.rejections[sid].items())),
                leaders_book=_book(r.leaders[sid], r.leader_stats[sid], prices, cfg.start),
                shadows=shadows,
            )
        )
    points = tuple(
        SignalPoint(
            at=x.tick_at,
            strategy_id=x.row.strategy_id,
            decision=x.row.decision,
            reason_code=x.row.reason_code,
            action=x.row.action,
            slider=x.row.slider,
            traded_at=x.row.traded_at,
        )
        for x in signals
    )
    return BacktestResult(
        config=cfg,
        ticks=cfg.ticks,
        trades_seen=r.trades_seen,
        strategies=tuple(results),
        signals=points,
        orders=tuple(r.orders),
    )


def _book(ledger: BacktestLedger, stats: _Stats, prices: Sequence[PricePoint], start: datetime) -> BookResult:
    curve = mark_to_market(ledger.events, prices, ledger.start_cash, start)
    open_pnl = sum(
        (
            unrealized(h.position.shares, h.position.cost_usd, curve.final_marks.get(h.token_id, ZERO))
            for _, h in ledger.open_holdings()
        ),
        ZERO,
    )
    total = ledger.realized + ledger.resolution + open_pnl
    dd_usd, dd_pct = curve.max_drawdown()
    if ledger.start_cash <= 0:  # a book with no capital of its own: the fall per $ bought, like its return
        dd_pct = dd_usd / ledger.bought_usd * HUNDRED if ledger.bought_usd > 0 else ZERO
    return BookResult(
        orders=stats.orders,
        filled=stats.filled,
        partial=stats.partial,
        rejected=stats.rejected,
        bought_usd=ledger.bought_usd,
        sold_usd=ledger.sold_usd,
        fees=ledger.fees,
        realized=ledger.realized,
        resolution=ledger.resolution,
        unrealized=open_pnl,
        total=total,
        return_pct=(total / ledger.bought_usd * HUNDRED) if ledger.bought_usd > 0 else None,
        max_drawdown_usd=dd_usd,
        max_drawdown_pct=dd_pct,
        open_positions=len(ledger.open_holdings()),
        curve=tuple((at, value - ledger.start_cash) for at, value in curve.points),
    )


def leaders_scale(result: StrategyResult) -> Decimal | None:
    """Factor that puts the leaders' P&L on the strategy's scale: the same $ bought."""
    if result.leaders_book.bought_usd <= 0 or result.book.bought_usd <= 0:
        return None
    return result.book.bought_usd / result.leaders_book.bought_usd
