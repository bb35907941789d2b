"""`omegacopy wallet import | rewrap | show`: follower wallet keys, KMS-wrapped, in PostgreSQL.

`import` reads the private key from a hidden prompt when stdin is a terminal, else the first line
of stdin; never from argv (visible in `ps` and shell history) or the environment. With
`--api-key`, the CLOB API secret and passphrase follow the same way (prompts, or stdin lines 2
and 3); `--derive-credentials` asks the CLOB for them with an L1 signature instead. The key is
validated, its address derived and printed, then it is sealed under `--kms-key-id` (see
`omegacopy.adapters.wallet_keys`) and stored; credentials go to Secrets Manager as
`<credentials-prefix>/<wallet-id>`. Stdout is one JSON summary without any secret.

`rewrap` re-seals a wallet's key under a new KMS key in one transaction; `show` prints a wallet's
public fields. Exit codes: 0 done, 1 failed (AWS, database, CLOB, rejected envelope), 2 bad
input or refused.
"""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import os
import re
import sys
from collections.abc import Callable, Sequence
from typing import Annotated, Any, NoReturn, TextIO

import boto3
import psycopg
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, SecretStr, ValidationError, model_validator

from omegacopy.adapters.clob.client import ClobClient
from omegacopy.adapters.clob_credentials import credentials_secret_name, store_credentials
from omegacopy.adapters.pg_connection import connect
from omegacopy.adapters.pg_wallets import (
    WalletExistsError,
    WalletNotFoundError,
    WalletRow,
    load_wallet,
    save_wallet,
    update_envelope,
    validate_wallet_id,
)
from omegacopy.adapters.wallet_keys import KeyUnwrapError, normalize_address, rewrap, wrap_private_key
from omegacopy.config import WalletCliEnv
from omegacopy.domain.clob_auth import ApiCredentials
from omegacopy.domain.evm import to_checksum_address
from omegacopy.domain.order_v2 import POLYGON_CHAIN_ID
from omegacopy.domain.signer import LocalKeySigner
from omegacopy.observability import SERVICE
from omegacopy.redaction import redact

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
# Defaults and environment variables are the executor's (config.ExecutorEnv), not copies of them.
DEFAULT_CREDENTIALS_PREFIX: str = WalletCliEnv.model_fields["clob_credentials_prefix"].default
DEFAULT_CLOB_URL: str = WalletCliEnv.model_fields["clob_url"].default
_MAX_LINE = 1024
_HEX_RUN = re.compile(r"(?:0[xX])?[0-9a-fA-F]{32,}")
_KEY_LIKE = re.compile(r"(?<![0-9a-fA-F])(?:0[xX])?[0-9a-fA-F]{64}(?![0-9a-fA-F])")
# option names that try to pass a secret on the command line
_SECRET_OPTION = re.compile(r"^--?[\w-]*(private|secret|passphrase|mnemonic|seed|privkey)[\w-]*$|^--?(key|pk)$", re.I)
# environment variable names that look like someone put a key there (never read; the operator is told)
_SECRET_ENV = re.compile(r"(PRIVATE_?KEY|PRIV_?KEY|MNEMONIC|SEED_?PHRASE|API_?SECRET|API_?PASSPHRASE|^PK$)", re.I)
_KEY_FORMAT_ERROR = "the private key must be 32 bytes of hex (64 digits, 0x optional)"


class InputError(Exception):
    """Bad or refused input: exit 2. Messages never contain the input."""


# ------------------------------------------------------------------------------------------------
# Argument parsing that never echoes a secret
# ------------------------------------------------------------------------------------------------
class SecretSafeParser(argparse.ArgumentParser):
    """Refuses secrets in argv before parsing, and redacts long hex runs from every error."""

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        for token in args or ():
            name = token.split("=", 1)[0]
            if token.startswith("-") and _SECRET_OPTION.match(name):
                self.error(
                    f"option {name} refused: secrets are never taken from the command line "
                    "(pipe them on stdin or type them at the hidden prompt)"
                )
            if _KEY_LIKE.search(token):
                self.error(
                    "refusing an argument that looks like a private key: keys are never taken from the "
                    "command line (it is visible in ps and shell history); pipe it on stdin instead"
                )
        return super().parse_known_args(args, namespace)

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {_HEX_RUN.sub('<redacted>', message)}\n")


