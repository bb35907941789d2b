"""The paper exchange's ground truth: markets, accounts (pUSD and shares), every order it accepted
and every trade, with the protocol constants, and the records as the API prints them.

The constants are restated from the protocol page on purpose: the paper exchange never imports
`omegacopy.domain`, so a bug there cannot be mirrored here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Final

POLYGON_CHAIN_ID: Final = 137
EXCHANGE_V2: Final = "0xE111180000d2663C0091e4f400237545B87B996B"
NEG_RISK_EXCHANGE_V2: Final = "0xe2222d279d744050d28e00520010520000310F59"
EXCHANGE_V3: Final = "0xe3333700cA9d93003F00f0F71f8515005F6c00Aa"
PUSD: Final = "0xC011a7E12a19f7B1f670d46F03B03f3342E82DFB"

UNIT: Final = Decimal(1_000_000)  # 6-decimal base units, shares and collateral alike
MICRO: Final = Decimal("0.000001")
# (price decimals, size decimals, amount decimals) per tick size
ROUNDING: Final = {
    Decimal("0.1"): (1, 2, 3),
    Decimal("0.01"): (2, 2, 4),
    Decimal("0.005"): (3, 2, 5),
    Decimal("0.0025"): (4, 2, 6),
    Decimal("0.001"): (3, 2, 5),
    Decimal("0.0001"): (4, 2, 6),
}


def units_to_decimal(units: int) -> Decimal:
    return Decimal(units) / UNIT


def fmt(value: Decimal) -> str:
    """Decimal as the API prints it: plain notation, no trailing zeros ("0" for zero)."""
    if value == 0:
        return "0"
    return format(value.normalize(), "f")


def decimals(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def as_decimal(value: Decimal | str | int | float) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def taker_fee(shares: Decimal, price: Decimal, fee_rate_bps: int) -> Decimal:
    """The exchange's fee on one match, paid by the taker in pUSD: the CTF exchange's formula,
    rate x min(price, 1 - price) x shares, in whole base units."""
    return (shares * min(price, 1 - price) * fee_rate_bps / 10_000).quantize(MICRO)


@dataclass
class PaperMarket:
    condition_id: str
    tokens: tuple[str, str]
    tick_size: Decimal
    neg_risk: bool = False
    min_size: Decimal = Decimal("5")
    exchange_version: int = 2
    fee_rate: Decimal = Decimal("0")
    fee_exponent: Decimal = Decimal("0")
    outcomes: tuple[str, str] = ("Yes", "No")
    taker_delay: bool = False  # `itode`: marketable orders answer "delayed"
    fee_rate_bps: int = 0  # charged to takers (`taker_fee`), reported on trade records
    winning_token: str | None = None  # set when the market resolves

    @property
    def resolved(self) -> bool:
        return self.winning_token is not None

    @property
    def exchange(self) -> str:
        if self.exchange_version == 3:
            return EXCHANGE_V3
        return NEG_RISK_EXCHANGE_V2 if self.neg_risk else EXCHANGE_V2

    @property
    def domain_version(self) -> str:
        return "3" if self.exchange_version == 3 else "2"

    def outcome_of(self, token_id: str) -> str:
        return self.outcomes[self.tokens.index(token_id)]


@dataclass
class PaperAccount:
    eoa: str  # checksummed; POLY_ADDRESS and the API key binding
    wallet: str  # checksummed maker: the EOA (type 0) or its funder (proxy / Safe / deposit wallet)
    signature_type: int
    pusd: Decimal
    positions: dict[str, Decimal] = field(default_factory=dict)
    # pUSD allowance per exchange contract (lower-case address), base units; absent = unlimited
    allowances: dict[str, int] = field(default_factory=dict)
    heartbeat_id: str | None = None
    heartbeat_at: float | None = None


@dataclass(frozen=True)
class Fill:
    trade_id: str
    price: Decimal
    shares: Decimal
    usd: Decimal
    counterparty_order: str | None  # None: the seeded (anonymous) book


@dataclass
class LedgerOrder:
    """One order the exchange accepted (ground truth for "exactly one order per intent")."""

    order_hash: str
    owner: str  # API key
    eoa: str
    maker: str
    signer: str
    signature_type: int
    condition_id: str
    token_id: str
    side: str  # "BUY" | "SELL"
    order_type: str  # GTC | GTD | FOK | FAK
    maker_amount: int
    taker_amount: int
    price: Decimal
    salt: int
    expiration: int
    post_only: bool
    created_at: float
    status: str = "live"  # live | matched | canceled | expired | canceled_market_resolved
    placement_status: str = "live"  # what the POST reply said: live | matched | delayed
    filled_shares: Decimal = Decimal(0)
    filled_usd: Decimal = Decimal(0)
    fees_usd: Decimal = Decimal(0)  # taker fees this order paid
    fills: list[Fill] = field(default_factory=list)

    @property
    def original_shares(self) -> Decimal:
        units = self.taker_amount if self.side == "BUY" else self.maker_amount
        return units_to_decimal(units)

    @property
    def remaining_shares(self) -> Decimal:
        return self.original_shares - self.filled_shares


@dataclass
class PaperTrade:
    trade_id: str
    taker_order: str
    taker_owner: str
    taker_maker_address: str
    maker_order: str | None
    maker_owner: str | None
    maker_maker_address: str | None
    condition_id: str
    token_id: str
    outcome: str
    side: str  # taker side
    price: Decimal
    size: Decimal
    match_time: int
    transaction_hash: str
    status: str = "MATCHED"  # MATCHED | CONFIRMED
    taker_eoa: str = ""  # whose trade it is (an account's orders stay its own across key rotations)
    maker_eoa: str | None = None
    fee_rate_bps: int = 0  # the taker's
    fee_usd: Decimal = Decimal(0)  # what the taker paid


@dataclass
class Ledger:
    """Everything the exchange knows, keyed for its lookups (the server holds its lock around use)."""

    markets: dict[str, PaperMarket] = field(default_factory=dict)
    token_market: dict[str, str] = field(default_factory=dict)  # token -> condition id
    accounts: dict[str, PaperAccount] = field(default_factory=dict)  # eoa lower -> account
    wallet_owner: dict[str, str] = field(default_factory=dict)  # wallet lower -> eoa lower
    orders: dict[str, LedgerOrder] = field(default_factory=dict)  # order hash -> order
    trades: list[PaperTrade] = field(default_factory=list)
    last_trade: dict[str, Decimal] = field(default_factory=dict)  # token -> price

    def market_of(self, token_id: str) -> PaperMarket | None:
        condition_id = self.token_market.get(token_id)
        return None if condition_id is None else self.markets[condition_id]

    def account_of_wallet(self, wallet: str) -> PaperAccount | None:
        owner = self.wallet_owner.get(wallet.lower())
        return None if owner is None else self.accounts.get(owner)

    def committed(self, account: PaperAccount, side: str, token_id: str) -> Decimal:
        """What the account's live orders on `side` hold: pUSD for BUYs, shares of `token_id` for SELLs."""
        held = Decimal(0)
        for r in self.orders.values():
            if r.eoa != account.eoa or r.status != "live" or r.side != side:
                continue
            if side == "SELL" and r.token_id != token_id:
                continue
            held += units_to_decimal(r.maker_amount) - r.filled_usd if side == "BUY" else r.remaining_shares
        return held


