"""One indexer pass: Polymarket's public data → ClickHouse, resumable, within a budget.

What it keeps fresh, in the order that matters when the budget runs short:
1. leader trades — every tracked wallet's fills since its checkpoint (minus a look-back, for fills
   the API publishes late), paged to the end; history for exits, backtests and leader cards. The
   monitor does NOT wait for this: it reads the Data API itself in its tick.
2. markets — the dimension for every market a tracked wallet trades or a strategy holds, and for
   every market a wallet's omega needs; open ones are re-read to catch their resolution.
3. holders — each such open market's largest holders per outcome (OWRR's inputs), re-read when
   older than `holders_max_age_s`.
4. wallet metrics — our own omega for every wallet OWRR weighs there and every tracked leader:
   their positions fetched incrementally (by last activity), metrics recomputed from all of them.

Every step checkpoints in PostgreSQL as it goes: a timeout or a crash resumes where it stopped, and
what was written is never written twice (trades are filtered by id before the insert).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Generic, TypeVar

from omegacopy.domain.models import Tunables
from omegacopy.domain.owrr import TOP_WALLETS_PER_SIDE
from omegacopy.domain.public_data import InvalidRecord, MarketRecord, PositionStatus, PublicPosition, PublicTrade
from omegacopy.domain.wallet_metrics import CategoryMetrics, resolved_positions, wallet_metrics
from omegacopy.observability import logger, metrics
from omegacopy.ports import (
    BudgetExhaustedError,
    Checkpoint,
    Clock,
    IndexBookkeeping,
    IndexStore,
    Page,
    PublicData,
    PublicDataError,
)

TRADES = "trades"
HOLDERS = "holders"
POSITIONS = "positions"
METRICS = "metrics"
RECOMPUTE_CHUNK = 100  # wallets whose positions are held in memory at once
POSITION_BATCH_ROWS = 5_000  # positions written to ClickHouse per insert (at least one wallet's)
TRADE_BATCH_ROWS = 5_000  # leader trades written to ClickHouse per insert (at least one wallet's)
_NEVER = datetime.min.replace(tzinfo=UTC)
MARKET_BATCH = 50  # condition ids per Gamma lookup
_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class IndexSettings:
    trade_lookback_s: int = 3_600  # re-read behind each wallet's checkpoint: late-published fills
    traded_window_days: int = 7  # markets a tracked wallet traded in this long ago still get holders
    holders_max_age_s: int = 600  # OWRR's inputs are never older than this (plus one run)
    metrics_max_age_s: int = 6 * 3_600  # a wallet's positions and omega are refreshed this often
    market_max_age_s: int = 900  # an open market's row is re-read this often (resolution)
    position_lookback_s: int = 86_400  # re-read positions active this long before the checkpoint
    max_holder_markets: int = 500  # markets whose holders one pass refreshes at most
    max_metric_wallets: int = 2_000  # wallets whose metrics one pass refreshes at most
    workers: int = 4  # concurrent API walks (the rate limiter, not this, bounds the request rate)


def index_settings(tunables: Tunables, *, workers: int = 4) -> IndexSettings:
    """This pass's settings from the operator's tunables (read every pass)."""
    return IndexSettings(
        trade_lookback_s=tunables.indexer_trade_lookback_s,
        traded_window_days=tunables.indexer_traded_window_days,
        holders_max_age_s=tunables.indexer_holders_max_age_s,
        metrics_max_age_s=tunables.indexer_metrics_max_age_s,
        market_max_age_s=tunables.indexer_market_max_age_s,
        max_holder_markets=tunables.indexer_max_holder_markets,
        max_metric_wallets=tunables.indexer_max_metric_wallets,
        workers=workers,
    )


@dataclass
class IndexDeps:
    data: PublicData
    store: IndexStore
    books: IndexBookkeeping
    clock: Clock
    settings: IndexSettings = field(default_factory=IndexSettings)
    requests_made: Callable[[], dict[str, int]] = dict  # the client's counters, for the summary


@dataclass
class IndexSummary:
    run_id: str
    status: str = "ok"  # ok | budget (stopped early, resumes next run) | overlap | failed
    tracked_wallets: int = 0
    trades_written: int = 0
    trade_wallets_done: int = 0
    markets_written: int = 0
    holder_markets: int = 0
    holders_written: int = 0
    metric_wallets: int = 0
    positions_written: int = 0
    metric_rows_written: int = 0
    rejected_rows: int = 0
    errors: int = 0
    lag_s: float | None = None  # the oldest tracked wallet's trades were read through this long ago
    newest_trade_age_s: float | None = None
    metric_staleness_s: float | None = None  # the stalest needed wallet's metrics
    requests: dict[str, int] = field(default_factory=dict)
    duration_ms: float = 0.0

    def as_dict(self) -> dict[str, object]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


class _BudgetSpentError(Exception):
    """The budget is spent: end the pass cleanly (the checkpoints say where the next one resumes)."""


def run_index(deps: IndexDeps, run_id: str) -> IndexSummary:
    began = deps.clock.monotonic()
    summary = IndexSummary(run_id=run_id)
    now = deps.clock.now()
    if not deps.books.start_run(run_id, now):
        summary.status = "overlap"
        metrics.add_metric(name="IndexerOverlapSkipped", unit="Count", value=1)
        return summary
    try:
        _Pass(deps, summary, now).run()
    except Exception:
        summary.status = "failed"
        metrics.add_metric(name="IndexerFailed", unit="Count", value=1)
        raise
    finally:
        summary.requests = deps.requests_made()
        summary.duration_ms = round((deps.clock.monotonic() - began) * 1000, 1)
        deps.books.finish_run(run_id, summary.status, summary.as_dict(), deps.clock.now())
        _emit(summary)
    return summary


class _Pass:
    def __init__(self, deps: IndexDeps, summary: IndexSummary, now: datetime) -> None:
        self.deps = deps
        self.s = deps.settings
        self.summary = summary
        self.now = now
        self.rejects: list[InvalidRecord] = []
        self.weighed: list[str] = []  # every wallet whose metrics this pass keeps fresh

    def run(self) -> None:
        tracked = sorted({w.lower() for w in self.deps.books.tracked_wallets()})
        held = sorted({c.lower() for c in self.deps.books.held_markets()})
        self.summary.tracked_wallets = len(tracked)
        try:
            traded = self._trades(tracked)
            targets = self._markets(tracked, held, traded)
            self._holders(targets)
            self._metrics(tracked, targets)
        except _BudgetSpentError:
            self.summary.status = "budget"
        finally:
            if self.rejects:
                self.summary.rejected_rows += self.deps.books.record_rejects(self.rejects)
            self._freshness(tracked)

    # --- 1. leader trades ------------------------------------------------------------------------------
    def _trades(self, tracked: list[str]) -> list[str]:
        """Returns the condition ids the new trades touched."""
        marks = self.deps.books.checkpoints(TRADES, tracked)
        # Wallets already indexed first (cheap, keeps the lag low), never-indexed backfills last.
        order = sorted(tracked, key=lambda w: (marks.get(w, Checkpoint()).watermark is None, w))
        touched: set[str] = set()

        lookback = timedelta(seconds=self.s.trade_lookback_s)
        starts = {w: None if (m := marks.get(w)) is None or m.watermark is None else m.watermark - lookback
                  for w in tracked}  # fmt: skip

        def fetch(wallet: str) -> _Walk[PublicTrade]:
            cursor = marks[wallet].cursor if wallet in marks else None
            return _walk(lambda: self.deps.data.wallet_trades(wallet, start=starts[wallet], cursor=cursor))

        # Fresh trades are written in batches (one ClickHouse insert for many wallets), each batch's
        # checkpoints saved after its rows: a pass that dies fetches again at most one batch.
        pending: list[PublicTrade] = []
        marks_due: dict[str, Checkpoint] = {}

        def flush() -> None:
            if pending:
                self.summary.trades_written += self.deps.store.write_trades(pending, self.deps.clock.now())
            for wallet, mark in marks_due.items():
                self.deps.books.save_checkpoint(TRADES, wallet, mark)
                if mark.cursor is None:
                    self.summary.trade_wallets_done += 1
            pending.clear()
            marks_due.clear()

        stopped = False
        try:
            for wallet, walk in self._concurrently(order, fetch):
                mark = marks.get(wallet, Checkpoint())
                known = self.deps.store.existing_trade_ids(walk.rows)
                fresh = _unique([t for t in walk.rows if t.trade_id not in known], key=lambda t: t.trade_id)
                pending.extend(fresh)
                touched.update(t.condition_id for t in fresh)
                self.rejects.extend(walk.invalid)
                newest = max((t.traded_at for t in walk.rows), default=mark.watermark)
                if mark.watermark is not None and newest is not None:
                    newest = max(newest, mark.watermark)
                if walk.stopped_at is None:
                    marks_due[wallet] = Checkpoint(newest, None, self.deps.clock.now())
                else:
                    # the walk resumes from its next page; the watermark moves only once it is complete
                    marks_due[wallet] = Checkpoint(mark.watermark, walk.stopped_at, mark.refreshed_at)
                    stopped = True  # the other walks' results are still written and checkpointed
                if len(pending) >= TRADE_BATCH_ROWS:
                    flush()
        except _BudgetSpentError:
            stopped = True
        flush()
        if stopped:
            raise _BudgetSpentError
        return sorted(touched)

    # --- 2. markets ----------------------------------------------------------------------------------
    def _markets(self, tracked: list[str], held: list[str], touched: list[str]) -> list[str]:
        """Refreshes the dimension for the markets of interest; returns the open ones (holder targets)."""
        since = self.now - timedelta(days=self.s.traded_window_days)
        traded = self.deps.store.traded_markets(tracked, since) if tracked else []
        interest = list(dict.fromkeys([*held, *touched, *traded]))
        stored = self.ensure_markets(interest, self.s.market_max_age_s)
        open_ones = [c for c in interest if c in stored and not stored[c].closed]
        return open_ones[: self.s.max_holder_markets]

    def ensure_markets(self, condition_ids: Sequence[str], max_age_s: int) -> dict[str, MarketRecord]:
        """The dimension rows of these markets, fetching the missing ones and open ones older than
        `max_age_s` (a resolved market never changes again)."""
        ids = list(dict.fromkeys(c.lower() for c in condition_ids))
        stored = self.deps.store.stored_markets(ids)
        stale_before = self.now - timedelta(seconds=max_age_s)
        wanted = [
            c
            for c in ids
            if c not in stored or (stored[c].market.resolution is None and stored[c].updated_at < stale_before)
        ]
        out = {c: s.market for c, s in stored.items()}
        for batch in _chunks(wanted, MARKET_BATCH):
            page = self._call(lambda b=batch: self.deps.data.markets(b))  # type: ignore[misc]
            self.rejects.extend(page.invalid)
            rows = [m for m in page.rows if m.condition_id in set(batch)]
            self.summary.markets_written += self.deps.store.write_markets(rows, self.deps.clock.now())
            out.update({m.condition_id: m for m in rows})
        return out

    # --- 3. holders ------------------------------------------------------------------------------------
    def _holders(self, targets: list[str]) -> None:
        marks = self.deps.books.checkpoints(HOLDERS, targets)
        stale_before = self.now - timedelta(seconds=self.s.holders_max_age_s)
        due = [c for c in targets if _refreshed(marks, c) < stale_before]
        due.sort(key=lambda c: _refreshed(marks, c))

        for condition_id, page in self._concurrently(due, self.deps.data.holders):
            self.rejects.extend(page.invalid)
            at = self.deps.clock.now()
            self.summary.holders_written += self.deps.store.write_holders(condition_id, page.rows, at)
            self.deps.books.save_checkpoint(HOLDERS, condition_id, Checkpoint(refreshed_at=at))
            self.summary.holder_markets += 1

    # --- 4. wallet metrics -----------------------------------------------------------------------------
    def _metrics(self, tracked: list[str], targets: list[str]) -> None:
        """Positions first (fetched incrementally, checkpointed per wallet), then the markets they
        need (written batch by batch), then the metrics: each part's progress survives a pass that
        runs out of budget, so a big wallet never makes the indexer start over."""
        voters = self.deps.store.top_holders(targets, TOP_WALLETS_PER_SIDE) if targets else set()
        needed = sorted(set(tracked) | {w.lower() for w in voters})
        self.weighed = needed
        stopped = self._fetch_positions(needed)
        fetched = self.deps.books.checkpoints(POSITIONS, needed)
        computed = self.deps.books.checkpoints(METRICS, needed)
        due = [w for w in needed if w in fetched and _refreshed(computed, w) < _refreshed(fetched, w)]
        for chunk in _chunks(due, RECOMPUTE_CHUNK):
            positions = self.deps.store.wallet_positions(chunk)
            markets = self.ensure_markets(sorted({p.condition_id for ps in positions.values() for p in ps}),
                                          self.s.metrics_max_age_s)  # fmt: skip
            at = self.deps.clock.now()
            rows = [row for w in chunk for row in self._recompute(w, positions.get(w, []), markets, at)]
            self.summary.metric_rows_written += self.deps.store.write_metrics(rows, at)
            self.deps.books.save_checkpoints(METRICS, {w: Checkpoint(refreshed_at=at) for w in chunk})
            self.summary.metric_wallets += len(chunk)
        if stopped:
            raise _BudgetSpentError

    def _fetch_positions(self, needed: list[str]) -> bool:
        """Refresh the positions of the wallets whose last fetch is older than `metrics_max_age_s`.
        Returns whether the budget stopped it."""
        marks = self.deps.books.checkpoints(POSITIONS, needed)
        stale_before = self.now - timedelta(seconds=self.s.metrics_max_age_s)
        due = sorted((w for w in needed if _refreshed(marks, w) < stale_before), key=lambda w: _refreshed(marks, w))
        due = due[: self.s.max_metric_wallets]

        def fetch(wallet: str) -> _Walk[PublicPosition]:
            mark = marks.get(wallet) or Checkpoint()
            since = None if mark.watermark is None else mark.watermark - timedelta(seconds=self.s.position_lookback_s)
            return _walk(
                lambda: _chain(
                    self.deps.data.wallet_positions(wallet, PositionStatus.OPEN, since=since),
                    self.deps.data.wallet_positions(wallet, PositionStatus.CLOSED, since=since),
                )
            )

        # Wallets are written in batches (one ClickHouse insert per batch, not per wallet), each
        # batch's checkpoints saved after its rows: a pass that stops early fetches again at most
        # the wallets of one unwritten batch.
        pending: list[PublicPosition] = []
        newest_of: dict[str, datetime | None] = {}

        def flush() -> None:
            at = self.deps.clock.now()
            self.summary.positions_written += self.deps.store.write_positions(pending, at) if pending else 0
            self.deps.books.save_checkpoints(POSITIONS, {w: Checkpoint(n, None, at) for w, n in newest_of.items()})
            pending.clear()
            newest_of.clear()

        stopped = False
        try:
            for wallet, walk in self._concurrently(due, fetch):
                self.rejects.extend(walk.invalid)
                if walk.stopped_at is not None:
                    stopped = True  # a wallet's positions are taken whole or not at all
                    continue
                mark = marks.get(wallet) or Checkpoint()
                pending.extend(walk.rows)
                newest_of[wallet] = max((p.last_event_at for p in walk.rows if p.last_event_at), default=mark.watermark)
                if len(pending) >= POSITION_BATCH_ROWS:
                    flush()
        except _BudgetSpentError:
            stopped = True
        flush()
        return stopped

    @staticmethod
    def _recompute(
        wallet: str, positions: list[PublicPosition], markets: dict[str, MarketRecord], at: datetime
    ) -> list[CategoryMetrics]:
        resolved = resolved_positions(positions, markets)
        categories = {m.category for p in positions if (m := markets.get(p.condition_id)) and m.category}
        last_active = max((p.last_event_at for p in positions if p.last_event_at), default=None)
        return wallet_metrics(wallet, resolved, now=at, categories=categories, last_active=last_active)

    # --- plumbing ----------------------------------------------------------------------------------------
    def _concurrently(self, keys: Sequence[str], fetch: Callable[[str], _T]) -> Iterator[tuple[str, _T]]:
        """API walks run on a small pool; results are written here, in order, on this thread (the
        database clients are not shared across threads)."""
        if not keys:
            return
        with ThreadPoolExecutor(max_workers=max(1, self.s.workers)) as pool:
            futures = [(k, pool.submit(fetch, k)) for k in keys]
            try:
                for key, future in futures:
                    try:
                        yield key, future.result()
                    except BudgetExhaustedError:
                        raise _BudgetSpentError from None
                    except PublicDataError as exc:
                        self.summary.errors += 1
                        metrics.add_metric(name="IndexerErrors", unit="Count", value=1)
                        logger.warning("public data call failed; retried next run",
                                       extra={"key": key, "error": str(exc)[:200]})  # fmt: skip
            finally:
                for _, future in futures:
                    future.cancel()

    def _call(self, fn: Callable[[], _T]) -> _T:
        try:
            return fn()
        except BudgetExhaustedError:
            raise _BudgetSpentError from None

    def _freshness(self, tracked: list[str]) -> None:
        """Lag: how long ago the stalest tracked wallet's trades were read through (0 with nothing
        to track; unknown while nothing was read yet, which the lag alarm treats as breaching)."""
        now = self.deps.clock.now()
        if not tracked:
            self.summary.lag_s = 0.0
            return
        marks = self.deps.books.checkpoints(TRADES, tracked)
        refreshed = [m.refreshed_at for m in marks.values() if m.refreshed_at is not None]
        if refreshed:
            self.summary.lag_s = round((now - min(refreshed)).total_seconds(), 1)
        newest = max((m.watermark for m in marks.values() if m.watermark), default=None)
        self.summary.newest_trade_age_s = round((now - newest).total_seconds(), 1) if newest else None
        computed = self.deps.books.checkpoints(METRICS, self.weighed or tracked)
        ages = [(now - m.refreshed_at).total_seconds() for m in computed.values() if m.refreshed_at]
        self.summary.metric_staleness_s = round(max(ages), 1) if ages else None


@dataclass
class _Walk(Generic[_T]):
    """The rows of a paged walk; `stopped_at` is the next page's cursor when the budget ended it."""

    rows: list[_T] = field(default_factory=list)
    invalid: list[InvalidRecord] = field(default_factory=list)
    stopped_at: str | None = None


