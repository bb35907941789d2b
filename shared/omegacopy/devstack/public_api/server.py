"""The Polymarket public-API emulator: Gamma and the Data API v2 over HTTP on two loopback ports.

Test API::

    with start_public_api() as api:                      # two servers in threads: data and gamma
        api.publish_market(cid, outcomes=[("Up", t0), ("Down", t1)], category="Crypto")
        api.publish_trade(wallet, cid, outcome_index=0, side="BUY", size=10, price="0.4")
        api.publish_position(wallet, cid, outcome_index=1, size=50, avg_price="0.3")
        api.resolve_market(cid, winner=0)
        api.publish_leaderboard("politics", "month", [(wallet, 1200, 5000)])
        api.faults.set(Fault.DOWN, count=2)                # 503s, then normal service
        api.inject_rows("/v2/trades", [{"side": "HOLD"}])   # a malformed row in the next page
        ... point a client at api.data_url / api.gamma_url ...
        window_stats(api.request_log, 10.0)                # max requests in any window, per route

Documented behaviour served: the v2 envelope `{data, pagination}` with opaque cursors that must be
re-sent with identical filters (a bare or mismatched cursor is a 400); `offset` on v2 is a 400;
`limit` bounds (trades, positions, boards 1000; holders 100 with include_pnl); `taker_only`
defaulting to true; `start=1` = whole history, omitted = three years; the `condition` shape of
trades ignoring start/end; `status=OPEN` including settled-but-unredeemed positions; holders
derived from open positions, largest first, per outcome token; Gamma's `/markets/keyset` with
repeated `condition_ids`, `closed` defaulting to false (and `closed=true` listing closed markets
only), `limit` at most 100, `offset` refused (422); unknown routes 404.

Rate limits are enforced over sliding windows (default: the published numbers, restated here on
purpose rather than imported from the client): a request over a limit gets 429 with Retry-After
and the v2 error envelope, and is not counted. Faulted replies are not counted either.

Emulator choices where the real API is not documented: trades newest first (timestamp, then
publication order); trades keyset-paged (stable across writes), positions/holders/boards
offset-paged behind the cursor; Gamma errors are `{"error": ...}`.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import math
import re
import socket
import threading
import uuid
from collections import Counter, deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from omegacopy.devstack.public_api.request_log import ApiRequestRecord
from omegacopy.devstack.public_api.world import PNL_FIELDS, World
from omegacopy.devstack.settable_clock import SettableClock

# Published limits per 10 s (docs.polymarket.com/api-reference/rate-limits), keyed like the routes below.
PUBLISHED_LIMITS: Mapping[str, int] = {
    "data": 1000,
    "data:/trades": 200,
    "data:/positions": 150,
    "gamma": 4000,
    "gamma:/markets": 300,
    "gamma:/events": 500,
    "gamma:listing": 900,
}
THREE_YEARS_S = 3 * 365 * 86400
# "A user that is a known protocol contract address returns 400": the CTF, the exchanges, pUSD.
PROTOCOL_CONTRACTS = frozenset(
    a.lower()
    for a in (
        "0x4D97DCd97eC945f40cF65F87097ACe5EA0476045",
        "0xE111180000d2663C0091e4f400237545B87B996B",
        "0xe2222d279d744050d28e00520010520000310F59",
        "0xC011a7E12a19f7B1f670d46F03B03f3342E82DFB",
    )
)
_ADDRESS = re.compile(r"^0x[0-9a-fA-F]{40}$")
_HEX = re.compile(r"^0x[0-9a-fA-F]+$")


def _limit_keys(host: str, path: str) -> list[str]:
    if host == "data":
        if path == "/v2/trades":
            return ["data", "data:/trades"]
        if path == "/v2/positions":
            return ["data", "data:/positions"]
        return ["data"]
    if path.startswith("/markets"):
        return ["gamma", "gamma:/markets", "gamma:listing"]
    if path.startswith("/events"):
        return ["gamma", "gamma:/events", "gamma:listing"]
    return ["gamma"]


# --- faults -------------------------------------------------------------------------------------
class Fault(StrEnum):
    DOWN = "down"  # 503 dependency_unavailable
    POOL_TIMEOUT = "pool_timeout"  # 503 request_timeout (server-side pool exhaustion)
    SERVER_ERROR = "server_error"  # 500 internal
    RATE_LIMITED = "rate_limited"  # 429 rate_limited
    DROP = "drop"  # the connection is closed with no reply
    SLOW = "slow"  # the normal reply, after delay_s
    GARBLED = "garbled"  # 200 with a JSON body cut short
    DUPLICATE = "duplicate"  # the next page starts one row early: its first row repeats
    BARE_ARRAY = "bare_array"  # 200 with a bare JSON array (the v1 shape) instead of the v2 envelope


@dataclass
class ApiFaultRule:
    mode: Fault
    count: int | None
    paths: frozenset[str] | None
    host: str | None
    delay_s: float
    retry_after: str | None
    fired: int = 0

    def matches(self, host: str, path: str) -> bool:
        return (self.host is None or self.host == host) and (self.paths is None or path in self.paths)


class ApiFaults:
    """Switchable failures: `api.faults.set(Fault.DOWN, count=2, paths=["/v2/trades"])`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[ApiFaultRule] = []
        self.history: Counter[str] = Counter()

    def set(
        self,
        mode: Fault | str,
        *,
        count: int | None = None,
        paths: Iterable[str] | None = None,
        host: str | None = None,
        delay_s: float = 0.0,
        retry_after: float | str | None = 1,
    ) -> ApiFaultRule:
        """Arm a fault; without `count` it fires on every matching request until cleared."""
        rule = ApiFaultRule(
            Fault(mode),
            count,
            None if paths is None else frozenset(paths),
            host,
            delay_s,
            None if retry_after is None else str(retry_after),
        )
        with self._lock:
            self._rules = [r for r in self._rules if r.mode is not rule.mode] + [rule]
        return rule

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def fired(self, mode: Fault | str) -> int:
        return self.history[Fault(mode).value]

    def pick(self, host: str, path: str, modes: Iterable[Fault]) -> ApiFaultRule | None:
        wanted = set(modes)
        with self._lock:
            for rule in list(self._rules):
                if rule.mode not in wanted or not rule.matches(host, path):
                    continue
                rule.fired += 1
                self.history[rule.mode.value] += 1
                if rule.count is not None and rule.fired >= rule.count:
                    self._rules.remove(rule)
                return rule
        return None