# ------------------------------------------------------------------------------------------------
# Validated arguments
# ------------------------------------------------------------------------------------------------
WalletId = Annotated[str, AfterValidator(validate_wallet_id)]
Address = Annotated[str, AfterValidator(normalize_address)]


class _Args(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)

    wallet_id: WalletId
    database_url: SecretStr = Field(min_length=1)


class ImportArgs(_Args):
    funder: Address
    signature_type: int = Field(ge=0, le=3)
    kms_key_id: str = Field(min_length=1, max_length=2048)
    credentials_prefix: str = Field(pattern=r"^[A-Za-z0-9/_+=.@-]{1,256}$")
    credentials_kms_key_id: str | None = Field(default=None, min_length=1, max_length=2048)
    api_key: str | None = Field(default=None, min_length=1, max_length=256)
    derive_credentials: bool = False
    clob_url: str = Field(pattern=r"^https?://\S+$")
    chain_id: int = Field(gt=0)
    replace: bool = False

    @model_validator(mode="after")
    def _one_credentials_source(self) -> ImportArgs:
        if self.api_key is not None and self.derive_credentials:
            raise ValueError("give --api-key or --derive-credentials, not both")
        return self


class RewrapArgs(_Args):
    new_kms_key_id: str = Field(min_length=1, max_length=2048)


class ShowArgs(_Args):
    pass


# argument name -> environment model field, where they differ
_FROM_ENVIRONMENT = {
    "credentials_prefix": "clob_credentials_prefix",
    "credentials_kms_key_id": "clob_credentials_kms_key_id",
}


def _environment() -> WalletCliEnv:
    try:
        return WalletCliEnv.from_environ(os.environ)
    except ValidationError as exc:
        bad = ", ".join(str(e["loc"][0]).upper() for e in exc.errors(include_input=False) if e["loc"])
        raise InputError(f"invalid environment variable(s): {bad}") from None


def _validated(model: type[_Args], args: argparse.Namespace, **extra: object) -> Any:
    """Arguments over the environment over the defaults (the environment model's)."""
    env = _environment()
    data = {name: getattr(args, name) for name in model.model_fields if hasattr(args, name)}
    data.update(extra)
    for name in model.model_fields:
        source = _FROM_ENVIRONMENT.get(name, name)
        if data.get(name) is None and source in WalletCliEnv.model_fields:
            value = getattr(env, source)
            data[name] = value.get_secret_value() if isinstance(value, SecretStr) else value
    if not data.get("database_url"):
        data["database_url"] = ""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        lines = []
        for error in exc.errors(include_input=False, include_url=False, include_context=False):
            where = (
                "--" + "-".join(str(part) for part in error["loc"]).replace("_", "-") if error["loc"] else "arguments"
            )
            if where == "--database-url":
                where = "--database-url (or DATABASE_URL)"
            lines.append(f"  {where}: {error['msg']}")
        raise InputError("invalid arguments:\n" + "\n".join(lines)) from None


# ------------------------------------------------------------------------------------------------
# Reading secrets: prompt or stdin, into mutable buffers
# ------------------------------------------------------------------------------------------------
class SecretReader:
    """Reads secret lines from a hidden prompt (terminal) or stdin, one line per secret.

    From a real file descriptor it reads byte by byte with `os.read`, so no Python-level stdin
    buffer ever holds the key and the line is built in a bytearray the caller wipes. (A prompt
    goes through `getpass`, which returns an immutable str: best effort only.)
    """

    def __init__(self, stream: TextIO | None = None, prompt: Callable[[str], str] = getpass.getpass) -> None:
        self._stream = stream if stream is not None else sys.stdin
        self._prompt = prompt

    @property
    def interactive(self) -> bool:
        try:
            return self._stream.isatty()
        except (AttributeError, ValueError):
            return False

    def _fd(self) -> int | None:
        try:
            return self._stream.fileno()
        except (AttributeError, OSError, ValueError):
            return None

    def line(self, prompt: str) -> bytearray:
        """One line without its line ending, as a bytearray the caller must wipe."""
        if self.interactive:
            return bytearray(self._prompt(prompt), "utf-8")
        fd = self._fd()
        if fd is None:  # an in-memory stream (tests): str lines cannot be wiped anyway
            text = self._stream.readline(_MAX_LINE + 1)
            if len(text) > _MAX_LINE:
                raise InputError("stdin line too long")
            return bytearray(text.rstrip("\r\n"), "utf-8")
        line = bytearray()
        while True:
            chunk = os.read(fd, 1)
            if not chunk or chunk == b"\n":
                break
            if len(line) >= _MAX_LINE:
                _wipe(line)
                raise InputError("stdin line too long")
            line += chunk
        if line.endswith(b"\r"):
            line[-1:] = b""
        return line


