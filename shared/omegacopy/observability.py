"""The one place that owns Powertools Logger, Tracer and Metrics for every function.

Every log record is serialized through `redaction.redact`: a registered secret (database or
ClickHouse URL, CLOB API secret, passphrase) or a URL password never reaches a log line.
"""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer

from omegacopy.redaction import redact

SERVICE = "omegacopy"
NAMESPACE = "OmegaCopy"


def _serialize(record: dict[str, Any]) -> str:
    return redact(json.dumps(record, default=str, separators=(",", ":"), ensure_ascii=False))


logger = Logger(service=SERVICE, json_serializer=_serialize)
tracer = Tracer(service=SERVICE)
metrics = Metrics(namespace=NAMESPACE, service=SERVICE)
