"""The paper exchange: a strict, in-process imitation of Polymarket's CLOB V2 for tests and local runs.

It is the test oracle of the order path, so it verifies everything *independently* of
`omegacopy.domain`: EIP-712 digests come from eth-account's generic typed-data encoder
(`encode_typed_data`) and signers are recovered with `Account.recover_message`, never through our
own hashing code — a bug in our digest cannot be mirrored here. HMAC (L2) and ClobAuth (L1) are
checked the same way, from the protocol text.

Test API::

    with start_paper_exchange(seed=7) as exchange:           # loopback HTTP server in a thread
        creds = exchange.add_account(eoa, signature_type=0, pusd=Decimal("100"),
                                     positions={token_id: Decimal("10")})   # -> PaperCredentials
        exchange.add_market(condition_id, tokens=[yes, no], tick_size="0.01", neg_risk=False,
                            min_size="5", exchange_version=2, fee_rate="0.02", fee_exponent="2")
        exchange.set_book(yes, bids=[("0.48", "100")], asks=[("0.52", "100")])
        exchange.faults.set(FaultMode.SLOW, count=1, delay_s=0.3, paths=["/order"])
        exchange.clock.shift(120)                              # the server's clock (GET /time, GTD)
        ... point a client at exchange.url ...
        exchange.ledger()             # ground truth: every order it accepted, with fills
        exchange.requests["/order"]   # HTTP requests per path (retry assertions)

Wallets: type 0 maker = signer = EOA; 1/2 maker = the registered funder (proxy / Safe), signer =
the EOA; 3 maker = signer = the deposit wallet, and the ERC-7739 envelope must recover to the EOA
registered for that wallet. The API key's EOA must control the order (else "the order signer
address has to be the address of the API KEY").

Order checks, in order: payload shape -> owner == API key -> market of the token -> signature
under the market's exchange domain -> duplicate hash -> wallet binding -> price on the tick grid
and inside [tick, 1 - tick] (maker/taker ratio; a market order may sit a rounding unit off) ->
precision (limit BUY taker <= 2 decimals; FOK/FAK BUY maker <= 2, taker <= 4; otherwise the
tick's amount decimals) -> minimum size -> expiration (GTD >= now + 180 s, else 0) -> post-only
-> balance net of open orders -> matching (best level first, at the resting price; FOK
all-or-nothing, FAK kills the rest, GTC/GTD rest at their price). Validation failures answer
HTTP 400 {"error": ...}; in a batch each failed order is an HTTP-200 item with success:false.

Paper choices where the real behaviour is undocumented (the exchange wins where they differ):
the duplicate message wording; marketable orders need $1 of notional (limit orders need
`min_size` shares); orders never match the same wallet's resting orders; FOK-killed /
FAK-nothing come back as HTTP 200 success:false status "unmatched" (or HTTP 400 with
`unmatched_style="error_400"`); markets with `taker_delay` answer "delayed" but match at once;
L2 timestamps are only checked when `auth_window_s` is set. `GET /balance-allowance` reports the
pUSD allowance of each exchange contract (unlimited unless `set_allowance` lowers it; orders are
checked against the balance only). `GET /api/geoblock` answers the documented
`{blocked, ip, country, region}` (`set_geoblock`); the real one lives on polymarket.com.
Not modelled: fees (served in `fd`, never charged), complementary matching (a YES buy against a
NO buy through minting), on-chain settlement, server-side per-signer buckets.
"""

from __future__ import annotations

import base64
import contextlib
import copy
import hashlib
import hmac
import json
import random
import re
import secrets
import socket
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, Context, Decimal, localcontext
from email.message import Message
from enum import StrEnum
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, NamedTuple
from urllib.parse import parse_qs, urlsplit

from eth_account import Account
from eth_account.messages import SignableMessage, encode_typed_data
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

# --- protocol constants (from the protocol page, restated here on purpose: no domain imports) ---
POLYGON_CHAIN_ID = 137
EXCHANGE_V2 = "0xE111180000d2663C0091e4f400237545B87B996B"
NEG_RISK_EXCHANGE_V2 = "0xe2222d279d744050d28e00520010520000310F59"
EXCHANGE_V3 = "0xe3333700cA9d93003F00f0F71f8515005F6c00Aa"
PUSD = "0xC011a7E12a19f7B1f670d46F03B03f3342E82DFB"

_EXCHANGE_NAME = "Polymarket CTF Exchange"
_ORDER_TYPE_STRING = (
    "Order(uint256 salt,address maker,address signer,uint256 tokenId,uint256 makerAmount,"
    "uint256 takerAmount,uint8 side,uint8 signatureType,uint256 timestamp,bytes32 metadata,"
    "bytes32 builder)"
)
_ORDER_FIELDS = [
    {"name": "salt", "type": "uint256"},
    {"name": "maker", "type": "address"},
    {"name": "signer", "type": "address"},
    {"name": "tokenId", "type": "uint256"},
    {"name": "makerAmount", "type": "uint256"},
    {"name": "takerAmount", "type": "uint256"},
    {"name": "side", "type": "uint8"},
    {"name": "signatureType", "type": "uint8"},
    {"name": "timestamp", "type": "uint256"},
    {"name": "metadata", "type": "bytes32"},
    {"name": "builder", "type": "bytes32"},
]
_DOMAIN_FIELDS = [
    {"name": "name", "type": "string"},
    {"name": "version", "type": "string"},
    {"name": "chainId", "type": "uint256"},
    {"name": "verifyingContract", "type": "address"},
]
_TYPED_DATA_SIGN_FIELDS = [
    {"name": "contents", "type": "Order"},
    {"name": "name", "type": "string"},
    {"name": "version", "type": "string"},
    {"name": "chainId", "type": "uint256"},
    {"name": "verifyingContract", "type": "address"},
    {"name": "salt", "type": "bytes32"},
]
_CLOB_AUTH_MESSAGE = "This message attests that I control the given wallet"
_BYTES32_ZERO = "0x" + "00" * 32
_SECP256K1_HALF_N = 0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0
_UNIT = Decimal(1_000_000)  # 6-decimal base units, shares and collateral alike
_MAX_BATCH = 15
_GTD_MIN_LEAD_S = 180
_GTD_SAFETY_S = 60  # the exchange expires a GTD order this long before its expiration
_MAX_UINT256 = str(2**256 - 1)

# (price decimals, size decimals, amount decimals) per tick size
_ROUNDING = {
    Decimal("0.1"): (1, 2, 3),
    Decimal("0.01"): (2, 2, 4),
    Decimal("0.005"): (3, 2, 5),
    Decimal("0.0025"): (4, 2, 6),
    Decimal("0.001"): (3, 2, 5),
    Decimal("0.0001"): (4, 2, 6),
}

# Error texts (the real ones where known; the SDK and client match on these substrings).
ERR_UNAUTHORIZED = "Unauthorized/Invalid api key"
ERR_L1 = "Invalid L1 Request headers"
ERR_PAYLOAD = "Invalid order payload"
ERR_OWNER = "the order owner has to be the owner of the API KEY"
ERR_SIGNER = "the order signer address has to be the address of the API KEY"
ERR_SIGNATURE = "invalid signature"
ERR_BALANCE = "not enough balance / allowance"
ERR_POST_ONLY_CROSSES = "invalid post-only order: order crosses book"
ERR_FOK = "order couldn't be fully filled. FOK orders are fully filled or killed."
ERR_FAK = "no orders found to match with FAK order. FAK orders are partially filled or killed if no match is found."
ERR_EXPIRATION = "invalid expiration"
ERR_TRADING_DISABLED = "Trading is currently disabled. Check polymarket.com for updates"
ERR_CANCEL_ONLY = "Trading is currently cancel-only. New orders are not accepted, but cancels are allowed."
ERR_TOO_MANY = "Too Many Requests"

_HEX_ADDRESS = re.compile(r"0[xX][0-9a-fA-F]{40}")
_HEX32 = re.compile(r"0x[0-9a-fA-F]{64}")
_DIGITS = re.compile(r"[0-9]+")
_HEX = re.compile(r"0x(?:[0-9a-fA-F]{2})+")

_ORDER_PATHS = frozenset({"/order", "/orders"})
_CANCEL_PATHS = frozenset({"/order", "/orders", "/cancel-all"})


def _high_precision() -> Context:
    return Context(prec=80)


def _units_to_decimal(units: int) -> Decimal:
    return Decimal(units) / _UNIT


