"""`omegacopy order sign`: one JSON order spec on stdin → the exact `POST /order` request on stdout.

Offline: nothing is sent. Exit 0 with `{"body", "body_serialized", "headers", "order_hash"}`;
exit 2 with one line on stderr for a malformed spec or an order we refuse. Neither path ever
prints the private key or the API secret/passphrase (only the request's own L2 headers, which
carry the passphrase by protocol), nor any other input value: an error names the field, and
anything key-shaped or equal to a secret is redacted from it as a last line of defence. The JSON
is read strictly (`omegacopy.strict_json`: no duplicate keys, no NaN, no huge integers, bounded
nesting).
"""

from __future__ import annotations

import argparse
import json
import re
import secrets
import sys
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

from omegacopy.adapters.clock import wall_clock_s
from omegacopy.domain.clob_auth import ApiCredentials, l2_headers
from omegacopy.domain.order_amounts import OrderKind, OrderRejected, OrderSide
from omegacopy.domain.order_request import (
    ORDER_PATH,
    check_gtd_expiration,
    order_body,
    serialize_body,
)
from omegacopy.domain.order_v2 import (
    MAX_SALT,
    POLYGON_CHAIN_ID,
    ZERO_BYTES32,
    SignatureType,
    build_order,
    exchange_domain,
    salt_from_id,
    sign_order,
)
from omegacopy.domain.signer import LocalKeySigner
from omegacopy.strict_json import JsonInputError, loads

EXIT_BAD_INPUT = 2
_PRIVATE_KEY = re.compile(r"(0x)?[0-9a-fA-F]{64}")
_HEX_RUN = re.compile(r"(?:0[xX])?[0-9a-fA-F]{32,}")
_PROG = "omegacopy order sign"
# A GTD expiration is unix seconds: beyond the year 2100 it is a mistake, not a date.
MAX_EXPIRATION_S = 4_102_444_800
# API key and passphrase travel as HTTP header values: visible ASCII only (no CR/LF: no header
# injection); the secret is URL-safe base64.
_HEADER_TEXT = r"^[\x21-\x7e]+$"
HeaderText = Annotated[str, Field(min_length=1, max_length=256, pattern=_HEADER_TEXT)]


class OrderSpec(BaseModel):
    """The stdin document. Numbers may be JSON numbers or strings; they are parsed as Decimal."""

    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)

    private_key: SecretStr
    chain_id: int = Field(default=POLYGON_CHAIN_ID, strict=True)
    token_id: str = Field(strict=True, pattern=r"^[1-9][0-9]*$")
    side: Literal["BUY", "SELL"]
    kind: Literal["limit", "market"]
    price: Decimal
    size: Decimal | None = None
    amount: Decimal | None = None
    tick_size: Decimal
    neg_risk: bool = Field(default=False, strict=True)
    order_type: Literal["GTC", "GTD", "FOK", "FAK"]
    expiration: int = Field(default=0, strict=True, ge=0, le=MAX_EXPIRATION_S)
    signature_type: Literal[0, 1, 2, 3] = 0
    funder: str | None = Field(default=None, pattern=r"^0x[0-9a-fA-F]{40}$")
    salt: int | None = Field(default=None, strict=True, ge=0, le=MAX_SALT)
    intent_id: str | None = Field(default=None, min_length=1)
    timestamp_ms: int | None = Field(default=None, strict=True, gt=0)
    builder_code: str = Field(default=ZERO_BYTES32, pattern=r"^0x[0-9a-fA-F]{64}$")
    metadata: str = Field(default=ZERO_BYTES32, pattern=r"^0x[0-9a-fA-F]{64}$")
    exchange_version: Literal[2, 3] = 2
    post_only: bool = Field(default=False, strict=True)
    api_key: HeaderText
    api_secret: SecretStr = Field(max_length=256)
    api_passphrase: SecretStr = Field(max_length=256)
    header_timestamp: int | None = Field(default=None, strict=True, gt=0)

    @field_validator("private_key")
    @classmethod
    def _key_shape(cls, value: SecretStr) -> SecretStr:
        # The message must never echo the value.
        if _PRIVATE_KEY.fullmatch(value.get_secret_value()) is None:
            raise ValueError("must be 32 bytes of hex (64 digits, 0x optional)")
        return value

    @field_validator("api_secret", "api_passphrase")
    @classmethod
    def _non_empty(cls, value: SecretStr) -> SecretStr:
        if not value.get_secret_value():
            raise ValueError("must be non-empty")
        return value

    @field_validator("api_passphrase")
    @classmethod
    def _header_safe(cls, value: SecretStr) -> SecretStr:
        if re.fullmatch(_HEADER_TEXT, value.get_secret_value()) is None:
            raise ValueError("must be visible ASCII without spaces or line breaks (it is sent as a header)")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> OrderSpec:
        if self.kind == "market" and self.order_type not in ("FOK", "FAK"):
            raise ValueError("market orders are FOK or FAK")
        if self.salt is not None and self.intent_id is not None:
            raise ValueError("give salt or intent_id, not both")
        return self


def _read_spec(text: str) -> OrderSpec:
    # Decimal, never float: 0.29 must stay 0.29.
    data = loads(text, decimal_floats=True, max_depth=4)
    if not isinstance(data, dict):
        raise ValueError("the spec must be one JSON object")
    return OrderSpec.model_validate(data)


