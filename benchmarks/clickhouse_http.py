"""The dev stack's ClickHouse HTTP interface: round trips of a tiny query and a ~1.2 MB reply.

A delayed-ACK (Nagle) stall alone would add ~40 ms per round trip; the test suite checks the
sockets' TCP_NODELAY, this measures what it buys.
"""

from __future__ import annotations

import statistics
import time

from omegacopy.devstack.clickhouse import start_clickhouse

ROUND_TRIPS = 30


def run() -> list[tuple[str, float, str]]:
    with start_clickhouse() as server:
        client = server.client()
        timings = []
        for _ in range(ROUND_TRIPS):
            started = time.perf_counter()
            client.query("SELECT 1")
            client.query("SELECT randomString(100) FROM numbers(12000)")
            timings.append((time.perf_counter() - started) * 1000)
    return [("clickhouse_http_round_trip_ms", statistics.median(timings), "ms")]
