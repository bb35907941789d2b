"""`omegacopy wallet import | rewrap | show` as subprocesses against moto and the test database.

The CANARY tests use a freshly generated key (and API secret/passphrase) and grep every captured
output stream and every column of every table for any form of it.
"""

from __future__ import annotations

import base64
import io
import json
import os
import secrets
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import psycopg
import pytest
from aws_lambda_powertools.utilities.parameters import SecretsProvider

from omegacopy.adapters.clob.client import ClobClient
from omegacopy.adapters.clob_credentials import load_credentials
from omegacopy.adapters.pg_wallets import load_wallet
from omegacopy.adapters.wallet_keys import KmsKeyUnwrapper
from omegacopy.cli.wallet import ImportArgs, InputError, SecretReader, import_wallet, parse_private_key
from omegacopy.devstack.paper import start_paper_exchange
from omegacopy.domain.signer import recover_address

from .conftest import address_of, generated_key, new_wallet_id, secret_forms

REPO = Path(__file__).resolve().parents[3]
DIGEST = b"\x42" * 32


def run_wallet(
    moto_server: Any, pg_url: str, *args: str, stdin: str = "", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "DATABASE_URL"))}
    environment.update(moto_server.env)
    environment["DATABASE_URL"] = pg_url
    environment.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "omegacopy.cli", "wallet", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=environment,
        cwd=REPO,
        timeout=120,
        check=False,
    )


def dump_database(conn: psycopg.Connection[Any]) -> list[bytes]:
    """Every value of every column of every table, as bytes (text for non-bytea)."""
    tables = [
        r[0]
        for r in conn.execute(
            "SELECT table_name FROM information_schema.tables"
            " WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
        )
    ]
    values: list[bytes] = []
    for table in tables:
        for row in conn.execute(f'SELECT * FROM "{table}"'):
            for value in row:
                values.append(bytes(value) if isinstance(value, bytes | memoryview) else str(value).encode())
    return values


def assert_nowhere(secret_values: list[bytes], *texts: str | bytes, rows: list[bytes] = ()) -> None:  # type: ignore[assignment]
    blobs = [t.encode() if isinstance(t, str) else t for t in texts] + list(rows)
    for form in secret_values:
        for blob in blobs:
            assert form not in blob


def key_forms(key: bytearray) -> list[bytes]:
    return [*secret_forms(key), ("0x" + bytes(key).hex()).encode()]


def import_args(wallet_id: str, funder: str, kms_key: str, signature_type: int = 0, *extra: str) -> list[str]:
    return [
        "import",
        "--wallet-id",
        wallet_id,
        "--funder",
        funder,
        "--signature-type",
        str(signature_type),
        "--kms-key-id",
        kms_key,
        "--credentials-prefix",
        "omegacopy/test/clob",
        *extra,
    ]


def api_credentials() -> tuple[str, str, str]:
    return str(uuid.uuid4()), base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(), secrets.token_hex(16)


# ------------------------------------------------------------------------------------------------
# import
# ------------------------------------------------------------------------------------------------
def test_import_from_stdin_stores_an_envelope_that_signs_as_the_printed_address(
    moto_server: Any, pg_url: str, pg: psycopg.Connection[Any], kms: Any, kms_key: str
) -> None:
    key = generated_key()
    address = address_of(key)
    wallet_id = new_wallet_id()
    done = run_wallet(
        moto_server, pg_url, *import_args(wallet_id, address, kms_key), stdin="0x" + bytes(key).hex() + "\n"
    )
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary == {
        "wallet_id": wallet_id,
        "address": address,
        "funder": address,
        "signature_type": 0,
        "kms_key_id": kms_key,
        "has_key": True,
        "credentials_ref": None,
        "imported": True,
    }
    assert f"address: {address}" in done.stderr
    row = load_wallet(pg, wallet_id)
    assert row is not None and row.address == address.lower()
    with KmsKeyUnwrapper(kms).signer_for(row) as signer:
        assert signer.address == summary["address"]
        assert recover_address(DIGEST, signer.sign_digest(DIGEST)) == summary["address"]
    # CANARY: no form of the key in any output or any column of any table
    assert_nowhere(key_forms(key), done.stdout, done.stderr, rows=dump_database(pg))