def _fmt(value: Decimal) -> str:
    """Decimal as the API prints it: plain notation, no trailing zeros ("" never; "0" for zero)."""
    if value == 0:
        return "0"
    text = format(value.normalize(), "f")
    return text


def _decimals(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def _as_decimal(value: Decimal | str | int | float) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


# ------------------------------------------------------------------------------------------------
# Test-facing records
# ------------------------------------------------------------------------------------------------
class PaperCredentials(NamedTuple):
    """L2 credentials bound to one EOA (same field names as `omegacopy.domain.clob_auth.ApiCredentials`)."""

    api_key: str
    secret: str
    passphrase: str


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
    status: str = "live"  # live | matched | canceled | expired | killed
    placement_status: str = "live"  # what the POST reply said: live | matched | delayed
    filled_shares: Decimal = Decimal(0)
    filled_usd: Decimal = Decimal(0)
    fills: list[Fill] = field(default_factory=list)

    @property
    def original_shares(self) -> Decimal:
        units = self.taker_amount if self.side == "BUY" else self.maker_amount
        return _units_to_decimal(units)

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
    status: str = "MATCHED"


@dataclass(frozen=True)
class RequestRecord:
    method: str
    path: str
    status: int | None  # None: connection dropped without a reply
    fault: str | None


@dataclass
class _BookEntry:
    price: Decimal
    size: Decimal
    seq: int
    order_hash: str | None = None  # None: seeded liquidity with unlimited funds
    wallet: str | None = None


# ------------------------------------------------------------------------------------------------
# Faults
# ------------------------------------------------------------------------------------------------
class FaultMode(StrEnum):
    RATE_LIMITED = "rate_limited"  # 429 + Retry-After; not processed
    SERVER_ERROR = "server_error"  # 500 JSON; not processed unless processed=True
    BAD_GATEWAY = "bad_gateway"  # 502 JSON; not processed unless processed=True
    TRADING_DISABLED = "trading_disabled"  # 503 on order and cancel endpoints
    CANCEL_ONLY = "cancel_only"  # 503 on new orders only
    RESTARTING = "restarting"  # 425; not processed
    SLOW = "slow"  # processed; the reply is written after delay_s
    DROP_AFTER_ACCEPT = "drop_after_accept"  # processed; socket closed with no reply
    DROP_BEFORE = "drop_before"  # not processed; socket closed with no reply
    HTML_ERROR = "html_error"  # not processed; an HTML error page (status, default 502)
    TRUNCATED_JSON = "truncated_json"  # processed; 200 whose JSON body is cut short


_NOT_PROCESSED_BY_DEFAULT = frozenset(
    {
        FaultMode.RATE_LIMITED,
        FaultMode.SERVER_ERROR,
        FaultMode.BAD_GATEWAY,
        FaultMode.TRADING_DISABLED,
        FaultMode.CANCEL_ONLY,
        FaultMode.RESTARTING,
        FaultMode.DROP_BEFORE,
        FaultMode.HTML_ERROR,
    }
)


@dataclass
class FaultRule:
    mode: FaultMode
    count: int | None  # fire this many times, then retire; None with probability None: always
    probability: float | None
    paths: frozenset[str] | None  # exact paths, or prefixes ending in "*"; None: every path
    methods: frozenset[str] | None
    delay_s: float
    retry_after: str | None
    status: int | None
    processed: bool
    fired: int = 0

    def matches(self, method: str, path: str) -> bool:
        if self.methods is not None and method not in self.methods:
            return False
        if self.paths is None:
            return True
        return any(path.startswith(p[:-1]) if p.endswith("*") else path == p for p in self.paths)


class Faults:
    """Run-time switchable fault modes: `exchange.faults.set(FaultMode.SLOW, count=1, delay_s=0.3)`."""

    def __init__(self, seed: int | None = None) -> None:
        self._lock = threading.Lock()
        self._rules: dict[FaultMode, FaultRule] = {}
        self._rng = random.Random(seed)
        self.history: Counter[str] = Counter()

    def set(
        self,
        mode: FaultMode | str,
        *,
        count: int | None = None,
        probability: float | None = None,
        paths: Iterable[str] | None = None,
        methods: Iterable[str] | None = None,
        delay_s: float = 0.0,
        retry_after: float | str | None = 1,
        status: int | None = None,
        processed: bool | None = None,
        seed: int | None = None,
    ) -> FaultRule:
        """Arm (or re-arm) one fault mode. Without count and probability it fires on every match."""
        mode = FaultMode(mode)
        if probability is not None and not 0.0 <= probability <= 1.0:
            raise ValueError("probability must be within [0, 1]")
        if count is not None and count < 0:
            raise ValueError("count must be >= 0")
        if paths is None:
            default_paths = {
                FaultMode.TRADING_DISABLED: _CANCEL_PATHS,
                FaultMode.CANCEL_ONLY: _ORDER_PATHS,
            }.get(mode)
            path_set = default_paths
        else:
            path_set = frozenset(paths)
        if methods is None and mode is FaultMode.CANCEL_ONLY:
            method_set: frozenset[str] | None = frozenset({"POST"})
        elif methods is None and mode is FaultMode.TRADING_DISABLED:
            method_set = frozenset({"POST", "DELETE"})
        else:
            method_set = None if methods is None else frozenset(m.upper() for m in methods)
        rule = FaultRule(
            mode=mode,
            count=count,
            probability=probability,
            paths=path_set,
            methods=method_set,
            delay_s=delay_s,
            retry_after=None if retry_after is None else str(retry_after),
            status=status,
            processed=(mode not in _NOT_PROCESSED_BY_DEFAULT) if processed is None else processed,
        )
        with self._lock:
            if seed is not None:
                self._rng.seed(seed)
            self._rules[mode] = rule
        return rule

    def clear(self, mode: FaultMode | str | None = None) -> None:
        with self._lock:
            if mode is None:
                self._rules.clear()
            else:
                self._rules.pop(FaultMode(mode), None)

    def fired(self, mode: FaultMode | str) -> int:
        return self.history[FaultMode(mode).value]

    def pick(self, method: str, path: str) -> FaultRule | None:
        with self._lock:
            for mode, rule in list(self._rules.items()):
                if not rule.matches(method, path):
                    continue
                if rule.count is not None and rule.fired >= rule.count:
                    continue
                if rule.probability is not None and self._rng.random() >= rule.probability:
                    continue
                rule.fired += 1
                self.history[mode.value] += 1
                if rule.count is not None and rule.fired >= rule.count:
                    del self._rules[mode]
                return copy.copy(rule)
        return None


class ServerClock:
    """The exchange's clock: real time plus an offset, or frozen (`set`). Seconds, float."""

    def __init__(self) -> None:
        self._offset = 0.0
        self._frozen: float | None = None
        self._lock = threading.Lock()

    def now(self) -> float:
        with self._lock:
            return self._frozen if self._frozen is not None else time.time() + self._offset

    def set(self, timestamp_s: float) -> None:
        """Freeze the clock at `timestamp_s`."""
        with self._lock:
            self._frozen = float(timestamp_s)

    def shift(self, delta_s: float) -> None:
        """Move the clock (frozen or running) by `delta_s`."""
        with self._lock:
            if self._frozen is not None:
                self._frozen += delta_s
            else:
                self._offset += delta_s

    def unfreeze(self) -> None:
        with self._lock:
            if self._frozen is not None:
                self._offset = self._frozen - time.time()
            self._frozen = None


# ------------------------------------------------------------------------------------------------
# Replies
# ------------------------------------------------------------------------------------------------
@dataclass
class _Reply:
    status: int
    body: bytes
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0


class _Drop:
    """Close the connection without writing a reply."""


def _json_reply(payload: object, status: int = 200, headers: dict[str, str] | None = None) -> _Reply:
    body = json.dumps(payload, separators=(",", ":")).encode()
    return _Reply(status=status, body=body, headers=headers or {})


def _error(status: int, message: str) -> _Reply:
    return _json_reply({"error": message}, status)


class _Rejected(Exception):  # noqa: N818 - control flow inside the order pipeline, never escapes
    def __init__(self, message: str, order_hash: str = "", *, status: int = 400, unmatched: bool = False):
        super().__init__(message)
        self.message = message
        self.order_hash = order_hash
        self.status = status
        self.unmatched = unmatched  # a matching outcome (FOK killed, FAK nothing), not a validation


@dataclass
class _WireOrder:
    salt: int
    maker: str
    signer: str
    token_id: str
    maker_amount: int
    taker_amount: int
    side: str
    expiration: int
    signature_type: int
    timestamp: int
    metadata: str
    builder: str
    signature: bytes
    order_type: str
    post_only: bool
    owner: str


def _order_message(o: _WireOrder) -> dict[str, Any]:
    return {
        "salt": o.salt,
        "maker": o.maker,
        "signer": o.signer,
        "tokenId": int(o.token_id),
        "makerAmount": o.maker_amount,
        "takerAmount": o.taker_amount,
        "side": 0 if o.side == "BUY" else 1,
        "signatureType": o.signature_type,
        "timestamp": o.timestamp,
        "metadata": o.metadata,
        "builder": o.builder,
    }


def _exchange_domain(market: PaperMarket, chain_id: int) -> dict[str, Any]:
    return {
        "name": _EXCHANGE_NAME,
        "version": market.domain_version,
        "chainId": chain_id,
        "verifyingContract": market.exchange,
    }


def _digest(signable: SignableMessage) -> bytes:
    return keccak(b"\x19" + signable.version + signable.header + signable.body)


def _recover(signable: SignableMessage, sig65: bytes) -> str | None:
    """Recovered address, or None for a malformed / non-canonical signature (as the contracts do)."""
    if len(sig65) != 65 or sig65[64] not in (27, 28):
        return None
    if int.from_bytes(sig65[32:64], "big") > _SECP256K1_HALF_N:
        return None  # high-s: OpenZeppelin's ECDSA refuses malleable signatures
    try:
        return str(Account.recover_message(signable, signature=sig65))
    except Exception:
        return None


def _hmac_signature(secret: str, message: bytes) -> str:
    key = base64.urlsafe_b64decode(secret + "=" * (-len(secret) % 4))
    return base64.urlsafe_b64encode(hmac.new(key, message, hashlib.sha256).digest()).decode()


# ------------------------------------------------------------------------------------------------
# The exchange
# ------------------------------------------------------------------------------------------------
class PaperExchange:
    """State, rules and the HTTP server. Create with `start_paper_exchange()`."""

    def __init__(
        self,
        *,
        chain_id: int = POLYGON_CHAIN_ID,
        seed: int | None = None,
        auth_window_s: float | None = None,
        heartbeat_timeout_s: float = 10.0,
        unmatched_style: str = "success_false",
    ) -> None:
        self.chain_id = chain_id
        # L2 timestamp window; None = not checked (the real window is undocumented; tests move the
        # server clock freely).
        self.auth_window_s = auth_window_s
        self.heartbeat_timeout_s = heartbeat_timeout_s
        # How FOK-killed / FAK-nothing come back on POST /order: "success_false" (HTTP 200) or
        # "error_400" ({"error": ...}); both shapes are seen in the wild.
        if unmatched_style not in ("success_false", "error_400"):
            raise ValueError("unmatched_style must be 'success_false' or 'error_400'")
        self.unmatched_style = unmatched_style
        self.trades_page_size = 100  # GET /data/trades page length (tests shrink it to page)
        # GET /api/geoblock (Polymarket serves it on polymarket.com, not the CLOB host; served here
        # so a local stack has one): the documented shape {blocked, ip, country, region}
        self.geoblock: dict[str, Any] = {"blocked": False, "ip": "127.0.0.1", "country": "IE", "region": "L"}
        self.clock = ServerClock()
        self.faults = Faults(seed)
        self.requests: Counter[str] = Counter()
        self.request_log: list[RequestRecord] = []
        self._lock = threading.RLock()
        self._markets: dict[str, PaperMarket] = {}
        self._token_market: dict[str, str] = {}
        self._books: dict[str, list[_BookEntry]] = {}
        self._last_trade: dict[str, Decimal] = {}
        self._accounts: dict[str, PaperAccount] = {}  # eoa lower -> account
        self._wallet_owner: dict[str, str] = {}  # wallet lower -> eoa lower
        self._api_keys: dict[str, tuple[str, PaperCredentials]] = {}  # api key -> (eoa lower, creds)
        self._creds_by_nonce: dict[tuple[str, int], PaperCredentials] = {}
        self._orders: dict[str, LedgerOrder] = {}
        self._trades: list[PaperTrade] = []
        self._seq = 0
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle ------------------------------------------------------------------------------
    def start(self, host: str = "127.0.0.1", port: int = 0) -> PaperExchange:
        if self._server is not None:
            raise RuntimeError("paper exchange already started")
        self._server = _Server((host, port), self)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.name = f"paper-exchange:{self._server.server_address[1]}"
        self._thread.start()
        return self

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("paper exchange not started")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def stop(self) -> None:
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> PaperExchange:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- seeding (test API) ---------------------------------------------------------------------
    def add_account(
        self,
        eoa: str,
        *,
        funder: str | None = None,
        signature_type: int = 0,
        pusd: Decimal | str | int = 0,
        positions: Mapping[str, Decimal | str | int] | None = None,
    ) -> PaperCredentials:
        """Register a trader; returns L2 credentials bound to `eoa` (nonce 0).

        Type 0: maker = signer = the EOA. Types 1/2: `funder` is the proxy / Safe (maker), the EOA
        signs. Type 3: `funder` is the deposit wallet (maker = signer); the EOA signs the envelope.
        """
        if signature_type not in (0, 1, 2, 3):
            raise ValueError("signature_type must be 0, 1, 2 or 3")
        eoa_cs = to_checksum_address(eoa)
        if signature_type == 0:
            if funder is not None and funder.lower() != eoa_cs.lower():
                raise ValueError("an EOA account (type 0) trades from the EOA itself")
            wallet = eoa_cs
        else:
            if funder is None:
                raise ValueError(f"signature type {signature_type} needs the funder wallet")
            wallet = to_checksum_address(funder)
        with self._lock:
            account = PaperAccount(
                eoa=eoa_cs,
                wallet=wallet,
                signature_type=signature_type,
                pusd=_as_decimal(pusd),
                positions={str(k): _as_decimal(v) for k, v in (positions or {}).items()},
            )
            self._accounts[eoa_cs.lower()] = account
            self._wallet_owner[wallet.lower()] = eoa_cs.lower()
            existing = self._creds_by_nonce.get((eoa_cs.lower(), 0))
            return existing or self._issue_credentials(eoa_cs.lower(), 0)

    def add_market(
        self,
        condition_id: str,
        *,
        tokens: Sequence[str],
        tick_size: Decimal | str = Decimal("0.01"),
        neg_risk: bool = False,
        min_size: Decimal | str | int = Decimal("5"),
        exchange_version: int = 2,
        fee_rate: Decimal | str = Decimal("0"),
        fee_exponent: Decimal | str = Decimal("0"),
        outcomes: tuple[str, str] = ("Yes", "No"),
        taker_delay: bool = False,
    ) -> PaperMarket:
        if len(tokens) != 2 or not all(isinstance(t, str) and _DIGITS.fullmatch(t) for t in tokens):
            raise ValueError("tokens must be two decimal-string token ids")
        tick = _as_decimal(tick_size)
        if tick not in _ROUNDING:
            raise ValueError(f"unsupported tick size {tick}")
        if exchange_version not in (2, 3):
            raise ValueError("exchange_version must be 2 or 3")
        market = PaperMarket(
            condition_id=condition_id,
            tokens=(tokens[0], tokens[1]),
            tick_size=tick,
            neg_risk=neg_risk,
            min_size=_as_decimal(min_size),
            exchange_version=exchange_version,
            fee_rate=_as_decimal(fee_rate),
            fee_exponent=_as_decimal(fee_exponent),
            outcomes=outcomes,
            taker_delay=taker_delay,
        )
        with self._lock:
            self._markets[condition_id] = market
            for token in market.tokens:
                self._token_market[token] = condition_id
                self._books.setdefault(token, [])
        return market

    def market(self, condition_id: str) -> PaperMarket:
        with self._lock:
            return self._markets[condition_id]

    def set_tick_size(self, condition_id: str, tick_size: Decimal | str) -> None:
        """Ticks change in real markets (prices near 0 or 1): lets tests move them."""
        tick = _as_decimal(tick_size)
        if tick not in _ROUNDING:
            raise ValueError(f"unsupported tick size {tick}")
        with self._lock:
            self._markets[condition_id].tick_size = tick

    def set_book(
        self,
        token_id: str,
        *,
        bids: Iterable[tuple[Decimal | str, Decimal | str]] = (),
        asks: Iterable[tuple[Decimal | str, Decimal | str]] = (),
    ) -> None:
        """Replace the seeded (anonymous) liquidity of a token; resting account orders stay."""
        with self._lock:
            if token_id not in self._token_market:
                raise KeyError(f"unknown token {token_id}")
            kept = [e for e in self._books[token_id] if e.order_hash is not None]
            for side_levels, is_bid in ((bids, True), (asks, False)):
                for price, size in side_levels:
                    p, s = _as_decimal(price), _as_decimal(size)
                    if s <= 0 or not 0 < p < 1:
                        raise ValueError(f"bad level {price} x {size}")
                    # bids carry a negative sign internally so one list holds both sides
                    kept.append(_BookEntry(price=-p if is_bid else p, size=s, seq=self._next_seq()))
            self._books[token_id] = kept

    def ledger(self) -> list[LedgerOrder]:
        """Snapshot of every order the exchange accepted, oldest first."""
        with self._lock:
            self._housekeeping()
            return [copy.deepcopy(o) for o in self._orders.values()]

    def trades(self) -> list[PaperTrade]:
        with self._lock:
            return [copy.deepcopy(t) for t in self._trades]

    def confirm_trades(self) -> None:
        """Settle every trade on "chain": MATCHED -> CONFIRMED."""
        with self._lock:
            for t in self._trades:
                t.status = "CONFIRMED"

    def balance(self, eoa: str) -> Decimal:
        with self._lock:
            return self._accounts[eoa.lower()].pusd

    def position(self, eoa: str, token_id: str) -> Decimal:
        with self._lock:
            return self._accounts[eoa.lower()].positions.get(token_id, Decimal(0))

    def set_balance(self, eoa: str, pusd: Decimal | str | int) -> None:
        with self._lock:
            self._accounts[eoa.lower()].pusd = _as_decimal(pusd)

    def set_allowance(self, eoa: str, contract: str, amount: int | None) -> None:
        """The pUSD allowance `GET /balance-allowance` reports for one exchange contract (base
        units; None = unlimited again). Reported only: orders are checked against the balance."""
        with self._lock:
            allowances = self._accounts[eoa.lower()].allowances
            if amount is None:
                allowances.pop(contract.lower(), None)
            else:
                allowances[contract.lower()] = int(amount)

    def set_geoblock(self, *, blocked: bool, country: str = "IE", region: str = "L") -> None:
        with self._lock:
            self.geoblock = {"blocked": blocked, "ip": "127.0.0.1", "country": country, "region": region}

    def reset_counters(self) -> None:
        with self._lock:
            self.requests.clear()
            self.request_log.clear()

    # --- internals ------------------------------------------------------------------------------
    def _next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def _issue_credentials(self, eoa_lower: str, nonce: int) -> PaperCredentials:
        creds = PaperCredentials(
            api_key=str(uuid.uuid4()),
            secret=base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
            passphrase=secrets.token_hex(32),
        )
        self._api_keys[creds.api_key] = (eoa_lower, creds)
        self._creds_by_nonce[(eoa_lower, nonce)] = creds
        return creds

    def _housekeeping(self) -> None:
        """Lazy time-driven effects: GTD expiry and heartbeat-timeout cancels."""
        now = self.clock.now()
        for order in self._orders.values():
            if order.status == "live" and order.order_type == "GTD" and now >= order.expiration - _GTD_SAFETY_S:
                order.status = "expired"
                self._unbook(order.order_hash)
        for account in self._accounts.values():
            if account.heartbeat_at is not None and now - account.heartbeat_at > self.heartbeat_timeout_s:
                account.heartbeat_at = None
                account.heartbeat_id = None
                for order in self._orders.values():
                    if order.eoa == account.eoa and order.status == "live":
                        order.status = "canceled"
                        self._unbook(order.order_hash)

    def _unbook(self, order_hash: str) -> None:
        for token, entries in self._books.items():
            self._books[token] = [e for e in entries if e.order_hash != order_hash]

    # --- HTTP entry point -----------------------------------------------------------------------
    def handle(self, method: str, raw_path: str, headers: Message, body: bytes) -> _Reply | _Drop:
        parts = urlsplit(raw_path)
        path = parts.path
        query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        with self._lock:
            self.requests[path] += 1
        rule = self.faults.pick(method, path)
        if rule is not None and not rule.processed:
            result = self._fault_reply(rule)
        else:
            try:
                result = self._route(method, path, query, headers, body)
            except Exception as exc:  # a bug here must surface as a 500, not a hung client
                result = _error(500, f"paper exchange internal error: {type(exc).__name__}: {exc}")
            if rule is not None:
                result = self._apply_processed_fault(rule, result)
        with self._lock:
            status = None if isinstance(result, _Drop) else result.status
            self.request_log.append(RequestRecord(method, path, status, None if rule is None else rule.mode.value))
        return result

    def _fault_reply(self, rule: FaultRule) -> _Reply | _Drop:
        """The reply of a fault that pre-empts processing."""
        mode = rule.mode
        if mode is FaultMode.RATE_LIMITED:
            headers = {} if rule.retry_after is None else {"Retry-After": rule.retry_after}
            return _json_reply({"error": ERR_TOO_MANY}, 429, headers)
        if mode in (FaultMode.HTML_ERROR, FaultMode.DROP_BEFORE, FaultMode.DROP_AFTER_ACCEPT):
            return self._html(rule.status or 502) if mode is FaultMode.HTML_ERROR else _Drop()
        canned = {
            FaultMode.SERVER_ERROR: (500, "could not run the execution"),
            FaultMode.BAD_GATEWAY: (502, "bad gateway"),
            FaultMode.TRADING_DISABLED: (503, ERR_TRADING_DISABLED),
            FaultMode.CANCEL_ONLY: (503, ERR_CANCEL_ONLY),
            FaultMode.RESTARTING: (425, "the exchange is restarting, please retry"),
            FaultMode.SLOW: (504, "timeout"),
        }
        if mode in canned:
            status, message = canned[mode]
            reply = _error(rule.status or status, message)
            reply.delay_s = rule.delay_s if mode is FaultMode.SLOW else 0.0
            return reply
        return _Reply(status=200, body=b'{"success":tr')  # TRUNCATED_JSON armed as not processed

    def _apply_processed_fault(self, rule: FaultRule, result: _Reply | _Drop) -> _Reply | _Drop:
        """The work happened (e.g. the order is booked); now spoil the reply."""
        mode = rule.mode
        if isinstance(result, _Drop) or mode is FaultMode.DROP_AFTER_ACCEPT:
            return _Drop()
        if mode is FaultMode.SLOW:
            result.delay_s = rule.delay_s
            return result
        if mode is FaultMode.TRUNCATED_JSON:
            return _Reply(status=200, body=result.body[: max(1, len(result.body) // 2)], headers=result.headers)
        return self._fault_reply(rule)

    @staticmethod
    def _html(status: int) -> _Reply:
        page = (
            f"<!DOCTYPE html><html><head><title>{status} Error</title></head>"
            f"<body><h1>{status}</h1><p>The upstream server returned an error.</p></body></html>"
        )
        return _Reply(status=status, body=page.encode(), content_type="text/html; charset=UTF-8")

    # --- routing --------------------------------------------------------------------------------
    def _route(self, method: str, path: str, query: dict[str, str], headers: Message, body: bytes) -> _Reply:
        with self._lock:
            self._housekeeping()
        public = self._public_route(method, path, query, headers)
        if public is not None:
            return public
        authed = self._authenticate(method, path, headers, body)
        if authed is None:
            return _error(401, ERR_UNAUTHORIZED)
        account, api_key = authed
        routes: dict[tuple[str, str], Callable[[], _Reply]] = {
            ("POST", "/order"): lambda: self._post_order(body, account, api_key),
            ("POST", "/orders"): lambda: self._post_orders(body, account, api_key),
            ("GET", "/data/orders"): lambda: self._get_open_orders(query, api_key),
            ("GET", "/data/trades"): lambda: self._get_trades(query, api_key),
            ("GET", "/balance-allowance"): lambda: self._balance_allowance(query, account),
            ("GET", "/balance-allowance/update"): lambda: _json_reply({}),
            ("POST", "/heartbeats"): lambda: self._heartbeat(body, account),
            ("POST", "/v1/heartbeats"): lambda: self._heartbeat(body, account),
            ("DELETE", "/order"): lambda: self._cancel(body, account, single=True),
            ("DELETE", "/orders"): lambda: self._cancel(body, account, single=False),
            ("DELETE", "/cancel-all"): lambda: self._cancel_all(account),
        }
        with self._lock:
            if method == "GET" and path.startswith("/data/order/"):
                return self._get_order(path.removeprefix("/data/order/"), api_key)
            route = routes.get((method, path))
            return route() if route is not None else _error(404, "not found")

    def _public_route(self, method: str, path: str, query: dict[str, str], headers: Message) -> _Reply | None:
        if method == "GET" and path.startswith("/clob-markets/"):
            return self._get_clob_market(path.removeprefix("/clob-markets/"))
        if method == "GET" and path in ("/tick-size", "/neg-risk", "/book", "/midpoint", "/price"):
            return self._public_token_read(path, query)
        routes: dict[tuple[str, str], Callable[[], _Reply]] = {
            ("GET", "/"): lambda: _json_reply("OK"),
            ("GET", "/time"): lambda: _json_reply(int(self.clock.now())),
            ("GET", "/api/geoblock"): lambda: _json_reply(dict(self.geoblock)),
            ("GET", "/auth/derive-api-key"): lambda: self._l1(headers, create=False),
            ("POST", "/auth/api-key"): lambda: self._l1(headers, create=True),
        }
        route = routes.get((method, path))
        return None if route is None else route()

    # --- auth -----------------------------------------------------------------------------------
    def _authenticate(self, method: str, path: str, headers: Message, body: bytes) -> tuple[PaperAccount, str] | None:
        """(account, api key) for valid L2 headers, else None (-> 401)."""
        address = headers.get("POLY_ADDRESS") or ""
        signature = headers.get("POLY_SIGNATURE") or ""
        timestamp = headers.get("POLY_TIMESTAMP") or ""
        api_key = headers.get("POLY_API_KEY") or ""
        passphrase = headers.get("POLY_PASSPHRASE") or ""
        with self._lock:
            eoa_lower, creds = self._api_keys.get(api_key, ("", None))
            account = self._accounts.get(eoa_lower)
        if creds is None or account is None or not _DIGITS.fullmatch(timestamp):
            return None
        fresh = self.auth_window_s is None or abs(self.clock.now() - int(timestamp)) <= self.auth_window_s
        expected = _hmac_signature(creds.secret, f"{timestamp}{method}{path}".encode() + body)
        valid = (
            fresh
            and address.lower() == eoa_lower
            and hmac.compare_digest(passphrase.encode(), creds.passphrase.encode())
            and hmac.compare_digest(signature.encode(), expected.encode())
        )
        return (account, api_key) if valid else None

    def _l1(self, headers: Message, *, create: bool) -> _Reply:
        address = headers.get("POLY_ADDRESS") or ""
        signature = headers.get("POLY_SIGNATURE") or ""
        timestamp = headers.get("POLY_TIMESTAMP") or ""
        nonce_text = headers.get("POLY_NONCE") or "0"
        if not (_HEX_ADDRESS.fullmatch(address) and _HEX.fullmatch(signature)):
            return _error(401, ERR_L1)
        if not (_DIGITS.fullmatch(timestamp) and _DIGITS.fullmatch(nonce_text)):
            return _error(401, ERR_L1)
        typed = {
            "types": {
                "EIP712Domain": [
                    {"name": "name", "type": "string"},
                    {"name": "version", "type": "string"},
                    {"name": "chainId", "type": "uint256"},
                ],
                "ClobAuth": [
                    {"name": "address", "type": "address"},
                    {"name": "timestamp", "type": "string"},
                    {"name": "nonce", "type": "uint256"},
                    {"name": "message", "type": "string"},
                ],
            },
            "primaryType": "ClobAuth",
            "domain": {"name": "ClobAuthDomain", "version": "1", "chainId": self.chain_id},
            "message": {
                "address": to_checksum_address(address),
                "timestamp": timestamp,
                "nonce": int(nonce_text),
                "message": _CLOB_AUTH_MESSAGE,
            },
        }
        recovered = _recover(encode_typed_data(full_message=typed), bytes.fromhex(signature[2:]))
        if recovered is None or recovered.lower() != address.lower():
            return _error(401, ERR_L1)
        key = (address.lower(), int(nonce_text))
        with self._lock:
            existing = self._creds_by_nonce.get(key)
            if create:
                if existing is not None:
                    return _error(400, "Could not create api key")
                if address.lower() not in self._accounts:
                    eoa = to_checksum_address(address)
                    self._accounts[address.lower()] = PaperAccount(eoa, eoa, 0, Decimal(0))
                    self._wallet_owner[address.lower()] = address.lower()
                creds = self._issue_credentials(address.lower(), int(nonce_text))
            else:
                if existing is None:
                    return _error(400, "Could not derive api key!")
                creds = existing
        return _json_reply({"apiKey": creds.api_key, "secret": creds.secret, "passphrase": creds.passphrase})

    # --- public reads ---------------------------------------------------------------------------
    def _get_clob_market(self, condition_id: str) -> _Reply:
        with self._lock:
            market = self._markets.get(condition_id)
            if market is None:
                return _error(404, "market not found")
            return _json_reply(
                {
                    "gst": None,
                    "r": {},
                    "t": [{"t": t, "o": o} for t, o in zip(market.tokens, market.outcomes, strict=True)],
                    "mos": float(market.min_size),
                    "mts": float(market.tick_size),
                    "mbf": 0,
                    "tbf": 0,
                    "rfqe": False,
                    **({"itode": True} if market.taker_delay else {}),
                    "ibce": False,
                    "fd": {"r": float(market.fee_rate), "e": float(market.fee_exponent), "to": True},
                    "oas": 0,
                    "nr": market.neg_risk,
                }
            )

    def _public_token_read(self, path: str, query: dict[str, str]) -> _Reply:
        token = query.get("token_id", "")
        if not _DIGITS.fullmatch(token):
            return _error(400, "Invalid token id")
        with self._lock:
            condition_id = self._token_market.get(token)
            if condition_id is None:
                return _error(404, "No orderbook exists for the requested token id")
            market = self._markets[condition_id]
            bids, asks = self._levels(token)
            if path == "/tick-size":
                return _json_reply({"minimum_tick_size": float(market.tick_size)})
            if path == "/neg-risk":
                return _json_reply({"neg_risk": market.neg_risk})
            if path == "/book":
                return self._book_reply(market, token, bids, asks)
            return self._price_reply(path, query.get("side", ""), bids, asks)

    @staticmethod
    def _price_reply(
        path: str, side: str, bids: list[tuple[Decimal, Decimal]], asks: list[tuple[Decimal, Decimal]]
    ) -> _Reply:
        if path == "/midpoint":
            if not bids or not asks:
                return _error(404, "No orderbook exists for the requested token id")
            return _json_reply({"mid": _fmt((bids[-1][0] + asks[-1][0]) / 2)})
        if side not in ("BUY", "SELL"):
            return _error(400, "Invalid side")
        levels = bids if side == "BUY" else asks  # documented: BUY -> best bid, SELL -> best ask
        if not levels:
            return _error(404, "No orderbook exists for the requested token id")
        return _json_reply({"price": _fmt(levels[-1][0])})

    def _levels(self, token: str) -> tuple[list[tuple[Decimal, Decimal]], list[tuple[Decimal, Decimal]]]:
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

    def _book_reply(
        self,
        market: PaperMarket,
        token: str,
        bids: list[tuple[Decimal, Decimal]],
        asks: list[tuple[Decimal, Decimal]],
    ) -> _Reply:
        levels = {
            "bids": [{"price": _fmt(p), "size": _fmt(s)} for p, s in bids],
            "asks": [{"price": _fmt(p), "size": _fmt(s)} for p, s in asks],
        }
        book_hash = hashlib.sha1(json.dumps(levels, sort_keys=True).encode(), usedforsecurity=False)
        last = self._last_trade.get(token)
        return _json_reply(
            {
                "market": market.condition_id,
                "asset_id": token,
                "timestamp": str(int(self.clock.now() * 1000)),
                "hash": book_hash.hexdigest(),
                **levels,
                "min_order_size": _fmt(market.min_size),
                "tick_size": _fmt(market.tick_size),
                "neg_risk": market.neg_risk,
                "last_trade_price": "" if last is None else _fmt(last),
            }
        )

    # --- orders ---------------------------------------------------------------------------------
    def _post_order(self, body: bytes, account: PaperAccount, api_key: str) -> _Reply:
        try:
            item = json.loads(body)
        except ValueError:
            return _error(400, ERR_PAYLOAD)
        try:
            reply = self._place(item, account, api_key)
        except _Rejected as rej:
            if rej.unmatched and self.unmatched_style == "success_false":
                return _json_reply(self._failure_item(rej))
            return _error(rej.status, rej.message)
        return _json_reply(reply)

    def _post_orders(self, body: bytes, account: PaperAccount, api_key: str) -> _Reply:
        try:
            items = json.loads(body)
        except ValueError:
            return _error(400, "Invalid payload")
        if not isinstance(items, list) or not items:
            return _error(400, "Invalid payload")
        if len(items) > _MAX_BATCH:
            return _error(400, f"Too many orders in payload, max {_MAX_BATCH}")
        replies: list[dict[str, Any]] = []
        for item in items:
            try:
                replies.append(self._place(item, account, api_key))
            except _Rejected as rej:
                replies.append(self._failure_item(rej))  # batch: per-order HTTP-200 failures
        return _json_reply(replies)

    @staticmethod
    def _failure_item(rej: _Rejected) -> dict[str, Any]:
        return {
            "success": False,
            "errorMsg": rej.message,
            "orderID": rej.order_hash,
            "status": "unmatched" if rej.unmatched else "",
            "makingAmount": "",
            "takingAmount": "",
            "tradeIDs": [],
            "transactionsHashes": [],
        }

    def _parse_wire(self, item: object) -> _WireOrder:
        if not isinstance(item, dict):
            raise _Rejected(ERR_PAYLOAD)
        order = item.get("order")
        owner = item.get("owner")
        order_type = item.get("orderType")
        post_only = item.get("postOnly", False)
        defer = item.get("deferExec", False)
        if not isinstance(order, dict) or not isinstance(owner, str):
            raise _Rejected(ERR_PAYLOAD)
        if order_type not in ("GTC", "GTD", "FOK", "FAK"):
            raise _Rejected(f"{ERR_PAYLOAD}: invalid orderType")
        if type(post_only) is not bool or type(defer) is not bool:
            raise _Rejected(ERR_PAYLOAD)

        def string_field(name: str, pattern: re.Pattern[str]) -> str:
            value = order.get(name)
            if not isinstance(value, str) or pattern.fullmatch(value) is None:
                raise _Rejected(f"{ERR_PAYLOAD}: {name}")
            return value

        salt = order.get("salt")
        # The salt is a JSON number < 2^53 (JavaScript clients); bools are ints in Python: refuse.
        if type(salt) is not int or not 0 <= salt < 2**53:
            raise _Rejected(f"{ERR_PAYLOAD}: salt")
        signature_type = order.get("signatureType")
        if type(signature_type) is not int or signature_type not in (0, 1, 2, 3):
            raise _Rejected(f"{ERR_PAYLOAD}: signatureType")
        side = order.get("side")
        if side not in ("BUY", "SELL"):
            raise _Rejected(f"{ERR_PAYLOAD}: side")
        maker_amount = int(string_field("makerAmount", _DIGITS))
        taker_amount = int(string_field("takerAmount", _DIGITS))
        if maker_amount <= 0 or taker_amount <= 0:
            raise _Rejected(f"{ERR_PAYLOAD}: amounts must be positive")
        signature = string_field("signature", _HEX)
        return _WireOrder(
            salt=salt,
            maker=to_checksum_address(string_field("maker", _HEX_ADDRESS)),
            signer=to_checksum_address(string_field("signer", _HEX_ADDRESS)),
            token_id=string_field("tokenId", _DIGITS),
            maker_amount=maker_amount,
            taker_amount=taker_amount,
            side=side,
            expiration=int(string_field("expiration", _DIGITS)),
            signature_type=signature_type,
            timestamp=int(string_field("timestamp", _DIGITS)),
            metadata=string_field("metadata", _HEX32),
            builder=string_field("builder", _HEX32),
            signature=bytes.fromhex(signature[2:]),
            order_type=order_type,
            post_only=post_only,
            owner=owner,
        )

    def _verify_signature(self, o: _WireOrder, market: PaperMarket) -> str:
        """Order hash (0x-hex) if the signature is valid for this market's exchange, else raise."""
        domain = _exchange_domain(market, self.chain_id)
        message = _order_message(o)
        order_typed = {
            "types": {"EIP712Domain": _DOMAIN_FIELDS, "Order": _ORDER_FIELDS},
            "primaryType": "Order",
            "domain": domain,
            "message": message,
        }
        signable = encode_typed_data(full_message=order_typed)
        order_hash = "0x" + _digest(signable).hex()
        if o.signature_type in (0, 1, 2):
            recovered = _recover(signable, o.signature)
            if recovered is None or recovered.lower() != o.signer.lower():
                raise _Rejected(ERR_SIGNATURE, order_hash)
            return order_hash
        # Type 3 (ERC-7739): sig65 ‖ appDomainSeparator ‖ contentsHash ‖ contentsType ‖ uint16 len
        sig = o.signature
        if len(sig) < 65 + 64 + 2:
            raise _Rejected(ERR_SIGNATURE, order_hash)
        type_len = int.from_bytes(sig[-2:], "big")
        if len(sig) != 65 + 64 + type_len + 2:
            raise _Rejected(ERR_SIGNATURE, order_hash)
        app_domain, contents_hash = sig[65:97], sig[97:129]
        contents_type = sig[129 : 129 + type_len]
        if (
            app_domain != signable.header
            or contents_hash != signable.body
            or contents_type != _ORDER_TYPE_STRING.encode()
        ):
            raise _Rejected(ERR_SIGNATURE, order_hash)
        envelope = {
            "types": {
                "EIP712Domain": _DOMAIN_FIELDS,
                "Order": _ORDER_FIELDS,
                "TypedDataSign": _TYPED_DATA_SIGN_FIELDS,
            },
            "primaryType": "TypedDataSign",
            "domain": domain,
            "message": {
                "contents": message,
                "name": "DepositWallet",
                "version": "1",
                "chainId": self.chain_id,
                "verifyingContract": o.signer,
                "salt": _BYTES32_ZERO,
            },
        }
        recovered = _recover(encode_typed_data(full_message=envelope), sig[:65])
        owner = self._wallet_owner.get(o.signer.lower())
        account = None if owner is None else self._accounts.get(owner)
        if (
            recovered is None
            or account is None
            or account.signature_type != 3
            or recovered.lower() != account.eoa.lower()
        ):
            raise _Rejected(ERR_SIGNATURE, order_hash)
        return order_hash

    def _place(self, item: object, account: PaperAccount, api_key: str) -> dict[str, Any]:
        o = self._parse_wire(item)
        if o.owner != api_key:
            raise _Rejected(ERR_OWNER)
        condition_id = self._token_market.get(o.token_id)
        if condition_id is None:
            raise _Rejected(f"{ERR_PAYLOAD}: unknown tokenId")
        market = self._markets[condition_id]
        order_hash = self._verify_signature(o, market)
        if order_hash in self._orders:
            # Paper choice of wording; clients should match "duplicat" / "already".
            raise _Rejected(
                f"order {order_hash} is invalid. Duplicated: an identical order has already been placed",
                order_hash,
            )
        # Who may trade for whom: the API key's EOA controls the order.
        if o.signature_type != account.signature_type:
            raise _Rejected(f"invalid signature type {o.signature_type} for this account", order_hash)
        expected_signer = account.wallet if o.signature_type == 3 else account.eoa
        if o.signer.lower() != expected_signer.lower():
            raise _Rejected(ERR_SIGNER, order_hash)
        if o.maker.lower() != account.wallet.lower():
            raise _Rejected(f"invalid maker address {o.maker} for this account", order_hash)

        price = self._check_price(o, market, order_hash)
        self._check_precision(o, market, order_hash)
        self._check_size(o, market, price, order_hash)
        self._check_expiration(o, order_hash)
        if o.post_only:
            if o.order_type not in ("GTC", "GTD"):
                raise _Rejected("invalid post-only order: only GTC and GTD orders can be post-only", order_hash)
            if self._crosses(o, price, account):
                raise _Rejected(ERR_POST_ONLY_CROSSES, order_hash)
        self._check_balance(o, account, order_hash)
        return self._execute(o=o, market=market, account=account, api_key=api_key, price=price, order_hash=order_hash)

    def _check_price(self, o: _WireOrder, market: PaperMarket, order_hash: str) -> Decimal:
        tick = market.tick_size
        maker = _units_to_decimal(o.maker_amount)
        taker = _units_to_decimal(o.taker_amount)
        with localcontext(_high_precision()):
            implied = maker / taker if o.side == "BUY" else taker / maker
            grid = (implied / tick).to_integral_value() * tick
            if o.order_type in ("GTC", "GTD"):
                on_grid = implied == grid
            else:
                # Market orders: the SDK rounds the derived amount to the tick's amount decimals
                # (taker for BUY), so maker/taker sits a hair off the grid. Accept exactly that much.
                tolerance = Decimal(10) ** -_ROUNDING[tick][2]
                collateral, shares = (maker, taker) if o.side == "BUY" else (taker, maker)
                on_grid = abs(grid * shares - collateral) <= tolerance
        if not on_grid or not tick <= grid <= 1 - tick:
            raise _Rejected(
                f"order {order_hash} is invalid. Price ({_fmt(implied.quantize(Decimal('1e-8')))}) "
                f"breaks minimum tick size rule: {_fmt(tick)}",
                order_hash,
            )
        # Matching uses the signed ratio (a market BUY's is fractionally above the grid price).
        return implied

    def _check_precision(self, o: _WireOrder, market: PaperMarket, order_hash: str) -> None:
        maker_dec = _decimals(_units_to_decimal(o.maker_amount))
        taker_dec = _decimals(_units_to_decimal(o.taker_amount))
        amount_dec = _ROUNDING[market.tick_size][2]
        side = o.side.lower()
        if o.order_type in ("FOK", "FAK") and o.side == "BUY":
            # reported server rule, whatever the tick: maker <= 2, taker <= 4 decimals
            limits = (2, 4)
            label = "market buy"
        elif o.side == "BUY":
            limits = (amount_dec, 2)
            label = side
        else:
            limits = (2, amount_dec)
            label = "market sell" if o.order_type in ("FOK", "FAK") else side
        if maker_dec > limits[0] or taker_dec > limits[1]:
            raise _Rejected(
                f"invalid amounts, the {label} orders maker amount supports a max accuracy of "
                f"{limits[0]} decimals, taker amount a max of {limits[1]} decimals",
                order_hash,
            )

    def _check_size(self, o: _WireOrder, market: PaperMarket, price: Decimal, order_hash: str) -> None:
        shares = _units_to_decimal(o.taker_amount if o.side == "BUY" else o.maker_amount)
        if o.order_type in ("GTC", "GTD"):
            if shares < market.min_size:
                raise _Rejected(
                    f"order {order_hash} is invalid. Size ({_fmt(shares)}) lower than the minimum: "
                    f"{_fmt(market.min_size)}",
                    order_hash,
                )
            return
        # Paper choice: marketable orders need $1 of notional (the minimum the UI enforces).
        notional = _units_to_decimal(o.maker_amount if o.side == "BUY" else o.taker_amount)
        if notional < 1:
            raise _Rejected(
                f"order {order_hash} is invalid. Size ({_fmt(notional)}) lower than the minimum: 1",
                order_hash,
            )

    def _check_expiration(self, o: _WireOrder, order_hash: str) -> None:
        if o.order_type == "GTD":
            if o.expiration < self.clock.now() + _GTD_MIN_LEAD_S:
                raise _Rejected(ERR_EXPIRATION, order_hash)
        elif o.expiration != 0:
            raise _Rejected(ERR_EXPIRATION, order_hash)

    def _opposite(self, o: _WireOrder, wallet: str) -> list[_BookEntry]:
        """Resting entries the order could trade with, best first (own orders excluded)."""
        entries = [
            e
            for e in self._books.get(o.token_id, [])
            if (e.price > 0 if o.side == "BUY" else e.price < 0)
            and (e.wallet is None or e.wallet.lower() != wallet.lower())
        ]
        # asks ascending by price; bids stored negative, so ascending = highest bid first
        return sorted(entries, key=lambda e: (e.price, e.seq))

    def _crosses(self, o: _WireOrder, price: Decimal, account: PaperAccount) -> bool:
        opposite = self._opposite(o, account.wallet)
        if not opposite:
            return False
        best = abs(opposite[0].price)
        return best <= price if o.side == "BUY" else best >= price

    def _check_balance(self, o: _WireOrder, account: PaperAccount, order_hash: str) -> None:
        needed = _units_to_decimal(o.maker_amount)
        reserved = Decimal(0)
        for r in self._orders.values():
            if r.eoa != account.eoa or r.status != "live" or r.side != o.side:
                continue
            if o.side == "SELL" and r.token_id != o.token_id:
                continue
            if r.side == "BUY":
                reserved += _units_to_decimal(r.maker_amount) - r.filled_usd
            else:
                reserved += r.remaining_shares
        have = account.pusd if o.side == "BUY" else account.positions.get(o.token_id, Decimal(0))
        if have - reserved < needed:
            raise _Rejected(
                f"{ERR_BALANCE}: the balance is not enough -> balance: {_fmt(have - reserved)}, "
                f"order amount: {_fmt(needed)}",
                order_hash,
            )

    def _execute(
        self,
        *,
        o: _WireOrder,
        market: PaperMarket,
        account: PaperAccount,
        api_key: str,
        price: Decimal,
        order_hash: str,
    ) -> dict[str, Any]:
        marketable = o.order_type in ("FOK", "FAK")
        usd_mode = marketable and o.side == "BUY"  # a market BUY spends its maker amount
        budget = _units_to_decimal(o.maker_amount)
        target = _units_to_decimal(o.taker_amount if o.side == "BUY" else o.maker_amount)
        plan: list[tuple[_BookEntry, Decimal]] = []
        remaining = budget if usd_mode else target
        for entry in self._opposite(o, account.wallet):
            level = abs(entry.price)
            if (o.side == "BUY" and level > price) or (o.side == "SELL" and level < price):
                break
            if usd_mode:
                affordable = (remaining / level).quantize(Decimal("0.000001"), rounding=ROUND_FLOOR)
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
        complete = remaining < Decimal("0.000001") if usd_mode else remaining == 0
        if o.order_type == "FOK" and not complete:
            raise _Rejected(ERR_FOK, order_hash, unmatched=True)
        if o.order_type == "FAK" and not plan:
            raise _Rejected(ERR_FAK, order_hash, unmatched=True)

        now = self.clock.now()
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
        self._orders[order_hash] = record
        trade_ids: list[str] = []
        tx_hashes: list[str] = []
        for entry, take in plan:
            trade = self._fill(
                taker=record,
                taker_account=account,
                api_key=api_key,
                market=market,
                entry=entry,
                shares=take,
                now=now,
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
                _BookEntry(
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
            "makingAmount": "" if status == "delayed" or not plan else _fmt(making),
            "takingAmount": "" if status == "delayed" or not plan else _fmt(taking),
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
        entry: _BookEntry,
        shares: Decimal,
        now: float,
    ) -> PaperTrade:
        level = abs(entry.price)
        # settlement moves whole base units (6 decimals), like the chain does
        usd = (shares * level).quantize(Decimal("0.000001"))
        entry.size -= shares
        if entry.size <= 0:
            self._books[taker.token_id].remove(entry)
        token = taker.token_id
        buyer_delta = 1 if taker.side == "BUY" else -1
        taker_account.pusd -= buyer_delta * usd
        taker_account.positions[token] = taker_account.positions.get(token, Decimal(0)) + buyer_delta * shares
        taker.filled_shares += shares
        taker.filled_usd += usd
        maker_order = None if entry.order_hash is None else self._orders.get(entry.order_hash)
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
        )
        if maker_order is not None:
            maker_account = self._accounts[maker_order.eoa.lower()]
            maker_account.pusd += buyer_delta * usd
            maker_account.positions[token] = maker_account.positions.get(token, Decimal(0)) - buyer_delta * shares
            maker_order.filled_shares += shares
            maker_order.filled_usd += usd
            maker_order.fills.append(Fill(trade.trade_id, level, shares, usd, taker.order_hash))
            if maker_order.remaining_shares <= 0:
                maker_order.status = "matched"
        taker.fills.append(Fill(trade.trade_id, level, shares, usd, entry.order_hash))
        self._trades.append(trade)
        self._last_trade[token] = level
        return trade

    # --- order reads, trades, balances, heartbeats, cancels --------------------------------------
    def _order_json(self, r: LedgerOrder) -> dict[str, Any]:
        market = self._markets[r.condition_id]
        status = {"killed": "canceled"}.get(r.status, r.status).upper()
        return {
            "id": r.order_hash,
            "status": status,
            "owner": r.owner,
            "maker_address": r.maker,
            "market": r.condition_id,
            "asset_id": r.token_id,
            "side": r.side,
            "original_size": _fmt(r.original_shares),
            "size_matched": _fmt(r.filled_shares),
            "price": _fmt(r.price.quantize(Decimal("1e-8")).normalize()),
            "outcome": market.outcome_of(r.token_id),
            "order_type": r.order_type,
            "created_at": int(r.created_at),
            "expiration": str(r.expiration),
            "associate_trades": [f.trade_id for f in r.fills],
        }

    def _get_order(self, order_hash: str, api_key: str) -> _Reply:
        record = self._orders.get(order_hash) or self._orders.get(order_hash.lower())
        if record is None or record.owner != api_key:
            return _error(404, "order not found")
        return _json_reply(self._order_json(record))

    def _get_open_orders(self, query: dict[str, str], api_key: str) -> _Reply:
        rows = [
            self._order_json(r)
            for r in self._orders.values()
            if r.owner == api_key
            and r.status == "live"
            and query.get("asset_id") in (None, r.token_id)
            and query.get("market") in (None, r.condition_id)
            and query.get("id") in (None, r.order_hash)
        ]
        return _json_reply({"data": rows, "next_cursor": "LTE=", "limit": len(rows), "count": len(rows)})

    def _get_trades(self, query: dict[str, str], api_key: str) -> _Reply:
        rows: list[dict[str, Any]] = []
        for t in self._trades:
            if api_key not in (t.taker_owner, t.maker_owner):
                continue
            if query.get("id") not in (None, t.trade_id):
                continue
            if query.get("market") not in (None, t.condition_id):
                continue
            if query.get("asset_id") not in (None, t.token_id):
                continue
            if "after" in query and t.match_time <= int(query["after"] or 0):
                continue
            if "before" in query and t.match_time >= int(query["before"] or 0):
                continue
            maker_side = "SELL" if t.side == "BUY" else "BUY"
            rows.append(
                {
                    "id": t.trade_id,
                    "taker_order_id": t.taker_order,
                    "market": t.condition_id,
                    "asset_id": t.token_id,
                    "side": t.side,
                    "size": _fmt(t.size),
                    "fee_rate_bps": "0",
                    "price": _fmt(t.price),
                    "status": t.status,
                    "match_time": str(t.match_time),
                    "last_update": str(t.match_time),
                    "outcome": t.outcome,
                    "bucket_index": 0,
                    "owner": t.taker_owner,
                    "maker_address": t.taker_maker_address,
                    "transaction_hash": t.transaction_hash,
                    "trader_side": "TAKER" if api_key == t.taker_owner else "MAKER",
                    "maker_orders": [
                        {
                            "order_id": t.maker_order or "",
                            "owner": t.maker_owner or "",
                            "maker_address": t.maker_maker_address or "",
                            "matched_amount": _fmt(t.size),
                            "price": _fmt(t.price),
                            "fee_rate_bps": "0",
                            "asset_id": t.token_id,
                            "outcome": t.outcome,
                            "side": maker_side,
                        }
                    ],
                }
            )
        # cursor paging: the cursor is a base64 offset; "LTE=" (base64 "-1") means the end
        page_size = self.trades_page_size
        cursor = query.get("next_cursor") or ""
        try:
            offset = int(base64.b64decode(cursor).decode()) if cursor else 0
        except ValueError:
            return _error(400, "invalid next_cursor")
        page = rows[offset : offset + page_size]
        end = offset + page_size >= len(rows)
        next_cursor = "LTE=" if end else base64.b64encode(str(offset + page_size).encode()).decode()
        return _json_reply({"data": page, "next_cursor": next_cursor, "limit": page_size, "count": len(page)})

    def _balance_allowance(self, query: dict[str, str], account: PaperAccount) -> _Reply:
        asset_type = query.get("asset_type", "")
        if asset_type == "COLLATERAL":
            balance = account.pusd
        elif asset_type in ("CONDITIONAL", "CONDITIONAL-V2"):
            token = query.get("token_id", "")
            if not _DIGITS.fullmatch(token):
                return _error(400, "Invalid token id")
            balance = account.positions.get(token, Decimal(0))
        else:
            return _error(400, "Invalid asset type")
        units = int((balance * _UNIT).to_integral_value(rounding=ROUND_FLOOR))
        allowances = {
            contract: str(account.allowances.get(contract.lower(), _MAX_UINT256))
            for contract in (EXCHANGE_V2, NEG_RISK_EXCHANGE_V2, EXCHANGE_V3)
        }
        return _json_reply({"balance": str(units), "allowances": allowances})

    def _heartbeat(self, body: bytes, account: PaperAccount) -> _Reply:
        try:
            payload = json.loads(body) if body else {}
        except ValueError:
            return _error(400, "Invalid payload")
        sent = payload.get("heartbeat_id", "") if isinstance(payload, dict) else None
        if not isinstance(sent, str):
            return _error(400, "Invalid payload")
        if account.heartbeat_id is not None and sent != account.heartbeat_id:
            return _json_reply({"error_msg": "Invalid Heartbeat ID", "heartbeat_id": account.heartbeat_id}, 400)
        account.heartbeat_id = str(uuid.uuid4())
        account.heartbeat_at = self.clock.now()
        return _json_reply({"heartbeat_id": account.heartbeat_id})

    def _cancel_ids(self, ids: Sequence[str], account: PaperAccount) -> _Reply:
        canceled: list[str] = []
        not_canceled: dict[str, str] = {}
        for order_hash in ids:
            record = self._orders.get(order_hash)
            if record is None or record.eoa != account.eoa:
                not_canceled[order_hash] = "order not found"
            elif record.status != "live":
                not_canceled[order_hash] = f"order can't be canceled: {record.status}"
            else:
                record.status = "canceled"
                self._unbook(order_hash)
                canceled.append(order_hash)
        return _json_reply({"canceled": canceled, "not_canceled": not_canceled})

    def _cancel(self, body: bytes, account: PaperAccount, *, single: bool) -> _Reply:
        try:
            payload = json.loads(body)
        except ValueError:
            return _error(400, "Invalid payload")
        if single:
            if not isinstance(payload, dict) or not isinstance(payload.get("orderID"), str):
                return _error(400, "Invalid payload")
            return self._cancel_ids([payload["orderID"]], account)
        if not isinstance(payload, list) or not all(isinstance(x, str) for x in payload):
            return _error(400, "Invalid payload")
        return self._cancel_ids(payload, account)

    def _cancel_all(self, account: PaperAccount) -> _Reply:
        ids = [h for h, r in self._orders.items() if r.eoa == account.eoa and r.status == "live"]
        return self._cancel_ids(ids, account)


# ------------------------------------------------------------------------------------------------
# HTTP plumbing
# ------------------------------------------------------------------------------------------------
class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], exchange: PaperExchange) -> None:
        super().__init__(address, _Handler)
        self.exchange = exchange

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # clients that time out and hang up are part of the fault tests


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like the real API behind its load balancer
    disable_nagle_algorithm = True  # headers and body go out as two writes: no 40 ms ACK stalls
    server: _Server

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _dispatch(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        result = self.server.exchange.handle(method, self.path, self.headers, body)
        if isinstance(result, _Drop):
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        if result.delay_s > 0:
            self.server.exchange._stopping.wait(result.delay_s)
        try:
            self.send_response(result.status)
            for name, value in result.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Type", result.content_type)
            self.send_header("Content-Length", str(len(result.body)))
            self.end_headers()
            self.wfile.write(result.body)
            self.wfile.flush()
        except OSError:
            self.close_connection = True  # the client gave up (timeout): nothing to tell it


def start_paper_exchange(
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    chain_id: int = POLYGON_CHAIN_ID,
    seed: int | None = None,
    auth_window_s: float | None = None,
    heartbeat_timeout_s: float = 10.0,
    unmatched_style: str = "success_false",
) -> PaperExchange:
    """Start a paper exchange on loopback in a background thread (stop it, or use `with`)."""
    exchange = PaperExchange(
        chain_id=chain_id,
        seed=seed,
        auth_window_s=auth_window_s,
        heartbeat_timeout_s=heartbeat_timeout_s,
        unmatched_style=unmatched_style,
    )
    return exchange.start(host, port)


__all__ = [
    "EXCHANGE_V2",
    "EXCHANGE_V3",
    "NEG_RISK_EXCHANGE_V2",
    "POLYGON_CHAIN_ID",
    "PUSD",
    "FaultMode",
    "FaultRule",
    "Faults",
    "Fill",
    "LedgerOrder",
    "PaperAccount",
    "PaperCredentials",
    "PaperExchange",
    "PaperMarket",
    "PaperTrade",
    "RequestRecord",
    "ServerClock",
    "start_paper_exchange",
]