def _wipe(buffer: bytearray) -> None:
    buffer[:] = bytes(len(buffer))


def _nibble(char: int) -> int:
    if 0x30 <= char <= 0x39:
        return char - 0x30
    if 0x61 <= char <= 0x66:
        return char - 0x57
    if 0x41 <= char <= 0x46:
        return char - 0x37
    return -1


def parse_private_key(line: bytearray) -> bytearray:
    """Hex text (64 digits, `0x` optional, surrounding whitespace ignored) → 32-byte bytearray.

    Decoded without creating any str/bytes copy of the key. Errors never echo the input.
    """
    start, end = 0, len(line)
    while start < end and line[start] in b" \t\r\n":
        start += 1
    while end > start and line[end - 1] in b" \t\r\n":
        end -= 1
    if end - start >= 2 and line[start] == 0x30 and line[start + 1] in (0x78, 0x58):
        start += 2
    if end - start != 64:
        raise InputError(_KEY_FORMAT_ERROR)
    key = bytearray(32)
    for i in range(32):
        high, low = _nibble(line[start + 2 * i]), _nibble(line[start + 2 * i + 1])
        if high < 0 or low < 0:
            _wipe(key)
            raise InputError(_KEY_FORMAT_ERROR)
        key[i] = high << 4 | low
    return key


def _read_private_key(reader: SecretReader) -> bytearray:
    line = reader.line("wallet private key (hex, input hidden): ")
    try:
        if not line.strip():
            raise InputError(
                "no private key: type it at the prompt or pipe it as the first line of stdin "
                "(keys are never read from argv or the environment)"
            )
        return parse_private_key(line)
    finally:
        _wipe(line)


def _read_api_credentials(reader: SecretReader, api_key: str) -> ApiCredentials:
    secret = reader.line("CLOB API secret (input hidden): ")
    passphrase = reader.line("CLOB API passphrase (input hidden): ")
    try:
        if not secret.strip() or not passphrase.strip():
            raise InputError("--api-key needs the API secret and passphrase (prompts, or stdin lines 2 and 3)")
        try:
            return ApiCredentials(
                api_key=api_key,
                secret=secret.decode("utf-8").strip(),
                passphrase=passphrase.decode("utf-8").strip(),
            )
        except (UnicodeDecodeError, ValueError) as exc:
            raise InputError(f"invalid CLOB API credentials: {type(exc).__name__}: {exc}") from None
    finally:
        _wipe(secret)
        _wipe(passphrase)


def _warn_about_secret_env() -> None:
    names = sorted(n for n in os.environ if _SECRET_ENV.search(n) and not n.startswith("AWS_"))
    if names:
        print(
            f"warning: ignoring environment variable(s) {', '.join(names)}: keys and API secrets are read only "
            "from the prompt or stdin",
            file=sys.stderr,
        )


def _check_funder(signature_type: int, funder: str, address: str) -> None:
    if signature_type == 0 and funder != address.lower():
        raise InputError("signature type 0 (EOA): --funder must be the key's own address")
    if signature_type != 0 and funder == address.lower():
        raise InputError(
            f"signature type {signature_type}: --funder must be the proxy/Safe/deposit wallet, not the key's address"
        )


# ------------------------------------------------------------------------------------------------
# Commands
# ------------------------------------------------------------------------------------------------
def _aws(service: str) -> Any:
    return boto3.client(service)  # type: ignore[call-overload]


def _connect(url: SecretStr) -> psycopg.Connection[Any]:
    return connect(url.get_secret_value(), connect_timeout=10)


def _derive_credentials(signer: LocalKeySigner, clob_url: str, chain_id: int) -> ApiCredentials:
    with ClobClient(clob_url, address=signer.address, chain_id=chain_id) as clob:
        return clob.create_or_derive_api_key(signer)


