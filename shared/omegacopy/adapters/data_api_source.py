"""The public Polymarket Data API (`GET /trades?user=`) as a trade source.

For operators without a ClickHouse indexer. One request per wallet (the API has no multi-user
filter), bounded concurrency to stay under its 200 requests / 10 s limit. The API carries no
category or market state: a `MarketLookup` supplies them (the ClickHouse `markets` dimension or
Gamma); without it every market is "unknown" and entries skip.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, ValidationError

from omegacopy.adapters.source_rows import parse_trade_row
from omegacopy.domain.models import InvalidTrade, LeaderTrade
from omegacopy.ports import SaleRef, SourceUnavailableError, TradeBatch


class MarketInfo(BaseModel):
    model_config = ConfigDict(frozen=True)

    category: str | None
    closed: bool
    neg_risk: bool


MarketLookup = Callable[[Sequence[str]], dict[str, MarketInfo]]


class DataApiTrade(BaseModel):
    model_config = ConfigDict(extra="ignore")

    proxyWallet: str  # noqa: N815 - the API's field names
    side: str
    asset: str | int | float
    conditionId: str  # noqa: N815
    size: float
    price: float
    timestamp: int
    outcome: str | None = None
    outcomeIndex: int | None = None  # noqa: N815
    transactionHash: str | None = None  # noqa: N815


def _trade_id(t: DataApiTrade) -> str:
    # The API has no trade id: a fill is identified by its transaction, token, side, size and price.
    key = f"{t.transactionHash}|{t.asset}|{t.side}|{t.size!r}|{t.price!r}"
    return "da:" + hashlib.sha256(key.encode()).hexdigest()[:40]


class DataApiTradeSource:
    name = "data_api"

    def __init__(
        self,
        base_url: str,
        *,
        markets: MarketLookup | None = None,
        timeout_s: float = 8.0,
        max_concurrency: int = 8,
        page_limit: int = 500,
        http: httpx.Client | None = None,
    ) -> None:
        self._http = http or httpx.Client(base_url=base_url, timeout=timeout_s)
        self._markets = markets
        self._workers = max_concurrency
        self._limit = page_limit

    def _fetch(self, wallet: str) -> list[dict[str, Any]]:
        reply = self._http.get("/trades", params={"user": wallet, "limit": self._limit, "takerOnly": "false"})
        reply.raise_for_status()
        body = reply.json()
        if not isinstance(body, list):
            raise SourceUnavailableError("data api /trades did not return a list")
        return body

    def fetch_new_trades(self, wallets: Sequence[str], since: datetime) -> TradeBatch:
        try:
            with ThreadPoolExecutor(max_workers=self._workers) as pool:
                pages = list(pool.map(self._fetch, wallets))
        except (httpx.HTTPError, ValueError) as exc:
            raise SourceUnavailableError(f"data api failed: {type(exc).__name__}") from exc
        since_s = since.timestamp()
        rows: list[tuple[DataApiTrade | None, dict[str, Any]]] = []
        for page in pages:
            for item in page:
                try:
                    parsed = DataApiTrade.model_validate(item)
                except ValidationError:
                    rows.append((None, item))
                    continue
                if parsed.timestamp > since_s:
                    rows.append((parsed, item))
        info = self._markets([t.conditionId for t, _ in rows if t]) if self._markets else {}
        trades: list[LeaderTrade] = []
        invalid: list[InvalidTrade] = []
        watermark: datetime | None = None
        for parsed_trade, item in rows:
            raw = _as_row(parsed_trade, item, info)
            result = parse_trade_row(raw)
            (trades if isinstance(result, LeaderTrade) else invalid).append(result)  # type: ignore[arg-type]
            if parsed_trade is not None:
                ts = datetime.fromtimestamp(parsed_trade.timestamp, UTC)
                watermark = ts if watermark is None or ts > watermark else watermark
        return TradeBatch(tuple(trades), tuple(invalid), watermark)

    def leader_shares_before(self, sales: Sequence[SaleRef]) -> dict[str, Decimal]:
        # The Data API has positions, not history at a point in time: without it the exit rule
        # falls back to "the leader sold everything" for these sales.
        return {}


def _as_row(t: DataApiTrade | None, item: dict[str, Any], info: dict[str, MarketInfo]) -> dict[str, Any]:
    if t is None:
        return {"trade_id": None, "wallet_address": item.get("proxyWallet")}
    market = info.get(t.conditionId)
    outcome = (t.outcome or "").upper()
    side = (
        "YES"
        if outcome in ("YES", "") and t.outcomeIndex in (0, None)
        else "NO"
        if outcome == "NO" or t.outcomeIndex == 1
        else outcome
    )
    return {
        "trade_id": _trade_id(t),
        "wallet_address": t.proxyWallet,
        "market_id": t.conditionId,
        "token_id": t.asset,
        "side": side,
        "action": t.side.upper(),
        "shares": t.size,
        "entry_price": t.price,
        "usd_value": t.size * t.price,
        "block_time": datetime.fromtimestamp(t.timestamp, UTC),
        "market_known": market is not None,
        "category": market.category if market else None,
        "closed": market.closed if market else False,
        "neg_risk": market.neg_risk if market else False,
    }
