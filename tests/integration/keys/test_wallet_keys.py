"""KMS envelope: round trip, every tampering refused (no signature, KeyDecryptFailed), buffers wiped."""

from __future__ import annotations

import base64
import dataclasses
import logging
import secrets
import traceback
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from botocore.config import Config
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from omegacopy.adapters import wallet_keys
from omegacopy.adapters.pg_wallets import WalletRow
from omegacopy.adapters.wallet_keys import (
    PURPOSE,
    KeyEnvelope,
    KeyServiceUnavailableError,
    KeyUnwrapError,
    KmsKeyUnwrapper,
    encryption_context,
    rewrap,
    with_signer,
    wrap_private_key,
)
from omegacopy.domain.signer import LocalKeySigner, recover_address

from .conftest import Emf, RecordingBuffers, Wallet, address_of, generated_key, make_wallet, secret_forms

DIGEST = bytes(range(32))


def _flip(data: bytes, index: int) -> bytes:
    out = bytearray(data)
    out[index] ^= 0x01
    return bytes(out)


def _with_envelope(row: WalletRow, **changes: Any) -> WalletRow:
    assert row.envelope is not None
    return dataclasses.replace(row, envelope=dataclasses.replace(row.envelope, **changes))


def _assert_refused(
    unwrapper: KmsKeyUnwrapper, row: WalletRow, secret: bytearray, reason: str | None = None
) -> KeyUnwrapError:
    signatures: list[bytes] = []
    with pytest.raises(KeyUnwrapError) as info, unwrapper.signer_for(row) as signer:
        signatures.append(signer.sign_digest(DIGEST))
    assert signatures == []
    error = info.value
    assert not isinstance(error, KeyServiceUnavailableError)
    assert str(error).startswith(f"wallet {row.wallet_id}: envelope rejected (")
    if reason is not None:
        assert error.reason == reason
    _assert_no_secret(error, secret)
    return error


def _assert_no_secret(error: BaseException, secret: bytearray) -> None:
    """Neither the message, the args, a chained exception nor a local of any traceback frame holds the key."""
    assert error.__cause__ is None
    assert error.__context__ is None
    text = "".join(traceback.format_exception(error)).encode()
    text += repr(error.args).encode()
    for form in secret_forms(secret):
        assert form not in text
    frame_tb = error.__traceback__
    while frame_tb is not None:
        if frame_tb.tb_frame.f_code.co_filename == __file__:  # the test's own frames hold its copy
            frame_tb = frame_tb.tb_next
            continue
        for value in frame_tb.tb_frame.f_locals.values():
            if isinstance(value, bytes | bytearray):
                assert bytes(secret) not in bytes(value)
            if isinstance(value, list):
                for item in value:
                    if isinstance(item, bytes | bytearray):
                        assert bytes(secret) not in bytes(item)
        frame_tb = frame_tb.tb_next


# ------------------------------------------------------------------------------------------------
# Round trip
# ------------------------------------------------------------------------------------------------
def test_wrap_unwrap_sign_recovers_the_address(kms: Any, kms_key: str, wallet: Wallet, emf: Emf) -> None:
    envelope = wallet.row.envelope
    assert envelope is not None
    assert envelope.kms_key_id == kms_key  # the ARN KMS reports, stable even if an alias was given
    assert len(envelope.nonce) == 12
    assert len(envelope.ciphertext) == 48
    for form in secret_forms(wallet.key):
        assert form not in envelope.ciphertext + envelope.wrapped_data_key
    with KmsKeyUnwrapper(kms).signer_for(wallet.row) as signer:
        assert signer.address == wallet.address
        signature = signer.sign_digest(DIGEST)
    assert recover_address(DIGEST, signature) == wallet.address
    assert "KeyDecryptFailed" not in emf.flush()


def test_with_signer_and_an_alias(kms: Any, kms_key: str) -> None:
    kms.create_alias(AliasName=f"alias/wallets-{secrets.token_hex(4)}", TargetKeyId=kms_key)
    alias = kms.list_aliases(KeyId=kms_key)["Aliases"][0]["AliasName"]
    key = generated_key()
    address = address_of(key)
    envelope = wrap_private_key(kms, alias, wallet_id="w-alias", address=address, private_key=bytearray(key))
    assert envelope.kms_key_id == kms_key
    row = WalletRow(wallet_id="w-alias", address=address, funder=address, signature_type=0, envelope=envelope)
    signature = with_signer(kms, row, lambda signer: signer.sign_digest(DIGEST))
    assert recover_address(DIGEST, signature) == address


