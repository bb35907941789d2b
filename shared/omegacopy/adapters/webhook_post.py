"""POST a JSON payload to a chat webhook, retried the way the chat services ask.

| reply                                  | what happens                                          |
|----------------------------------------|-------------------------------------------------------|
| the channel's success                  | delivered                                             |
| 429 (Retry-After, or the body's hint)  | wait that long (at most `max_wait_s`), then retry     |
| 5xx, timeout, dropped connection       | retry after a capped exponential backoff              |
| any other reply                        | `DeliveryError` at once (a retry would be refused too) |

Attempts are bounded (`max_attempts`); what is still undelivered raises `DeliveryError`, and the
notifier's invocation is retried by Lambda. Error text names the channel, the status and the
service's short error code — never the URL, which is the secret.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

import httpx

from omegacopy.adapters.clob.resilience import parse_retry_after
from omegacopy.adapters.clock import wall_clock_s
from omegacopy.ports import DeliveryError
from omegacopy.redaction import redact

MAX_REASON: Final = 120  # characters of a service's error text kept in an error


@dataclass(frozen=True, slots=True)
class PostPolicy:
    max_attempts: int = 3
    backoff_s: float = 0.5  # doubled each retry
    max_backoff_s: float = 4.0
    max_wait_s: float = 10.0  # a longer Retry-After is not waited for: the invocation's retry will


@dataclass(frozen=True, slots=True)
class Verdict:
    """How a channel reads a reply: delivered, retry (after `wait_s` when it says), or refused."""

    delivered: bool = False
    retry: bool = False
    wait_s: float | None = None
    reason: str = ""


Judge = Callable[[httpx.Response], Verdict]


class WebhookPoster:
    def __init__(
        self,
        client: httpx.Client,
        policy: PostPolicy | None = None,
        *,
        sleep: Callable[[float], None] = time.sleep,
        now_s: Callable[[], float] = wall_clock_s,
    ) -> None:
        self._client = client
        self._policy = policy or PostPolicy()
        self._sleep = sleep
        self._now_s = now_s

    def post(self, channel: str, url: str, payload: Mapping[str, Any], judge: Judge) -> None:
        policy = self._policy
        last = "no attempt"
        for attempt in range(1, policy.max_attempts + 1):
            try:
                response = self._client.post(url, json=dict(payload))
            except httpx.TransportError as exc:  # timeouts and dropped connections: worth another try
                verdict = Verdict(retry=True, reason=type(exc).__name__)
            else:
                verdict = judge(response) if response.status_code < 500 else Verdict(retry=True)
                if not verdict.reason:
                    verdict = Verdict(verdict.delivered, verdict.retry, verdict.wait_s, f"HTTP {response.status_code}")
                if verdict.retry and verdict.wait_s is None:
                    hinted = parse_retry_after(response.headers.get("Retry-After"), self._now_s())
                    verdict = Verdict(False, True, hinted, verdict.reason)
            if verdict.delivered:
                return
            last = _clean(verdict.reason)
            if not verdict.retry:
                raise DeliveryError(f"{channel} refused the notice: {last}")
            if attempt == policy.max_attempts:
                break
            wait = verdict.wait_s
            if wait is None:
                wait = min(policy.max_backoff_s, policy.backoff_s * 2 ** (attempt - 1))
            if wait > policy.max_wait_s:
                raise DeliveryError(f"{channel} asked to wait {wait:.0f}s (rate limited): {last}")
            self._sleep(wait)
        raise DeliveryError(f"{channel} did not take the notice after {policy.max_attempts} attempts: {last}")


def _clean(reason: str) -> str:
    text = " ".join(redact(reason).split())
    return text if len(text) <= MAX_REASON else text[:MAX_REASON] + "…"