def test_import_with_api_credentials_keeps_them_out_of_outputs_and_rows(
    moto_server: Any, pg_url: str, pg: psycopg.Connection[Any], kms: Any, kms_key: str, sm: Any
) -> None:
    key = generated_key()
    proxy = "0x" + secrets.token_hex(20)
    wallet_id = new_wallet_id()
    api_key, secret, passphrase = api_credentials()
    stdin = f"{bytes(key).hex()}\n{secret}\n{passphrase}\n"
    platform_key = kms.create_key(Description="platform")["KeyMetadata"]["Arn"]
    args = import_args(wallet_id, proxy, kms_key, 2, "--api-key", api_key, "--credentials-kms-key-id", platform_key)
    done = run_wallet(moto_server, pg_url, *args, stdin=stdin)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["credentials_ref"] == f"omegacopy/test/clob/{wallet_id}"
    assert summary["signature_type"] == 2
    assert summary["funder"].lower() == proxy
    creds = load_credentials(summary["credentials_ref"], provider=SecretsProvider(boto3_client=sm))
    assert (creds.api_key, creds.secret, creds.passphrase) == (api_key, secret, passphrase)
    assert sm.describe_secret(SecretId=summary["credentials_ref"])["KmsKeyId"] == platform_key
    row = load_wallet(pg, wallet_id)
    assert row is not None and row.credentials_ref == summary["credentials_ref"]
    # CANARY: key, API secret and passphrase only where they belong (KMS envelope, Secrets Manager)
    canaries = [*key_forms(key), secret.encode(), passphrase.encode()]
    assert_nowhere(canaries, done.stdout, done.stderr, rows=dump_database(pg))


def test_import_with_derived_credentials_from_the_clob(
    moto_server: Any, pg_url: str, pg: psycopg.Connection[Any], kms_key: str, sm: Any
) -> None:
    key = generated_key()
    address = address_of(key)
    wallet_id = new_wallet_id()
    with start_paper_exchange() as exchange:
        args = import_args(wallet_id, address, kms_key, 0, "--derive-credentials", "--clob-url", exchange.url)
        done = run_wallet(moto_server, pg_url, *args, stdin=bytes(key).hex() + "\n")
        assert done.returncode == 0, done.stderr
        ref = json.loads(done.stdout)["credentials_ref"]
        creds = load_credentials(ref, provider=SecretsProvider(boto3_client=sm))
        # the stored credentials authenticate L2 calls for this address
        with ClobClient(exchange.url, address=address, credentials=creds) as clob:
            clob.balance_allowance()
    assert_nowhere([*key_forms(key), creds.secret.encode(), creds.passphrase.encode()], done.stdout, done.stderr)
    assert_nowhere([creds.secret.encode(), creds.passphrase.encode()], rows=dump_database(pg))


def test_existing_wallet_is_refused_before_its_secret_is_touched(
    moto_server: Any, pg_url: str, pg: psycopg.Connection[Any], kms_key: str, sm: Any
) -> None:
    key = generated_key()
    address = address_of(key)
    wallet_id = new_wallet_id()
    first = api_credentials()
    done = run_wallet(
        moto_server,
        pg_url,
        *import_args(wallet_id, address, kms_key, 0, "--api-key", first[0]),
        stdin=f"{bytes(key).hex()}\n{first[1]}\n{first[2]}\n",
    )
    assert done.returncode == 0, done.stderr
    second = api_credentials()
    again = run_wallet(
        moto_server,
        pg_url,
        *import_args(wallet_id, address, kms_key, 0, "--api-key", second[0]),
        stdin=f"{bytes(key).hex()}\n{second[1]}\n{second[2]}\n",
    )
    assert again.returncode == 1
    assert "already exists" in again.stderr
    stored = json.loads(sm.get_secret_value(SecretId=f"omegacopy/test/clob/{wallet_id}")["SecretString"])
    assert stored["api_key"] == first[0]
    # --replace is the explicit way
    replaced = run_wallet(
        moto_server,
        pg_url,
        *import_args(wallet_id, address, kms_key, 0, "--api-key", second[0], "--replace"),
        stdin=f"{bytes(key).hex()}\n{second[1]}\n{second[2]}\n",
    )
    assert replaced.returncode == 0, replaced.stderr
    stored = json.loads(sm.get_secret_value(SecretId=f"omegacopy/test/clob/{wallet_id}")["SecretString"])
    assert stored["api_key"] == second[0]


# ------------------------------------------------------------------------------------------------
# refusals: argv, environment, malformed input
# ------------------------------------------------------------------------------------------------
def _no_wallets(pg: psycopg.Connection[Any]) -> bool:
    row = pg.execute("SELECT count(*) FROM wallets").fetchone()
    return row is not None and row[0] == 0


