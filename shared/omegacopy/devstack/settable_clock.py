"""The clock of the local servers (the paper exchange, the public-API emulator): real time plus an
offset, or frozen, so a test can set or move the time the server sees."""

from __future__ import annotations

import threading
import time


class SettableClock:
    """Real time plus an offset, or frozen (`set`). Epoch seconds, float."""

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
        """Run on from where it stood."""
        with self._lock:
            if self._frozen is not None:
                self._offset = self._frozen - time.time()
            self._frozen = None
