"""Redaction: registered secrets and URL passwords never survive into error text or log records."""

from __future__ import annotations

import io
import json
import logging

import pytest

from omegacopy.observability import logger
from omegacopy.redaction import REDACTED, SecretSafeError, redact, redacted_errors, register

URL = "postgresql://omega:p%zzw0rd-unit@db.internal:5432/omegacopy"


def test_every_form_of_a_registered_url_password_is_scrubbed() -> None:
    register(URL)
    for quoted in (URL, "p%zzw0rd-unit", 'invalid percent-encoded token: "p%zzw0rd-unit"'):
        assert "zzw0rd" not in redact(quoted)
    assert redact("postgresql://x:never-registered@db.test/db") == f"postgresql://x:{REDACTED}@db.test/db"
    assert redact("nothing secret here") == "nothing secret here"


def test_an_error_with_a_secret_leaves_a_handler_scrubbed_and_unchained() -> None:
    register("api-secret-Zq9w")
    with pytest.raises(SecretSafeError) as raised, redacted_errors():
        try:
            raise KeyError("lookup failed")
        except KeyError as inner:
            raise ValueError("bad credentials api-secret-Zq9w") from inner
    assert "Zq9w" not in str(raised.value)
    assert raised.value.__cause__ is None and raised.value.__suppress_context__


def test_an_error_without_a_secret_passes_unchanged() -> None:
    with pytest.raises(KeyError), redacted_errors():
        raise KeyError("plain")


def test_log_records_are_scrubbed() -> None:
    register("passphrase-Kx7")
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(logger.registered_formatter)  # what the function's log stream writes with
    logger.addHandler(handler)
    try:
        logger.warning("failed with passphrase-Kx7", extra={"detail": {"conn": "https://u:hunter22@ch.test:8443/db"}})
    finally:
        logger._logger.removeHandler(handler)  # Powertools has addHandler but no removeHandler
    line = out.getvalue().strip()
    record = json.loads(line)
    assert "Kx7" not in line and "hunter22" not in line
    assert record["message"] == f"failed with {REDACTED}"
