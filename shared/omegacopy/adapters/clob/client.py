"""The CLOB V2 HTTP client: market data, order placement with classified outcomes, reconcile reads.

Every order POST ends in exactly one `PostOutcome`, decided by the domain's outcome table
(`omegacopy.domain.exchange_replies`); this module reads the bytes and the transport errors for
it. Re-posting is only ever done for NOT_SENT and THROTTLED, with the very same bytes.

Reads (GET) are idempotent: retried on transport errors, 429/425, 5xx and unreadable bodies,
within the bounds of `resilience`. Sleep, clocks and randomness are injectable: tests never wait.

Before the first order (and every `clock_check_interval_s`) the client compares its clock with
`GET /time`; beyond `max_clock_skew_s` it raises `ClockSkewError` and sends nothing.

A 401 is a definite refusal (nothing was processed): with a `refresh_credentials` source, the
client evicts its cached credentials, fetches fresh ones and sends the request once more. An order
body always goes out with the client's current API key as its `owner` (the owner is not part of
the signed order: the order and its hash stay the same), so a rotation never strands an order.

Secrets: credentials and signatures go into headers only; nothing here logs headers or bodies.
"""

from __future__ import annotations

import contextlib
import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any, Final

import httpx

from omegacopy.adapters.clob import wire
from omegacopy.adapters.clob.errors import (
    ClobAuthError,
    ClobBadResponseError,
    ClobError,
    ClobHaltedError,
    ClobNoOrderBookError,
    ClobNotFoundError,
    ClobRequestError,
    ClobThrottledError,
    ClobUnavailableError,
    ClockSkewError,
)
from omegacopy.adapters.clob.resilience import RetryBudget, RetryPolicy, SignerRateLimiter, parse_retry_after
from omegacopy.adapters.clock import monotonic_s, wall_clock_s
from omegacopy.domain.clob_auth import ApiCredentials, l1_headers, l2_headers
from omegacopy.domain.clob_models import (
    BalanceAllowance,
    BookLevel,
    CancelResult,
    ClobMarket,
    MarketToken,
    OrderBook,
    OrderRecord,
    PostOutcome,
    PostReason,
    PostResult,
    Trade,
)
from omegacopy.domain.exchange_replies import (
    TransportFailure,
    halt_reason,
    outcome_of_failure,
    outcome_of_reply,
    outcome_of_transport,
    unreadable_reply,
)
from omegacopy.domain.order_request import serialize_body, with_owner
from omegacopy.domain.order_v2 import POLYGON_CHAIN_ID
from omegacopy.domain.signer import Signer
from omegacopy.observability import logger, metrics

MAX_BATCH: Final = 15
DEFAULT_TIMEOUT: Final = httpx.Timeout(connect=3.0, read=10.0, write=5.0, pool=2.0)


# ------------------------------------------------------------------------------------------------
# Reading an order POST's reply for the outcome table (pure: the tests drive these directly too)
# ------------------------------------------------------------------------------------------------
def classify_order_item(item: object, expected_hash: str | None, http_status: int) -> PostResult:
    """One order reply object (the single POST's body or one element of a batch's array)."""
    reply = wire.order_reply(item)
    if reply is None:
        return unreadable_reply(expected_hash, http_status, "order reply did not match the API shape")
    return outcome_of_reply(reply, expected_hash=expected_hash, http_status=http_status)


def classify_order_response(
    http_status: int,
    headers: Mapping[str, str],
    content: bytes,
    *,
    expected_hash: str | None,
    now_s: float,
) -> PostResult:
    """Map one `POST /order` HTTP reply to an outcome (the domain's outcome table)."""
    if 200 <= http_status < 300:
        try:
            payload = wire.reply_json(content)
        except ValueError:
            return unreadable_reply(expected_hash, http_status, wire.error_message(content))
        return classify_order_item(payload, expected_hash, http_status)
    return classify_failure_status(http_status, headers, content, expected_hash=expected_hash, now_s=now_s)


