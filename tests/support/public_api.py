"""Clocks for the public-data client under test: time moves when the client waits, never by sleeping.

`FakeTimer` is the limiter's monotonic clock; `sleep` records the wait and moves time on.
`LinkedTimer` also moves the emulator's clock by the same amount, so a Retry-After the emulator
asked for has really passed on its side when the client comes back. `EmulatorWallClock` is the
client's wall clock read from the emulator (row timestamps, HTTP dates).
"""

from __future__ import annotations

import secrets
import threading
from datetime import UTC, datetime

from omegacopy.devstack.public_api import SettableClock


class FakeTimer:
    def __init__(self, start: float = 10_000.0) -> None:
        self._now = start
        self._lock = threading.Lock()
        self.slept: list[float] = []

    def monotonic(self) -> float:
        with self._lock:
            return self._now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.slept.append(seconds)
            self._now += max(0.0, seconds)
        self.moved(max(0.0, seconds))

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += seconds
        self.moved(seconds)

    def moved(self, seconds: float) -> None:
        """Hook: time moved by `seconds`."""


class LinkedTimer(FakeTimer):
    def __init__(self, clock: SettableClock, start: float = 10_000.0) -> None:
        super().__init__(start)
        self._clock = clock

    def moved(self, seconds: float) -> None:
        self._clock.shift(seconds)


class EmulatorWallClock:
    def __init__(self, clock: SettableClock) -> None:
        self._clock = clock

    def now(self) -> datetime:
        return datetime.fromtimestamp(self._clock.now(), UTC)

    def monotonic(self) -> float:
        return self._clock.now()


def condition_id() -> str:
    return "0x" + secrets.token_hex(32)


def token_id() -> str:
    return str(secrets.randbits(250))


def tx_hash() -> str:
    return "0x" + secrets.token_hex(32)
