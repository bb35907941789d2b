"""OWRR for every market a tick touches: PostgreSQL cache first, one batched computation for the rest.

Fallbacks, in order: fresh cache → compute → stale cache → neutral (which makes entries skip).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from omegacopy.domain.owrr import OwrrResult, compute_owrr, neutral_owrr
from omegacopy.ports import MonitorSession, OwrrInputs, Telemetry


class OwrrOrigin(StrEnum):
    CACHE = "cache"
    COMPUTED = "computed"
    STALE = "stale"
    NEUTRAL = "neutral"


@dataclass(frozen=True, slots=True)
class OwrrLookup:
    results: dict[str, OwrrResult]
    origins: dict[str, OwrrOrigin]

    def count(self, origin: OwrrOrigin) -> int:
        return sum(1 for o in self.origins.values() if o is origin)


def lookup_owrr(
    markets: Mapping[str, str | None],
    db: MonitorSession,
    inputs: OwrrInputs,
    now: datetime,
    ttl_s: int,
    *,
    telemetry: Telemetry,
) -> OwrrLookup:
    """`markets`: condition_id -> category (None: unknown category → neutral, never computed)."""
    results: dict[str, OwrrResult] = {}
    origins: dict[str, OwrrOrigin] = {}
    known = {cid: cat for cid, cat in markets.items() if cat}
    for cid, cat in markets.items():
        if not cat:
            results[cid], origins[cid] = neutral_owrr(None), OwrrOrigin.NEUTRAL

    cached = db.cached_owrr(list(known.items())) if known else {}
    fresh_after = now - timedelta(seconds=ttl_s)
    missing: dict[str, str] = {}
    for cid, cat in known.items():
        hit = cached.get((cid, cat))
        if hit is not None and hit.computed_at >= fresh_after:
            results[cid], origins[cid] = hit.result, OwrrOrigin.CACHE
        else:
            missing[cid] = cat
    if not missing:
        return OwrrLookup(results, origins)

    try:
        loaded = inputs.load(missing)
    except Exception as exc:  # any source failure degrades to stale/neutral, never blocks the tick
        telemetry.warning("owrr inputs unavailable, using stale or neutral values", error=type(exc).__name__)
        for cid, cat in missing.items():
            stale = cached.get((cid, cat))
            if stale is not None:
                results[cid], origins[cid] = stale.result, OwrrOrigin.STALE
            else:
                results[cid], origins[cid] = neutral_owrr(cat), OwrrOrigin.NEUTRAL
        return OwrrLookup(results, origins)

    computed: list[tuple[str, str, OwrrResult]] = []
    for cid, cat in missing.items():
        market = loaded.get(cid)
        result = compute_owrr(cat, market.positions, market.metrics) if market else compute_owrr(cat, (), ())
        results[cid], origins[cid] = result, OwrrOrigin.COMPUTED
        computed.append((cid, cat, result))
    db.store_owrr(computed, now)
    return OwrrLookup(results, origins)
