"""Polymarket's Data API v2 as the monitor's trade source (`TRADE_SOURCE=data_api`).

Each tick reads every watched wallet's fills straight from `/v2/trades?user=&start=`, paging until
the whole window is covered (never "the newest N"), through the shared public-data client (its
rate limiter, retries and validation). The window starts at `since` (the monitor's cursor minus
its overlap) or `lookback_s` before now, whichever is earlier: a fill the API publishes up to
`lookback_s` late is still read, and the monitor decides each trade id once.

The API carries no category or market state: a `MarketLookup` (the `markets` dimension) supplies
them, and the fill's token must be that market's token for its outcome index (0 is the YES side,
1 the NO side, whatever Gamma names them) or the row is refused.

The batch watermark is the newest fill time read, never later than now: a fill stamped in the
future does not move the cursor; one stamped beyond the client's future skew is refused (recorded
as invalid), not dropped.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict

from omegacopy.adapters.clock import SystemClock
from omegacopy.adapters.polymarket import PolymarketPublicData, RunBudget
from omegacopy.adapters.source_rows import parse_trade_row
from omegacopy.domain.models import InvalidTrade, LeaderTrade, Outcome, TradeAction
from omegacopy.domain.public_data import InvalidRecord, PublicTrade, side_of_index
from omegacopy.observability import logger, metrics
from omegacopy.ports import Clock, PublicDataError, SaleRef, SourceUnavailableError, TradeBatch


class MarketInfo(BaseModel):
    model_config = ConfigDict(frozen=True)

    category: str | None
    closed: bool
    neg_risk: bool
    yes_token_id: str | None = None  # outcome 0
    no_token_id: str | None = None  # outcome 1


MarketLookup = Callable[[Sequence[str]], dict[str, MarketInfo]]


class DataApiTradeSource:
    name = "data_api"

    def __init__(
        self,
        public_data: PolymarketPublicData,
        *,
        markets: MarketLookup | None = None,
        clock: Clock | None = None,
        lookback_s: float = 600.0,
        max_concurrency: int = 8,
        call_deadline_s: float = 20.0,
    ) -> None:
        self._api = public_data
        self._markets = markets
        self._clock = clock or SystemClock()
        self._lookback = timedelta(seconds=lookback_s)
        self._workers = max(1, max_concurrency)
        self._deadline_s = call_deadline_s

    def fetch_new_trades(self, wallets: Sequence[str], since: datetime) -> TradeBatch:
        """Every watched wallet's fills in the window. A wallet whose read fails is left for the next
        tick (its fills are still inside the look-back then) and counted; only when no wallet can be
        read does the tick fail closed: one bad address must not stop every leader's copies."""
        now = self._clock.now()
        start = min(since, now - self._lookback)
        watched = sorted({w.lower() for w in wallets})
        outcomes = self._each_wallet(watched, lambda w: self._read_wallet(w, start), partial=True)
        failed = {w: o for w, o in zip(watched, outcomes, strict=True) if isinstance(o, PublicDataError)}
        if watched and len(failed) == len(watched):
            first = next(iter(failed.values()))
            raise SourceUnavailableError(f"data api: no watched wallet could be read ({first})")
        if failed:
            metrics.add_metric(name="SourceWalletErrors", unit="Count", value=len(failed))
            errors = sorted({str(e)[:120] for e in failed.values()})[:5]
            logger.warning(
                "data api: wallets not read this tick, read again next tick",
                extra={"wallets": len(failed), "errors": errors},
            )
        reads = [o for o in outcomes if not isinstance(o, PublicDataError)]
        fills = [t for rows, _ in reads for t in rows]
        info = self._markets(sorted({t.condition_id for t in fills})) if self._markets and fills else {}
        trades: list[LeaderTrade] = []
        invalid: list[InvalidTrade] = []
        watermark: datetime | None = None
        for fill in fills:
            result = _to_leader_trade(fill, info.get(fill.condition_id))
            if isinstance(result, LeaderTrade):
                trades.append(result)
                stamped = min(fill.traded_at, now)  # a future stamp must not move the cursor past now
                watermark = stamped if watermark is None or stamped > watermark else watermark
            else:
                invalid.append(result)
        for wallet, outcome in zip(watched, outcomes, strict=True):
            if not isinstance(outcome, PublicDataError):
                invalid.extend(InvalidTrade(bad.key, wallet, f"{bad.source}: {bad.reason}") for bad in outcome[1])
        return TradeBatch(tuple(trades), tuple(invalid), watermark)

    def leader_shares_before(self, sales: Sequence[SaleRef]) -> dict[str, Decimal]:
        """BUY minus SELL shares of the sale's token strictly before the sale (the sale excluded)."""
        pairs = sorted({(s.wallet.lower(), s.condition_id) for s in sales})
        histories = dict(zip(pairs, self._each_wallet(pairs, self._market_fills), strict=True))
        out: dict[str, Decimal] = {}
        for sale in sales:
            held = Decimal(0)
            for fill in histories[(sale.wallet.lower(), sale.condition_id)]:
                if fill.token_id != sale.token_id or fill.trade_id == sale.trade_id or fill.traded_at >= sale.traded_at:
                    continue
                held += fill.shares if fill.action is TradeAction.BUY else -fill.shares
            out[sale.trade_id] = held
        return out

    # --- reads ------------------------------------------------------------------------------------
    def _read_wallet(self, wallet: str, start: datetime) -> tuple[list[PublicTrade], list[InvalidRecord]]:
        rows: list[PublicTrade] = []
        bad: list[InvalidRecord] = []
        for page in self._api.wallet_trades(wallet, start=start):
            rows.extend(page.rows)
            bad.extend(page.invalid)
        return rows, bad

    def _market_fills(self, pair: tuple[str, str]) -> tuple[PublicTrade, ...]:
        return self._api.wallet_market_trades(*pair).rows

    def _each_wallet(self, items: Sequence[Any], read: Callable[[Any], Any], *, partial: bool = False) -> list[Any]:
        """`read` for every item, concurrently, under one run budget. Any failure fails the call
        closed, unless `partial`: then a failed item's result is its error."""
        if not items:
            return []
        self._api.begin_run(RunBudget.within(self._api.timer, self._deadline_s))

        def guarded(item: Any) -> Any:
            try:
                return read(item)
            except PublicDataError as exc:
                if not partial:
                    raise
                return exc

        try:
            with ThreadPoolExecutor(max_workers=min(self._workers, len(items))) as pool:
                return list(pool.map(guarded, items))
        except PublicDataError as exc:
            raise SourceUnavailableError(f"data api: {exc}") from exc