def classify_failure_status(
    http_status: int,
    headers: Mapping[str, str],
    content: bytes,
    *,
    expected_hash: str | None,
    now_s: float,
) -> PostResult:
    message = wire.error_message(content)
    details = wire.error_details(content)
    outcome, reason = outcome_of_failure(http_status, message, details.code)
    retry_after = None
    if outcome in (PostOutcome.THROTTLED, PostOutcome.HALTED):
        # Retry-After, else the body's retry_after_seconds (post-only mode says when it ends)
        retry_after = parse_retry_after(headers.get("retry-after"), now_s)
        if retry_after is None:
            retry_after = details.retry_after_seconds
    return PostResult(
        outcome, reason, expected_hash, message=message, http_status=http_status, retry_after_s=retry_after
    )


def classify_transport_error(exc: httpx.HTTPError, *, expected_hash: str | None) -> PostResult:
    """No HTTP reply. Only failures before a connection existed prove nothing was sent."""
    if isinstance(exc, httpx.ConnectTimeout | httpx.PoolTimeout | httpx.ConnectError):
        failure = TransportFailure.CONNECT
    elif isinstance(exc, httpx.TimeoutException):
        failure = TransportFailure.TIMEOUT
    else:  # RemoteProtocolError (EOF without a reply), ReadError, WriteError...: bytes may have arrived
        failure = TransportFailure.CONNECTION_LOST
    return outcome_of_transport(failure, expected_hash=expected_hash, message=type(exc).__name__)


# ------------------------------------------------------------------------------------------------
# The client
# ------------------------------------------------------------------------------------------------
@dataclass
class _CachedMarket:
    info: ClobMarket
    fetched_at: float


@dataclass
class _Attempt:
    response: httpx.Response | None = None
    error: httpx.HTTPError | None = None


