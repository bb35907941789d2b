"""Instants as the wire wants them: whole Unix seconds or milliseconds of an aware datetime.

Time is read in one place (the `Clock` port); everything else carries aware UTC datetimes and
converts here, at the edge that needs a number.
"""

from __future__ import annotations

from datetime import datetime


def epoch_s(at: datetime) -> int:
    """Whole Unix seconds (truncated)."""
    return int(at.timestamp())


def epoch_ms(at: datetime) -> int:
    """Whole Unix milliseconds (truncated): order timestamps, so re-signing reproduces a hash."""
    return int(at.timestamp() * 1000)
