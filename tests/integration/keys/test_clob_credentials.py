"""CLOB API credentials in Secrets Manager (moto): store, load with a max age, no values in errors/logs."""

from __future__ import annotations

import base64
import json
import logging
import secrets
import uuid
from typing import Any

import pytest
from aws_lambda_powertools.utilities.parameters import SecretsProvider

from omegacopy.adapters.clob_credentials import (
    CredentialsError,
    credentials_secret_name,
    load_credentials,
    store_credentials,
)
from omegacopy.domain.clob_auth import ApiCredentials


def _creds() -> ApiCredentials:
    return ApiCredentials(
        api_key=str(uuid.uuid4()),
        secret=base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        passphrase=secrets.token_hex(16),
    )


def _name() -> str:
    return credentials_secret_name("omegacopy/test/clob/", f"w-{uuid.uuid4().hex[:8]}")


def test_store_and_load(sm: Any) -> None:
    name = _name()
    creds = _creds()
    arn = store_credentials(sm, name, creds)
    assert arn.startswith("arn:aws:secretsmanager:")
    assert json.loads(sm.get_secret_value(SecretId=name)["SecretString"]) == {
        "api_key": creds.api_key,
        "secret": creds.secret,
        "passphrase": creds.passphrase,
    }
    assert load_credentials(name, provider=SecretsProvider(boto3_client=sm)) == creds


def test_default_provider_goes_through_powertools_get_secret(moto_server: Any, sm: Any) -> None:
    name = _name()
    creds = _creds()
    store_credentials(sm, name, creds)
    assert load_credentials(name) == creds  # Powertools' shared provider, endpoint from AWS_ENDPOINT_URL


def test_cached_for_max_age_and_force_fetch_sees_a_rotation(sm: Any) -> None:
    name = _name()
    first, second = _creds(), _creds()
    store_credentials(sm, name, first)
    provider = SecretsProvider(boto3_client=sm)
    assert load_credentials(name, provider=provider, max_age_s=300) == first
    store_credentials(sm, name, second)  # a new version of the same secret
    assert load_credentials(name, provider=provider, max_age_s=300) == first  # cached
    assert load_credentials(name, provider=provider, force_fetch=True) == second
    assert load_credentials(name, provider=provider, max_age_s=0) == second


def test_errors_name_the_secret_never_the_values(sm: Any) -> None:
    provider = SecretsProvider(boto3_client=sm)
    with pytest.raises(CredentialsError, match=r"could not be read \(ResourceNotFoundException\)"):
        load_credentials(_name(), provider=provider)
    passphrase = secrets.token_hex(16)
    cases = {
        "not json " + passphrase: "not a JSON document",
        json.dumps({"api_key": "k", "secret": "s", "passphrase": passphrase, "extra": 1}): "extra",
        json.dumps({"api_key": "k", "passphrase": passphrase}): "secret",
        json.dumps({"api_key": "k", "secret": "not base64 !!" + passphrase, "passphrase": passphrase}): "base64",
        json.dumps({"api_key": "k", "secret": "c2VjcmV0", "passphrase": 7}): "passphrase",
    }
    for value, hint in cases.items():
        name = _name()
        sm.create_secret(Name=name, SecretString=value)
        with pytest.raises(CredentialsError, match=hint) as info:
            load_credentials(name, provider=provider)
        assert passphrase not in str(info.value)
        assert info.value.__cause__ is None and info.value.__suppress_context__


def test_secret_values_never_reach_debug_logs(sm: Any, caplog: pytest.LogCaptureFixture) -> None:
    name = _name()
    creds = _creds()
    with caplog.at_level(logging.DEBUG):
        store_credentials(sm, name, creds)
        store_credentials(sm, name, creds)  # the put_secret_value path
        assert load_credentials(name, provider=SecretsProvider(boto3_client=sm), force_fetch=True) == creds
    assert "Making request for" in caplog.text
    assert creds.secret not in caplog.text
    assert creds.passphrase not in caplog.text
    assert "redacted" in repr(creds)


def test_secret_name() -> None:
    assert credentials_secret_name("omegacopy/prod/clob/", "w1") == "omegacopy/prod/clob/w1"
    with pytest.raises(ValueError, match="non-empty"):
        credentials_secret_name("", "w1")