@pytest.mark.parametrize(
    "attempt",
    [
        ["--private-key", "{hex}"],
        ["--private-key={hex}"],
        ["--private-key", "{bare}"],
        ["--key", "{hex}"],
        ["--pk={hex}"],
        ["--private-key-env", "WALLET_KEY"],
        ["--privkey-file", "/tmp/key"],
        ["--api-secret", "s3cr3t"],
        ["--passphrase", "p4ss"],
        ["--mnemonic", "word word"],
        ["{hex}"],
        ["--wallet-id", "{bare}"],
    ],
)
def test_a_key_or_secret_on_the_command_line_is_refused(
    moto_server: Any, pg_url: str, pg: psycopg.Connection[Any], kms_key: str, attempt: list[str]
) -> None:
    key = generated_key()
    address = address_of(key)
    fill = {"hex": "0x" + bytes(key).hex(), "bare": bytes(key).hex()}
    extra = [part.format(**fill) for part in attempt]
    # a valid key on stdin as well: the refusal must stop everything
    done = run_wallet(
        moto_server, pg_url, *import_args(new_wallet_id(), address, kms_key), *extra, stdin=bytes(key).hex() + "\n"
    )
    assert done.returncode == 2
    assert "refus" in done.stderr
    assert done.stdout == ""
    assert_nowhere(key_forms(key), done.stdout, done.stderr)
    assert _no_wallets(pg)


def test_keys_in_the_environment_are_never_read(
    moto_server: Any, pg_url: str, pg: psycopg.Connection[Any], kms_key: str
) -> None:
    key = generated_key()
    address = address_of(key)
    env = {"PRIVATE_KEY": bytes(key).hex(), "OMEGACOPY_PRIVATE_KEY": "0x" + bytes(key).hex(), "MNEMONIC": "a b c"}
    done = run_wallet(moto_server, pg_url, *import_args(new_wallet_id(), address, kms_key), stdin="", env=env)
    assert done.returncode == 2
    assert "no private key" in done.stderr
    assert "ignoring environment variable(s) MNEMONIC, OMEGACOPY_PRIVATE_KEY, PRIVATE_KEY" in done.stderr
    assert_nowhere(key_forms(key), done.stdout, done.stderr)
    assert _no_wallets(pg)


@pytest.mark.parametrize(
    ("stdin", "message"),
    [
        ("0x1234\n", "32 bytes of hex"),
        ("{bare}ff\n", "32 bytes of hex"),
        ("zz{tail}\n", "32 bytes of hex"),
        ("0x{zero}\n", "not a valid secp256k1"),
        ("\n", "no private key"),
    ],
)
def test_malformed_keys_are_refused_without_echo(
    moto_server: Any, pg_url: str, pg: psycopg.Connection[Any], kms_key: str, stdin: str, message: str
) -> None:
    key = generated_key()
    text = stdin.format(bare=bytes(key).hex(), tail=bytes(key).hex()[2:], zero="0" * 64)
    done = run_wallet(moto_server, pg_url, *import_args(new_wallet_id(), address_of(key), kms_key), stdin=text)
    assert done.returncode == 2
    assert message in done.stderr
    assert bytes(key).hex()[2:] not in done.stderr + done.stdout
    assert _no_wallets(pg)


def test_funder_must_match_the_signature_type(
    moto_server: Any, pg_url: str, pg: psycopg.Connection[Any], kms_key: str
) -> None:
    key = generated_key()
    address = address_of(key)
    stranger = "0x" + secrets.token_hex(20)
    eoa = run_wallet(moto_server, pg_url, *import_args(new_wallet_id(), stranger, kms_key, 0), stdin=bytes(key).hex())
    assert eoa.returncode == 2
    assert "funder must be the key's own address" in eoa.stderr
    safe = run_wallet(moto_server, pg_url, *import_args(new_wallet_id(), address, kms_key, 2), stdin=bytes(key).hex())
    assert safe.returncode == 2
    assert "not the key's address" in safe.stderr
    assert _no_wallets(pg)


