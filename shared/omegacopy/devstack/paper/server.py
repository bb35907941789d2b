"""The paper exchange: a strict, in-process imitation of Polymarket's CLOB V2 for tests and local
runs, served over HTTP on loopback. This module is its face: the routes, the replies, the test API.

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

The parts: `auth` (who may call), `validate` (the order checks, in the documented order),
`engine` (books and matching), `ledger` (the ground truth), `faults` (switchable failures).

Every route is looked up before anything is authenticated: an unknown path is a 404, a public
read needs no headers, the API-key endpoints check L1, everything else L2 (401 otherwise).
Statuses are the documented, prefixed ones (`ORDER_STATUS_LIVE`, `TRADE_STATUS_MATCHED`, ...). An
unfilled FOK / FAK answers HTTP 400 {"error": ...} as documented (a batch item: success:false,
status "unmatched").

Markets end with `resolve_market(condition_id, winning_token_id)`: resting orders are cancelled
with `ORDER_STATUS_CANCELED_MARKET_RESOLVED`, the books are gone (404), new orders are refused, and
the shares stay where they are until `settle_market` (or `redeem`) pays $1 per winning share in
pUSD, as redemption on chain would. `enter_post_only_mode(seconds)` imitates the period after an
engine restart: non-post-only orders get the documented 503 (`code: post_only_mode`,
`retry_after_seconds`), or a per-item error in a batch. `rotate_credentials(eoa)` revokes an
account's API keys (they answer 401 from then on) and issues new ones.

Paper choices where the real behaviour is undocumented (the exchange wins where they differ):
the duplicate and the closed-market message wordings; marketable orders need $1 of notional
(limit orders need `min_size` shares); orders never match the same wallet's resting orders;
markets with `taker_delay` answer "delayed" but match at once; an expired GTD order reads
`ORDER_STATUS_CANCELED_EXPIRED_ORDER`; L2 timestamps are only checked when `auth_window_s` is set.
Fees: a market's `fee_rate_bps` is charged to the taker in pUSD on every match (the CTF
exchange's rate x min(price, 1 - price) x shares) and reported on the trade record
(`fee_rate_bps`; maker legs pay none); `fd` in `/clob-markets` is served as given, for the SDK's
estimates. `GET /balance-allowance` reports the pUSD allowance of each exchange contract
(unlimited unless `set_allowance` lowers it; orders are checked against the balance only).
`GET /api/geoblock` answers the documented `{blocked, ip, country, region}` (`set_geoblock`); the
real one lives on polymarket.com. Not modelled: complementary matching (a YES buy against a NO
buy through minting), on-chain settlement, server-side per-signer buckets.
"""

from __future__ import annotations

import base64
import contextlib
import copy
import json
import socket
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, Decimal
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Final, Literal
from urllib.parse import parse_qs, urlsplit

from eth_utils.address import to_checksum_address

from omegacopy.devstack.paper.auth import DIGITS, ERR_UNAUTHORIZED, ApiKeys, AuthRefusedError, PaperCredentials
from omegacopy.devstack.paper.engine import Engine, Level
from omegacopy.devstack.paper.faults import CANNED, FaultMode, FaultRule, Faults, html_page
from omegacopy.devstack.paper.ledger import (
    EXCHANGE_V2,
    EXCHANGE_V3,
    NEG_RISK_EXCHANGE_V2,
    POLYGON_CHAIN_ID,
    ROUNDING,
    UNIT,
    Ledger,
    LedgerOrder,
    PaperAccount,
    PaperMarket,
    PaperTrade,
    as_decimal,
    fmt,
    order_json,
    trade_json,
)
from omegacopy.devstack.paper.validate import ERR_PAYLOAD, Rejected, Venue, validate_order
from omegacopy.devstack.settable_clock import SettableClock

ERR_TOO_MANY: Final = "Too Many Requests"
ERR_NO_BOOK: Final = "No orderbook exists for the requested token id"
ERR_POST_ONLY_MODE: Final = "post-only mode: only post-only orders and cancels are allowed"
_MAX_BATCH: Final = 15
_MAX_READ_BATCH: Final = 500
_MAX_UINT256: Final = str(2**256 - 1)
Access = Literal["public", "l1", "l2"]


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    param: str  # what follows a prefix route's path ("" for an exact route)
    query: dict[str, str]
    headers: Message
    body: bytes
    account: PaperAccount | None = None  # L2 routes: the caller
    api_key: str = ""


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # exact, or a prefix ending in "/" (the rest is `Request.param`)
    access: Access
    handler: Callable[[Request], Reply]