def _walk(pages: Callable[[], Iterator[Page[_T]]]) -> _Walk[_T]:
    """Follow a paged read to its end, or to where the budget stops it (keeping what was read)."""
    out: _Walk[_T] = _Walk()
    next_cursor: str | None = None
    try:
        for page in pages():
            out.rows.extend(page.rows)
            out.invalid.extend(page.invalid)
            next_cursor = page.next_cursor
    except BudgetExhaustedError:
        out.stopped_at = next_cursor or ""
    return out


def _refreshed(marks: dict[str, Checkpoint], key: str) -> datetime:
    mark = marks.get(key)
    return mark.refreshed_at if mark is not None and mark.refreshed_at is not None else _NEVER


def _chain(*walks: Iterator[Page[_T]]) -> Iterator[Page[_T]]:
    for pages in walks:
        yield from pages


def _unique(items: Sequence[_T], *, key: Callable[[_T], str]) -> list[_T]:
    seen: set[str] = set()
    out: list[_T] = []
    for item in items:
        k = key(item)
        if k not in seen:
            seen.add(k)
            out.append(item)
    return out


def _chunks(items: Sequence[str], size: int) -> Iterator[list[str]]:
    for i in range(0, len(items), size):
        yield list(items[i : i + size])


def _emit(summary: IndexSummary) -> None:
    metrics.add_metric(name="IndexerRunMs", unit="Milliseconds", value=summary.duration_ms)
    metrics.add_metric(name="IndexerRequests", unit="Count", value=summary.requests.get("requests", 0))
    metrics.add_metric(name="IndexerThrottled", unit="Count", value=summary.requests.get("throttled", 0))
    written = summary.trades_written + summary.markets_written + summary.holders_written
    written += summary.positions_written + summary.metric_rows_written
    metrics.add_metric(name="IndexerRowsWritten", unit="Count", value=written)
    metrics.add_metric(name="IndexerRejectedRows", unit="Count", value=summary.rejected_rows)
    if summary.errors:
        metrics.add_metric(name="IndexerErrors", unit="Count", value=0)  # already counted per error
    if summary.lag_s is not None:
        metrics.add_metric(name="IndexerLagSeconds", unit="Seconds", value=summary.lag_s)
    if summary.metric_staleness_s is not None:
        metrics.add_metric(name="IndexerMetricStalenessSeconds", unit="Seconds", value=summary.metric_staleness_s)
    logger.info("index summary", extra={"index": summary.as_dict()})
