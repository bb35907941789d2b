"""OWRR for every market a tick touches: PostgreSQL cache first, one batched computation for the rest.

Fallbacks, in order: fresh cache → compute → stale cache → neutral (which makes entries skip), per
market: one market's failure never neutralises another's. Input rows the source rejected cast no
vote; they are counted (`InvalidConsensusRows`) and logged once per lookup with their reasons.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from omegacopy.domain.owrr import OwrrResult, compute_owrr, neutral_owrr
from omegacopy.ports import CachedOwrr, MarketOwrrInputs, MonitorSession, OwrrInputs, Telemetry


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
            _fall_back(cid, cat, cached.get((cid, cat)), results, origins)
        return OwrrLookup(results, origins)

    _report_rejected(loaded, telemetry)
    computed: list[tuple[str, str, OwrrResult]] = []
    for cid, cat in missing.items():
        market = loaded.get(cid) or MarketOwrrInputs((), ())
        try:
            result = compute_owrr(cat, market.positions, market.metrics)
        except Exception as exc:  # this market only: the others keep their computed values
            telemetry.warning("owrr computation failed", condition_id=cid, error=type(exc).__name__)
            _fall_back(cid, cat, cached.get((cid, cat)), results, origins)
            continue
        results[cid], origins[cid] = result, OwrrOrigin.COMPUTED
        computed.append((cid, cat, result))
    db.store_owrr(computed, now)
    return OwrrLookup(results, origins)


def _fall_back(
    cid: str,
    cat: str,
    stale: CachedOwrr | None,
    results: dict[str, OwrrResult],
    origins: dict[str, OwrrOrigin],
) -> None:
    if stale is not None:
        results[cid], origins[cid] = stale.result, OwrrOrigin.STALE
    else:
        results[cid], origins[cid] = neutral_owrr(cat), OwrrOrigin.NEUTRAL


def _report_rejected(loaded: Mapping[str, MarketOwrrInputs], telemetry: Telemetry) -> None:
    reasons: Counter[str] = Counter()
    markets = 0
    for inputs in loaded.values():
        if inputs.rejected:
            markets += 1
            reasons.update(r.reason for r in inputs.rejected)
    if not reasons:
        return
    telemetry.count("InvalidConsensusRows", sum(reasons.values()))
    telemetry.warning("consensus rows rejected: no vote", markets=markets, reasons=dict(reasons.most_common(10)))
