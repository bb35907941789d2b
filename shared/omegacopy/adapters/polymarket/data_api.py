"""Data API v2 reads: a wallet's fills, positions, a market's holders, the leaderboard.

Paging follows `next_cursor` until it is null, re-sending the identical filters with each page
(the API refuses a bare cursor). Trades are read with `taker_only=false`: the default `true`
hides every maker fill, and a leader who rests orders trades mostly as a maker. `start=1` asks
for the whole history (an omitted or zero `start` means "three years back").

Positions, holders and boards are offset walks behind the cursor, so a data refresh between two
pages can repeat a row: repeats are merged by their natural key (token; token and wallet;
wallet), keeping the first. Trades are a keyset walk and are never merged (see trade_identity).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from omegacopy.adapters.polymarket.http import MalformedResponseError, PoliteHttp, QueryValue
from omegacopy.adapters.polymarket.trade_identity import FillIdentities, fill_key, unwrap_cursor, wrap_cursor
from omegacopy.adapters.polymarket.wire import (
    Envelope,
    WireContext,
    WireHolder,
    WireLeaderboardEntry,
    WireMetaHolder,
    WirePosition,
    WireTrade,
    condition_arg,
    describe,
    parse_row,
    text_of,
    wallet_arg,
)
from omegacopy.domain.models import TradeAction
from omegacopy.domain.public_data import (
    HolderPosition,
    InvalidRecord,
    LeaderboardEntry,
    PositionStatus,
    PublicPosition,
    PublicTrade,
)
from omegacopy.ports import Clock, Page

TRADES = "/v2/trades"
POSITIONS = "/v2/positions"
HOLDERS = "/v2/holders"
LEADERBOARD = "/v2/leaderboard"

MAX_PAGE = 1000  # documented maximum of `limit` on trades, positions and the leaderboard
MAX_HOLDERS_WITH_PNL = 100  # per outcome token, with include_pnl=true
PERIODS = frozenset({"day", "week", "month", "all"})


def _epoch(at: datetime | None) -> int:
    # 0 would mean "three years back" to the API; 1 means the whole history.
    return 1 if at is None else max(1, int(at.timestamp()))


def _invalid_key(raw: Any) -> str:
    """A stable digest of a broken row (the same bytes give the same key on every read)."""
    text = json.dumps(raw, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


class DataApi:
    def __init__(
        self,
        http: PoliteHttp,
        *,
        clock: Clock,
        future_skew_s: float = 300.0,
        page_size: int = MAX_PAGE,
        holder_pages: int = 1,
    ) -> None:
        if not 1 <= page_size <= MAX_PAGE:
            raise ValueError(f"page_size must be within 1..{MAX_PAGE}")
        self._http = http
        self._clock = clock
        self._skew = future_skew_s
        self._page = page_size
        self._holder_pages = holder_pages

    # --- trades -----------------------------------------------------------------------------------
    def wallet_trades(
        self, wallet: str, *, start: datetime | None, cursor: str | None = None
    ) -> Iterator[Page[PublicTrade]]:
        w = wallet_arg(wallet)
        params: dict[str, QueryValue] = {"user": w, "taker_only": False, "start": _epoch(start), "limit": self._page}
        server_cursor, carry = unwrap_cursor(cursor)
        ids, bad_ids = FillIdentities(carry), FillIdentities()
        while True:
            env = self._page_of(TRADES, params, server_cursor)
            rows, invalid = self._trades(env.data, ids, bad_ids, w)
            server_cursor = env.pagination.next_cursor
            yield Page(rows, invalid, wrap_cursor(server_cursor, ids.carry()))
            if server_cursor is None:
                return

    def wallet_market_trades(self, wallet: str, condition_id: str) -> Page[PublicTrade]:
        w = wallet_arg(wallet)
        params: dict[str, QueryValue] = {
            "user": w,
            "condition": condition_arg(condition_id),
            "taker_only": False,
            "limit": self._page,
        }
        ids, bad_ids = FillIdentities(), FillIdentities()
        rows: list[PublicTrade] = []
        invalid: list[InvalidRecord] = []
        server_cursor: str | None = None
        while True:
            env = self._page_of(TRADES, params, server_cursor)
            page_rows, page_invalid = self._trades(env.data, ids, bad_ids, w)
            rows.extend(page_rows)
            invalid.extend(page_invalid)
            server_cursor = env.pagination.next_cursor
            if server_cursor is None:
                return Page(tuple(rows), tuple(invalid), None)

    def _trades(
        self, data: list[Any], ids: FillIdentities, bad_ids: FillIdentities, wallet: str
    ) -> tuple[tuple[PublicTrade, ...], tuple[InvalidRecord, ...]]:
        ctx = self._context()
        rows: list[PublicTrade] = []
        invalid: list[InvalidRecord] = []
        for raw in data:
            parsed = parse_row(WireTrade, raw, ctx)
            if isinstance(parsed, str):
                ts = raw.get("timestamp") if isinstance(raw, dict) else None
                # numbered apart from the fills: a broken row must not disturb their carried counts
                key = bad_ids.id_for("bad:" + _invalid_key(raw), ts if isinstance(ts, int) else -1)
                where = f"wallet {wallet}, tx {text_of(raw, 'transaction_hash')}"
                invalid.append(InvalidRecord("data_api.trades", key, f"{parsed} ({where})"))
                continue
            trade_id = ids.id_for(
                fill_key(
                    wallet=parsed.proxy_wallet,
                    tx_hash=parsed.transaction_hash,
                    token_id=parsed.token_id,
                    side=parsed.side,
                    size=parsed.size,
                    price=parsed.price,
                    timestamp=parsed.timestamp,
                ),
                parsed.timestamp,
            )
            if parsed.proxy_wallet != wallet:
                reason = f"a fill of {parsed.proxy_wallet} in the trades of {wallet}"
                invalid.append(InvalidRecord("data_api.trades", trade_id, reason))
                continue
            rows.append(
                PublicTrade(
                    trade_id=trade_id,
                    wallet=parsed.proxy_wallet,
                    condition_id=parsed.condition_id,
                    token_id=parsed.token_id,
                    outcome_index=parsed.outcome_index,
                    outcome=parsed.outcome,
                    action=TradeAction(parsed.side),
                    shares=parsed.size,
                    price=parsed.price,
                    traded_at=datetime.fromtimestamp(parsed.timestamp, UTC),
                    tx_hash=parsed.transaction_hash,
                )
            )
        return tuple(rows), tuple(invalid)

    # --- positions --------------------------------------------------------------------------------
    def wallet_positions(
        self, wallet: str, status: PositionStatus, *, since: datetime | None = None, cursor: str | None = None
    ) -> Iterator[Page[PublicPosition]]:
        w = wallet_arg(wallet)
        params: dict[str, QueryValue] = {"user": w, "status": PositionStatus(status).value, "limit": self._page}
        if since is not None:
            params["start"] = _epoch(since)  # on last_event_at: only positions active since then
        seen: set[str] = set()
        server_cursor = cursor
        while True:
            env = self._page_of(POSITIONS, params, server_cursor)
            ctx = self._context()
            rows: list[PublicPosition] = []
            invalid: list[InvalidRecord] = []
            for raw in env.data:
                parsed = parse_row(WirePosition, raw, ctx)
                key = f"{w}:{text_of(raw, 'token_id')}"
                if isinstance(parsed, str):
                    invalid.append(InvalidRecord("data_api.positions", key, parsed))
                elif parsed.proxy_wallet != w:
                    invalid.append(InvalidRecord("data_api.positions", key, f"a position of {parsed.proxy_wallet}"))
                elif parsed.token_id not in seen:
                    seen.add(parsed.token_id)
                    rows.append(_position(parsed))
            server_cursor = env.pagination.next_cursor
            yield Page(tuple(rows), tuple(invalid), server_cursor)
            if server_cursor is None:
                return

    # --- holders ----------------------------------------------------------------------------------
    def holders(self, condition_id: str) -> Page[HolderPosition]:
        cid = condition_arg(condition_id)
        params: dict[str, QueryValue] = {"condition": cid, "include_pnl": True, "limit": MAX_HOLDERS_WITH_PNL}
        ctx = self._context()
        merged: dict[tuple[str, str], HolderPosition] = {}
        invalid: list[InvalidRecord] = []
        server_cursor: str | None = None
        for _ in range(self._holder_pages):
            env = self._page_of(HOLDERS, params, server_cursor)
            for raw_meta in env.data:
                meta = parse_row(WireMetaHolder, raw_meta, ctx)
                if isinstance(meta, str):
                    invalid.append(InvalidRecord("data_api.holders", f"{cid}:{text_of(raw_meta, 'token_id')}", meta))
                    continue
                for raw in meta.holders:
                    holder = _holder(cid, meta.token_id, raw, ctx)
                    if isinstance(holder, InvalidRecord):
                        invalid.append(holder)
                    else:
                        merged.setdefault((holder.token_id, holder.wallet), holder)
            server_cursor = env.pagination.next_cursor
            if server_cursor is None:
                break
        return Page(tuple(merged.values()), tuple(invalid), server_cursor)

    # --- leaderboard ------------------------------------------------------------------------------
    def leaderboard(self, *, category: str, period: str, limit: int) -> Page[LeaderboardEntry]:
        if period not in PERIODS:
            raise ValueError(f"period must be one of {sorted(PERIODS)}")
        if not category.strip() or limit < 0:
            raise ValueError("category must be named and limit non-negative")
        params: dict[str, QueryValue] = {
            "category": category.strip().lower(),
            "time_period": period,
            "sort_by": "PNL",
            "limit": min(max(limit, 1), MAX_PAGE),
        }
        ctx = self._context()
        rows: dict[str, LeaderboardEntry] = {}
        invalid: list[InvalidRecord] = []
        server_cursor: str | None = None
        while len(rows) < limit:
            env = self._page_of(LEADERBOARD, params, server_cursor)
            for raw in env.data:
                parsed = parse_row(WireLeaderboardEntry, raw, ctx)
                if isinstance(parsed, str):
                    key = f"{params['category']}:{period}:{text_of(raw, 'user_id')}"
                    invalid.append(InvalidRecord("data_api.leaderboard", key, parsed))
                elif parsed.user_id not in rows and len(rows) < limit:
                    rows[parsed.user_id] = LeaderboardEntry(
                        parsed.rank, parsed.user_id, parsed.pnl, parsed.volume, parsed.user_name
                    )
            server_cursor = env.pagination.next_cursor
            if server_cursor is None:
                break
        return Page(tuple(rows.values()), tuple(invalid), server_cursor)

    # --- shared -----------------------------------------------------------------------------------
    def _context(self) -> WireContext:
        return WireContext(self._clock.now(), self._skew)

    def _page_of(self, path: str, params: Mapping[str, QueryValue], cursor: str | None) -> Envelope:
        query = dict(params) if cursor is None else {**params, "cursor": cursor}
        body = self._http.get_json("data", path, query)
        try:
            return Envelope.model_validate(body)
        except ValidationError as exc:
            raise MalformedResponseError(f"{path}: not a v2 page ({describe(exc)})") from exc


def _position(p: WirePosition) -> PublicPosition:
    return PublicPosition(
        wallet=p.proxy_wallet,
        condition_id=p.condition_id,
        token_id=p.token_id,
        outcome_index=p.outcome_index,
        status=PositionStatus(p.status),
        size=p.current_size,
        avg_price=p.avg_price,
        total_bought=p.total_size,
        realized_pnl=p.realized_pnl,
        unrealized_pnl=p.unrealized_pnl,
        fees=p.entry_fees_usdc,
        last_event_at=None if p.last_event_at is None else datetime.fromtimestamp(p.last_event_at, UTC),
    )


def _holder(cid: str, token_id: str, raw: Any, ctx: WireContext) -> HolderPosition | InvalidRecord:
    parsed = parse_row(WireHolder, raw, ctx)
    key = f"{cid}:{token_id}:{text_of(raw, 'proxy_wallet')}"
    if isinstance(parsed, str):
        return InvalidRecord("data_api.holders", key, parsed)
    if parsed.token_id != token_id:
        return InvalidRecord("data_api.holders", key, f"a holder of token {parsed.token_id} listed under {token_id}")
    return HolderPosition(
        condition_id=cid,
        token_id=token_id,
        outcome_index=parsed.outcome_index,
        wallet=parsed.proxy_wallet,
        shares=parsed.amount,
        avg_price=parsed.avg_price,
    )
