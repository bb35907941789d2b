"""tools/secret_scan.py: what it catches, what it lets through, and a clean repository."""

from __future__ import annotations

from tests.iac.conftest import load_tool

scan = load_tool("secret_scan")

# Built at run time so that this file itself holds no key-shaped literal.
FAKE_KEY = "0x" + "5e" * 31 + "a1"
HARDHAT_0 = "0x" + "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"


def _rules(text: str) -> list[str]:
    return [finding.rule for finding in scan.scan_text(text)]


def test_a_private_key_shaped_hex_string_is_found_and_never_printed_whole() -> None:
    (finding,) = scan.scan_text(f'KEY = "{FAKE_KEY}"\n', "x.py")
    assert (finding.path, finding.line, finding.rule) == ("x.py", 1, "hex-private-key")
    assert FAKE_KEY not in str(finding) and FAKE_KEY[6:-2] not in str(finding)


def test_public_fixtures_are_allowed_in_any_case() -> None:
    assert _rules(f"signer = {HARDHAT_0}") == []
    assert _rules(f"signer = {HARDHAT_0.upper().replace('0X', '0x')}") == []


def test_longer_hex_runs_and_addresses_are_not_keys() -> None:
    assert _rules("address 0x" + "ab" * 20) == []
    assert _rules("sig 0x" + "ab" * 65) == []
    assert _rules("hash " + "ab" * 32) == []  # without 0x: sha256 digests, test vectors


def test_other_key_material() -> None:
    assert _rules("-----BEGIN EC " + "PRIVATE KEY-----") == ["pem-private-key"]
    assert _rules("aws_access_key_id = AKIA" + "Z7QW3RXT5YUVPLMN") == ["aws-access-key-id"]
    assert _rules("postgresql://trader:" + "s3cr3t-Pa55" + "@db.prod.internal:5432/omega") == ["credentialed-url"]


def test_placeholder_and_local_urls_are_fine() -> None:
    assert _rules("postgresql://user:password@host:5432/db") == []
    assert _rules("http://default:@127.0.0.1:8123/x postgresql://postgres:pw@localhost/db") == []
    assert _rules("https://user:${PASSWORD}@example.com") == []


def test_the_repository_holds_no_key_material() -> None:
    files = scan.repository_files()
    assert any(f.name == "template.yaml" for f in files)
    assert not any(part.startswith(".venv") for f in files for part in f.relative_to(scan.REPO).parts)
    findings = [str(f) for f in scan.scan_files(files)]
    assert findings == [], "key material in the repository (allow public fixtures in tools/secret_scan.py)"