def test_invalid_arguments_exit_2_with_clear_messages(moto_server: Any, pg_url: str, kms_key: str) -> None:
    key = generated_key()
    address = address_of(key)
    bad_type = run_wallet(moto_server, pg_url, *import_args(new_wallet_id(), address, kms_key, 7), stdin="")
    assert bad_type.returncode == 2
    assert "--signature-type: Input should be less than or equal to 3" in bad_type.stderr
    bad_funder = run_wallet(moto_server, pg_url, *import_args(new_wallet_id(), "0x12", kms_key), stdin="")
    assert bad_funder.returncode == 2
    assert "--funder" in bad_funder.stderr
    bad_id = run_wallet(moto_server, pg_url, *import_args("has space", address, kms_key), stdin="")
    assert bad_id.returncode == 2
    assert "--wallet-id" in bad_id.stderr
    no_db = run_wallet(moto_server, "", *import_args(new_wallet_id(), address, kms_key), stdin="")
    assert no_db.returncode == 2
    assert "--database-url (or DATABASE_URL)" in no_db.stderr
    both = run_wallet(
        moto_server,
        pg_url,
        *import_args(new_wallet_id(), address, kms_key, 0, "--api-key", "k", "--derive-credentials"),
    )
    assert both.returncode == 2


def test_unknown_kms_key_fails_cleanly(
    moto_server: Any, pg_url: str, pg: psycopg.Connection[Any], kms_key: str
) -> None:
    key = generated_key()
    missing = "arn:aws:kms:eu-west-1:123456789012:key/" + str(uuid.uuid4())
    done = run_wallet(
        moto_server, pg_url, *import_args(new_wallet_id(), address_of(key), missing), stdin=bytes(key).hex()
    )
    assert done.returncode == 1
    assert "NotFoundException" in done.stderr
    assert_nowhere(key_forms(key), done.stdout, done.stderr)
    assert _no_wallets(pg)


# ------------------------------------------------------------------------------------------------
# rewrap and show
# ------------------------------------------------------------------------------------------------
def test_rewrap_to_a_new_kms_key_and_show(
    moto_server: Any, pg_url: str, pg: psycopg.Connection[Any], kms: Any, kms_key: str
) -> None:
    key = generated_key()
    address = address_of(key)
    wallet_id = new_wallet_id()
    imported = run_wallet(moto_server, pg_url, *import_args(wallet_id, address, kms_key), stdin=bytes(key).hex())
    assert imported.returncode == 0, imported.stderr
    before = load_wallet(pg, wallet_id)
    assert before is not None and before.envelope is not None
    new_key = kms.create_key(Description="rotated")["KeyMetadata"]["Arn"]

    done = run_wallet(moto_server, pg_url, "rewrap", "--wallet-id", wallet_id, "--new-kms-key-id", new_key)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["previous_kms_key_id"] == kms_key
    assert summary["kms_key_id"] == new_key
    after = load_wallet(pg, wallet_id)
    assert after is not None and after.envelope is not None
    assert after.envelope.kms_key_id == new_key
    assert after.envelope.wrapped_data_key != before.envelope.wrapped_data_key
    assert after.envelope.ciphertext != before.envelope.ciphertext

    # the old KMS key is no longer needed
    kms.schedule_key_deletion(KeyId=kms_key.rsplit("/", 1)[1], PendingWindowInDays=7)
    with KmsKeyUnwrapper(kms).signer_for(after) as signer:
        assert recover_address(DIGEST, signer.sign_digest(DIGEST)) == address

    shown = run_wallet(moto_server, pg_url, "show", "--wallet-id", wallet_id)
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout) == {
        "wallet_id": wallet_id,
        "address": address,
        "funder": address,
        "signature_type": 0,
        "kms_key_id": new_key,
        "has_key": True,
        "credentials_ref": None,
    }
    envelope_hex = [after.envelope.ciphertext.hex(), after.envelope.wrapped_data_key.hex()[:40]]
    for text in (shown.stdout, shown.stderr, done.stdout, done.stderr):
        assert all(h not in text for h in envelope_hex)
    assert_nowhere(key_forms(key), done.stdout, done.stderr, shown.stdout, shown.stderr, rows=dump_database(pg))