def test_the_data_key_is_bound_to_the_wallet_context(kms: Any, wallet: Wallet) -> None:
    envelope = wallet.row.envelope
    assert envelope is not None
    context = encryption_context(wallet.row.wallet_id, wallet.address)
    assert context == {"wallet_id": wallet.row.wallet_id, "address": wallet.address.lower(), "purpose": PURPOSE}
    assert len(kms.decrypt(CiphertextBlob=envelope.wrapped_data_key, EncryptionContext=context)["Plaintext"]) == 32
    with pytest.raises(kms.exceptions.InvalidCiphertextException):
        kms.decrypt(CiphertextBlob=envelope.wrapped_data_key)


def test_hardhat_public_key_round_trip(kms: Any, kms_key: str) -> None:
    hardhat = LocalKeySigner.from_hex("0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80")
    assert hardhat.address == "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
    hardhat.close()
    key = bytearray.fromhex("ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80")
    address = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
    envelope = wrap_private_key(kms, kms_key, wallet_id="hardhat", address=address, private_key=key)
    row = WalletRow(wallet_id="hardhat", address=address, funder=address, signature_type=0, envelope=envelope)
    with KmsKeyUnwrapper(kms).signer_for(row) as signer:
        assert recover_address(DIGEST, signer.sign_digest(DIGEST)) == address


def test_wrap_refuses_bad_input(kms: Any, kms_key: str) -> None:
    key = generated_key()
    other = address_of(generated_key())
    with pytest.raises(TypeError, match="bytearray"):
        wrap_private_key(kms, kms_key, wallet_id="w", address=address_of(key), private_key=bytes(key))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="does not derive") as info:
        wrap_private_key(kms, kms_key, wallet_id="w", address=other, private_key=key)
    for form in secret_forms(key):
        assert form.decode("latin-1") not in str(info.value)
    with pytest.raises(ValueError, match="not a valid secp256k1"):
        wrap_private_key(kms, kms_key, wallet_id="w", address=other, private_key=bytearray(32))


def test_wrap_wipes_its_data_key(kms: Any, kms_key: str, buffers: RecordingBuffers) -> None:
    key = generated_key()
    wrap_private_key(
        kms, kms_key, wallet_id="w", address=address_of(key), private_key=bytearray(key), buffer_factory=buffers
    )
    assert len(buffers.buffers) == 1
    assert buffers.all_zero()


# ------------------------------------------------------------------------------------------------
# Plaintext lifetime
# ------------------------------------------------------------------------------------------------
def test_plaintext_buffers_are_zeroed_after_the_block(kms: Any, wallet: Wallet, buffers: RecordingBuffers) -> None:
    unwrapper = KmsKeyUnwrapper(kms, buffer_factory=buffers)
    with unwrapper.signer_for(wallet.row) as signer:
        # inside: the data key was already wiped; the key buffer holds the key
        assert [bytes(b) == bytes(wallet.key) for b in buffers.buffers] == [False, True]
        assert not any(buffers.buffers[0])
        kept = signer
    assert buffers.all_zero()
    assert isinstance(kept, LocalKeySigner)
    assert kept.closed
    with pytest.raises(ValueError, match="closed"):
        kept.sign_digest(DIGEST)  # a signer smuggled out of the block is useless
    assert not any(kept._key)


def test_plaintext_is_wiped_when_the_block_raises(kms: Any, wallet: Wallet, buffers: RecordingBuffers) -> None:
    unwrapper = KmsKeyUnwrapper(kms, buffer_factory=buffers)
    with pytest.raises(RuntimeError, match="POST failed"), unwrapper.signer_for(wallet.row) as signer:
        kept = signer
        raise RuntimeError("POST failed")
    assert buffers.all_zero()
    assert isinstance(kept, LocalKeySigner) and kept.closed


