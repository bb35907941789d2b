"""Errors the operator reads: one line, what went wrong and how to fix it, never a traceback.

Commands raise `CliError(message, fix)` for what they know; anything else that escapes a command is
turned into the same kind of line by `describe`, which knows the usual suspects (the database is
unreachable or not migrated, no AWS credentials, a service refused, a file is missing) without
importing their libraries. Credentials inside URLs are masked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from omegacopy.redaction import SecretSafeError

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2

# the password runs to the last "@" before the path: an unescaped "@" inside it is still masked
_URL_PASSWORD = re.compile(r"(\b[a-z][a-z0-9+.-]*://[^:/@\s]*:)[^\s/]+@", re.IGNORECASE)
_DEBUG_HINT = "run it again with --debug for the traceback"


class CliError(Exception):
    """A failure with a known fix. `code`: 1 failed, 2 bad input."""

    def __init__(self, message: str, fix: str | None = None, *, code: int = EXIT_FAILED) -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix
        self.code = code


@dataclass(frozen=True, slots=True)
class Problem:
    message: str
    fix: str | None
    code: int

    def line(self) -> str:
        text = mask_secrets(self.message)
        return f"{text} — fix: {mask_secrets(self.fix)}" if self.fix else text


def mask_secrets(text: str) -> str:
    """`scheme://user:password@host` → `scheme://user:***@host`."""
    return _URL_PASSWORD.sub(r"\1***@", text)


def first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0].strip() if text else ""


def _named(exc: BaseException) -> str:
    detail = first_line(exc)
    return f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__


def _module(exc: BaseException) -> str:
    return type(exc).__module__ or ""


def describe(exc: BaseException) -> Problem:  # noqa: PLR0911 - one answer per kind of failure
    """The one-line form of any exception a command let through."""
    if isinstance(exc, CliError):
        return Problem(exc.message, exc.fix, exc.code)
    module, name = _module(exc), type(exc).__name__
    if isinstance(exc, SecretSafeError):  # a driver's error, scrubbed: classify it by what failed
        return _scrubbed(exc)
    if module.startswith("psycopg"):
        return _postgres(exc, name)
    if module.startswith(("botocore", "boto3")):
        return _aws(exc, name)
    if module.startswith("httpx"):
        return Problem(f"HTTP request failed: {_named(exc)}", "check the URL and the network", EXIT_FAILED)
    if module.startswith("clickhouse_connect"):
        return Problem(
            f"ClickHouse error: {first_line(exc)[:300]}", "check CLICKHOUSE_URL and that the server is up", EXIT_FAILED
        )
    if isinstance(exc, FileNotFoundError):
        return Problem(f"file not found: {exc.filename or first_line(exc)}", "check the path", EXIT_BAD_INPUT)
    if isinstance(exc, PermissionError):
        return Problem(f"permission denied: {exc.filename or first_line(exc)}", None, EXIT_FAILED)
    return Problem(f"unexpected error: {_named(exc)}", _DEBUG_HINT, EXIT_FAILED)


def _scrubbed(exc: SecretSafeError) -> Problem:
    detail = first_line(exc).removeprefix(f"{exc.what}: ") if exc.what else first_line(exc)
    if exc.what.startswith("PostgreSQL") and exc.kind == "OperationalError":
        return Problem(
            f"cannot reach PostgreSQL: {detail}",
            "check --database-url / DATABASE_URL and that the server is up",
            EXIT_FAILED,
        )
    if exc.what.startswith("ClickHouse"):
        return Problem(f"ClickHouse error: {detail[:300]}", "check CLICKHOUSE_URL and that the server is up",
                       EXIT_FAILED)  # fmt: skip
    return Problem(f"{first_line(exc)}", _DEBUG_HINT, EXIT_FAILED)


def _postgres(exc: BaseException, name: str) -> Problem:
    sqlstate = getattr(exc, "sqlstate", None) or ""
    if name == "OperationalError" or sqlstate.startswith("08"):
        return Problem(
            f"cannot reach PostgreSQL: {first_line(exc)}",
            "check --database-url / DATABASE_URL and that the server is up",
            EXIT_FAILED,
        )
    if sqlstate in ("42P01", "42703"):  # undefined table / column
        return Problem(
            f"the database schema is older than this version ({first_line(exc)})", "omegacopy db migrate", EXIT_FAILED
        )
    return Problem(f"database error: {_named(exc)}", _DEBUG_HINT, EXIT_FAILED)


def _aws(exc: BaseException, name: str) -> Problem:
    if name in ("NoCredentialsError", "PartialCredentialsError", "NoRegionError"):
        return Problem(
            f"AWS is not configured ({first_line(exc)})",
            "set AWS credentials and a region (AWS_PROFILE / AWS_REGION), or load the local stack's local.env",
            EXIT_FAILED,
        )
    if name in ("EndpointConnectionError", "ConnectTimeoutError", "ReadTimeoutError"):
        return Problem(f"cannot reach AWS: {first_line(exc)}", "check the network or AWS_ENDPOINT_URL", EXIT_FAILED)
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        error = response.get("Error", {})
        return Problem(
            f"AWS refused: {error.get('Code', name)}: {error.get('Message', '')}".rstrip(": "),
            "check the IAM permissions and the resource name",
            EXIT_FAILED,
        )
    return Problem(f"AWS error: {_named(exc)}", _DEBUG_HINT, EXIT_FAILED)


__all__ = [
    "EXIT_BAD_INPUT",
    "EXIT_FAILED",
    "EXIT_OK",
    "CliError",
    "Problem",
    "describe",
    "first_line",
    "mask_secrets",
]