class ClobClient:
    """Synchronous CLOB client for one signer (EOA) and its L2 credentials.

    `address`/`credentials` may be omitted for public reads. One `httpx.Client` with keep-alive
    per instance; close it (or use `with`).
    """

    def __init__(
        self,
        base_url: str,
        *,
        address: str | None = None,
        credentials: ApiCredentials | None = None,
        refresh_credentials: Callable[[], ApiCredentials] | None = None,
        chain_id: int = POLYGON_CHAIN_ID,
        signature_type: int = 0,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        market_ttl_s: float = 60.0,
        max_clock_skew_s: float = 5.0,
        clock_check_interval_s: float = 300.0,
        rate_limiter: SignerRateLimiter | None = None,
        max_rate_wait_s: float = 2.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = wall_clock_s,
        monotonic: Callable[[], float] = monotonic_s,
        rng: random.Random | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._address = address
        self._credentials = credentials
        self._refresh_credentials = refresh_credentials
        self._chain_id = chain_id
        self._signature_type = signature_type
        self._retry = retry or RetryPolicy()
        self._budget = RetryBudget(self._retry.budget_ratio, self._retry.budget_reserve)
        self._market_ttl_s = market_ttl_s
        self._max_clock_skew_s = max_clock_skew_s
        self._clock_check_interval_s = clock_check_interval_s
        self._rate_limiter = rate_limiter or SignerRateLimiter(monotonic=monotonic)
        self._max_rate_wait_s = max_rate_wait_s
        self._sleep = sleep
        self._clock = clock
        self._monotonic = monotonic
        self._rng = rng or random.Random()  # noqa: S311 - backoff jitter, not security
        self._markets: dict[str, _CachedMarket] = {}
        self._token_to_condition: dict[str, str] = {}
        self._clock_checked_at: float | None = None
        self._http = httpx.Client(
            base_url=base_url,
            timeout=timeout,
            limits=httpx.Limits(max_connections=20, max_keepalive_connections=10, keepalive_expiry=30.0),
            transport=transport,
            headers={"Accept": "application/json", "User-Agent": "omegacopy-clob/1"},
        )

    # --- lifecycle ------------------------------------------------------------------------------
    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> ClobClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def api_key(self) -> str:
        """The L2 API key (the `owner` of every order body); not a secret on its own."""
        return self._require_credentials().api_key

    def __repr__(self) -> str:  # never the credentials
        return f"ClobClient(base_url={str(self._http.base_url)!r}, address={self._address!r})"

    # --- clock ----------------------------------------------------------------------------------
    def server_time(self) -> int:
        """`GET /time`: the exchange's unix time in seconds."""
        payload = self._get_json("/time")
        if isinstance(payload, dict):
            payload = payload.get("time", payload.get("timestamp"))
        return wire.validate(wire.TimeWire, {"time": payload}, "GET /time").time

    def check_clock_skew(self) -> float:
        """Server minus local seconds; raises `ClockSkewError` beyond `max_clock_skew_s`."""
        started = self._clock()
        server = self.server_time()
        local = (started + self._clock()) / 2
        skew = server - local
        # /time has 1 s resolution: allow that much on top of the configured limit
        if abs(skew) > self._max_clock_skew_s + 1.0:
            self._clock_checked_at = None
            raise ClockSkewError(
                f"local clock is {skew:+.1f} s off the exchange (limit {self._max_clock_skew_s:.1f} s): "
                "refusing to trade until the host clock is fixed"
            )
        self._clock_checked_at = self._monotonic()
        return skew

    def _ensure_clock(self) -> None:
        checked = self._clock_checked_at
        if checked is None or self._monotonic() - checked > self._clock_check_interval_s:
            self.check_clock_skew()

    # --- market data ----------------------------------------------------------------------------
    def market_info(self, condition_id: str, *, refresh: bool = False) -> ClobMarket:
        """`GET /clob-markets/{condition_id}`, cached for `market_ttl_s`."""
        cached = self._markets.get(condition_id)
        if cached is not None and not refresh and self._monotonic() - cached.fetched_at < self._market_ttl_s:
            return cached.info
        reply = self._get_model(f"/clob-markets/{condition_id}", wire.MarketWire)
        fee = reply.fd or wire.FeeWire()  # null fee fields: no fee
        info = ClobMarket(
            condition_id=condition_id,
            tokens=tuple(MarketToken(t.t, t.o) for t in reply.t),
            tick_size=reply.mts,
            neg_risk=reply.nr,
            min_order_size=reply.mos,
            fee_rate=fee.r or Decimal(0),
            fee_exponent=fee.e or Decimal(0),
            taker_order_delay=reply.itode,
        )
        self._markets[condition_id] = _CachedMarket(info, self._monotonic())
        for token in info.token_ids:
            self._token_to_condition[token] = condition_id
        return info

    def invalidate_market(self, *, condition_id: str | None = None, token_id: str | None = None) -> None:
        if condition_id is None and token_id is not None:
            condition_id = self._token_to_condition.get(token_id)
        if condition_id is not None:
            self._markets.pop(condition_id, None)

    def order_book(self, token_id: str) -> OrderBook:
        try:
            reply = self._get_model("/book", wire.BookWire, params={"token_id": token_id})
        except ClobNotFoundError as exc:
            raise ClobNoOrderBookError(str(exc), status=exc.status) from None
        if reply.asset_id != token_id:
            raise ClobBadResponseError(f"GET /book returned token {reply.asset_id}, asked {token_id}")
        return OrderBook(
            token_id=reply.asset_id,
            condition_id=reply.market,
            bids=tuple(BookLevel(level.price, level.size) for level in reply.bids),
            asks=tuple(BookLevel(level.price, level.size) for level in reply.asks),
            tick_size=reply.tick_size,
            min_order_size=reply.min_order_size,
            neg_risk=reply.neg_risk,
            book_hash=reply.hash,
            timestamp_ms=reply.timestamp,
        )

    def last_trade_price(self, token_id: str) -> Decimal | None:
        """`GET /last-trade-price`: the price of the token's last trade, None if it never traded."""
        reply = self._get_model("/last-trade-price", wire.LastTradeWire, params={"token_id": token_id})
        return reply.price if reply.side else None  # documented: "0.5" and side "" when no trade

    # --- orders ---------------------------------------------------------------------------------
    def post_order(self, body: Mapping[str, Any] | bytes, *, order_hash: str | None = None) -> PostResult:
        """`POST /order` with one order body (`order_request.order_body`, or its serialized bytes).

        Raises `ClockSkewError` (nothing sent) when the clock is off; everything else is a result.
        """
        content = body if isinstance(body, bytes) else serialize_body(dict(body))
        token_id = wire.token_of(content)
        result = self._post_with_retries("/order", content, tokens=1, expected=[order_hash])[0]
        return self._after_post(result, token_id)

    def _owned(self, content: bytes) -> bytes:
        """The body with the current API key as its owner (single order bodies and batches)."""
        api_key = self._require_credentials().api_key
        try:
            payload = wire.reply_json(content)
        except ValueError:
            return content  # not ours to repair: the exchange refuses it as it is
        if isinstance(payload, list):
            if all(isinstance(item, dict) and item.get("owner") == api_key for item in payload):
                return content
            return serialize_body([{**item, "owner": api_key} if isinstance(item, dict) else item for item in payload])
        return with_owner(content, api_key) if isinstance(payload, dict) else content

    def _refreshed(self) -> bool:
        """Evict the credentials and load fresh ones (after a 401); False when there is no source."""
        if self._refresh_credentials is None:
            return False
        metrics.add_metric(name="ClobCredentialsRefreshed", unit="Count", value=1)
        self._credentials = self._refresh_credentials()
        return True

    def post_orders(
        self,
        bodies: Sequence[Mapping[str, Any]],
        *,
        order_hashes: Sequence[str | None] | None = None,
    ) -> list[PostResult]:
        """`POST /orders` (1..15): one result per order, in order."""
        items = [dict(b) for b in bodies]
        if not 1 <= len(items) <= MAX_BATCH:
            raise ValueError(f"a batch takes 1..{MAX_BATCH} orders, got {len(items)}")
        hashes = list(order_hashes) if order_hashes is not None else [None] * len(items)
        if len(hashes) != len(items):
            raise ValueError("order_hashes must match bodies one to one")
        content = serialize_body(items)
        results = self._post_with_retries("/orders", content, tokens=len(items), expected=hashes)
        return [
            self._after_post(result, item.get("order", {}).get("tokenId"))
            for result, item in zip(results, items, strict=True)
        ]

    def get_order(self, order_hash: str) -> OrderRecord | None:
        """`GET /data/order/{hash}`; None when the exchange does not know the order."""
        payload = self._get_json(f"/data/order/{order_hash}", auth=True, not_found_ok=True)
        if payload is None or payload in ({}, ""):
            return None
        reply = wire.validate(wire.OpenOrderWire, payload, "/data/order")
        status = reply.status.lower().removeprefix("order_status_")
        return OrderRecord(
            order_hash=reply.id,
            status=status,
            owner=reply.owner,
            maker_address=reply.maker_address,
            condition_id=reply.market,
            token_id=reply.asset_id,
            side=reply.side,
            price=reply.price,
            original_size=reply.original_size,
            size_matched=reply.size_matched,
            order_type=reply.order_type,
            outcome=reply.outcome,
            created_at=reply.created_at,
            expiration=reply.expiration,
            associate_trades=tuple(reply.associate_trades or ()),
        )

    def trades(
        self,
        *,
        market: str | None = None,
        token_id: str | None = None,
        trade_id: str | None = None,
        after: int | None = None,
        before: int | None = None,
        max_pages: int = 50,
    ) -> list[Trade]:
        """`GET /data/trades` for this account, all pages (bounded by `max_pages`)."""
        params: dict[str, str] = {}
        for key, value in (("market", market), ("asset_id", token_id), ("id", trade_id)):
            if value is not None:
                params[key] = value
        if after is not None:
            params["after"] = str(after)
        if before is not None:
            params["before"] = str(before)
        out: list[Trade] = []
        cursor = ""
        for _ in range(max_pages):
            page_params = dict(params, next_cursor=cursor) if cursor else params
            page = self._get_model("/data/trades", wire.TradesPageWire, params=page_params, auth=True)
            out.extend(wire.trade_from_wire(t) for t in page.data)
            if not page.next_cursor or page.next_cursor == wire.END_CURSOR or not page.data:
                return out
            cursor = page.next_cursor
        raise ClobBadResponseError(f"GET /data/trades: more than {max_pages} pages")

    def cancel_order(self, order_hash: str) -> CancelResult:
        """`DELETE /order`. Idempotent (a second cancel reports "not canceled"), so retried like a read."""
        content = serialize_body({"orderID": order_hash})
        wait = self._rate_wait(1)
        if wait is None:
            raise ClobThrottledError("client-side order rate limit", retry_after_s=self._max_rate_wait_s)
        if wait:
            self._sleep(wait)
        payload = self._request_json("DELETE", "/order", content=content, auth=True)
        reply = wire.validate(wire.CancelWire, payload, "DELETE /order")
        return CancelResult(tuple(reply.canceled), dict(reply.not_canceled))

    # --- account --------------------------------------------------------------------------------
    def balance_allowance(self, asset_type: str = "COLLATERAL", token_id: str | None = None) -> BalanceAllowance:
        """`GET /balance-allowance` (base units)."""
        params = {"asset_type": asset_type, "signature_type": str(self._signature_type)}
        if token_id is not None:
            params["token_id"] = token_id
        reply = self._get_model("/balance-allowance", wire.BalanceWire, params=params, auth=True)
        return BalanceAllowance(reply.balance, dict(reply.allowances))

    def create_api_key(self, signer: Signer, *, nonce: int = 0) -> ApiCredentials:
        """L1 `POST /auth/api-key`."""
        headers = l1_headers(signer, self._chain_id, int(self._clock()), nonce)
        payload = self._request_json("POST", "/auth/api-key", extra_headers=headers, idempotent=False)
        return wire.credentials_from(payload)

    def derive_api_key(self, signer: Signer, *, nonce: int = 0) -> ApiCredentials:
        """L1 `GET /auth/derive-api-key`."""
        headers = l1_headers(signer, self._chain_id, int(self._clock()), nonce)
        return wire.credentials_from(self._request_json("GET", "/auth/derive-api-key", extra_headers=headers))

    def create_or_derive_api_key(self, signer: Signer, *, nonce: int = 0) -> ApiCredentials:
        try:
            return self.create_api_key(signer, nonce=nonce)
        except ClobRequestError as exc:
            if exc.status != 400:
                raise
        return self.derive_api_key(signer, nonce=nonce)

    # --- POST machinery -------------------------------------------------------------------------
    def _require_credentials(self) -> ApiCredentials:
        if self._credentials is None or self._address is None:
            raise ClobAuthError("this client has no L2 credentials / address")
        return self._credentials

    def _rate_wait(self, tokens: int) -> float | None:
        bucket = self._rate_limiter.bucket(self._address or "")
        return bucket.try_acquire(tokens, max_wait_s=self._max_rate_wait_s)

    def _post_with_retries(
        self, path: str, content: bytes, *, tokens: int, expected: Sequence[str | None]
    ) -> list[PostResult]:
        self._require_credentials()
        self._ensure_clock()  # raises before anything is sent
        self._budget.on_request()
        attempt = 0
        refreshed = False
        while True:
            attempt += 1
            wait = self._rate_wait(tokens)
            if wait is None:
                limited = PostResult(
                    PostOutcome.THROTTLED,
                    PostReason.CLIENT_RATE_LIMIT,
                    None,
                    message="client-side order rate limit",
                    retry_after_s=self._max_rate_wait_s,
                    attempts=attempt - 1,
                )
                return [replace(limited, order_hash=h) for h in expected]
            if wait:
                self._sleep(wait)
            results = self._post_once(path, self._owned(content), expected)
            results = [replace(r, attempts=attempt) for r in results]
            head = results[0]
            if head.http_status == 401 and not refreshed and self._refreshed():
                refreshed = True  # a 401 processed nothing: once more, with fresh credentials
                continue
            retryable = head.outcome in (PostOutcome.NOT_SENT, PostOutcome.THROTTLED) and all(
                r.outcome is head.outcome for r in results
            )
            if not retryable or attempt >= self._retry.max_attempts:
                return results
            delay = self._retry_delay(attempt, head.retry_after_s)
            if delay is None or not self._budget.try_spend():
                return results
            logger.warning(
                "clob post retry",
                extra={"path": path, "outcome": head.outcome.value, "attempt": attempt, "delay_s": delay},
            )
            self._sleep(delay)

    def _post_once(self, path: str, content: bytes, expected: Sequence[str | None]) -> list[PostResult]:
        attempt = self._send("POST", path, content=content, auth=True)
        if attempt.response is None:
            assert attempt.error is not None
            failure = classify_transport_error(attempt.error, expected_hash=None)
            return [replace(failure, order_hash=h) for h in expected]
        response = attempt.response
        status, headers, body = response.status_code, response.headers, response.content
        now = self._clock()
        if path == "/order":
            return [classify_order_response(status, headers, body, expected_hash=expected[0], now_s=now)]
        if 200 <= status < 300:
            try:
                payload = wire.reply_json(body)
            except ValueError:
                payload = None
            if not isinstance(payload, list) or len(payload) != len(expected):
                bad = PostResult(
                    PostOutcome.UNKNOWN,
                    PostReason.BAD_RESPONSE,
                    None,
                    message="batch reply is not an array of one result per order",
                    http_status=status,
                )
                return [replace(bad, order_hash=h) for h in expected]
            return [classify_order_item(item, h, status) for item, h in zip(payload, expected, strict=True)]
        failure = classify_failure_status(status, headers, body, expected_hash=None, now_s=now)
        return [replace(failure, order_hash=h) for h in expected]

    def _after_post(self, result: PostResult, token_id: object) -> PostResult:
        if result.reason is PostReason.TICK_SIZE and isinstance(token_id, str):
            # the tick moved under us: the next market_info() refetches it
            self.invalidate_market(token_id=token_id)
        if result.hash_mismatch:
            logger.error(
                "clob orderID differs from the computed order hash",
                extra={"order_hash": result.order_hash},
            )
        if result.outcome in (PostOutcome.UNKNOWN, PostOutcome.NOT_SENT):
            metrics.add_metric(name="ClobErrors", unit="Count", value=1)
        if result.outcome is PostOutcome.DUPLICATE and result.order_hash:
            with contextlib.suppress(ClobError):  # if the lookup fails, reconcile looks again
                result = replace(result, existing=self.get_order(result.order_hash))
        logger.info(
            "clob post",
            extra={
                "outcome": result.outcome.value,
                "reason": result.reason.value,
                "order_hash": result.order_hash,
                "http_status": result.http_status,
                "attempts": result.attempts,
                "status": result.status,
            },
        )
        return result

    def _retry_delay(self, attempt: int, retry_after_s: float | None) -> float | None:
        """Delay before retry number `attempt`; None when the server asks for longer than we wait."""
        if retry_after_s is not None:
            return None if retry_after_s > self._retry.max_retry_after_s else retry_after_s
        ceiling = min(self._retry.max_delay_s, self._retry.base_delay_s * 2 ** (attempt - 1))
        return self._rng.uniform(0.0, ceiling)  # full jitter

    # --- request machinery ----------------------------------------------------------------------
    def _send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        content: bytes | None = None,
        auth: bool = False,
        extra_headers: Mapping[str, str] | None = None,
    ) -> _Attempt:
        headers: dict[str, str] = dict(extra_headers or {})
        if content is not None:
            headers["Content-Type"] = "application/json"
        if auth:
            creds = self._require_credentials()
            assert self._address is not None
            headers.update(l2_headers(self._address, creds, int(self._clock()), method, path, content))
        try:
            response = self._http.request(method, path, params=params, content=content, headers=headers)
        except httpx.HTTPError as exc:
            return _Attempt(error=exc)
        return _Attempt(response=response)

    def _get_json(
        self,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        auth: bool = False,
        not_found_ok: bool = False,
    ) -> Any:
        return self._request_json("GET", path, params=params, auth=auth, not_found_ok=not_found_ok)

    def _get_model(
        self,
        path: str,
        model: type[wire.ResponseModel],
        *,
        params: Mapping[str, str] | None = None,
        auth: bool = False,
    ) -> wire.ResponseModel:
        return wire.validate(model, self._get_json(path, params=params, auth=auth), path)

    def _request_json(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        content: bytes | None = None,
        auth: bool = False,
        extra_headers: Mapping[str, str] | None = None,
        not_found_ok: bool = False,
        idempotent: bool = True,
    ) -> Any:
        """One logical request with bounded retries. Non-idempotent calls retry only when the
        request provably was not processed (connect failure, 429, 425)."""
        self._budget.on_request()
        attempt = 0
        refreshed = False
        while True:
            attempt += 1
            outcome = self._send(method, path, params=params, content=content, auth=auth, extra_headers=extra_headers)
            try:
                return self._read_reply(method, path, outcome, not_found_ok=not_found_ok)
            except ClobAuthError as refused:
                if not auth or refused.status != 401 or refreshed or not self._refreshed():
                    raise
                refreshed = True  # a 401 processed nothing: once more, with fresh credentials
                attempt -= 1
            except _Retryable as retryable:
                error = retryable.error
                metrics.add_metric(name="ClobErrors", unit="Count", value=1)  # 5xx, timeouts, transport
                safe = idempotent or retryable.not_processed
                if not safe or attempt >= self._retry.max_attempts:
                    raise error from None
                delay = self._retry_delay(attempt, error.retry_after_s)
                if delay is None or not self._budget.try_spend():
                    raise error from None
                logger.warning(
                    "clob request retry",
                    extra={"method": method, "path": path, "attempt": attempt, "error": type(error).__name__},
                )
                self._sleep(delay)

    def _read_reply(self, method: str, path: str, outcome: _Attempt, *, not_found_ok: bool) -> Any:
        where = f"{method} {path}"
        if outcome.response is None:
            exc = outcome.error
            not_sent = isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout)
            raise _Retryable(
                ClobUnavailableError(f"{where}: {type(exc).__name__}"),
                not_processed=not_sent,
            )
        response = outcome.response
        status = response.status_code
        if 200 <= status < 300:
            try:
                return wire.reply_json(response.content)
            except ValueError:
                # truncated / HTML 200: transient on an idempotent read
                raise _Retryable(
                    ClobBadResponseError(
                        f"{where}: unreadable reply ({wire.error_message(response.content)})", status=status
                    ),
                    not_processed=False,
                ) from None
        message = f"{where}: HTTP {status}: {wire.error_message(response.content)}"
        retry_after = parse_retry_after(response.headers.get("retry-after"), self._clock())
        if status in (429, 425):
            raise _Retryable(ClobThrottledError(message, status=status, retry_after_s=retry_after), not_processed=True)
        details = wire.error_details(response.content)
        if status == 503 and halt_reason(wire.error_message(response.content), details.code) is not None:
            raise ClobHaltedError(message, status=status, retry_after_s=retry_after or details.retry_after_seconds)
        if status >= 500:
            raise _Retryable(ClobUnavailableError(message, status=status), not_processed=False)
        if status == 404:
            if not_found_ok:
                return None
            raise ClobNotFoundError(message, status=status)
        if status in (401, 403):
            raise ClobAuthError(message, status=status)
        try:
            payload = wire.reply_json(response.content)
        except ValueError:
            payload = None
        raise ClobRequestError(message, status=status, payload=payload)


class _Retryable(Exception):  # noqa: N818 - internal control flow
    def __init__(self, error: ClobError, *, not_processed: bool) -> None:
        super().__init__(str(error))
        self.error = error
        self.not_processed = not_processed