def test_each_block_unwraps_anew(kms: Any, wallet: Wallet, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    original = kms.decrypt

    def counting(**kwargs: Any) -> Any:
        calls.append(kwargs["KeyId"])
        return original(**kwargs)

    monkeypatch.setattr(kms, "decrypt", counting)
    unwrapper = KmsKeyUnwrapper(kms)
    for _ in range(3):
        with unwrapper.signer_for(wallet.row) as signer:
            signer.sign_digest(DIGEST)
    assert len(calls) == 3  # nothing cached between blocks
    assert repr(unwrapper) == "KmsKeyUnwrapper()"


# ------------------------------------------------------------------------------------------------
# Tampering, truncation, swaps, wrong context: refused, no signature, KeyDecryptFailed
# ------------------------------------------------------------------------------------------------
def test_every_flipped_ciphertext_or_nonce_byte_is_refused(
    kms: Any, wallet: Wallet, emf: Emf, buffers: RecordingBuffers
) -> None:
    envelope = wallet.row.envelope
    assert envelope is not None
    unwrapper = KmsKeyUnwrapper(kms, buffer_factory=buffers)
    for i in range(len(envelope.ciphertext)):
        row = _with_envelope(wallet.row, ciphertext=_flip(envelope.ciphertext, i))
        _assert_refused(unwrapper, row, wallet.key, "integrity check failed")
    for i in range(len(envelope.nonce)):
        row = _with_envelope(wallet.row, nonce=_flip(envelope.nonce, i))
        _assert_refused(unwrapper, row, wallet.key, "integrity check failed")
    assert buffers.buffers and buffers.all_zero()
    attempts = len(envelope.ciphertext) + len(envelope.nonce)
    assert emf.flush()["KeyDecryptFailed"] == attempts
    for form in secret_forms(wallet.key):
        assert form.decode("latin-1") not in emf.output


def test_every_flipped_wrapped_key_byte_is_refused(kms: Any, wallet: Wallet, emf: Emf) -> None:
    envelope = wallet.row.envelope
    assert envelope is not None
    unwrapper = KmsKeyUnwrapper(kms)
    reasons = set()
    for i in range(len(envelope.wrapped_data_key)):
        row = _with_envelope(wallet.row, wrapped_data_key=_flip(envelope.wrapped_data_key, i))
        reasons.add(_assert_refused(unwrapper, row, wallet.key).reason)
    assert all(r.startswith("kms ") for r in reasons)
    assert emf.flush()["KeyDecryptFailed"] == len(envelope.wrapped_data_key)


@pytest.mark.parametrize(
    ("field", "cut", "reason"),
    [
        ("ciphertext", lambda b: b[:-1], "malformed"),
        ("ciphertext", lambda b: b[:32], "malformed"),
        ("ciphertext", lambda b: b"", "malformed"),
        ("ciphertext", lambda b: b + b"\x00", "malformed"),
        ("nonce", lambda b: b[:-1], "malformed"),
        ("wrapped_data_key", lambda b: b"", "malformed"),
        ("wrapped_data_key", lambda b: b[: len(b) // 2], None),
        ("wrapped_data_key", lambda b: b[:-1], None),
        ("kms_key_id", lambda _: "", "malformed"),
    ],
)
def test_truncated_envelopes_are_refused(
    kms: Any, wallet: Wallet, emf: Emf, field: str, cut: Callable[[Any], Any], reason: str | None
) -> None:
    envelope = wallet.row.envelope
    assert envelope is not None
    row = _with_envelope(wallet.row, **{field: cut(getattr(envelope, field))})
    _assert_refused(KmsKeyUnwrapper(kms), row, wallet.key, reason)
    assert emf.flush()["KeyDecryptFailed"] == 1


def test_a_row_without_a_key_is_refused(kms: Any, wallet: Wallet, emf: Emf) -> None:
    row = dataclasses.replace(wallet.row, envelope=None)
    _assert_refused(KmsKeyUnwrapper(kms), row, wallet.key, "no key stored")
    assert emf.flush()["KeyDecryptFailed"] == 1


def test_swapped_rows_are_refused(kms: Any, kms_key: str, emf: Emf) -> None:
    a = make_wallet(kms, kms_key)
    b = make_wallet(kms, kms_key)
    assert a.row.envelope is not None and b.row.envelope is not None
    unwrapper = KmsKeyUnwrapper(kms)
    # A's whole envelope stored under B: KMS refuses B's context
    _assert_refused(unwrapper, dataclasses.replace(b.row, envelope=a.row.envelope), a.key)
    # A's envelope under B's id but A's address (a half-edited row): still B's context, refused
    _assert_refused(unwrapper, dataclasses.replace(a.row, wallet_id=b.row.wallet_id), a.key)
    # A's envelope with B's address: refused
    _assert_refused(unwrapper, dataclasses.replace(a.row, address=b.address, funder=b.address), a.key)
    # B's wrapped data key with A's ciphertext and nonce (a partial swap): the data key opens, GCM does not
    mixed = dataclasses.replace(b.row.envelope, nonce=a.row.envelope.nonce, ciphertext=a.row.envelope.ciphertext)
    _assert_refused(unwrapper, dataclasses.replace(b.row, envelope=mixed), a.key, "integrity check failed")
    assert emf.flush()["KeyDecryptFailed"] == 4


def _forged_envelope(kms: Any, key_id: str, context: dict[str, str], aad: bytes, key: bytearray) -> KeyEnvelope:
    """An envelope built by hand, as an attacker with kms:GenerateDataKey could."""
    response = kms.generate_data_key(KeyId=key_id, KeySpec="AES_256", EncryptionContext=context)
    nonce = secrets.token_bytes(12)
    ciphertext = AESGCM(response["Plaintext"]).encrypt(nonce, bytes(key), aad)
    return KeyEnvelope(response["KeyId"], response["CiphertextBlob"], nonce, ciphertext)


def test_wrong_encryption_context_is_refused(kms: Any, kms_key: str, wallet: Wallet, emf: Emf) -> None:
    row = wallet.row
    aad = wallet_keys._associated_data(row.wallet_id, row.address)
    right = encryption_context(row.wallet_id, row.address)
    for context in (
        {**right, "purpose": "something-else"},
        {"wallet_id": row.wallet_id, "address": row.address},
        {**right, "extra": "x"},
        {},
    ):
        forged = _forged_envelope(kms, kms_key, context, aad, wallet.key)
        _assert_refused(KmsKeyUnwrapper(kms), dataclasses.replace(row, envelope=forged), wallet.key, None)
    # the right context but the AAD of another wallet
    other_aad = wallet_keys._associated_data("someone-else", row.address)
    forged = _forged_envelope(kms, kms_key, right, other_aad, wallet.key)
    _assert_refused(
        KmsKeyUnwrapper(kms), dataclasses.replace(row, envelope=forged), wallet.key, "integrity check failed"
    )
    assert emf.flush()["KeyDecryptFailed"] == 5


def test_a_key_that_does_not_derive_the_row_address_is_refused(kms: Any, kms_key: str, wallet: Wallet) -> None:
    """Correct context and AAD, but another key inside (someone able to encrypt under our KMS key)."""
    row = wallet.row
    intruder = generated_key()
    forged = _forged_envelope(
        kms,
        kms_key,
        encryption_context(row.wallet_id, row.address),
        wallet_keys._associated_data(row.wallet_id, row.address),
        intruder,
    )
    _assert_refused(KmsKeyUnwrapper(kms), dataclasses.replace(row, envelope=forged), intruder, "address mismatch")


def test_a_key_under_another_kms_key_id_is_refused(kms: Any, wallet: Wallet) -> None:
    other = kms.create_key()["KeyMetadata"]["Arn"]
    row = _with_envelope(wallet.row, kms_key_id=other)
    _assert_refused(KmsKeyUnwrapper(kms), row, wallet.key)


def test_kms_unreachable_is_retryable_and_counted_apart(wallet: Wallet, emf: Emf, buffers: RecordingBuffers) -> None:
    dead = boto3.client(
        "kms",
        endpoint_url="http://127.0.0.1:9",  # discard port: connection refused
        region_name="eu-west-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
        config=Config(retries={"max_attempts": 1}, connect_timeout=1, read_timeout=1),
    )
    with (
        pytest.raises(KeyServiceUnavailableError) as info,
        KmsKeyUnwrapper(dead, buffer_factory=buffers).signer_for(wallet.row),
    ):
        pytest.fail("no signer without KMS")
    assert info.value.retryable
    assert str(info.value) == f"wallet {wallet.row.wallet_id}: key service unavailable (kms EndpointConnectionError)"
    totals = emf.flush()
    assert totals.get("KeyServiceUnavailable") == 1
    assert "KeyDecryptFailed" not in totals


def test_kms_throttling_is_retryable(kms: Any, wallet: Wallet, monkeypatch: pytest.MonkeyPatch) -> None:
    from botocore.exceptions import ClientError

    def throttled(**_: Any) -> Any:
        raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "slow down"}}, "Decrypt")

    monkeypatch.setattr(kms, "decrypt", throttled)
    with (
        pytest.raises(KeyServiceUnavailableError, match="kms ThrottlingException"),
        KmsKeyUnwrapper(kms).signer_for(wallet.row),
    ):
        pytest.fail("no signer")


