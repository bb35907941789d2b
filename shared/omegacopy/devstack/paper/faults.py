"""Fault modes of the paper exchange, switchable at run time:
`exchange.faults.set(FaultMode.SLOW, count=1, delay_s=0.3, paths=["/order"])`.

A rule fires on matching requests (paths: exact, or prefixes ending in "*"; methods), a number of
times or with a probability. Faults marked "not processed" answer before the exchange does
anything; the others let the request do its work and then spoil the reply.
"""

from __future__ import annotations

import copy
import random
import threading
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

_ORDER_PATHS: Final = frozenset({"/order", "/orders"})
_CANCEL_PATHS: Final = frozenset({"/order", "/orders", "/cancel-all", "/cancel-market-orders"})


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
    NOT_FOUND = "not_found"  # not processed; 404 "No orderbook exists ..." (a book that vanished)


NOT_PROCESSED_BY_DEFAULT = frozenset(
    {
        FaultMode.RATE_LIMITED,
        FaultMode.SERVER_ERROR,
        FaultMode.BAD_GATEWAY,
        FaultMode.TRADING_DISABLED,
        FaultMode.CANCEL_ONLY,
        FaultMode.RESTARTING,
        FaultMode.DROP_BEFORE,
        FaultMode.HTML_ERROR,
        FaultMode.NOT_FOUND,
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
            processed=(mode not in NOT_PROCESSED_BY_DEFAULT) if processed is None else processed,
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


# What a fault that answers by itself says: (HTTP status, error message).
CANNED: Final[dict[FaultMode, tuple[int, str]]] = {
    FaultMode.SERVER_ERROR: (500, "could not run the execution"),
    FaultMode.BAD_GATEWAY: (502, "bad gateway"),
    FaultMode.TRADING_DISABLED: (503, "Trading is currently disabled. Check polymarket.com for updates"),
    FaultMode.CANCEL_ONLY: (
        503,
        "Trading is currently cancel-only. New orders are not accepted, but cancels are allowed.",
    ),
    FaultMode.RESTARTING: (425, "the exchange is restarting, please retry"),
    FaultMode.SLOW: (504, "timeout"),
    FaultMode.NOT_FOUND: (404, "No orderbook exists for the requested token id"),
}


def html_page(status: int) -> bytes:
    """The error page a load balancer serves in front of the API."""
    return (
        f"<!DOCTYPE html><html><head><title>{status} Error</title></head>"
        f"<body><h1>{status}</h1><p>The upstream server returned an error.</p></body></html>"
    ).encode()
