"""Keeps botocore's wire-level DEBUG lines from writing secrets into logs.

At DEBUG, botocore logs every response body (`botocore.parsers`: "Response body: …") and every
request's parameters (`botocore.endpoint`: "Making request for … with params: …"). For KMS
`GenerateDataKey`/`Decrypt` the response body carries the plaintext data key (base64); for Secrets
Manager the request or response carries the CLOB API secret. A Lambda whose application log level
is switched to DEBUG (or an operator running with `boto3.set_stream_logger("")`) would otherwise
write them to CloudWatch or the terminal.

`install()` adds a filter to those two loggers that keeps the line but replaces the body / params
with a placeholder. It is idempotent and only touches these two DEBUG messages; every other
botocore log line is left alone. The adapters that handle key material or credentials call it at
import.
"""

from __future__ import annotations

import logging
from typing import Final

REDACTED: Final = "<redacted by omegacopy: wire bodies may carry key material or secrets>"
_LOGGERS: Final = ("botocore.parsers", "botocore.endpoint")


class WireBodyRedactor(logging.Filter):
    """Replaces the arguments of botocore's body/params DEBUG lines; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.msg if isinstance(record.msg, str) else ""
        if message.startswith("Response body"):
            record.args = (REDACTED,)
        elif message.startswith("Making request for"):
            args = record.args if isinstance(record.args, tuple) else ()
            operation = args[0] if args else "?"
            record.args = (operation, REDACTED)
        return True


def install() -> None:
    """Attach the redactor to botocore's wire loggers (once per process)."""
    for name in _LOGGERS:
        target = logging.getLogger(name)
        if not any(isinstance(existing, WireBodyRedactor) for existing in target.filters):
            target.addFilter(WireBodyRedactor())


__all__ = ["REDACTED", "WireBodyRedactor", "install"]
