"""The polite HTTP client of Polymarket's public APIs: rate-limited, retried, budgeted, counted.

Every GET first takes a slot from the shared `RateLimiter`, then:

| reply                                            | what happens                                   |
|--------------------------------------------------|------------------------------------------------|
| 2xx with a JSON body                             | returned (floats parsed as Decimal)            |
| 429                                              | counted; every caller of the host waits        |
|                                                  | Retry-After (seconds or HTTP date), then retry |
| 5xx (503 request_timeout included), 408, 425,    | retried with capped exponential backoff and    |
| timeout, dropped connection, unreadable 2xx body | full jitter (Retry-After when the server says) |
| other 4xx                                        | `PublicApiRejectedError`, never retried        |

Attempts are bounded per call (`PublicApiRetryPolicy.max_attempts`). A run's `RunBudget` (a deadline
and/or a number of requests) is checked before every attempt: a request that cannot start and
finish (its timeout) before the deadline, or would exceed the request count, is not sent and
`BudgetExhaustedError` is raised instead. Error messages name the route, the status and the API's
error code and text; never a URL or its query.
"""

from __future__ import annotations

import json
import random
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import httpx
from pydantic import ValidationError

from omegacopy.adapters.clob.resilience import parse_retry_after
from omegacopy.adapters.clock import wall_clock_s
from omegacopy.adapters.polymarket.limits import Host, RateLimiter, Timer, WouldWaitPastDeadlineError
from omegacopy.adapters.polymarket.wire import WireError
from omegacopy.ports import BudgetExhaustedError, PublicDataError

QueryValue = str | int | bool | list[str]


class PublicApiUnavailableError(PublicDataError):
    """5xx, timeouts or dropped connections outlasted the retries."""


class PublicApiThrottledError(PublicDataError):
    """429 outlasted the retries, or the server asked for a longer pause than we accept."""