def _validation_message(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors(include_input=False, include_url=False, include_context=False):
        where = ".".join(str(part) for part in error["loc"]) or "spec"
        parts.append(f"{where}: {error['msg']}")
    return "invalid order spec: " + "; ".join(parts)


def _say(message: str, secrets_in_input: list[str]) -> None:
    """One line on stderr; key-shaped runs and the spec's own secrets never get through."""
    line = " ".join(message.split())
    for secret in secrets_in_input:
        if len(secret) >= 4:
            line = line.replace(secret, "<redacted>")
    print(f"{_PROG}: {_HEX_RUN.sub('<redacted>', line)}", file=sys.stderr)


def _secrets_of(text: str) -> list[str]:
    """The values of the secret fields, as far as the raw text can be read (for redaction only)."""
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        return []
    if not isinstance(data, dict):
        return []
    return [v for k in ("private_key", "api_secret", "api_passphrase") if isinstance(v := data.get(k), str)]


def sign_request(spec: OrderSpec, *, now_s: int | None = None) -> dict[str, Any]:
    """The request for one spec (the command's stdout document)."""
    clock_s = int(wall_clock_s()) if now_s is None else now_s
    header_timestamp = spec.header_timestamp if spec.header_timestamp is not None else clock_s
    if spec.order_type == "GTD":
        check_gtd_expiration(spec.expiration, header_timestamp)
    if spec.salt is not None:
        salt = spec.salt
    elif spec.intent_id is not None:
        salt = salt_from_id(spec.intent_id)
    else:
        salt = secrets.randbits(53)
    timestamp_ms = spec.timestamp_ms if spec.timestamp_ms is not None else int(wall_clock_s() * 1000)
    creds = ApiCredentials(spec.api_key, spec.api_secret.get_secret_value(), spec.api_passphrase.get_secret_value())
    signer = LocalKeySigner.from_hex(spec.private_key.get_secret_value())
    try:
        order = build_order(
            token_id=spec.token_id,
            side=OrderSide[spec.side],
            kind=OrderKind(spec.kind),
            price=spec.price,
            tick_size=spec.tick_size,
            size=spec.size,
            amount=spec.amount,
            signature_type=SignatureType(spec.signature_type),
            signer_address=signer.address,
            funder=spec.funder,
            salt=salt,
            timestamp_ms=timestamp_ms,
            neg_risk=spec.neg_risk,
            exchange_version=spec.exchange_version,
            builder=spec.builder_code,
            metadata=spec.metadata,
            chain_id=spec.chain_id,
        )
        domain = exchange_domain(spec.chain_id, neg_risk=spec.neg_risk, exchange_version=spec.exchange_version)
        signed = sign_order(order, domain, signer)
        address = signer.address
    finally:
        signer.close()
    body = order_body(
        signed,
        owner=creds.api_key,
        order_type=spec.order_type,
        expiration=spec.expiration,
        post_only=spec.post_only,
    )
    serialized = serialize_body(body)
    headers = {"Content-Type": "application/json"}
    headers.update(l2_headers(address, creds, header_timestamp, "POST", ORDER_PATH, serialized))
    return {
        "body": body,
        "body_serialized": serialized.decode("ascii"),
        "headers": headers,
        "order_hash": signed.order_hash,
    }


def _sign(args: argparse.Namespace) -> int:
    del args
    text = sys.stdin.read()
    try:
        spec = _read_spec(text)
    except JsonInputError as exc:
        _say(f"stdin is not valid JSON: {str(exc).removeprefix('Invalid JSON: ')}", [])
        return EXIT_BAD_INPUT
    except ValidationError as exc:
        _say(_validation_message(exc), _secrets_of(text))
        return EXIT_BAD_INPUT
    except ValueError as exc:
        _say(str(exc), _secrets_of(text))
        return EXIT_BAD_INPUT
    try:
        request = sign_request(spec)
    except (OrderRejected, ValueError) as exc:
        _say(f"order rejected: {exc}", _secrets_of(text))
        return EXIT_BAD_INPUT
    print(json.dumps(request, indent=2))
    return 0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    group = subparsers.add_parser("order", help="CLOB V2 orders (offline signing)")
    commands = group.add_subparsers(dest="order_command", metavar="SUBCOMMAND")
    sign = commands.add_parser(
        "sign",
        help="sign one order spec (JSON on stdin) and print the exact POST /order request",
        description=(
            "Reads one JSON object on stdin with: private_key, chain_id, token_id (decimal string), "
            "side (BUY|SELL), kind (limit|market), price, size (limit, market SELL), amount "
            "(market BUY, USD), tick_size, neg_risk, order_type (GTC|GTD|FOK|FAK), expiration, "
            "signature_type (0-3), funder, salt or intent_id, timestamp_ms, builder_code, metadata, "
            "exchange_version (2|3), post_only, api_key, api_secret, api_passphrase, "
            "header_timestamp. Prints {body, body_serialized, headers, order_hash}. Exit 2 on bad "
            "input or a refused order."
        ),
    )
    sign.set_defaults(func=_sign)


__all__ = ["OrderSpec", "register", "sign_request"]