_PRE_EMPTING = (
    Fault.DOWN,
    Fault.POOL_TIMEOUT,
    Fault.SERVER_ERROR,
    Fault.RATE_LIMITED,
    Fault.DROP,
    Fault.GARBLED,
    Fault.BARE_ARRAY,
)


# --- replies ------------------------------------------------------------------------------------
@dataclass
class _Reply:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0


class _Drop:
    """Close the connection without a reply."""


class _BadRequest(Exception):  # noqa: N818 - control flow inside one request, never escapes
    def __init__(self, message: str, parameter: str | None = None, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.parameter = parameter
        self.status = status


def _json(payload: object, status: int = 200, headers: dict[str, str] | None = None) -> _Reply:
    return _Reply(status, json.dumps(payload, separators=(",", ":")).encode(), headers or {})


def _v2_error(
    status: int, code: str, message: str, *, parameter: str | None = None, retry_after: str | None = None
) -> _Reply:
    trace = uuid.uuid4().hex
    body: dict[str, Any] = {
        "error": message,
        "code": code,
        "retryable": code in ("rate_limited", "internal", "request_timeout", "dependency_unavailable"),
        "trace_id": trace,
    }
    if parameter is not None:
        body["parameter"] = parameter
    headers = {"x-trace-id": trace}
    if retry_after is not None:
        headers["Retry-After"] = retry_after
    return _json(body, status, headers)


# --- cursors ------------------------------------------------------------------------------------
def _fingerprint(query: Mapping[str, list[str]], ignore: Iterable[str]) -> str:
    skip = set(ignore)
    items = sorted((k, tuple(v)) for k, v in query.items() if k not in skip)
    return hashlib.sha256(repr(items).encode()).hexdigest()[:16]


def _encode_cursor(state: Mapping[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(state, separators=(",", ":")).encode()).decode().rstrip("=")


def _decode_cursor(text: str, fingerprint: str, parameter: str) -> dict[str, Any]:
    try:
        state = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    except ValueError as exc:
        raise _BadRequest("cursor is not valid", parameter) from exc
    if not isinstance(state, dict) or state.get("f") != fingerprint:
        raise _BadRequest("cursor does not belong to these filters: re-send the same filters with it", parameter)
    return state


# --- the emulator -------------------------------------------------------------------------------
class PublicApiEmulator:
    def __init__(self, *, limits: Mapping[str, int] | None = None, window_s: float = 10.0, enforce_limits: bool = True):
        self.world = World()
        self.faults = ApiFaults()
        self.window_s = window_s
        self.enforce_limits = enforce_limits
        self.limits: dict[str, int] = {**PUBLISHED_LIMITS, **(limits or {})}
        self._served: dict[str, deque[float]] = {}
        self._log: list[ApiRequestRecord] = []
        self._injected: list[tuple[str, list[Any], int]] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._servers: dict[str, _ApiServer] = {}
        self._threads: list[threading.Thread] = []
        # the world's publishing API, on the emulator for brevity
        self.publish_market = self.world.publish_market
        self.resolve_market = self.world.resolve_market
        self.publish_trade = self.world.publish_trade
        self.publish_raw_trade = self.world.publish_raw_trade
        self.publish_position = self.world.publish_position
        self.publish_leaderboard = self.world.publish_leaderboard

    # --- lifecycle ------------------------------------------------------------------------------
    def start(self, host: str = "127.0.0.1") -> PublicApiEmulator:
        if self._servers:
            raise RuntimeError("public API emulator already started")
        for name in ("data", "gamma"):
            server = _ApiServer((host, 0), self, name)
            thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
            thread.name = f"public-api-{name}:{server.server_address[1]}"
            thread.start()
            self._servers[name] = server
            self._threads.append(thread)
        return self

    def _url(self, name: str) -> str:
        if name not in self._servers:
            raise RuntimeError("public API emulator not started")
        host, port = self._servers[name].server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def data_url(self) -> str:
        return self._url("data")

    @property
    def gamma_url(self) -> str:
        return self._url("gamma")

    def stop(self) -> None:
        self._stopping.set()
        for server in self._servers.values():
            server.shutdown()
            server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
        self._servers.clear()
        self._threads.clear()

    def __enter__(self) -> PublicApiEmulator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- test API -------------------------------------------------------------------------------
    @property
    def clock(self) -> SettableClock:
        return self.world.clock

    def inject_rows(self, path: str, rows: Sequence[Any], *, count: int = 1) -> None:
        """Append these raw rows to the next `count` successful pages of `path` (malformed on purpose)."""
        with self._lock:
            self._injected.append((path, list(rows), count))

    @property
    def request_log(self) -> list[ApiRequestRecord]:
        with self._lock:
            return list(self._log)

    def requests(self, path: str | None = None) -> int:
        with self._lock:
            return sum(1 for r in self._log if path is None or r.path == path)

    def reset_log(self) -> None:
        with self._lock:
            self._log.clear()

    # --- HTTP entry point -----------------------------------------------------------------------
    def handle(self, host: str, raw_path: str) -> _Reply | _Drop:
        parts = urlsplit(raw_path)
        path = parts.path.rstrip("/") or "/"
        query = parse_qs(parts.query, keep_blank_values=True)
        rule = self.faults.pick(host, path, _PRE_EMPTING)
        if rule is not None:
            result = self._fault_reply(host, rule)
        else:
            throttled = self._throttle(host, path)
            if throttled is not None:
                result = throttled
            else:
                try:
                    result = self._route(host, path, query)
                except _BadRequest as exc:
                    result = self._bad_request(host, exc)
                except Exception as exc:  # a bug here must surface as a 500, not a hung client
                    result = _v2_error(500, "internal", f"emulator error: {type(exc).__name__}: {exc}")
                slow = self.faults.pick(host, path, (Fault.SLOW,))
                if slow is not None and isinstance(result, _Reply):
                    result.delay_s = slow.delay_s
                    rule = slow
        with self._lock:
            status = None if isinstance(result, _Drop) else result.status
            self._log.append(
                ApiRequestRecord(host, path, self.clock.now(), status, None if rule is None else rule.mode.value)
            )
        return result

    def _fault_reply(self, host: str, rule: ApiFaultRule) -> _Reply | _Drop:
        if rule.mode is Fault.DROP:
            return _Drop()
        if rule.mode is Fault.GARBLED:
            return _Reply(200, b'{"data":[{"proxy_wallet":"0x', {})
        if rule.mode is Fault.BARE_ARRAY:
            return _json([])
        status, code, message = {
            Fault.DOWN: (503, "dependency_unavailable", "a dependency is unavailable"),
            Fault.POOL_TIMEOUT: (503, "request_timeout", "the request timed out waiting for capacity"),
            Fault.SERVER_ERROR: (500, "internal", "internal error"),
            Fault.RATE_LIMITED: (429, "rate_limited", "too many requests"),
        }[rule.mode]
        retry_after = rule.retry_after if rule.mode is not Fault.SERVER_ERROR else None
        if host == "gamma":
            return _json({"error": message}, status, {} if retry_after is None else {"Retry-After": retry_after})
        return _v2_error(status, code, message, retry_after=retry_after)

    def _throttle(self, host: str, path: str) -> _Reply | None:
        now = self.clock.now()
        keys = _limit_keys(host, path)
        with self._lock:
            wait = 0.0
            for key in keys:
                served = self._served.setdefault(key, deque())
                while served and served[0] <= now - self.window_s:
                    served.popleft()
                limit = self.limits.get(key)
                if self.enforce_limits and limit is not None and len(served) >= limit:
                    wait = max(wait, served[len(served) - limit] + self.window_s - now)
            if wait > 0:
                retry_after = str(max(1, math.ceil(wait)))
                if host == "gamma":
                    return _json({"error": "Too Many Requests"}, 429, {"Retry-After": retry_after})
                return _v2_error(429, "rate_limited", "rate limit exceeded", retry_after=retry_after)
            for key in keys:
                self._served[key].append(now)
        return None

    def _bad_request(self, host: str, exc: _BadRequest) -> _Reply:
        if host == "gamma":
            return _json({"error": exc.message}, exc.status)
        code = "not_found" if exc.status == 404 else "invalid_request"
        return _v2_error(exc.status, code, exc.message, parameter=exc.parameter)

    def _route(self, host: str, path: str, query: dict[str, list[str]]) -> _Reply:
        routes: dict[tuple[str, str], Callable[[dict[str, list[str]]], _Reply]] = {
            ("data", "/v2/trades"): self._trades,
            ("data", "/v2/positions"): self._positions,
            ("data", "/v2/holders"): self._holders,
            ("data", "/v2/leaderboard"): self._leaderboard,
            ("gamma", "/markets/keyset"): self._markets_keyset,
        }
        handler = routes.get((host, path))
        if handler is None:
            raise _BadRequest(f"no route {path}", status=404)
        if host == "data" and "offset" in query:
            raise _BadRequest("offset is not supported on v2: follow next_cursor", "offset")
        return handler(query)

    # --- Data API v2 ----------------------------------------------------------------------------
    def _trades(self, q: dict[str, list[str]]) -> _Reply:
        limit = _limit(q, default=100, maximum=1000)
        user = _address(q, "user")
        conditions = _conditions(q)
        side = _one(q, "side")
        if side is not None and side.upper() not in ("BUY", "SELL"):
            raise _BadRequest("side must be BUY or SELL", "side")
        taker_only = _bool(q, "taker_only", default=True)
        now = self.clock.now()
        if conditions is not None:
            lo, hi = now - THREE_YEARS_S, math.inf  # the condition shape ignores start/end
        elif user is not None:
            start, end = _int(q, "start"), _int(q, "end")
            lo = float(now - THREE_YEARS_S) if start in (None, 0) else float(start or 0)
            hi = now + 86400 if end is None else float(end)
        else:
            lo, hi = now - 62 * 86400, now + 86400  # the bare feed: this month and the last
        rows = [
            t
            for t in self.world.visible_trades()
            if (user is None or t.wallet == user)
            and (conditions is None or str(t.row.get("condition_id", "")).lower() in conditions)
            and (not taker_only or not t.maker)
            and (side is None or str(t.row.get("side", "")).upper() == side.upper())
            and lo <= t.timestamp <= hi
        ]
        rows.sort(key=lambda t: (-t.timestamp, -t.seq))
        fp = _fingerprint(q, ("cursor", "limit"))
        cursor = _one(q, "cursor")
        if cursor:
            state = _decode_cursor(cursor, fp, "cursor")
            limit = int(state["l"])
            key = (int(state["k"][0]), int(state["k"][1]))
            rows = [t for t in rows if (-t.timestamp, -t.seq) > (-key[0], -key[1])]
        page, more = rows[:limit], len(rows) > limit
        next_cursor = None
        if more and page:
            last = page[-1]
            if len(page) > 1 and self.faults.pick("data", "/v2/trades", (Fault.DUPLICATE,)) is not None:
                last = page[-2]  # the next page starts one row early: a seam duplicate
            next_cursor = _encode_cursor({"f": fp, "l": limit, "k": [last.timestamp, last.seq]})
        return self._envelope("/v2/trades", [t.row for t in page], limit, 0, next_cursor)

    def _positions(self, q: dict[str, list[str]]) -> _Reply:
        limit = _limit(q, default=100, maximum=1000)
        user = _address(q, "user")
        conditions = _conditions(q)
        if user is None and conditions is None:
            raise _BadRequest("user or condition is required", "user")
        if user is None and conditions is not None and len(conditions) != 1:
            raise _BadRequest("a market's positions take exactly one condition", "condition")
        status = (_one(q, "status") or "OPEN").upper()
        if status not in ("OPEN", "REDEEMABLE", "REDEEMABLE_LOST", "MERGEABLE", "CLOSED"):
            raise _BadRequest("unknown status", "status")
        if status in ("REDEEMABLE_LOST", "MERGEABLE") and user is None:
            raise _BadRequest(f"{status} requires user", "status")
        wanted = {"OPEN": ("OPEN", "REDEEMABLE"), "REDEEMABLE": ("REDEEMABLE",), "CLOSED": ("CLOSED",)}
        start = _int(q, "start") or 0  # on last_event_at
        with self.world.lock:
            rows = [
                p
                for (w, _), p in self.world.positions.items()
                if (user is None or w == user)
                and int(p["last_event_at"]) >= start
                and (conditions is None or str(p["condition_id"]).lower() in conditions)
                and (
                    p["status"] in wanted.get(status, ())
                    or (status == "REDEEMABLE_LOST" and p["status"] == "REDEEMABLE" and p["current_price"] == 0)
                )
            ]
        sort_key = "realized_pnl" if status == "CLOSED" else "current_value"
        rows.sort(key=lambda p: (-Decimal(str(p[sort_key])), str(p["token_id"])))
        return self._offset_page("/v2/positions", q, rows, limit)

    def _holders(self, q: dict[str, list[str]]) -> _Reply:
        conditions = _conditions(q)
        if not conditions:
            raise _BadRequest("condition is required", "condition")
        include_pnl = _bool(q, "include_pnl", default=False)
        if include_pnl and len(conditions) != 1:
            raise _BadRequest("include_pnl takes exactly one condition", "condition")
        limit = _limit(q, default=100, maximum=100 if include_pnl else 1000)
        min_balance = Decimal(_one(q, "min_balance") or "0")
        groups = [
            (token, [h for h in holders if Decimal(str(h["amount"])) >= min_balance])
            for cid in conditions
            for token, holders in self.world.holders_by_token(cid)
        ]
        fp = _fingerprint(q, ("cursor", "limit"))
        offset = 0
        cursor = _one(q, "cursor")
        if cursor:
            state = _decode_cursor(cursor, fp, "cursor")
            offset, limit = int(state["o"]), int(state["l"])
        data = []
        for token, holders in groups:
            rows = holders[offset : offset + limit]
            if not include_pnl:
                rows = [{k: v for k, v in h.items() if k not in PNL_FIELDS} for h in rows]
            if rows:
                data.append({"token_id": token, "holders": rows})
        more = any(len(holders) > offset + limit for _, holders in groups)
        next_offset = offset + limit
        if more and self.faults.pick("data", "/v2/holders", (Fault.DUPLICATE,)) is not None:
            next_offset -= 1
        next_cursor = _encode_cursor({"f": fp, "l": limit, "o": next_offset}) if more else None
        return self._envelope("/v2/holders", data, limit, offset, next_cursor)

    def _leaderboard(self, q: dict[str, list[str]]) -> _Reply:
        limit = _limit(q, default=25, maximum=1000)
        period = (_one(q, "time_period") or "day").lower()
        if period not in ("day", "week", "month", "all"):
            raise _BadRequest("time_period must be day, week, month or all", "time_period")
        category = (_one(q, "category") or "overall").lower()
        sort_by = (_one(q, "sort_by") or "PNL").upper()
        if sort_by not in ("PNL", "VOLUME"):
            raise _BadRequest("sort_by must be PNL or VOLUME", "sort_by")
        with self.world.lock:
            board = [dict(e) for e in self.world.boards.get((category, period), [])]
        field_name = "pnl" if sort_by == "PNL" else "volume"
        board.sort(key=lambda e: -Decimal(str(e[field_name])))
        previous: Any = None
        for position, entry in enumerate(board, start=1):
            entry["rank"] = board[position - 2]["rank"] if entry[field_name] == previous else position
            previous = entry[field_name]
        return self._offset_page("/v2/leaderboard", q, board, limit)

    def _offset_page(self, path: str, q: dict[str, list[str]], rows: list[Any], limit: int) -> _Reply:
        fp = _fingerprint(q, ("cursor", "limit"))
        offset = 0
        cursor = _one(q, "cursor")
        if cursor:
            state = _decode_cursor(cursor, fp, "cursor")
            offset, limit = int(state["o"]), int(state["l"])
        page = rows[offset : offset + limit]
        more = len(rows) > offset + limit
        next_offset = offset + limit
        if more and self.faults.pick("data", path, (Fault.DUPLICATE,)) is not None:
            next_offset -= 1
        next_cursor = _encode_cursor({"f": fp, "l": limit, "o": next_offset}) if more else None
        return self._envelope(path, page, limit, offset, next_cursor)

    def _envelope(self, path: str, data: list[Any], limit: int, offset: int, next_cursor: str | None) -> _Reply:
        body = {
            "data": data + self._take_injected(path),
            "pagination": {
                "limit": limit,
                "offset": offset,
                "has_more": next_cursor is not None,
                "next_cursor": next_cursor,
            },
        }
        return _json(body, headers={"x-trace-id": uuid.uuid4().hex})

    def _take_injected(self, path: str) -> list[Any]:
        out: list[Any] = []
        with self._lock:
            kept = []
            for p, rows, count in self._injected:
                left = count
                if p == path:
                    out.extend(rows)
                    left -= 1
                if left > 0:
                    kept.append((p, rows, left))
            self._injected = kept
        return out

    # --- Gamma ----------------------------------------------------------------------------------
    def _markets_keyset(self, q: dict[str, list[str]]) -> _Reply:
        if "offset" in q:
            raise _BadRequest("offset is not supported on keyset listings: use after_cursor", "offset", status=422)
        limit = _limit(q, default=20, maximum=100, status=422)
        ids = {c.strip().lower() for v in q.get("condition_ids", []) for c in v.split(",") if c.strip()}
        closed = _bool(q, "closed", default=False, status=422)
        with self.world.lock:
            markets = sorted(
                (
                    m
                    for cid, m in self.world.markets.items()
                    if (not ids or cid in ids) and bool(m.row["closed"]) == closed
                ),
                key=lambda m: m.seq,
            )
            order = _one(q, "order")
            if order is not None:
                if order != "volume24hr":
                    raise _BadRequest("unsupported order", "order", status=422)
                descending = not _bool(q, "ascending", default=True, status=422)
                markets.sort(key=lambda m: Decimal(str(m.row.get("volume24hr") or 0)), reverse=descending)
            # the keyset walks in listing order: the position in it is the cursor
            rows = [(i, dict(m.row)) for i, m in enumerate(markets)]
        fp = _fingerprint(q, ("after_cursor", "limit"))
        cursor = _one(q, "after_cursor")
        if cursor:
            after = int(_decode_cursor(cursor, fp, "after_cursor")["s"])
            rows = [(s, r) for s, r in rows if s > after]
        page = rows[:limit]
        next_cursor = _encode_cursor({"f": fp, "s": page[-1][0]}) if len(rows) > limit else None
        body = {"markets": [r for _, r in page] + self._take_injected("/markets/keyset"), "next_cursor": next_cursor}
        return _json(body)


# --- query helpers ------------------------------------------------------------------------------
def _one(q: Mapping[str, list[str]], *names: str) -> str | None:
    for name in names:
        values = q.get(name)
        if values:
            return values[-1]
    return None


def _int(q: Mapping[str, list[str]], name: str) -> int | None:
    value = _one(q, name)
    if value is None or value == "":
        return None
    try:
        return int(value)
    except ValueError as exc:
        raise _BadRequest(f"{name} must be an integer", name) from exc


def _limit(q: Mapping[str, list[str]], *, default: int, maximum: int, status: int = 400) -> int:
    value = _int(q, "limit")
    if value is None:
        return default
    if not 0 <= value <= maximum:
        raise _BadRequest(f"limit must be within 0..{maximum}", "limit", status)
    return value or default


def _bool(q: Mapping[str, list[str]], name: str, *, default: bool, status: int = 400) -> bool:
    value = _one(q, name)
    if value is None:
        return default
    if value.lower() not in ("true", "false"):
        raise _BadRequest(f"{name} must be true or false", name, status)
    return value.lower() == "true"


def _address(q: Mapping[str, list[str]], name: str) -> str | None:
    value = _one(q, name)
    if value is None:
        return None
    if not _ADDRESS.match(value):
        raise _BadRequest(f"{name} must be a wallet address", name)
    if value.lower() in PROTOCOL_CONTRACTS:
        raise _BadRequest(f"{name} is a protocol contract, not a trader", name)
    return value.lower()


def _conditions(q: Mapping[str, list[str]]) -> set[str] | None:
    value = _one(q, "condition", "condition_id", "conditionId")
    if value is None:
        return None
    ids = [c.strip() for c in value.split(",") if c.strip()]
    if not ids or len(ids) > 20 or any(not _HEX.match(c) for c in ids):
        raise _BadRequest("condition takes 1 to 20 comma-separated hex ids", "condition")
    return {c.lower() for c in ids}


# --- HTTP plumbing ------------------------------------------------------------------------------
class _ApiServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], api: PublicApiEmulator, name: str) -> None:
        super().__init__(address, _ApiHandler)
        self.api = api
        self.name = name

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # clients that time out and hang up are part of the fault tests


class _ApiHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: _ApiServer

    def do_GET(self) -> None:
        result = self.server.api.handle(self.server.name, self.path)
        if isinstance(result, _Drop):
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        if result.delay_s > 0:
            self.server.api._stopping.wait(result.delay_s)
        try:
            self.send_response(result.status)
            self.send_header("Content-Type", "application/json")
            for name, value in result.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(result.body)))
            self.end_headers()
            self.wfile.write(result.body)
            self.wfile.flush()
        except OSError:
            self.close_connection = True  # the client gave up (timeout)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def start_public_api(
    *,
    host: str = "127.0.0.1",
    limits: Mapping[str, int] | None = None,
    window_s: float = 10.0,
    enforce_limits: bool = True,
) -> PublicApiEmulator:
    """Start the emulator's two servers (data, gamma) on free loopback ports (stop it, or use `with`)."""
    return PublicApiEmulator(limits=limits, window_s=window_s, enforce_limits=enforce_limits).start(host)
