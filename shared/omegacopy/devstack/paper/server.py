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
import json
import socket
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, Decimal
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Final
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
)
from omegacopy.devstack.paper.validate import ERR_PAYLOAD, Rejected, Venue, validate_order

ERR_TOO_MANY: Final = "Too Many Requests"
_MAX_BATCH: Final = 15
_MAX_UINT256: Final = str(2**256 - 1)


@dataclass(frozen=True)
class RequestRecord:
    method: str
    path: str
    status: int | None  # None: connection dropped without a reply
    fault: str | None


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
        self._ledger = Ledger()
        self._engine = Engine(self._ledger)
        self._keys = ApiKeys(self._ledger, chain_id)
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
    def _route(self, method: str, path: str, query: dict[str, str], headers: Message, body: bytes) -> Reply:
        with self._lock:
            self._engine.housekeeping(self.clock.now(), self.heartbeat_timeout_s)
        public = self._public_route(method, path, query, headers)
        if public is not None:
            return public
        with self._lock:
            authed = self._keys.authenticate(
                method, path, headers, body, now=self.clock.now(), window_s=self.auth_window_s
            )
        if authed is None:
            return error_reply(401, ERR_UNAUTHORIZED)
        account, api_key = authed
        routes: dict[tuple[str, str], Callable[[], Reply]] = {
            ("POST", "/order"): lambda: self._post_order(body, account, api_key),
            ("POST", "/orders"): lambda: self._post_orders(body, account, api_key),
            ("GET", "/data/orders"): lambda: self._get_open_orders(query, api_key),
            ("GET", "/data/trades"): lambda: self._get_trades(query, api_key),
            ("GET", "/balance-allowance"): lambda: self._balance_allowance(query, account),
            ("GET", "/balance-allowance/update"): lambda: json_reply({}),
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
            return route() if route is not None else error_reply(404, "not found")

    def _public_route(self, method: str, path: str, query: dict[str, str], headers: Message) -> Reply | None:
        if method == "GET" and path.startswith("/clob-markets/"):
            return self._get_clob_market(path.removeprefix("/clob-markets/"))
        if method == "GET" and path in ("/tick-size", "/neg-risk", "/book", "/midpoint", "/price"):
            return self._public_token_read(path, query)
        routes: dict[tuple[str, str], Callable[[], Reply]] = {
            ("GET", "/"): lambda: json_reply("OK"),
            ("GET", "/time"): lambda: json_reply(int(self.clock.now())),
            ("GET", "/api/geoblock"): lambda: json_reply(dict(self.geoblock)),
            ("GET", "/auth/derive-api-key"): lambda: self._l1(headers, create=False),
            ("POST", "/auth/api-key"): lambda: self._l1(headers, create=True),
        }
        route = routes.get((method, path))
        return None if route is None else route()

    def _l1(self, headers: Message, *, create: bool) -> Reply:
        with self._lock:
            try:
                creds = self._keys.l1(headers, create=create)
            except AuthRefusedError as refused:
                return error_reply(refused.status, refused.message)
        return json_reply({"apiKey": creds.api_key, "secret": creds.secret, "passphrase": creds.passphrase})

    # --- public reads ---------------------------------------------------------------------------
    def _get_clob_market(self, condition_id: str) -> Reply:
        with self._lock:
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

    def _public_token_read(self, path: str, query: dict[str, str]) -> Reply:
        token = query.get("token_id", "")
        if not DIGITS.fullmatch(token):
            return error_reply(400, "Invalid token id")
        with self._lock:
            market = self._ledger.market_of(token)
            if market is None:
                return error_reply(404, "No orderbook exists for the requested token id")
            bids, asks = self._engine.levels(token)
            if path == "/tick-size":
                return json_reply({"minimum_tick_size": float(market.tick_size)})
            if path == "/neg-risk":
                return json_reply({"neg_risk": market.neg_risk})
            if path == "/book":
                return self._book_reply(market, token, bids, asks)
            return self._price_reply(path, query.get("side", ""), bids, asks)

    @staticmethod
    def _price_reply(path: str, side: str, bids: list[Level], asks: list[Level]) -> Reply:
        if path == "/midpoint":
            if not bids or not asks:
                return error_reply(404, "No orderbook exists for the requested token id")
            return json_reply({"mid": fmt((bids[-1][0] + asks[-1][0]) / 2)})
        if side not in ("BUY", "SELL"):
            return error_reply(400, "Invalid side")
        levels = bids if side == "BUY" else asks  # documented: BUY -> best bid, SELL -> best ask
        if not levels:
            return error_reply(404, "No orderbook exists for the requested token id")
        return json_reply({"price": fmt(levels[-1][0])})

    def _book_reply(self, market: PaperMarket, token: str, bids: list[Level], asks: list[Level]) -> Reply:
        levels = {
            "bids": [{"price": fmt(p), "size": fmt(s)} for p, s in bids],
            "asks": [{"price": fmt(p), "size": fmt(s)} for p, s in asks],
        }
        book_hash = hashlib.sha1(json.dumps(levels, sort_keys=True).encode(), usedforsecurity=False)
        last = self._ledger.last_trade.get(token)
        return json_reply(
            {
                "market": market.condition_id,
                "asset_id": token,
                "timestamp": str(int(self.clock.now() * 1000)),
                "hash": book_hash.hexdigest(),
                **levels,
                "min_order_size": fmt(market.min_size),
                "tick_size": fmt(market.tick_size),
                "neg_risk": market.neg_risk,
                "last_trade_price": "" if last is None else fmt(last),
            }
        )

    # --- orders ---------------------------------------------------------------------------------
    def _post_order(self, body: bytes, account: PaperAccount, api_key: str) -> Reply:
        try:
            item = json.loads(body)
        except ValueError:
            return error_reply(400, ERR_PAYLOAD)
        try:
            reply = self._place(item, account, api_key)
        except Rejected as rej:
            if rej.unmatched and self.unmatched_style == "success_false":
                return json_reply(self._failure_item(rej))
            return error_reply(rej.status, rej.message)
        return json_reply(reply)

    def _post_orders(self, body: bytes, account: PaperAccount, api_key: str) -> Reply:
        try:
            items = json.loads(body)
        except ValueError:
            return error_reply(400, "Invalid payload")
        if not isinstance(items, list) or not items:
            return error_reply(400, "Invalid payload")
        if len(items) > _MAX_BATCH:
            return error_reply(400, f"Too many orders in payload, max {_MAX_BATCH}")
        replies: list[dict[str, Any]] = []
        for item in items:
            try:
                replies.append(self._place(item, account, api_key))
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
    def _order_json(self, r: LedgerOrder) -> dict[str, Any]:
        market = self._ledger.markets[r.condition_id]
        status = {"killed": "canceled"}.get(r.status, r.status).upper()
        return {
            "id": r.order_hash,
            "status": status,
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

    def _get_order(self, order_hash: str, api_key: str) -> Reply:
        orders = self._ledger.orders
        record = orders.get(order_hash) or orders.get(order_hash.lower())
        if record is None or record.owner != api_key:
            return error_reply(404, "order not found")
        return json_reply(self._order_json(record))

    def _get_open_orders(self, query: dict[str, str], api_key: str) -> Reply:
        rows = [
            self._order_json(r)
            for r in self._ledger.orders.values()
            if r.owner == api_key
            and r.status == "live"
            and query.get("asset_id") in (None, r.token_id)
            and query.get("market") in (None, r.condition_id)
            and query.get("id") in (None, r.order_hash)
        ]
        return json_reply({"data": rows, "next_cursor": "LTE=", "limit": len(rows), "count": len(rows)})

    def _get_trades(self, query: dict[str, str], api_key: str) -> Reply:
        rows: list[dict[str, Any]] = []
        for t in self._ledger.trades:
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
            rows.append(self._trade_json(t, api_key))
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

    @staticmethod
    def _trade_json(t: PaperTrade, api_key: str) -> dict[str, Any]:
        maker_side = "SELL" if t.side == "BUY" else "BUY"
        return {
            "id": t.trade_id,
            "taker_order_id": t.taker_order,
            "market": t.condition_id,
            "asset_id": t.token_id,
            "side": t.side,
            "size": fmt(t.size),
            "fee_rate_bps": "0",
            "price": fmt(t.price),
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
                    "matched_amount": fmt(t.size),
                    "price": fmt(t.price),
                    "fee_rate_bps": "0",
                    "asset_id": t.token_id,
                    "outcome": t.outcome,
                    "side": maker_side,
                }
            ],
        }

    def _balance_allowance(self, query: dict[str, str], account: PaperAccount) -> Reply:
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

    def _heartbeat(self, body: bytes, account: PaperAccount) -> Reply:
        try:
            payload = json.loads(body) if body else {}
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

    def _cancel_reply(self, ids: Sequence[str], account: PaperAccount) -> Reply:
        canceled, not_canceled = self._engine.cancel(ids, account)
        return json_reply({"canceled": canceled, "not_canceled": not_canceled})

    def _cancel(self, body: bytes, account: PaperAccount, *, single: bool) -> Reply:
        try:
            payload = json.loads(body)
        except ValueError:
            return error_reply(400, "Invalid payload")
        if single:
            if not isinstance(payload, dict) or not isinstance(payload.get("orderID"), str):
                return error_reply(400, "Invalid payload")
            return self._cancel_reply([payload["orderID"]], account)
        if not isinstance(payload, list) or not all(isinstance(x, str) for x in payload):
            return error_reply(400, "Invalid payload")
        return self._cancel_reply(payload, account)

    def _cancel_all(self, account: PaperAccount) -> Reply:
        ids = [h for h, r in self._ledger.orders.items() if r.eoa == account.eoa and r.status == "live"]
        return self._cancel_reply(ids, account)


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
