"""The daily summary's source: its read of the books in PostgreSQL (it posts through the notifier's
channels)."""

from __future__ import annotations

import os
from functools import cache

from omegacopy.adapters.pg_daily_summary import PgDailySummary
from omegacopy.config import DailySummaryEnv
from omegacopy.wiring.secrets import secret_or_url


@cache
def daily_summary_source() -> PgDailySummary:
    env = DailySummaryEnv.from_environ(os.environ)
    return PgDailySummary(secret_or_url(env.database_url, env.database_secret_arn, "database"))