def import_wallet(args: ImportArgs, reader: SecretReader) -> dict[str, Any]:
    """The `import` command after argument validation. Returns the JSON summary."""
    _warn_about_secret_env()
    key = _read_private_key(reader)
    try:
        try:
            signer = LocalKeySigner(key)
        except ValueError as exc:
            raise InputError(str(exc)) from None  # LocalKeySigner never echoes the key
        with signer:
            address = signer.address
            print(f"address: {address}", file=sys.stderr)
            _check_funder(args.signature_type, args.funder, address)
            creds: ApiCredentials | None = None
            if args.api_key is not None:
                creds = _read_api_credentials(reader, args.api_key)
            elif args.derive_credentials:
                creds = _derive_credentials(signer, args.clob_url, args.chain_id)
        envelope = wrap_private_key(
            _aws("kms"), args.kms_key_id, wallet_id=args.wallet_id, address=address, private_key=key
        )
    finally:
        _wipe(key)
    credentials_ref = credentials_secret_name(args.credentials_prefix, args.wallet_id) if creds else None
    row = WalletRow(
        wallet_id=args.wallet_id,
        address=address,
        funder=args.funder,
        signature_type=args.signature_type,
        envelope=envelope,
        credentials_ref=credentials_ref,
    )
    with _connect(args.database_url) as conn, conn.transaction():
        # the row first: an existing wallet fails here, before its secret could be overwritten
        save_wallet(conn, row, replace=args.replace)
        if creds is not None and credentials_ref is not None:
            store_credentials(_aws("secretsmanager"), credentials_ref, creds, kms_key_id=args.credentials_kms_key_id)
        stored = load_wallet(conn, args.wallet_id)
    assert stored is not None
    return _summary(stored, imported=True)


def rewrap_wallet(args: RewrapArgs) -> dict[str, Any]:
    with _connect(args.database_url) as conn, conn.transaction():
        row = load_wallet(conn, args.wallet_id, for_update=True)
        if row is None:
            raise WalletNotFoundError(f"wallet {args.wallet_id}: not found")
        if row.envelope is None:
            raise WalletNotFoundError(f"wallet {args.wallet_id}: has no stored key")
        new = rewrap(_aws("kms"), row.envelope, args.new_kms_key_id, wallet_id=row.wallet_id, address=row.address)
        update_envelope(conn, row.wallet_id, new, expected=row.envelope)
        stored = load_wallet(conn, row.wallet_id)
    assert stored is not None
    return {**_summary(stored), "previous_kms_key_id": row.envelope.kms_key_id}


def show_wallet(args: ShowArgs) -> dict[str, Any]:
    with _connect(args.database_url) as conn:
        row = load_wallet(conn, args.wallet_id)
    if row is None:
        raise WalletNotFoundError(f"wallet {args.wallet_id}: not found")
    return _summary(row)


def _summary(row: WalletRow, *, imported: bool = False) -> dict[str, Any]:
    summary: dict[str, Any] = {
        "wallet_id": row.wallet_id,
        "address": to_checksum_address(row.address),
        "funder": to_checksum_address(row.funder),
        "signature_type": row.signature_type,
        "kms_key_id": row.envelope.kms_key_id if row.envelope else None,
        "has_key": row.envelope is not None,
        "credentials_ref": row.credentials_ref,
    }
    if imported:
        summary["imported"] = True
    return summary


# ------------------------------------------------------------------------------------------------
# Entry points
# ------------------------------------------------------------------------------------------------
def _logs_to_stderr() -> None:
    """Stdout is the command's JSON result: the shared Powertools logger writes to stderr here."""
    for handler in logging.getLogger(SERVICE).handlers:
        if isinstance(handler, logging.StreamHandler) and handler.stream is sys.stdout:
            handler.setStream(sys.stderr)


