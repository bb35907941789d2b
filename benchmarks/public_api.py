"""Polymarket public-data client against the public-API emulator, in real time.

1. Rate-limit conformance, seen from the server: 4 threads walk trades through one client whose
   limiter knows the emulator's limits (40 per 10 s instead of 200, so three full windows take
   ~21 s). The emulator's request log gives the most requests in any 10 s and the rate sustained;
   429s must be 0.
2. A full-history walk of one wallet (5,000 fills, pages of 1,000): validated rows per second.
3. One Data API source tick for 150 watched wallets (3 fresh fills each) under the published
   limits (trades: 200 per 10 s, 190 with our headroom), markets dimension in memory.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from omegacopy.adapters.data_api_source import DataApiTradeSource, MarketInfo
from omegacopy.adapters.polymarket import Limit, PolymarketPublicData, RateLimiter
from omegacopy.devstack.public_api import PublicApiEmulator, start_public_api, window_stats

ROUTE_LIMIT = 40  # trades per 10 s in the conformance run (published: 200; fewer keeps the run short)
HOST_LIMIT = 100
WINDOWS = 3  # the client's enforced 38 per window, three times over: ~21 s


def _wallet(i: int) -> str:
    return "0x" + f"{i:040x}"


def _market(api: PublicApiEmulator) -> tuple[str, MarketInfo]:
    cid, yes, no = "0x" + secrets.token_hex(32), str(secrets.randbits(250)), str(secrets.randbits(250))
    api.publish_market(cid, outcomes=[("Yes", yes), ("No", no)], category="politics")
    return cid, MarketInfo(category="politics", closed=False, neg_risk=False, yes_token_id=yes, no_token_id=no)


def _conformance() -> list[tuple[str, float, str]]:
    with start_public_api(limits={"data": HOST_LIMIT, "data:/trades": ROUTE_LIMIT}) as api:
        cid, _ = _market(api)
        wallets = [_wallet(i + 1) for i in range(4)]
        limiter = RateLimiter(
            overrides={"data": Limit("data", HOST_LIMIT), "data:/trades": Limit("data:/trades", ROUTE_LIMIT)}
        )
        total = limiter.limits("data", "/v2/trades")[1].max_requests * WINDOWS
        for i in range(total):
            api.publish_trade(wallets[i % len(wallets)], cid)
        client = PolymarketPublicData(
            data_api_url=api.data_url, gamma_api_url=api.gamma_url, page_size=1, limiter=limiter
        )
        threads = [
            threading.Thread(target=lambda w=w: sum(1 for _ in client.wallet_trades(w, start=None))) for w in wallets
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        log = api.request_log
        client.close()
    served = window_stats(log, 10.0, include=lambda r: r.status == 200)["data:/v2/trades"]
    assert served.requests == total
    return [
        ("public_api_trades_limit_per_10s", float(ROUTE_LIMIT), "requests"),
        ("public_api_trades_max_in_any_10s", float(served.max_in_window), "requests"),
        ("public_api_trades_sustained", 100.0 * served.per_window / ROUTE_LIMIT, "% of limit"),
        ("public_api_throttled_429", float(sum(1 for r in log if r.status == 429)), "replies"),
    ]


def _walk() -> list[tuple[str, float, str]]:
    with start_public_api(enforce_limits=False) as api:
        cid, _ = _market(api)
        now = int(api.clock.now())
        wallet = _wallet(7)
        for i in range(5_000):
            api.publish_trade(wallet, cid, size=1 + i % 50, timestamp=now - i)
        client = PolymarketPublicData(data_api_url=api.data_url, gamma_api_url=api.gamma_url)
        best = float("inf")
        for _ in range(3):
            t0 = time.perf_counter()
            rows = sum(len(p.rows) for p in client.wallet_trades(wallet, start=None))
            best = min(best, time.perf_counter() - t0)
        client.close()
    assert rows == 5_000
    return [("public_api_walk_rows_per_s", rows / best, "rows/s"), ("public_api_walk_page_ms", best / 5 * 1000, "ms")]


def _tick() -> list[tuple[str, float, str]]:
    with start_public_api() as api:
        cid, info = _market(api)
        now = int(api.clock.now())
        wallets = [_wallet(1000 + i) for i in range(150)]
        for w in wallets:
            for k in range(3):
                api.publish_trade(w, cid, outcome_index=k % 2, timestamp=now - 20 * k)
        client = PolymarketPublicData(data_api_url=api.data_url, gamma_api_url=api.gamma_url)

        def lookup(ids: Sequence[str]) -> dict[str, MarketInfo]:
            return {c: info for c in ids if c == cid}

        source = DataApiTradeSource(client, markets=lookup)
        t0 = time.perf_counter()
        batch = source.fetch_new_trades(wallets, datetime.now(UTC) - timedelta(seconds=120))
        elapsed = time.perf_counter() - t0
        client.close()
        throttled = sum(1 for r in api.request_log if r.status == 429)
    assert len(batch.trades) == 450 and throttled == 0
    return [("data_api_tick_150_wallets", elapsed * 1000, "ms")]


def run() -> list[tuple[str, float, str]]:
    return _conformance() + _walk() + _tick()


if __name__ == "__main__":
    for name, value, unit in run():
        print(f"{name}: {value:.6g} {unit}")