def test_rewrap_refuses_unknown_and_tampered_wallets(
    moto_server: Any, pg_url: str, pg: psycopg.Connection[Any], kms: Any, kms_key: str
) -> None:
    new_key = kms.create_key()["KeyMetadata"]["Arn"]
    unknown = run_wallet(moto_server, pg_url, "rewrap", "--wallet-id", "nobody", "--new-kms-key-id", new_key)
    assert unknown.returncode == 1
    assert "wallet nobody: not found" in unknown.stderr
    key = generated_key()
    wallet_id = new_wallet_id()
    imported = run_wallet(
        moto_server, pg_url, *import_args(wallet_id, address_of(key), kms_key), stdin=bytes(key).hex()
    )
    assert imported.returncode == 0, imported.stderr
    pg.execute(
        "UPDATE wallets SET key_ciphertext = set_byte(key_ciphertext, 3, get_byte(key_ciphertext, 3) # 1)"
        " WHERE wallet_id = %s",
        (wallet_id,),
    )
    tampered = load_wallet(pg, wallet_id)
    done = run_wallet(moto_server, pg_url, "rewrap", "--wallet-id", wallet_id, "--new-kms-key-id", new_key)
    assert done.returncode == 1
    assert f"wallet {wallet_id}: envelope rejected (integrity check failed)" in done.stderr
    assert done.stdout == ""  # the failure log line went to stderr with the message
    assert '"reason":"integrity check failed"' in done.stderr
    assert load_wallet(pg, wallet_id) == tampered  # unchanged
    assert_nowhere(key_forms(key), done.stdout, done.stderr)


def test_show_unknown_wallet(moto_server: Any, pg_url: str) -> None:
    done = run_wallet(moto_server, pg_url, "show", "--wallet-id", "nobody")
    assert done.returncode == 1
    assert "not found" in done.stderr


# ------------------------------------------------------------------------------------------------
# reading secrets (in-process)
# ------------------------------------------------------------------------------------------------
class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_secret_reader_prompts_on_a_terminal() -> None:
    prompts: list[str] = []

    def prompt(text: str) -> str:
        prompts.append(text)
        return "typed"

    reader = SecretReader(_Tty(), prompt=prompt)
    assert reader.interactive
    assert reader.line("key: ") == bytearray(b"typed")
    assert prompts == ["key: "]


def test_secret_reader_reads_a_pipe_byte_by_byte() -> None:
    read_fd, write_fd = os.pipe()
    os.write(write_fd, b"first\r\nsecond\nthird")
    os.close(write_fd)
    with os.fdopen(read_fd) as stream:
        reader = SecretReader(stream)
        assert not reader.interactive
        assert reader.line("") == bytearray(b"first")
        assert reader.line("") == bytearray(b"second")
        assert reader.line("") == bytearray(b"third")
        assert reader.line("") == bytearray()
    with pytest.raises(InputError, match="too long"):
        SecretReader(io.StringIO("x" * 5000)).line("")


def test_parse_private_key() -> None:
    key = generated_key()
    for text in (bytes(key).hex(), "0x" + bytes(key).hex(), "  0X" + bytes(key).hex().upper() + " \r\n"):
        line = bytearray(text, "ascii")
        assert parse_private_key(line) == key
    for bad in ("", "0x", "0x" + "g" * 64, bytes(key).hex()[:-1], bytes(key).hex() + "0", "0x " + bytes(key).hex()):
        with pytest.raises(InputError, match="32 bytes of hex") as info:
            parse_private_key(bytearray(bad, "ascii"))
        assert bytes(key).hex() not in str(info.value)


def test_import_reads_hidden_prompts_on_a_terminal(
    moto_server: Any, pg_url: str, pg: psycopg.Connection[Any], kms: Any, kms_key: str, sm: Any
) -> None:
    key = generated_key()
    address = address_of(key)
    wallet_id = new_wallet_id()
    api_key, secret, passphrase = api_credentials()
    answers = iter(["0x" + bytes(key).hex(), secret, passphrase])
    prompts: list[str] = []

    def prompt(text: str) -> str:
        prompts.append(text)
        return next(answers)

    args = ImportArgs.model_validate(
        {
            "wallet_id": wallet_id,
            "database_url": pg_url,
            "funder": address,
            "signature_type": "0",
            "kms_key_id": kms_key,
            "credentials_prefix": "omegacopy/test/clob",
            "api_key": api_key,
            "clob_url": "https://clob.invalid",
            "chain_id": 137,
        }
    )
    summary = import_wallet(args, SecretReader(_Tty(), prompt=prompt))
    assert prompts == [
        "wallet private key (hex, input hidden): ",
        "CLOB API secret (input hidden): ",
        "CLOB API passphrase (input hidden): ",
    ]
    assert summary["address"] == address
    row = load_wallet(pg, wallet_id)
    assert row is not None
    with KmsKeyUnwrapper(kms).signer_for(row) as signer:
        assert signer.address == address
    creds = load_credentials(f"omegacopy/test/clob/{wallet_id}", provider=SecretsProvider(boto3_client=sm))
    assert (creds.secret, creds.passphrase) == (secret, passphrase)