class PublicApiRejectedError(PublicDataError):
    """A 4xx other than 429: the request itself is wrong (never retried)."""

    def __init__(self, message: str, *, status: int, code: str | None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


class MalformedResponseError(PublicDataError):
    """A 2xx whose body is not the documented shape (not JSON, or no data/pagination)."""


@dataclass(frozen=True, slots=True)
class PublicApiRetryPolicy:
    max_attempts: int = 4  # per call, the first attempt included
    base_delay_s: float = 0.5
    max_delay_s: float = 8.0
    max_retry_after_s: float = 60.0  # a longer Retry-After fails the call instead of stalling it

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be >= 1")


@dataclass(frozen=True, slots=True)
class RunBudget:
    """What one run may spend: a deadline on the limiter's monotonic clock, and/or a request count."""

    deadline: float | None = None
    max_requests: int | None = None

    @classmethod
    def within(cls, timer: Timer, seconds: float | None = None, *, max_requests: int | None = None) -> RunBudget:
        return cls(None if seconds is None else timer.monotonic() + seconds, max_requests)


@dataclass(slots=True)
class RouteCounts:
    requests: int = 0  # attempts sent
    throttled: int = 0  # 429 replies
    retries: int = 0  # attempts after the first
    errors: int = 0  # calls that finally failed


@dataclass(frozen=True, slots=True)
class CallStats:
    """Counters of the current run, per route ("data:/v2/trades") and in total."""

    by_route: Mapping[str, RouteCounts] = field(default_factory=dict)

    def total(self) -> RouteCounts:
        out = RouteCounts()
        for c in self.by_route.values():
            out.requests += c.requests
            out.throttled += c.throttled
            out.retries += c.retries
            out.errors += c.errors
        return out


class PoliteHttp:
    def __init__(
        self,
        base_urls: Mapping[Host, str],
        *,
        limiter: RateLimiter,
        timeout_s: float = 8.0,
        retry: PublicApiRetryPolicy | None = None,
        wall_clock: Callable[[], float] = wall_clock_s,
        rng: random.Random | None = None,
        max_connections: int = 16,
        user_agent: str = "omegacopy",
    ) -> None:
        self._base = {host: url.rstrip("/") for host, url in base_urls.items()}
        self._limiter = limiter
        self._timer = limiter.timer
        self._timeout_s = timeout_s
        self._retry = retry or PublicApiRetryPolicy()
        self._wall = wall_clock
        self._rng = rng or random.Random()  # noqa: S311 - backoff jitter, not security
        self._http = httpx.Client(
            timeout=httpx.Timeout(timeout_s, connect=min(timeout_s, 5.0)),
            limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections),
            headers={"User-Agent": user_agent, "Accept": "application/json"},
        )
        self._lock = threading.Lock()
        self._budget = RunBudget()
        self._sent = 0
        self._counts: dict[str, RouteCounts] = {}

    @property
    def timer(self) -> Timer:
        return self._timer

    def begin_run(self, budget: RunBudget | None = None) -> None:
        """Start a run: a new budget, counters from zero."""
        with self._lock:
            self._budget = budget or RunBudget()
            self._sent = 0
            self._counts = {}

    def stats(self) -> CallStats:
        with self._lock:
            return CallStats(
                {k: RouteCounts(v.requests, v.throttled, v.retries, v.errors) for k, v in self._counts.items()}
            )

    def close(self) -> None:
        self._http.close()

    def get_json(self, host: Host, path: str, params: Mapping[str, QueryValue]) -> Any:
        route = f"{host}:{path}"
        url = self._base[host] + path
        attempt = 0
        while True:
            attempt += 1
            self._take_slot(host, path, route)
            outcome = self._attempt(path, route, url, params)
            if isinstance(outcome, _Success):
                return outcome.body
            failure, retry_after = outcome.error, outcome.retry_after_s
            if attempt >= self._retry.max_attempts or (
                retry_after is not None and retry_after > self._retry.max_retry_after_s
            ):
                self._count(route, errors=1)
                raise failure
            delay = retry_after if retry_after is not None else self._backoff(attempt)
            self._ensure_time_for(route, delay, failure)
            self._count(route, retries=1)
            if isinstance(failure, PublicApiThrottledError):
                self._limiter.pause(host, delay)  # the next acquire waits it out, with every other caller
            else:
                self._timer.sleep(delay)

    # --- one attempt ------------------------------------------------------------------------------
    def _attempt(self, path: str, route: str, url: str, params: Mapping[str, QueryValue]) -> _Success | _Failure:
        """One GET: a success, a failure worth retrying, or a raised final error."""
        try:
            reply = self._http.get(url, params=_query(params))
        except httpx.TimeoutException:
            return _Failure(PublicApiUnavailableError(f"{path}: timed out after {self._timeout_s:g} s"))
        except httpx.TransportError as exc:
            return _Failure(PublicApiUnavailableError(f"{path}: connection failed ({type(exc).__name__})"))
        status = reply.status_code
        if 200 <= status < 300:
            try:
                return _Success(json.loads(reply.content, parse_float=Decimal))
            except ValueError:  # a cut-off body: the next attempt may read it whole
                return _Failure(MalformedResponseError(f"{path}: HTTP {status} with a body that is not JSON"))
        code, message, retryable = _error_envelope(reply)
        retry_after = parse_retry_after(reply.headers.get("retry-after"), self._wall())
        text = f"{path}: HTTP {status}" + (f" {code}" if code else "") + (f": {message}" if message else "")
        if status == 429:
            self._count(route, throttled=1)
            return _Failure(PublicApiThrottledError(text), retry_after)
        if (status >= 500 or status in (408, 425)) and retryable is not False:  # a gateway's timeout, too early
            return _Failure(PublicApiUnavailableError(text), retry_after)
        if status >= 500:
            self._count(route, errors=1)
            raise PublicApiUnavailableError(text)
        self._count(route, errors=1)
        raise PublicApiRejectedError(text, status=status, code=code)

    # --- budget and limiter -----------------------------------------------------------------------
    def _take_slot(self, host: Host, path: str, route: str) -> None:
        with self._lock:
            budget = self._budget
            if budget.max_requests is not None and self._sent >= budget.max_requests:
                raise BudgetExhaustedError(f"{path}: the run's {budget.max_requests} requests are spent")
        latest_start = None if budget.deadline is None else budget.deadline - self._timeout_s
        try:
            self._limiter.acquire(host, path, deadline=latest_start)
        except WouldWaitPastDeadlineError as exc:
            raise BudgetExhaustedError(f"{path}: no rate-limit slot before the run's deadline") from exc
        if latest_start is not None and self._timer.monotonic() > latest_start:
            raise BudgetExhaustedError(f"{path}: too close to the run's deadline to start a request")
        with self._lock:
            self._sent += 1
        self._count(route, requests=1)

    def _ensure_time_for(self, route: str, delay: float, failure: PublicDataError) -> None:
        deadline = self._budget.deadline
        if deadline is not None and self._timer.monotonic() + delay + self._timeout_s > deadline:
            self._count(route, errors=1)
            raise BudgetExhaustedError(f"the run's deadline comes before the next retry ({failure})") from failure

    def _backoff(self, attempt: int) -> float:
        ceiling = min(self._retry.max_delay_s, self._retry.base_delay_s * (2 ** (attempt - 1)))
        return self._rng.uniform(0.0, ceiling)  # full jitter

    def _count(self, route: str, *, requests: int = 0, throttled: int = 0, retries: int = 0, errors: int = 0) -> None:
        with self._lock:
            c = self._counts.setdefault(route, RouteCounts())
            c.requests += requests
            c.throttled += throttled
            c.retries += retries
            c.errors += errors


@dataclass(frozen=True, slots=True)
class _Success:
    body: Any


@dataclass(frozen=True, slots=True)
class _Failure:
    error: PublicDataError
    retry_after_s: float | None = None


def _query(params: Mapping[str, QueryValue]) -> httpx.QueryParams:
    """httpx query pairs: booleans as true/false, lists as repeated keys (Gamma's array style)."""
    pairs: list[tuple[str, str | int | float | bool | None]] = []
    for key, value in params.items():
        if isinstance(value, bool):
            pairs.append((key, "true" if value else "false"))
        elif isinstance(value, list):
            pairs.extend((key, str(v)) for v in value)
        else:
            pairs.append((key, str(value)))
    return httpx.QueryParams(pairs)


def _error_envelope(reply: httpx.Response) -> tuple[str | None, str | None, bool | None]:
    """(code, message, retryable) of the v2 error envelope, as far as the body is one."""
    try:
        envelope = WireError.model_validate(reply.json())
    except (ValueError, ValidationError):
        return None, None, None
    message = None if envelope.error is None else envelope.error[:160]
    return envelope.code, message, envelope.retryable
