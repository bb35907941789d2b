"""Tunables that do not change: the backtest's replay and the benchmarks, which read no SSM."""

from __future__ import annotations

from omegacopy.domain.models import Tunables


class FixedTunables:
    """A `TunablesSource` that always gives the tunables it was made with."""

    def __init__(self, tunables: Tunables) -> None:
        self._tunables = tunables

    def get(self) -> Tunables:
        return self._tunables
