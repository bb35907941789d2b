"""What a failed CLOB call raises. Messages never contain credentials."""

from __future__ import annotations

from omegacopy.ports import NoOrderBookError


class ClobError(Exception):
    """A CLOB read/request failed."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        retry_after_s: float | None = None,
        payload: object = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after_s = retry_after_s
        self.payload = payload  # the decoded error body, when it was JSON


class ClobUnavailableError(ClobError):
    """Transport failure or 5xx after the allowed retries."""


class ClobThrottledError(ClobError):
    """429 / 425 after the allowed retries; `retry_after_s` when the server said."""


class ClobBadResponseError(ClobError):
    """The reply was not what the API returns: HTML, truncated or schema-violating JSON."""


class ClobAuthError(ClobError):
    """401/403: credentials refused."""


class ClobNotFoundError(ClobError):
    """404."""


class ClobNoOrderBookError(ClobNotFoundError, NoOrderBookError):
    """404 on a book read: the market has no order book (closed, resolved, unknown)."""


class ClobRequestError(ClobError):
    """Another 4xx: the request itself was refused."""


class ClobHaltedError(ClobError):
    """503 trading disabled / cancel-only."""


class ClockSkewError(ClobError):
    """Local clock too far from the exchange's: the client refuses to trade."""
