"""CLOB API (L2) credentials in AWS Secrets Manager.

One secret per wallet, named `<prefix>/<wallet_id>`, holding the JSON
`{"api_key": …, "secret": …, "passphrase": …}`. PostgreSQL stores only the secret's NAME
(`wallets.credentials_ref`). Reads go through Powertools Parameters with a max age, so a warm
Lambda does not call Secrets Manager on every order and still picks up a rotation within
`max_age_s` (pass `force_fetch=True` after a 401 to pick it up at once).

Nothing here logs or formats a secret value; errors name the secret and the problem only.
"""

from __future__ import annotations

import json
from typing import Any, Final

from aws_lambda_powertools.utilities import parameters
from aws_lambda_powertools.utilities.parameters import SecretsProvider
from pydantic import BaseModel, ConfigDict, StrictStr, ValidationError

from omegacopy.adapters import wire_log_redaction
from omegacopy.domain.clob_auth import ApiCredentials
from omegacopy.redaction import register

DEFAULT_MAX_AGE_S: Final = 300

wire_log_redaction.install()


class CredentialsError(Exception):
    """The secret is missing, unreadable or not a credentials document (message never has values)."""


class _CredentialsDocument(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)

    api_key: StrictStr
    secret: StrictStr
    passphrase: StrictStr


def credentials_secret_name(prefix: str, wallet_id: str) -> str:
    """`<prefix>/<wallet_id>` (the value stored in `wallets.credentials_ref`)."""
    prefix = prefix.strip().rstrip("/")
    if not prefix or not wallet_id:
        raise ValueError("credentials prefix and wallet id must be non-empty")
    return f"{prefix}/{wallet_id}"


def _document(creds: ApiCredentials) -> str:
    return json.dumps({"api_key": creds.api_key, "secret": creds.secret, "passphrase": creds.passphrase})


def store_credentials(sm_client: Any, name: str, creds: ApiCredentials, *, kms_key_id: str | None = None) -> str:
    """Create the secret, or add a new version if it exists. Returns the secret's ARN.

    `kms_key_id` encrypts a newly created secret under that KMS key instead of the account's
    default `aws/secretsmanager` key.
    """
    document = _document(creds)
    try:
        extra = {"KmsKeyId": kms_key_id} if kms_key_id else {}
        created = sm_client.create_secret(
            Name=name,
            SecretString=document,
            Description="OmegaCopy CLOB API credentials (api_key, secret, passphrase)",
            **extra,
        )
        return str(created["ARN"])
    except sm_client.exceptions.ResourceExistsException:
        pass
    updated = sm_client.put_secret_value(SecretId=name, SecretString=document)
    return str(updated["ARN"])


def parse_credentials(name: str, value: object) -> ApiCredentials:
    """A secret's string value → `ApiCredentials`; `CredentialsError` names the fields only."""
    if isinstance(value, bytes | bytearray):
        value = bytes(value).decode("utf-8", errors="strict")
    if not isinstance(value, str):
        raise CredentialsError(f"secret {name}: not a string secret")
    try:
        data = json.loads(value)
    except json.JSONDecodeError:
        raise CredentialsError(f"secret {name}: not a JSON document") from None
    try:
        doc = _CredentialsDocument.model_validate(data)
        return ApiCredentials(api_key=doc.api_key, secret=doc.secret, passphrase=doc.passphrase)
    except ValidationError as exc:
        fields = sorted({".".join(str(p) for p in e["loc"]) or "document" for e in exc.errors(include_input=False)})
        raise CredentialsError(f"secret {name}: invalid credentials document ({', '.join(fields)})") from None
    except ValueError as exc:  # ApiCredentials: empty field or a secret that is not URL-safe base64
        raise CredentialsError(f"secret {name}: invalid credentials ({exc})") from None


def load_credentials(
    name: str,
    *,
    max_age_s: int = DEFAULT_MAX_AGE_S,
    force_fetch: bool = False,
    provider: SecretsProvider | None = None,
) -> ApiCredentials:
    """The credentials in secret `name`, cached by Powertools for `max_age_s` seconds.

    `provider` defaults to Powertools' shared Secrets Manager provider (`parameters.get_secret`,
    a default boto3 client); tests or callers with their own client pass
    `SecretsProvider(boto3_client=…)`.
    """
    try:
        if provider is None:
            value: object = parameters.get_secret(name, max_age=max_age_s, force_fetch=force_fetch)
        else:
            value = provider.get(name, max_age=max_age_s, force_fetch=force_fetch)
    except parameters.exceptions.GetParameterError as exc:
        raise CredentialsError(f"secret {name}: could not be read ({_cause(exc)})") from None
    creds = parse_credentials(name, value)
    register(creds.secret, creds.passphrase)  # scrubbed from every log line and error from now on
    return creds


def _cause(exc: BaseException) -> str:
    """The AWS error code behind a Powertools GetParameterError (its message is AWS's, not ours)."""
    inner = exc.__cause__ or exc.__context__
    response = getattr(inner, "response", None)
    code = response.get("Error", {}).get("Code") if isinstance(response, dict) else None
    return str(code) if code else type(inner or exc).__name__


__all__ = [
    "DEFAULT_MAX_AGE_S",
    "CredentialsError",
    "credentials_secret_name",
    "load_credentials",
    "parse_credentials",
    "store_credentials",
]
