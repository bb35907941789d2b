"""`omegacopy order sign`: one JSON order spec on stdin → the exact `POST /order` request on stdout.

Offline: nothing is sent. Exit 0 with `{"body", "body_serialized", "headers", "order_hash"}`;
exit 2 with a message on stderr for a malformed spec or an order we refuse. Neither path ever
prints the private key or the API secret/passphrase (only the request's own L2 headers, which
carry the passphrase by protocol).
"""

from __future__ import annotations

import argparse
import json
import re
import secrets
import sys
from decimal import Decimal
from typing import Any, Literal

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

EXIT_BAD_INPUT = 2
_PRIVATE_KEY = re.compile(r"(0x)?[0-9a-fA-F]{64}")
_PROG = "omegacopy order sign"


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
    expiration: int = Field(default=0, strict=True, ge=0)
    signature_type: Literal[0, 1, 2, 3] = 0
    funder: str | None = None
    salt: int | None = Field(default=None, strict=True, ge=0, le=MAX_SALT)
    intent_id: str | None = Field(default=None, min_length=1)
    timestamp_ms: int | None = Field(default=None, strict=True, gt=0)
    builder_code: str = Field(default=ZERO_BYTES32, pattern=r"^0x[0-9a-fA-F]{64}$")
    metadata: str = Field(default=ZERO_BYTES32, pattern=r"^0x[0-9a-fA-F]{64}$")
    exchange_version: Literal[2, 3] = 2
    post_only: bool = Field(default=False, strict=True)
    api_key: str = Field(min_length=1)
    api_secret: SecretStr
    api_passphrase: SecretStr
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

    @model_validator(mode="after")
    def _consistent(self) -> OrderSpec:
        if self.kind == "market" and self.order_type not in ("FOK", "FAK"):
            raise ValueError("market orders are FOK or FAK")
        if self.salt is not None and self.intent_id is not None:
            raise ValueError("give salt or intent_id, not both")
        return self


def _read_spec(text: str) -> OrderSpec:
    # Decimal, never float: 0.29 must stay 0.29.
    data = json.loads(text, parse_float=Decimal)
    if not isinstance(data, dict):
        raise ValueError("the spec must be one JSON object")
    return OrderSpec.model_validate(data)


def _validation_message(exc: ValidationError) -> str:
    lines = []
    for error in exc.errors(include_input=False, include_url=False, include_context=False):
        where = ".".join(str(part) for part in error["loc"]) or "spec"
        lines.append(f"  {where}: {error['msg']}")
    return "invalid order spec:\n" + "\n".join(lines)


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
    try:
        spec = _read_spec(sys.stdin.read())
    except json.JSONDecodeError as exc:
        print(
            f"{_PROG}: stdin is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})",
            file=sys.stderr,
        )
        return EXIT_BAD_INPUT
    except ValidationError as exc:
        print(f"{_PROG}: {_validation_message(exc)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except ValueError as exc:
        print(f"{_PROG}: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        request = sign_request(spec)
    except (OrderRejected, ValueError) as exc:
        # Domain messages never carry key material.
        print(f"{_PROG}: order rejected: {exc}", file=sys.stderr)
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
