"""Our id of a Data API fill. The API exposes no fill id, and a transaction hash is shared by fills.

A fill is named by what the API says about it: wallet, transaction, token, side, size, price and
timestamp (addresses lower-case, numbers in canonical decimal text, so 250 and 250.0 agree). Two
fills of one transaction can say exactly the same thing (a taker crossing two equal maker orders),
so the id also carries an occurrence ordinal: the n-th row with that description in the walk
gets ordinal n. Equal fills share their timestamp, so every walk that holds one holds all of them
(the `start` filter cuts by timestamp) and numbers them alike, whoever reads (monitor or indexer),
whatever the page size. A walk resumed from one of our cursors continues the count: the cursor
carries the counts of the rows at the page's last timestamp.

The one case it cannot cover: the API serving one fill twice in a walk is indistinguishable from
two equal fills, and gets two ids. The trades feed is a keyset walk, documented as stable across
writes, so this needs a fault on Polymarket's side.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

_CURSOR_PREFIX = "oc1."


def canonical_decimal(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text


def fill_key(
    *, wallet: str, tx_hash: str, token_id: str, side: str, size: Decimal, price: Decimal, timestamp: int
) -> str:
    """A fill's description as a digest: equal for equal fills, different otherwise."""
    text = "|".join(
        (
            wallet.lower(),
            tx_hash.lower(),
            token_id,
            side.upper(),
            canonical_decimal(size),
            canonical_decimal(price),
            str(timestamp),
        )
    )
    return hashlib.sha256(text.encode()).hexdigest()[:32]


@dataclass(frozen=True, slots=True)
class Carry:
    """The occurrence counts a resumed walk inherits: those of the rows at the last timestamp read."""

    timestamp: int | None = None
    counts: Mapping[str, int] = field(default_factory=dict)


class FillIdentities:
    """The ids of one walk over fills, in the API's order (create one per walk)."""

    def __init__(self, carry: Carry | None = None) -> None:
        carry = carry or Carry()
        self._counts: dict[str, int] = dict(carry.counts)
        self._timestamp_of: dict[str, int] = {}
        if carry.timestamp is not None:
            self._timestamp_of = dict.fromkeys(carry.counts, carry.timestamp)
        self._last_timestamp = carry.timestamp

    def id_for(self, key: str, timestamp: int) -> str:
        ordinal = self._counts.get(key, 0)
        self._counts[key] = ordinal + 1
        self._timestamp_of[key] = timestamp
        self._last_timestamp = timestamp
        return "pm-" + hashlib.sha256(f"{key}#{ordinal}".encode()).hexdigest()[:40]

    def carry(self) -> Carry:
        last = self._last_timestamp
        return Carry(last, {k: self._counts[k] for k, ts in self._timestamp_of.items() if ts == last})


def wrap_cursor(server_cursor: str | None, carry: Carry) -> str | None:
    """Our cursor: the server's plus the identity carry (None when the walk is over)."""
    if server_cursor is None:
        return None
    body = {"c": server_cursor, "t": carry.timestamp, "k": dict(carry.counts)}
    text = json.dumps(body, separators=(",", ":"), sort_keys=True)
    return _CURSOR_PREFIX + base64.urlsafe_b64encode(text.encode()).decode()


def unwrap_cursor(cursor: str | None) -> tuple[str | None, Carry]:
    """(server cursor, carry) of one of our cursors; a bare server cursor carries nothing."""
    if cursor is None or not cursor.startswith(_CURSOR_PREFIX):
        return cursor, Carry()
    try:
        body = json.loads(base64.urlsafe_b64decode(cursor[len(_CURSOR_PREFIX) :].encode()))
        server, timestamp = body["c"], body["t"]
        counts = {str(k): int(v) for k, v in body["k"].items()}
    except (ValueError, KeyError, TypeError, AttributeError, binascii.Error) as exc:
        raise ValueError("not a cursor this client issued") from exc
    if not isinstance(server, str) or not (timestamp is None or isinstance(timestamp, int)):
        raise ValueError("not a cursor this client issued")
    return server, Carry(timestamp, counts)
