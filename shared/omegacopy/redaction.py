"""Secrets out of error text and log records.

The composition root and the adapters that hold a secret (database and ClickHouse URLs, CLOB API
secrets and passphrases) `register` it once; `redact` then replaces every registered secret, in
the forms a driver may quote it (as given, percent-decoded, percent-encoded), and the password of
any `scheme://user:password@` URL, with `<redacted>`. Used by:
- the database and ClickHouse connection adapters, which re-raise driver errors as `SecretSafeError`
  with scrubbed text and no chained cause (libpq quotes a password with a `%` back in its error);
- the logger's serializer (`observability`), so no record carries a secret;
- the Lambda handlers (`redacted_errors`), so an error message leaving the function is scrubbed.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Final
from urllib.parse import quote, unquote, urlsplit

REDACTED: Final = "<redacted>"
_MIN_SECRET = 4  # shorter values would redact ordinary words
_URL_PASSWORD = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.-]*://[^\s:/@]*:)(?P<password>[^\s@/]+)(?=@)")

_lock = threading.Lock()
_secrets: set[str] = set()
_pattern: re.Pattern[str] | None = None


class SecretSafeError(RuntimeError):
    """A failure whose original text could carry a secret: the same message, scrubbed.

    `what` says what failed ("PostgreSQL connection failed"), `kind` the original exception's class
    name, so callers can still tell an unreachable server from a refused query."""

    def __init__(self, message: str, *, what: str = "", kind: str = "") -> None:
        super().__init__(message)
        self.what = what
        self.kind = kind


def register(*values: str | None) -> None:
    """Remember secrets to scrub (and, for a URL, its password in every form)."""
    global _pattern  # noqa: PLW0603 - one process-wide registry, rebuilt on change
    forms: set[str] = set()
    for value in values:
        if not value:
            continue
        forms |= _forms(value)
        if "://" in value:
            try:
                password = urlsplit(value).password
            except ValueError:
                password = None
            if password:
                forms |= _forms(password)
    forms = {f for f in forms if len(f) >= _MIN_SECRET}
    with _lock:
        if forms <= _secrets:
            return
        _secrets.update(forms)
        # longest first, so a URL is replaced whole before its password inside it
        _pattern = re.compile("|".join(re.escape(s) for s in sorted(_secrets, key=len, reverse=True)))


def _forms(value: str) -> set[str]:
    plain = {value, unquote(value), quote(value, safe=""), quote(value, safe="%")}
    return plain | {json.dumps(f)[1:-1] for f in plain}  # as it appears inside a JSON log record


def redact(text: str) -> str:
    """`text` without any registered secret or URL password."""
    pattern = _pattern
    if pattern is not None:
        text = pattern.sub(REDACTED, text)
    return _URL_PASSWORD.sub(lambda m: m.group("head") + REDACTED, text)


def scrubbed(exc: BaseException, what: str) -> SecretSafeError:
    """A `SecretSafeError` saying what failed, with the driver's message scrubbed (raise it `from None`)."""
    detail = redact(" ".join(str(exc).split()))
    kind = type(exc).__name__
    return SecretSafeError(f"{what}: {kind}: {detail}" if detail else f"{what}: {kind}", what=what, kind=kind)


@contextmanager
def redacted_errors() -> Iterator[None]:
    """Around a Lambda handler's body: an exception whose text (or cause's text) holds a secret leaves
    as a `SecretSafeError` with the text scrubbed and no chain; any other passes unchanged."""
    try:
        yield
    except Exception as exc:
        texts: list[str] = []
        seen: BaseException | None = exc
        while seen is not None and len(texts) < 10:
            texts.append(str(seen))
            seen = seen.__cause__ or seen.__context__
        if any(redact(t) != t for t in texts):
            raise scrubbed(exc, "failed") from None
        raise


__all__ = ["REDACTED", "SecretSafeError", "redact", "redacted_errors", "register", "scrubbed"]