def _run(prog: str, action: Callable[[], dict[str, Any]]) -> int:
    _logs_to_stderr()
    try:
        result = action()
    except InputError as exc:
        print(f"{prog}: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except (KeyUnwrapError, WalletExistsError, WalletNotFoundError) as exc:
        print(f"{prog}: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except Exception as exc:
        print(f"{prog}: failed: {_describe(exc)}", file=sys.stderr)
        return EXIT_FAILED
    print(json.dumps(result, indent=2))
    return EXIT_OK


def _describe(exc: BaseException) -> str:
    """One line naming the failure; AWS/database/CLOB messages carry no secrets, long hex is cut anyway."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return _HEX_RUN.sub("<redacted>", redact(f"{type(exc).__name__}: {text}" if text else type(exc).__name__))


def _import(args: argparse.Namespace) -> int:
    prog = "omegacopy wallet import"

    def action() -> dict[str, Any]:
        parsed: ImportArgs = _validated(ImportArgs, args)
        return import_wallet(parsed, SecretReader())

    return _run(prog, action)


def _rewrap(args: argparse.Namespace) -> int:
    return _run("omegacopy wallet rewrap", lambda: rewrap_wallet(_validated(RewrapArgs, args)))


def _show(args: argparse.Namespace) -> int:
    return _run("omegacopy wallet show", lambda: show_wallet(_validated(ShowArgs, args)))


def _add_database(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--database-url", default=None, help="PostgreSQL URL (default: $DATABASE_URL)")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    group = subparsers.add_parser("wallet", help="follower wallets: import keys (KMS-wrapped), rotate, show")
    commands = group.add_subparsers(dest="wallet_command", metavar="SUBCOMMAND", parser_class=SecretSafeParser)

    imp = commands.add_parser(
        "import",
        help="seal a private key (prompt or stdin) under KMS and store the wallet",
        description=(
            "Reads the private key from a hidden prompt (terminal) or the first line of stdin, never from "
            "arguments or the environment. With --api-key, the API secret and passphrase follow (prompts, or "
            "stdin lines 2 and 3). Prints a JSON summary without secrets."
        ),
    )
    imp.add_argument("--wallet-id", required=True)
    imp.add_argument("--funder", required=True, help="maker address (type 0: the key's own address)")
    imp.add_argument("--signature-type", required=True, help="0 EOA, 1 POLY_PROXY, 2 POLY_GNOSIS_SAFE, 3 POLY_1271")
    imp.add_argument("--kms-key-id", required=True, help="KMS key id, ARN or alias that wraps the data key")
    _add_database(imp)
    imp.add_argument(
        "--credentials-prefix",
        default=None,
        help="Secrets Manager name prefix; the secret is <prefix>/<wallet-id> (default: $CLOB_CREDENTIALS_PREFIX "
        f"or {DEFAULT_CREDENTIALS_PREFIX})",
    )
    imp.add_argument(
        "--credentials-kms-key-id",
        default=None,
        help="KMS key that encrypts a newly created credentials secret (the stack's platform key; default: "
        "$CLOB_CREDENTIALS_KMS_KEY_ID, else Secrets Manager's aws/secretsmanager key)",
    )
    creds = imp.add_mutually_exclusive_group()
    creds.add_argument("--api-key", default=None, help="CLOB API key; its secret and passphrase are read like the key")
    creds.add_argument(
        "--derive-credentials",
        action="store_true",
        help="create or derive the CLOB API credentials with an L1 signature (network call to --clob-url)",
    )
    imp.add_argument("--clob-url", default=None, help=f"default: $CLOB_URL or {DEFAULT_CLOB_URL}")
    imp.add_argument("--chain-id", default=None, help=f"default: $CHAIN_ID or {POLYGON_CHAIN_ID}")
    imp.add_argument("--replace", action="store_true", help="overwrite an existing wallet with this id")
    imp.set_defaults(func=_import)

    rew = commands.add_parser("rewrap", help="re-seal a wallet's key under a new KMS key (atomic row update)")
    rew.add_argument("--wallet-id", required=True)
    rew.add_argument("--new-kms-key-id", required=True)
    _add_database(rew)
    rew.set_defaults(func=_rewrap)

    show = commands.add_parser("show", help="a wallet's address, funder, signature type and KMS key id (no secrets)")
    show.add_argument("--wallet-id", required=True)
    _add_database(show)
    show.set_defaults(func=_show)


__all__ = [
    "ImportArgs",
    "InputError",
    "RewrapArgs",
    "SecretReader",
    "SecretSafeParser",
    "ShowArgs",
    "import_wallet",
    "parse_private_key",
    "register",
    "rewrap_wallet",
    "show_wallet",
]
