"""The paper exchange's matching engine: the books, matching, fills and the time-driven effects.

Matching walks the opposite side best level first, at the resting price; FOK is all-or-nothing,
FAK kills the rest, GTC/GTD rest at their signed price. Orders never match the same wallet's
resting orders. Seeded liquidity (`set_levels`) has unlimited funds.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal
from typing import Any, Final

from omegacopy.devstack.paper.ledger import (
    MICRO,
    Fill,
    Ledger,
    LedgerOrder,
    PaperAccount,
    PaperMarket,
    PaperTrade,
    fmt,
    taker_fee,
    units_to_decimal,
)
from omegacopy.devstack.paper.validate import Rejected, WireOrder

ERR_FOK: Final = "order couldn't be fully filled. FOK orders are fully filled or killed."
ERR_FAK: Final = (
    "no orders found to match with FAK order. FAK orders are partially filled or killed if no match is found."
)
GTD_SAFETY_S: Final = 60  # the exchange expires a GTD order this long before its expiration

Level = tuple[Decimal, Decimal]


@dataclass
class BookEntry:
    price: Decimal  # bids carry a negative sign, so one list holds both sides
    size: Decimal
    seq: int
    order_hash: str | None = None  # None: seeded liquidity with unlimited funds
    wallet: str | None = None


class Engine:
    def __init__(self, ledger: Ledger) -> None:
        self._ledger = ledger
        self._books: dict[str, list[BookEntry]] = {}
        self._seq = 0

    # --- books ----------------------------------------------------------------------------------
    def open_book(self, token_id: str) -> None:
        self._books.setdefault(token_id, [])

    def set_levels(self, token_id: str, bids: Iterable[Level], asks: Iterable[Level]) -> None:
        """Replace the seeded (anonymous) liquidity of a token; resting account orders stay."""
        kept = [e for e in self._books[token_id] if e.order_hash is not None]
        for side_levels, is_bid in ((bids, True), (asks, False)):
            for price, size in side_levels:
                kept.append(BookEntry(price=-price if is_bid else price, size=size, seq=self._next_seq()))
        self._books[token_id] = kept

    def levels(self, token: str) -> tuple[list[Level], list[Level]]:
        """Aggregated levels ordered worst -> best (the best level LAST), as the real /book serves."""
        bid_sizes: dict[Decimal, Decimal] = {}
        ask_sizes: dict[Decimal, Decimal] = {}
        for e in self._books.get(token, []):
            if e.price < 0:
                bid_sizes[-e.price] = bid_sizes.get(-e.price, Decimal(0)) + e.size
            else:
                ask_sizes[e.price] = ask_sizes.get(e.price, Decimal(0)) + e.size
        bids = sorted(bid_sizes.items())  # ascending: lowest bid first, best (highest) last
        asks = sorted(ask_sizes.items(), reverse=True)  # descending: best (lowest) ask last
        return bids, asks

    def book_json(self, market: PaperMarket, token: str, *, now_ms: int) -> dict[str, Any]:
        """A token's book as `GET /book` serves it (levels worst -> best, with its hash)."""
        bids, asks = self.levels(token)
        levels = {
            "bids": [{"price": fmt(p), "size": fmt(s)} for p, s in bids],
            "asks": [{"price": fmt(p), "size": fmt(s)} for p, s in asks],
        }
        book_hash = hashlib.sha1(json.dumps(levels, sort_keys=True).encode(), usedforsecurity=False)
        last = self._ledger.last_trade.get(token)
        return {
            "market": market.condition_id,
            "asset_id": token,
            "timestamp": str(now_ms),
            "hash": book_hash.hexdigest(),
            **levels,
            "min_order_size": fmt(market.min_size),
            "tick_size": fmt(market.tick_size),
            "neg_risk": market.neg_risk,
            "last_trade_price": "" if last is None else fmt(last),
        }

    def opposite(self, o: WireOrder, wallet: str) -> list[BookEntry]:
        """Resting entries the order could trade with, best first (own orders excluded)."""
        entries = [
            e
            for e in self._books.get(o.token_id, [])
            if (e.price > 0 if o.side == "BUY" else e.price < 0)
            and (e.wallet is None or e.wallet.lower() != wallet.lower())
        ]
        # asks ascending by price; bids stored negative, so ascending = highest bid first
        return sorted(entries, key=lambda e: (e.price, e.seq))

    def crosses(self, o: WireOrder, price: Decimal, account: PaperAccount) -> bool:
        opposite = self.opposite(o, account.wallet)
        if not opposite:
            return False
        best = abs(opposite[0].price)
        return best <= price if o.side == "BUY" else best >= price

    def unbook(self, order_hash: str) -> None:
        for token, entries in self._books.items():
            self._books[token] = [e for e in entries if e.order_hash != order_hash]

    def close_market(self, market: PaperMarket) -> list[str]:
        """A resolved market: its resting orders cancelled as resolved, its books gone. The hashes."""
        cancelled: list[str] = []
        for order in self._ledger.orders.values():
            if order.condition_id == market.condition_id and order.status == "live":
                order.status = "canceled_market_resolved"
                cancelled.append(order.order_hash)
        for token in market.tokens:
            self._books[token] = []
        return cancelled

    # --- matching -------------------------------------------------------------------------------
    def execute(
        self,
        *,
        o: WireOrder,
        market: PaperMarket,
        account: PaperAccount,
        api_key: str,
        price: Decimal,
        order_hash: str,
        now: float,
    ) -> dict[str, Any]:
        """Match a validated order and book it; its POST reply. Raises `Rejected` (unmatched)."""
        marketable = o.order_type in ("FOK", "FAK")
        usd_mode = marketable and o.side == "BUY"  # a market BUY spends its maker amount
        budget = units_to_decimal(o.maker_amount)
        target = units_to_decimal(o.taker_amount if o.side == "BUY" else o.maker_amount)
        plan: list[tuple[BookEntry, Decimal]] = []
        remaining = budget if usd_mode else target
        for entry in self.opposite(o, account.wallet):
            level = abs(entry.price)
            if (o.side == "BUY" and level > price) or (o.side == "SELL" and level < price):
                break
            if usd_mode:
                affordable = (remaining / level).quantize(MICRO, rounding=ROUND_FLOOR)
                take = min(entry.size, affordable)
                if take <= 0:
                    break
                remaining -= take * level
            else:
                take = min(entry.size, remaining)
                remaining -= take
            plan.append((entry, take))
            if remaining <= 0:
                break
        complete = remaining < MICRO if usd_mode else remaining == 0
        if o.order_type == "FOK" and not complete:
            raise Rejected(ERR_FOK, order_hash, unmatched=True)
        if o.order_type == "FAK" and not plan:
            raise Rejected(ERR_FAK, order_hash, unmatched=True)

        record = LedgerOrder(
            order_hash=order_hash,
            owner=api_key,
            eoa=account.eoa,
            maker=o.maker,
            signer=o.signer,
            signature_type=o.signature_type,
            condition_id=market.condition_id,
            token_id=o.token_id,
            side=o.side,
            order_type=o.order_type,
            maker_amount=o.maker_amount,
            taker_amount=o.taker_amount,
            price=price,
            salt=o.salt,
            expiration=o.expiration,
            post_only=o.post_only,
            created_at=now,
        )
        self._ledger.orders[order_hash] = record
        trade_ids: list[str] = []
        tx_hashes: list[str] = []
        for entry, take in plan:
            trade = self._fill(
                taker=record, taker_account=account, api_key=api_key, market=market, entry=entry, shares=take, now=now
            )
            trade_ids.append(trade.trade_id)
            tx_hashes.append(trade.transaction_hash)

        if marketable or complete:
            record.status = "matched"  # a FAK's unfilled remainder is killed, never rests
        else:
            # GTC / GTD: the rest rests at the signed price
            record.status = "live"
            sign = -1 if o.side == "BUY" else 1
            self._books[o.token_id].append(
                BookEntry(
                    price=sign * price,
                    size=record.remaining_shares,
                    seq=self._next_seq(),
                    order_hash=order_hash,
                    wallet=account.wallet,
                )
            )
        status = "matched" if plan else "live"
        if market.taker_delay and (marketable or plan):
            status = "delayed"
        record.placement_status = status
        making, taking = (
            (record.filled_usd, record.filled_shares) if o.side == "BUY" else (record.filled_shares, record.filled_usd)
        )
        return {
            "success": True,
            "errorMsg": "",
            "orderID": order_hash,
            "status": status,
            "makingAmount": "" if status == "delayed" or not plan else fmt(making),
            "takingAmount": "" if status == "delayed" or not plan else fmt(taking),
            "tradeIDs": [] if status == "delayed" else trade_ids,
            "transactionsHashes": [] if status == "delayed" else tx_hashes,
        }

    def _fill(
        self,
        *,
        taker: LedgerOrder,
        taker_account: PaperAccount,
        api_key: str,
        market: PaperMarket,
        entry: BookEntry,
        shares: Decimal,
        now: float,
    ) -> PaperTrade:
        ledger = self._ledger
        level = abs(entry.price)
        # settlement moves whole base units (6 decimals), like the chain does
        usd = (shares * level).quantize(MICRO)
        entry.size -= shares
        if entry.size <= 0:
            self._books[taker.token_id].remove(entry)
        token = taker.token_id
        buyer_delta = 1 if taker.side == "BUY" else -1
        fee = taker_fee(shares, level, market.fee_rate_bps)
        taker_account.pusd -= buyer_delta * usd + fee
        taker_account.positions[token] = taker_account.positions.get(token, Decimal(0)) + buyer_delta * shares
        taker.filled_shares += shares
        taker.filled_usd += usd
        taker.fees_usd += fee
        maker_order = None if entry.order_hash is None else ledger.orders.get(entry.order_hash)
        trade = PaperTrade(
            trade_id=str(uuid.uuid4()),
            taker_order=taker.order_hash,
            taker_owner=api_key,
            taker_maker_address=taker.maker,
            maker_order=entry.order_hash,
            maker_owner=None if maker_order is None else maker_order.owner,
            maker_maker_address=None if maker_order is None else maker_order.maker,
            condition_id=market.condition_id,
            token_id=token,
            outcome=market.outcome_of(token),
            side=taker.side,
            price=level,
            size=shares,
            match_time=int(now),
            transaction_hash="0x" + secrets.token_hex(32),
            taker_eoa=taker.eoa,
            maker_eoa=None if maker_order is None else maker_order.eoa,
            fee_rate_bps=market.fee_rate_bps,
            fee_usd=fee,
        )
        if maker_order is not None:
            maker_account = ledger.accounts[maker_order.eoa.lower()]
            maker_account.pusd += buyer_delta * usd
            maker_account.positions[token] = maker_account.positions.get(token, Decimal(0)) - buyer_delta * shares
            maker_order.filled_shares += shares
            maker_order.filled_usd += usd
            maker_order.fills.append(Fill(trade.trade_id, level, shares, usd, taker.order_hash))
            if maker_order.remaining_shares <= 0:
                maker_order.status = "matched"
        taker.fills.append(Fill(trade.trade_id, level, shares, usd, entry.order_hash))
        ledger.trades.append(trade)
        ledger.last_trade[token] = level
        return trade

    # --- time and cancels -----------------------------------------------------------------------
    def housekeeping(self, now: float, heartbeat_timeout_s: float) -> None:
        """Lazy time-driven effects: GTD expiry and heartbeat-timeout cancels."""
        ledger = self._ledger
        for order in ledger.orders.values():
            if order.status == "live" and order.order_type == "GTD" and now >= order.expiration - GTD_SAFETY_S:
                order.status = "expired"
                self.unbook(order.order_hash)
        for account in ledger.accounts.values():
            if account.heartbeat_at is not None and now - account.heartbeat_at > heartbeat_timeout_s:
                account.heartbeat_at = None
                account.heartbeat_id = None
                for order in ledger.orders.values():
                    if order.eoa == account.eoa and order.status == "live":
                        order.status = "canceled"
                        self.unbook(order.order_hash)

    def cancel(self, ids: Sequence[str], account: PaperAccount) -> tuple[list[str], dict[str, str]]:
        """(canceled, not canceled with the reason)."""
        canceled: list[str] = []
        not_canceled: dict[str, str] = {}
        for order_hash in ids:
            record = self._ledger.orders.get(order_hash)
            if record is None or record.eoa != account.eoa:
                not_canceled[order_hash] = "order not found"
            elif record.status != "live":
                not_canceled[order_hash] = f"order can't be canceled: {record.status}"
            else:
                record.status = "canceled"
                self.unbook(order_hash)
                canceled.append(order_hash)
        return canceled, not_canceled

    def _next_seq(self) -> int:
        self._seq += 1
        return self._seq
