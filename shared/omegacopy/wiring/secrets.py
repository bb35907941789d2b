"""The URLs and secrets a function's wiring starts from: given in the environment (locally), or
read from Secrets Manager by ARN (in AWS). Either way registered for redaction at once."""

from __future__ import annotations

from aws_lambda_powertools.utilities import parameters
from pydantic import SecretStr

from omegacopy.redaction import register


def secret_or_url(url: SecretStr | None, secret_arn: str | None, what: str) -> str:
    if url is not None:
        value = url.get_secret_value()
    elif secret_arn:
        # Secrets Manager, cached by Powertools for the container's life (rotations: max_age)
        value = str(parameters.get_secret(secret_arn, max_age=300))
    else:
        raise RuntimeError(f"{what}: set its URL or secret ARN in the environment")
    register(value)  # never in an error message or a log line from here on
    return value