def _to_leader_trade(fill: PublicTrade, market: MarketInfo | None) -> LeaderTrade | InvalidTrade:
    side = side_of_index(fill.outcome_index)
    if side is None:
        return InvalidTrade(fill.trade_id, fill.wallet, f"outcome index {fill.outcome_index} is not a binary side")
    if market is not None:
        expected = market.yes_token_id if side is Outcome.YES else market.no_token_id
        if not expected:
            return InvalidTrade(fill.trade_id, fill.wallet, f"market {fill.condition_id} has no token ids")
        if fill.token_id != expected:
            return InvalidTrade(
                fill.trade_id,
                fill.wallet,
                f"token {fill.token_id} is not outcome {fill.outcome_index} of market {fill.condition_id}",
            )
    raw: dict[str, Any] = {
        "trade_id": fill.trade_id,
        "wallet_address": fill.wallet,
        "market_id": fill.condition_id,
        "token_id": fill.token_id,
        "side": side.value,
        "action": fill.action.value,
        "shares": float(fill.shares),
        "entry_price": float(fill.price),
        "usd_value": float(fill.shares * fill.price),
        "block_time": fill.traded_at,
        "market_known": market is not None,
        "yes_token_id": market.yes_token_id if market else None,
        "no_token_id": market.no_token_id if market else None,
        "category": market.category if market else None,
        "closed": market.closed if market else False,
        "neg_risk": market.neg_risk if market else False,
    }
    return parse_trade_row(raw)