# What GET /data/order says for each of the ledger's order states (the documented, prefixed form).
ORDER_STATUS: Final = {
    "live": "ORDER_STATUS_LIVE",
    "matched": "ORDER_STATUS_MATCHED",
    "canceled": "ORDER_STATUS_CANCELED",
    "expired": "ORDER_STATUS_CANCELED_EXPIRED_ORDER",
    "canceled_market_resolved": "ORDER_STATUS_CANCELED_MARKET_RESOLVED",
}


def order_json(r: LedgerOrder, market: PaperMarket) -> dict[str, Any]:
    """An order as `GET /data/order/{hash}` and `GET /data/orders` print it."""
    return {
        "id": r.order_hash,
        "status": ORDER_STATUS[r.status],
        "owner": r.owner,
        "maker_address": r.maker,
        "market": r.condition_id,
        "asset_id": r.token_id,
        "side": r.side,
        "original_size": fmt(r.original_shares),
        "size_matched": fmt(r.filled_shares),
        "price": fmt(r.price.quantize(Decimal("1e-8")).normalize()),
        "outcome": market.outcome_of(r.token_id),
        "order_type": r.order_type,
        "created_at": int(r.created_at),
        "expiration": str(r.expiration),
        "associate_trades": [f.trade_id for f in r.fills],
    }


def trade_json(t: PaperTrade, *, taker: bool) -> dict[str, Any]:
    """A trade as `GET /data/trades` prints it to its taker (`taker`) or its maker."""
    maker_side = "SELL" if t.side == "BUY" else "BUY"
    return {
        "id": t.trade_id,
        "taker_order_id": t.taker_order,
        "market": t.condition_id,
        "asset_id": t.token_id,
        "side": t.side,
        "size": fmt(t.size),
        "fee_rate_bps": str(t.fee_rate_bps),
        "price": fmt(t.price),
        "status": f"TRADE_STATUS_{t.status}",
        "match_time": str(t.match_time),
        "last_update": str(t.match_time),
        "outcome": t.outcome,
        "bucket_index": 0,
        "owner": t.taker_owner,
        "maker_address": t.taker_maker_address,
        "transaction_hash": t.transaction_hash,
        "trader_side": "TAKER" if taker else "MAKER",
        "maker_orders": [
            {
                "order_id": t.maker_order or "",
                "owner": t.maker_owner or "",
                "maker_address": t.maker_maker_address or "",
                "matched_amount": fmt(t.size),
                "price": fmt(t.price),
                "fee_rate_bps": "0",
                "asset_id": t.token_id,
                "outcome": t.outcome,
                "side": maker_side,
            }
        ],
    }