@dataclass(frozen=True)
class RequestRecord:
    method: str
    path: str
    status: int | None  # None: connection dropped without a reply
    fault: str | None


# ------------------------------------------------------------------------------------------------
# Replies
# ------------------------------------------------------------------------------------------------
@dataclass
class Reply:
    status: int
    body: bytes
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0


class Drop:
    """Close the connection without writing a reply."""


def json_reply(payload: object, status: int = 200, headers: dict[str, str] | None = None) -> Reply:
    body = json.dumps(payload, separators=(",", ":")).encode()
    return Reply(status=status, body=body, headers=headers or {})


def error_reply(status: int, message: str) -> Reply:
    return json_reply({"error": message}, status)


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
    ) -> None:
        self.chain_id = chain_id
        # L2 timestamp window; None = not checked (the real window is undocumented; tests move the
        # server clock freely).
        self.auth_window_s = auth_window_s
        self.heartbeat_timeout_s = heartbeat_timeout_s
        self.trades_page_size = 100  # GET /data/trades page length (tests shrink it to page)
        # GET /api/geoblock (Polymarket serves it on polymarket.com, not the CLOB host; served here
        # so a local stack has one): the documented shape {blocked, ip, country, region}
        self.geoblock: dict[str, Any] = {"blocked": False, "ip": "127.0.0.1", "country": "IE", "region": "L"}
        self.clock = SettableClock()
        self.faults = Faults(seed)
        self.requests: Counter[str] = Counter()
        self.request_log: list[RequestRecord] = []
        self._lock = threading.RLock()
        self._ledger = Ledger()
        self._engine = Engine(self._ledger)
        self._keys = ApiKeys(self._ledger, chain_id)
        self._post_only_until: float | None = None
        self._routes = self._route_table()
        self._stopping = threading.Event()
        self._server: _PaperServer | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle ------------------------------------------------------------------------------
    def start(self, host: str = "127.0.0.1", port: int = 0) -> PaperExchange:
        if self._server is not None:
            raise RuntimeError("paper exchange already started")
        self._server = _PaperServer((host, port), self)
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
                pusd=as_decimal(pusd),
                positions={str(k): as_decimal(v) for k, v in (positions or {}).items()},
            )
            self._ledger.accounts[eoa_cs.lower()] = account
            self._ledger.wallet_owner[wallet.lower()] = eoa_cs.lower()
            return self._keys.existing(eoa_cs.lower(), 0) or self._keys.issue(eoa_cs.lower(), 0)

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
        fee_rate_bps: int = 0,
    ) -> PaperMarket:
        if len(tokens) != 2 or not all(isinstance(t, str) and DIGITS.fullmatch(t) for t in tokens):
            raise ValueError("tokens must be two decimal-string token ids")
        tick = as_decimal(tick_size)
        if tick not in ROUNDING:
            raise ValueError(f"unsupported tick size {tick}")
        if exchange_version not in (2, 3):
            raise ValueError("exchange_version must be 2 or 3")
        market = PaperMarket(
            condition_id=condition_id,
            tokens=(tokens[0], tokens[1]),
            tick_size=tick,
            neg_risk=neg_risk,
            min_size=as_decimal(min_size),
            exchange_version=exchange_version,
            fee_rate=as_decimal(fee_rate),
            fee_exponent=as_decimal(fee_exponent),
            outcomes=outcomes,
            taker_delay=taker_delay,
            fee_rate_bps=fee_rate_bps,
        )
        with self._lock:
            self._ledger.markets[condition_id] = market
            for token in market.tokens:
                self._ledger.token_market[token] = condition_id
                self._engine.open_book(token)
        return market

    def market(self, condition_id: str) -> PaperMarket:
        with self._lock:
            return self._ledger.markets[condition_id]

    def set_tick_size(self, condition_id: str, tick_size: Decimal | str) -> None:
        """Ticks change in real markets (prices near 0 or 1): lets tests move them."""
        tick = as_decimal(tick_size)
        if tick not in ROUNDING:
            raise ValueError(f"unsupported tick size {tick}")
        with self._lock:
            self._ledger.markets[condition_id].tick_size = tick

    def set_book(
        self,
        token_id: str,
        *,
        bids: Iterable[tuple[Decimal | str, Decimal | str]] = (),
        asks: Iterable[tuple[Decimal | str, Decimal | str]] = (),
    ) -> None:
        """Replace the seeded (anonymous) liquidity of a token; resting account orders stay."""
        sides: list[list[Level]] = []
        for side_levels in (bids, asks):
            levels: list[Level] = []
            for price, size in side_levels:
                p, s = as_decimal(price), as_decimal(size)
                if s <= 0 or not 0 < p < 1:
                    raise ValueError(f"bad level {price} x {size}")
                levels.append((p, s))
            sides.append(levels)
        with self._lock:
            if token_id not in self._ledger.token_market:
                raise KeyError(f"unknown token {token_id}")
            self._engine.set_levels(token_id, sides[0], sides[1])

    def ledger(self) -> list[LedgerOrder]:
        """Snapshot of every order the exchange accepted, oldest first."""
        with self._lock:
            self._engine.housekeeping(self.clock.now(), self.heartbeat_timeout_s)
            return [copy.deepcopy(o) for o in self._ledger.orders.values()]

    def trades(self) -> list[PaperTrade]:
        with self._lock:
            return [copy.deepcopy(t) for t in self._ledger.trades]

    def confirm_trades(self) -> None:
        """Settle every trade on "chain": MATCHED -> CONFIRMED."""
        with self._lock:
            for t in self._ledger.trades:
                t.status = "CONFIRMED"

    def balance(self, eoa: str) -> Decimal:
        with self._lock:
            return self._ledger.accounts[eoa.lower()].pusd

    def position(self, eoa: str, token_id: str) -> Decimal:
        with self._lock:
            return self._ledger.accounts[eoa.lower()].positions.get(token_id, Decimal(0))

    def set_balance(self, eoa: str, pusd: Decimal | str | int) -> None:
        with self._lock:
            self._ledger.accounts[eoa.lower()].pusd = as_decimal(pusd)

    def set_allowance(self, eoa: str, contract: str, amount: int | None) -> None:
        """The pUSD allowance `GET /balance-allowance` reports for one exchange contract (base
        units; None = unlimited again). Reported only: orders are checked against the balance."""
        with self._lock:
            allowances = self._ledger.accounts[eoa.lower()].allowances
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

    def resolve_market(self, condition_id: str, winning_token_id: str) -> list[str]:
        """The market resolves to `winning_token_id`: its resting orders are cancelled (status
        `ORDER_STATUS_CANCELED_MARKET_RESOLVED`), its books are gone (404) and new orders on it are
        refused. Balances do not move here: `settle_market` / `redeem` pay out. Returns the
        cancelled order hashes."""
        with self._lock:
            market = self._ledger.markets[condition_id]
            if winning_token_id not in market.tokens:
                raise ValueError(f"{winning_token_id} is not an outcome of {condition_id}")
            if market.resolved and market.winning_token != winning_token_id:
                raise ValueError(f"{condition_id} already resolved to {market.winning_token}")
            market.winning_token = winning_token_id
            return self._engine.close_market(market)

    def redeem(self, eoa: str, condition_id: str) -> Decimal:
        """One account's shares of a resolved market paid out: $1 per winning share into pUSD, every
        share of the market gone (what redeeming on chain does). Returns the pUSD credited."""
        with self._lock:
            market = self._ledger.markets[condition_id]
            if not market.resolved:
                raise ValueError(f"{condition_id} is not resolved")
            account = self._ledger.accounts[eoa.lower()]
            payout = Decimal(0)
            for token in market.tokens:
                shares = account.positions.pop(token, Decimal(0))
                if token == market.winning_token:
                    payout += shares
            account.pusd += payout
            return payout

    def settle_market(self, condition_id: str) -> dict[str, Decimal]:
        """`redeem` for every account holding shares of the market: {eoa: pUSD credited}."""
        with self._lock:
            market = self._ledger.markets[condition_id]
            holders = [a.eoa for a in self._ledger.accounts.values() if any(t in a.positions for t in market.tokens)]
            return {eoa: self.redeem(eoa, condition_id) for eoa in holders}

    def enter_post_only_mode(self, seconds: float) -> None:
        """The exchange accepts only post-only orders and cancels for `seconds` (as after a restart)."""
        with self._lock:
            self._post_only_until = self.clock.now() + seconds

    def rotate_credentials(self, eoa: str) -> PaperCredentials:
        """Every API key of `eoa` revoked (401 from now on); the new nonce-0 credentials."""
        with self._lock:
            return self._keys.rotate(eoa.lower())

    def last_trade_price(self, token_id: str) -> Decimal | None:
        with self._lock:
            return self._ledger.last_trade.get(token_id)

    # --- HTTP entry point -----------------------------------------------------------------------
    def handle(self, method: str, raw_path: str, headers: Message, body: bytes) -> Reply | Drop:
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
                result = error_reply(500, f"paper exchange internal error: {type(exc).__name__}: {exc}")
            if rule is not None:
                result = self._apply_processed_fault(rule, result)
        with self._lock:
            status = None if isinstance(result, Drop) else result.status
            self.request_log.append(RequestRecord(method, path, status, None if rule is None else rule.mode.value))
        return result

    def _fault_reply(self, rule: FaultRule) -> Reply | Drop:
        """The reply of a fault that pre-empts processing."""
        mode = rule.mode
        if mode is FaultMode.RATE_LIMITED:
            headers = {} if rule.retry_after is None else {"Retry-After": rule.retry_after}
            return json_reply({"error": ERR_TOO_MANY}, 429, headers)
        if mode is FaultMode.HTML_ERROR:
            status = rule.status or 502
            return Reply(status=status, body=html_page(status), content_type="text/html; charset=UTF-8")
        if mode in (FaultMode.DROP_BEFORE, FaultMode.DROP_AFTER_ACCEPT):
            return Drop()
        if mode in CANNED:
            status, message = CANNED[mode]
            reply = error_reply(rule.status or status, message)
            reply.delay_s = rule.delay_s if mode is FaultMode.SLOW else 0.0
            return reply
        return Reply(status=200, body=b'{"success":tr')  # TRUNCATED_JSON armed as not processed

    def _apply_processed_fault(self, rule: FaultRule, result: Reply | Drop) -> Reply | Drop:
        """The work happened (e.g. the order is booked); now spoil the reply."""
        mode = rule.mode
        if isinstance(result, Drop) or mode is FaultMode.DROP_AFTER_ACCEPT:
            return Drop()
        if mode is FaultMode.SLOW:
            result.delay_s = rule.delay_s
            return result
        if mode is FaultMode.TRUNCATED_JSON:
            return Reply(status=200, body=result.body[: max(1, len(result.body) // 2)], headers=result.headers)
        return self._fault_reply(rule)

    # --- routing --------------------------------------------------------------------------------
    def _route_table(self) -> tuple[dict[tuple[str, str], Route], list[Route]]:
        """(exact routes, prefix routes). Looked up before any authentication."""
        routes = [
            # public reads
            Route("GET", "/", "public", lambda r: json_reply("OK")),
            Route("GET", "/time", "public", lambda r: json_reply(int(self.clock.now()))),
            Route("GET", "/api/geoblock", "public", lambda r: json_reply(dict(self.geoblock))),
            Route("GET", "/clob-markets/", "public", lambda r: self._get_clob_market(r.param)),
            Route("GET", "/markets-by-token/", "public", lambda r: self._markets_by_token(r.param)),
            Route("GET", "/tick-size", "public", self._market_read),
            Route("GET", "/neg-risk", "public", self._market_read),
            Route("GET", "/fee-rate", "public", self._market_read),
            Route("GET", "/last-trade-price", "public", self._market_read),
            Route("GET", "/book", "public", self._book_read),
            Route("GET", "/midpoint", "public", self._book_read),
            Route("GET", "/price", "public", self._book_read),
            Route("GET", "/spread", "public", self._book_read),
            Route("POST", "/books", "public", self._batch_read),
            Route("POST", "/midpoints", "public", self._batch_read),
            Route("POST", "/prices", "public", self._batch_read),
            Route("POST", "/spreads", "public", self._batch_read),
            Route("POST", "/last-trades-prices", "public", self._batch_read),
            # API keys (L1)
            Route("GET", "/auth/derive-api-key", "l1", lambda r: self._l1(r.headers, create=False)),
            Route("POST", "/auth/api-key", "l1", lambda r: self._l1(r.headers, create=True)),
            # trading (L2)
            Route("POST", "/order", "l2", self._post_order),
            Route("POST", "/orders", "l2", self._post_orders),
            Route("GET", "/data/order/", "l2", self._get_order),
            Route("GET", "/data/orders", "l2", self._get_open_orders),
            Route("GET", "/data/trades", "l2", self._get_trades),
            Route("GET", "/balance-allowance", "l2", self._balance_allowance),
            Route("GET", "/balance-allowance/update", "l2", lambda r: json_reply({})),
            Route("POST", "/heartbeats", "l2", self._heartbeat),
            Route("POST", "/v1/heartbeats", "l2", self._heartbeat),
            Route("DELETE", "/order", "l2", self._cancel_one),
            Route("DELETE", "/orders", "l2", self._cancel_many),
            Route("DELETE", "/cancel-all", "l2", self._cancel_all),
            Route("DELETE", "/cancel-market-orders", "l2", self._cancel_market_orders),
            Route("GET", "/auth/api-keys", "l2", self._api_keys),
            Route("DELETE", "/auth/api-key", "l2", self._delete_api_key),
            Route("GET", "/auth/ban-status/closed-only", "l2", lambda r: json_reply({"closed_only": False})),
        ]
        exact = {(r.method, r.path): r for r in routes if not r.path.endswith("/") or r.path == "/"}
        prefixes = [r for r in routes if r.path.endswith("/") and r.path != "/"]
        return exact, prefixes

    def _find_route(self, method: str, path: str) -> tuple[Route, str] | None:
        exact, prefixes = self._routes
        route = exact.get((method, path))
        if route is not None:
            return route, ""
        for candidate in prefixes:
            if candidate.method == method and path.startswith(candidate.path) and len(path) > len(candidate.path):
                return candidate, path.removeprefix(candidate.path)
        return None

    def _route(self, method: str, path: str, query: dict[str, str], headers: Message, body: bytes) -> Reply:
        found = self._find_route(method, path)
        if found is None:
            return error_reply(404, "not found")  # before any authentication, like the real API
        route, param = found
        request = Request(method, path, param, query, headers, body)
        with self._lock:
            self._engine.housekeeping(self.clock.now(), self.heartbeat_timeout_s)
            if route.access == "l2":
                authed = self._keys.authenticate(
                    method, path, headers, body, now=self.clock.now(), window_s=self.auth_window_s
                )
                if authed is None:
                    return error_reply(401, ERR_UNAUTHORIZED)
                request = Request(method, path, param, query, headers, body, account=authed[0], api_key=authed[1])
            return route.handler(request)

    def _l1(self, headers: Message, *, create: bool) -> Reply:
        try:
            creds = self._keys.l1(headers, create=create)
        except AuthRefusedError as refused:
            return error_reply(refused.status, refused.message)
        return json_reply({"apiKey": creds.api_key, "secret": creds.secret, "passphrase": creds.passphrase})

    def _api_keys(self, r: Request) -> Reply:
        assert r.account is not None
        return json_reply({"apiKeys": self._keys.keys_of(r.account.eoa.lower())})

    def _delete_api_key(self, r: Request) -> Reply:
        self._keys.revoke(r.api_key)
        return json_reply("OK")

    # --- public reads ---------------------------------------------------------------------------
    def _get_clob_market(self, condition_id: str) -> Reply:
        market = self._ledger.markets.get(condition_id)
        if market is None:
            return error_reply(404, "market not found")
        return json_reply(
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

    def _markets_by_token(self, token: str) -> Reply:
        market = self._ledger.market_of(token)
        if market is None:
            return error_reply(404, "market not found")
        return json_reply(
            {
                "condition_id": market.condition_id,
                "primary_token_id": market.tokens[0],
                "secondary_token_id": market.tokens[1],
            }
        )

    def _token_market(self, r: Request) -> tuple[str, PaperMarket] | Reply:
        """The `?token_id=` of a read and its market, or the documented error."""
        token = r.query.get("token_id", "")
        if not DIGITS.fullmatch(token):
            return error_reply(400, "Invalid token id")
        market = self._ledger.market_of(token)
        return error_reply(404, ERR_NO_BOOK) if market is None else (token, market)

    def _market_read(self, r: Request) -> Reply:
        """What a token's market says, resolved or not: tick, neg risk, fee rate, last trade."""
        found = self._token_market(r)
        if isinstance(found, Reply):
            return found
        token, market = found
        reads: dict[str, Callable[[], object]] = {
            "/tick-size": lambda: {"minimum_tick_size": float(market.tick_size)},
            "/neg-risk": lambda: {"neg_risk": market.neg_risk},
            "/fee-rate": lambda: {"base_fee": market.fee_rate_bps},
            "/last-trade-price": lambda: self._last_trade(token),
        }
        return json_reply(reads[r.path]())

    def _book_read(self, r: Request) -> Reply:
        """Reads of a token's book: gone (404) once its market resolved."""
        found = self._token_market(r)
        if isinstance(found, Reply):
            return found
        token, market = found
        if market.resolved:
            return error_reply(404, ERR_NO_BOOK)
        bids, asks = self._engine.levels(token)
        if r.path == "/book":
            return json_reply(self._engine.book_json(market, token, now_ms=int(self.clock.now() * 1000)))
        return self._price_reply(r.path, r.query.get("side", ""), bids, asks)

    def _last_trade(self, token: str) -> dict[str, str]:
        """Documented: price "0.5" and side "" when the token never traded."""
        last = next((t for t in reversed(self._ledger.trades) if t.token_id == token), None)
        return {"price": "0.5", "side": ""} if last is None else {"price": fmt(last.price), "side": last.side}

    def _batch_read(self, r: Request) -> Reply:
        """The POST reads of many tokens: a body of [{"token_id": ..., ("side": ...)}]; tokens
        without a book are left out."""
        try:
            items = json.loads(r.body)
        except ValueError:
            return error_reply(400, "Invalid payload")
        if not isinstance(items, list) or not all(
            isinstance(i, dict) and isinstance(i.get("token_id"), str) and DIGITS.fullmatch(i["token_id"])
            for i in items
        ):
            return error_reply(400, "Invalid payload")
        if len(items) > _MAX_READ_BATCH:
            return error_reply(400, "Payload exceeds the limit")
        if r.path == "/prices" and any(i.get("side") not in ("BUY", "SELL") for i in items):
            return error_reply(400, "Invalid side")
        if r.path == "/last-trades-prices":
            known = [i["token_id"] for i in items if self._ledger.market_of(i["token_id"]) is not None]
            return json_reply([{"token_id": t, **self._last_trade(t)} for t in known])
        books: list[dict[str, Any]] = []
        out: dict[str, Any] = {}
        for item in items:
            token = item["token_id"]
            market = self._ledger.market_of(token)
            if market is None or market.resolved:
                continue
            bids, asks = self._engine.levels(token)
            if r.path == "/books":
                books.append(self._engine.book_json(market, token, now_ms=int(self.clock.now() * 1000)))
            elif r.path == "/prices" and (levels := bids if item["side"] == "BUY" else asks):
                out.setdefault(token, {})[item["side"]] = fmt(levels[-1][0])
            elif r.path != "/prices" and bids and asks:
                best_bid, best_ask = bids[-1][0], asks[-1][0]
                out[token] = fmt((best_bid + best_ask) / 2 if r.path == "/midpoints" else best_ask - best_bid)
        return json_reply(books if r.path == "/books" else out)

    @staticmethod
    def _price_reply(path: str, side: str, bids: list[Level], asks: list[Level]) -> Reply:
        if path in ("/midpoint", "/spread"):
            if not bids or not asks:
                return error_reply(404, ERR_NO_BOOK)
            best_bid, best_ask = bids[-1][0], asks[-1][0]
            if path == "/spread":
                return json_reply({"spread": fmt(best_ask - best_bid)})
            return json_reply({"mid": fmt((best_bid + best_ask) / 2)})
        if side not in ("BUY", "SELL"):
            return error_reply(400, "Invalid side")
        levels = bids if side == "BUY" else asks  # documented: BUY -> best bid, SELL -> best ask
        if not levels:
            return error_reply(404, ERR_NO_BOOK)
        return json_reply({"price": fmt(levels[-1][0])})

    # --- orders ---------------------------------------------------------------------------------
    def _post_only_mode_left(self) -> float | None:
        """Seconds of post-only mode left, or None outside it."""
        until = self._post_only_until
        left = None if until is None else until - self.clock.now()
        return left if left is not None and left > 0 else None

    def _post_order(self, r: Request) -> Reply:
        assert r.account is not None
        try:
            item = json.loads(r.body)
        except ValueError:
            return error_reply(400, ERR_PAYLOAD)
        left = self._post_only_mode_left()
        if left is not None and not (isinstance(item, dict) and item.get("postOnly") is True):
            payload = {"error": ERR_POST_ONLY_MODE, "code": "post_only_mode", "retry_after_seconds": int(left) + 1}
            return json_reply(payload, 503)
        try:
            reply = self._place(item, r.account, r.api_key)
        except Rejected as rej:
            return error_reply(rej.status, rej.message)  # an unfilled FOK / FAK too, as documented
        return json_reply(reply)

    def _post_orders(self, r: Request) -> Reply:
        assert r.account is not None
        try:
            items = json.loads(r.body)
        except ValueError:
            return error_reply(400, "Invalid payload")
        if not isinstance(items, list) or not items:
            return error_reply(400, "Invalid payload")
        if len(items) > _MAX_BATCH:
            return error_reply(400, f"Too many orders in payload, max {_MAX_BATCH}")
        post_only_mode = self._post_only_mode_left() is not None
        replies: list[dict[str, Any]] = []
        for item in items:
            try:
                if post_only_mode and not (isinstance(item, dict) and item.get("postOnly") is True):
                    raise Rejected(ERR_POST_ONLY_MODE)
                replies.append(self._place(item, r.account, r.api_key))
            except Rejected as rej:
                replies.append(self._failure_item(rej))  # batch: per-order HTTP-200 failures
        return json_reply(replies)

    @staticmethod
    def _failure_item(rej: Rejected) -> dict[str, Any]:
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

    def _place(self, item: object, account: PaperAccount, api_key: str) -> dict[str, Any]:
        now = self.clock.now()
        venue = Venue(self._ledger, self._engine.crosses, self.chain_id, now)
        c = validate_order(item, account, api_key, venue)
        return self._engine.execute(
            o=c.order,
            market=c.in_market,
            account=account,
            api_key=api_key,
            price=c.price,
            order_hash=c.order_hash,
            now=now,
        )

    # --- order reads, trades, balances, heartbeats, cancels --------------------------------------
    # An account's orders and trades are its own, whichever of its API keys placed them (a key
    # rotation must not hide them).
    def _get_order(self, r: Request) -> Reply:
        assert r.account is not None
        orders = self._ledger.orders
        record = orders.get(r.param) or orders.get(r.param.lower())
        if record is None or record.eoa != r.account.eoa:
            return error_reply(404, "order not found")
        return json_reply(order_json(record, self._ledger.markets[record.condition_id]))

    def _get_open_orders(self, r: Request) -> Reply:
        assert r.account is not None
        query, eoa = r.query, r.account.eoa
        rows = [
            order_json(o, self._ledger.markets[o.condition_id])
            for o in self._ledger.orders.values()
            if o.eoa == eoa
            and o.status == "live"
            and query.get("asset_id") in (None, o.token_id)
            and query.get("market") in (None, o.condition_id)
            and query.get("id") in (None, o.order_hash)
        ]
        return json_reply({"data": rows, "next_cursor": "LTE=", "limit": len(rows), "count": len(rows)})

    def _get_trades(self, r: Request) -> Reply:
        assert r.account is not None
        query, eoa = r.query, r.account.eoa
        rows: list[dict[str, Any]] = []
        for t in self._ledger.trades:
            if eoa not in (t.taker_eoa, t.maker_eoa):
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
            rows.append(trade_json(t, taker=eoa == t.taker_eoa))
        # cursor paging: the cursor is a base64 offset; "LTE=" (base64 "-1") means the end
        page_size = self.trades_page_size
        cursor = query.get("next_cursor") or ""
        try:
            offset = int(base64.b64decode(cursor).decode()) if cursor else 0
        except ValueError:
            return error_reply(400, "invalid next_cursor")
        page = rows[offset : offset + page_size]
        end = offset + page_size >= len(rows)
        next_cursor = "LTE=" if end else base64.b64encode(str(offset + page_size).encode()).decode()
        return json_reply({"data": page, "next_cursor": next_cursor, "limit": page_size, "count": len(page)})

    def _balance_allowance(self, r: Request) -> Reply:
        account, query = r.account, r.query
        assert account is not None
        asset_type = query.get("asset_type", "")
        if asset_type == "COLLATERAL":
            balance = account.pusd
        elif asset_type in ("CONDITIONAL", "CONDITIONAL-V2"):
            token = query.get("token_id", "")
            if not DIGITS.fullmatch(token):
                return error_reply(400, "Invalid token id")
            balance = account.positions.get(token, Decimal(0))
        else:
            return error_reply(400, "Invalid asset type")
        units = int((balance * UNIT).to_integral_value(rounding=ROUND_FLOOR))
        allowances = {
            contract: str(account.allowances.get(contract.lower(), _MAX_UINT256))
            for contract in (EXCHANGE_V2, NEG_RISK_EXCHANGE_V2, EXCHANGE_V3)
        }
        return json_reply({"balance": str(units), "allowances": allowances})

    def _heartbeat(self, r: Request) -> Reply:
        account = r.account
        assert account is not None
        try:
            payload = json.loads(r.body) if r.body else {}
        except ValueError:
            return error_reply(400, "Invalid payload")
        sent = payload.get("heartbeat_id", "") if isinstance(payload, dict) else None
        if not isinstance(sent, str):
            return error_reply(400, "Invalid payload")
        if account.heartbeat_id is not None and sent != account.heartbeat_id:
            return json_reply({"error_msg": "Invalid Heartbeat ID", "heartbeat_id": account.heartbeat_id}, 400)
        account.heartbeat_id = str(uuid.uuid4())
        account.heartbeat_at = self.clock.now()
        return json_reply({"heartbeat_id": account.heartbeat_id})

    def _cancel_reply(self, ids: Sequence[str], account: PaperAccount | None) -> Reply:
        assert account is not None
        canceled, not_canceled = self._engine.cancel(ids, account)
        return json_reply({"canceled": canceled, "not_canceled": not_canceled})

    def _cancel_one(self, r: Request) -> Reply:
        try:
            payload = json.loads(r.body)
        except ValueError:
            return error_reply(400, "Invalid payload")
        if not isinstance(payload, dict) or not isinstance(payload.get("orderID"), str):
            return error_reply(400, "Invalid payload")
        return self._cancel_reply([payload["orderID"]], r.account)

    def _cancel_many(self, r: Request) -> Reply:
        try:
            payload = json.loads(r.body)
        except ValueError:
            return error_reply(400, "Invalid payload")
        if not isinstance(payload, list) or not all(isinstance(x, str) for x in payload):
            return error_reply(400, "Invalid payload")
        return self._cancel_reply(payload, r.account)

    def _cancel_all(self, r: Request) -> Reply:
        assert r.account is not None
        eoa = r.account.eoa
        ids = [h for h, o in self._ledger.orders.items() if o.eoa == eoa and o.status == "live"]
        return self._cancel_reply(ids, r.account)

    def _cancel_market_orders(self, r: Request) -> Reply:
        """Every live order of the caller in a market and/or token (both optional: all of them)."""
        assert r.account is not None
        try:
            payload = json.loads(r.body) if r.body else {}
        except ValueError:
            return error_reply(400, "Invalid payload")
        if not isinstance(payload, dict) or not all(
            isinstance(payload.get(k, ""), str) for k in ("market", "asset_id")
        ):
            return error_reply(400, "Invalid payload")
        market, asset = payload.get("market"), payload.get("asset_id")
        eoa = r.account.eoa
        ids = [
            h
            for h, o in self._ledger.orders.items()
            if o.eoa == eoa and o.status == "live" and market in (None, o.condition_id) and asset in (None, o.token_id)
        ]
        return self._cancel_reply(ids, r.account)


# ------------------------------------------------------------------------------------------------
# HTTP plumbing
# ------------------------------------------------------------------------------------------------
class _PaperServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], exchange: PaperExchange) -> None:
        super().__init__(address, _PaperHandler)
        self.exchange = exchange

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # clients that time out and hang up are part of the fault tests


class _PaperHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like the real API behind its load balancer
    disable_nagle_algorithm = True  # headers and body go out as two writes: no 40 ms ACK stalls
    server: _PaperServer

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
        if isinstance(result, Drop):
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
) -> PaperExchange:
    """Start a paper exchange on loopback in a background thread (stop it, or use `with`)."""
    exchange = PaperExchange(
        chain_id=chain_id, seed=seed, auth_window_s=auth_window_s, heartbeat_timeout_s=heartbeat_timeout_s
    )
    return exchange.start(host, port)