# ------------------------------------------------------------------------------------------------
# Rotation
# ------------------------------------------------------------------------------------------------
def test_rewrap_moves_the_key_to_a_new_kms_key(
    kms: Any, kms_key: str, wallet: Wallet, buffers: RecordingBuffers
) -> None:
    old = wallet.row.envelope
    assert old is not None
    new_key = kms.create_key(Description="rotated")["KeyMetadata"]["Arn"]
    new = rewrap(kms, old, new_key, wallet_id=wallet.row.wallet_id, address=wallet.row.address, buffer_factory=buffers)
    assert buffers.buffers and buffers.all_zero()
    assert new.kms_key_id == new_key
    assert new.nonce != old.nonce and new.ciphertext != old.ciphertext and new.wrapped_data_key != old.wrapped_data_key
    # the new data key is wrapped under the new KMS key only
    context = encryption_context(wallet.row.wallet_id, wallet.row.address)
    with pytest.raises(kms.exceptions.ClientError):
        kms.decrypt(CiphertextBlob=new.wrapped_data_key, KeyId=kms_key, EncryptionContext=context)
    kms.schedule_key_deletion(KeyId=kms_key.rsplit("/", 1)[1], PendingWindowInDays=7)  # moto: the bare id
    assert kms.describe_key(KeyId=kms_key)["KeyMetadata"]["KeyState"] == "PendingDeletion"
    with KmsKeyUnwrapper(kms).signer_for(dataclasses.replace(wallet.row, envelope=new)) as signer:
        assert recover_address(DIGEST, signer.sign_digest(DIGEST)) == wallet.address


