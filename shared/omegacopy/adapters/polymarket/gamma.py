"""Gamma reads: the markets of given condition ids, open or closed, as `MarketRecord`s.

`GET /markets/keyset?condition_ids=…&closed=…&limit=…&after_cursor=…` (repeated `condition_ids`
keys, as the official SDK sends them) returns `{markets, next_cursor}`; the keyset limit is at
most 100 (changelog 2026-05-14). Since 2026-04-09 `closed` defaults to false and hides closed
markets, and `closed=true` lists closed markets only, so each batch is asked for open markets
first and the ids not found are asked again with `closed=true`. Batches stay small (50 ids) so
the URL stays far below the ~8 KB Gamma accepts.

Outcomes keep their index and name ("Yes"/"No", "Up"/"Down", team names); `clobTokenIds` pair
with them by index. The category is Gamma's `category`, else the first tag that names a board
category (politics, sports, …), else the first tag's label; lower-case.

Resolution: Gamma has no winner field. A market counts as resolved when it is `closed` and its
UMA status is `resolved`/`settled` (or the v2 `resolutionStatus` is `resolved`); its payouts are
then `outcomePrices`, accepted only as a clean payout vector (each 0, 0.5 or 1, summing to 1).
Anything else (a closed market still in dispute, last-trade prices like 0.9995) has no
resolution yet. `closedTime` stands in for the resolution time. The Data API's `/v2/resolutions`
would add one request per 20 markets for the same answer, so it is not used.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal

from pydantic import ValidationError

from omegacopy.adapters.polymarket.http import MalformedResponseError, PoliteHttp, QueryValue
from omegacopy.adapters.polymarket.wire import (
    GammaKeysetPage,
    WireContext,
    WireMarket,
    condition_arg,
    describe,
    parse_row,
    text_of,
)
from omegacopy.domain.public_data import InvalidRecord, MarketRecord, OutcomeToken, Resolution
from omegacopy.ports import Clock, Page

MARKETS_KEYSET = "/markets/keyset"
MAX_KEYSET_PAGE = 100
BOARD_CATEGORIES = frozenset(
    {"politics", "sports", "crypto", "culture", "mentions", "weather", "economics", "tech", "finance", "esports"}
)
_CLEAN_PAYOUTS = frozenset({Decimal(0), Decimal("0.5"), Decimal(1)})


class GammaMarkets:
    def __init__(self, http: PoliteHttp, *, clock: Clock, batch_size: int = 50, page_size: int = MAX_KEYSET_PAGE):
        if not 1 <= page_size <= MAX_KEYSET_PAGE:
            raise ValueError(f"page_size must be within 1..{MAX_KEYSET_PAGE}")
        self._http = http
        self._clock = clock
        self._batch = batch_size
        self._page = page_size

    def markets(self, condition_ids: Sequence[str]) -> Page[MarketRecord]:
        wanted = list(dict.fromkeys(condition_arg(c) for c in condition_ids))
        found: dict[str, MarketRecord] = {}
        invalid: dict[str, InvalidRecord] = {}
        for start in range(0, len(wanted), self._batch):
            batch = wanted[start : start + self._batch]
            self._list(batch, False, found, invalid)
            missing = [c for c in batch if c not in found and c not in invalid]
            if missing:
                self._list(missing, True, found, invalid)
            for cid in batch:
                if cid not in found and cid not in invalid:
                    invalid[cid] = InvalidRecord("gamma.markets", cid, "Gamma lists no such market, open or closed")
        return Page(tuple(found.values()), tuple(invalid.values()), None)

    def top_markets(self, *, category: str | None, limit: int, max_pages: int = 5) -> Page[MarketRecord]:
        """Open markets by 24 h volume, busiest first; with a category, the busiest of that
        category among the first `max_pages` pages (Gamma filters categories by tag id, which would
        cost a tag lookup; the busiest markets of a category are near the top anyway)."""
        params: dict[str, QueryValue] = {"closed": False, "order": "volume24hr", "ascending": False,
                                         "limit": self._page}  # fmt: skip
        wanted = category.lower() if category else None
        found: list[MarketRecord] = []
        invalid: list[InvalidRecord] = []
        cursor: str | None = None
        for _ in range(max_pages):
            page = self._page_of({**params, "after_cursor": cursor} if cursor else params)
            ctx = WireContext(self._clock.now())
            for raw in page.markets:
                parsed = parse_row(WireMarket, raw, ctx)
                if isinstance(parsed, str):
                    key = text_of(raw, "conditionId", "id")
                    invalid.append(InvalidRecord("gamma.markets", key, parsed))
                    continue
                record = to_record(parsed)
                if wanted is None or record.category == wanted:
                    found.append(record)
            cursor = page.next_cursor
            if len(found) >= limit or cursor is None or not page.markets:
                break
        return Page(tuple(found[:limit]), tuple(invalid), None)

    def _list(
        self, ids: list[str], closed: bool, found: dict[str, MarketRecord], invalid: dict[str, InvalidRecord]
    ) -> None:
        params: dict[str, QueryValue] = {"condition_ids": ids, "closed": closed, "limit": self._page}
        cursor: str | None = None
        while True:
            page = self._page_of({**params, "after_cursor": cursor} if cursor else params)
            ctx = WireContext(self._clock.now())
            for raw in page.markets:
                parsed = parse_row(WireMarket, raw, ctx)
                if isinstance(parsed, str):
                    key = text_of(raw, "conditionId", "id")
                    invalid.setdefault(key, InvalidRecord("gamma.markets", key, parsed))
                else:
                    found.setdefault(parsed.condition_id, to_record(parsed))
                    invalid.pop(parsed.condition_id, None)
            cursor = page.next_cursor
            if cursor is None or not page.markets:
                return

    def _page_of(self, params: dict[str, QueryValue]) -> GammaKeysetPage:
        body = self._http.get_json("gamma", MARKETS_KEYSET, params)
        try:
            return GammaKeysetPage.model_validate(body)
        except ValidationError as exc:
            raise MalformedResponseError(f"{MARKETS_KEYSET}: not a keyset page ({describe(exc)})") from exc


def to_record(m: WireMarket) -> MarketRecord:
    return MarketRecord(
        condition_id=m.condition_id,
        question=m.question,
        category=category_of(m.category, (t.slug for t in m.tags), (t.label for t in m.tags)),
        outcomes=tuple(
            OutcomeToken(i, name, token)
            for i, (name, token) in enumerate(zip(m.outcomes, m.clob_token_ids, strict=True))
        ),
        neg_risk=m.neg_risk,
        tick_size=m.tick_size,
        closed=m.closed,
        resolution=resolution_of(m),
        end_date=m.end_date,
        slug=m.slug,
    )


def category_of(category: str | None, tag_slugs: Iterable[str], tag_labels: Iterable[str]) -> str | None:
    if category and category.strip():
        return category.strip().lower()
    slugs = [s.strip().lower() for s in tag_slugs]
    for slug in slugs:
        if slug in BOARD_CATEGORIES:
            return slug
    for label in tag_labels:
        if label.strip():
            return label.strip().lower()
    return None


def resolution_of(m: WireMarket) -> Resolution | None:
    settled = m.uma_resolution_status in ("resolved", "settled") or m.resolution_status == "resolved"
    if not (m.closed and settled):
        return None
    payouts = tuple(p.normalize() for p in m.outcome_prices)
    if len(payouts) != len(m.outcomes) or sum(payouts) != 1 or any(p not in _CLEAN_PAYOUTS for p in payouts):
        return None
    return Resolution(payouts=payouts, resolved_at=m.closed_time)