def test_rewrap_refuses_a_damaged_envelope(kms: Any, wallet: Wallet, emf: Emf) -> None:
    old = wallet.row.envelope
    assert old is not None
    new_key = kms.create_key()["KeyMetadata"]["Arn"]
    damaged = dataclasses.replace(old, ciphertext=_flip(old.ciphertext, 5))
    with pytest.raises(KeyUnwrapError, match="integrity check failed") as info:
        rewrap(kms, damaged, new_key, wallet_id=wallet.row.wallet_id, address=wallet.row.address)
    _assert_no_secret(info.value, wallet.key)
    assert emf.flush()["KeyDecryptFailed"] == 1


# ------------------------------------------------------------------------------------------------
# Nothing in logs, even with botocore's wire logging at DEBUG
# ------------------------------------------------------------------------------------------------
def test_debug_wire_logging_never_shows_the_data_key(
    kms: Any, kms_key: str, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    key = generated_key()
    address = address_of(key)
    with caplog.at_level(logging.DEBUG):
        envelope = wrap_private_key(kms, kms_key, wallet_id="w-log", address=address, private_key=bytearray(key))
        row = WalletRow(wallet_id="w-log", address=address, funder=address, signature_type=0, envelope=envelope)
        with KmsKeyUnwrapper(kms).signer_for(row) as signer:
            signer.sign_digest(DIGEST)
    logged = caplog.text + capsys.readouterr().out
    assert "Response body" in logged  # botocore did log at DEBUG: the redaction is what is tested
    data_key = kms.decrypt(
        CiphertextBlob=envelope.wrapped_data_key, EncryptionContext=encryption_context("w-log", address)
    )["Plaintext"]
    for form in [*secret_forms(key), *secret_forms(data_key), base64.b64encode(data_key)]:
        assert form.decode("latin-1") not in logged


def test_envelope_and_row_reprs_show_no_bytes(wallet: Wallet) -> None:
    envelope = wallet.row.envelope
    assert envelope is not None
    for text in (repr(wallet.row), str(wallet.row), repr(envelope), str(envelope)):
        assert envelope.ciphertext.hex() not in text
        assert repr(envelope.ciphertext) not in text
        assert repr(envelope.wrapped_data_key)[:20] not in text
        assert "48 bytes" in text or "ciphertext=<48 bytes>" in text
