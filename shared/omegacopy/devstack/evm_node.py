"""A local EVM on loopback for on-chain paths (redemption): a Hardhat node serving JSON-RPC, and the
real Gnosis ConditionalTokens contract compiled from its published npm source with solcjs.

The npm project is `evm/` (versions pinned by its package-lock.json). `ensure_installed`
runs `npm ci` when its node_modules are missing or older than the lock; `compiled` runs its
compile.js when the build is missing. The production `JsonRpcChain` talks to this node as it
would to a Polygon endpoint. Hardhat's dev accounts are unlocked: tests deploy and act through
`eth_sendTransaction` (and `hardhat_impersonateAccount` for the follower's own calls), never
with a private key of theirs.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from omegacopy.devstack.postgres import free_port

EVM_DIR = Path(__file__).resolve().parents[3] / "evm"
_STAMP = Path("node_modules") / ".omegacopy-installed"


class EvmUnavailableError(RuntimeError):
    """node/npm are missing, or the chain could not be built or started."""


def node_tools_missing() -> str | None:
    """Why the local EVM cannot run here (None: node and npm are installed)."""
    missing = [tool for tool in ("node", "npm") if shutil.which(tool) is None]
    return f"{' and '.join(missing)} not installed: the local EVM cannot run" if missing else None


def ensure_installed(evm_dir: Path = EVM_DIR) -> None:
    stamp = evm_dir / _STAMP
    lock = evm_dir / "package-lock.json"
    if stamp.exists() and stamp.stat().st_mtime >= lock.stat().st_mtime:
        return
    done = subprocess.run(
        ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=evm_dir,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if done.returncode != 0:
        raise EvmUnavailableError(f"npm ci in {evm_dir.name} failed: {done.stderr[-2000:]}")
    stamp.touch()


def compiled(evm_dir: Path = EVM_DIR) -> dict[str, Any]:
    """{"ConditionalTokens": {abi, bytecode}, "Collateral": {abi, bytecode}, "compiler": version}."""
    out = evm_dir / "build" / "contracts.json"
    sources = [evm_dir / "compile.js", evm_dir / "package-lock.json"]
    if not out.exists() or any(out.stat().st_mtime < s.stat().st_mtime for s in sources):
        done = subprocess.run(
            ["node", "compile.js"],
            cwd=evm_dir,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if done.returncode != 0:
            raise EvmUnavailableError(f"solc compile failed: {done.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(out.read_text())
    return result


@dataclass
class EvmNode:
    url: str
    chain_id: int
    process: subprocess.Popen[bytes]
    _log: Any = field(repr=False)
    _http: httpx.Client = field(default_factory=lambda: httpx.Client(timeout=30), repr=False)
    _ids: int = 0

    def rpc(self, method: str, params: list[Any] | None = None) -> Any:
        self._ids += 1
        reply = self._http.post(self.url, json={"jsonrpc": "2.0", "id": self._ids, "method": method,
                                                "params": params or []}).json()  # fmt: skip
        if "error" in reply:
            raise RuntimeError(f"{method}: {reply['error'].get('message')}")
        return reply["result"]

    def accounts(self) -> list[str]:
        return [a.lower() for a in self.rpc("eth_accounts")]

    def send(self, sender: str, to: str | None, data: bytes = b"", *, nonce: int | None = None) -> str:
        tx: dict[str, Any] = {"from": sender, "data": "0x" + data.hex(), "gas": hex(6_000_000)}
        if to is not None:
            tx["to"] = to
        if nonce is not None:
            tx["nonce"] = hex(nonce)
        return str(self.rpc("eth_sendTransaction", [tx]))

    def receipt(self, tx_hash: str) -> dict[str, Any] | None:
        found: dict[str, Any] | None = self.rpc("eth_getTransactionReceipt", [tx_hash])
        return found

    def transact(self, sender: str, to: str | None, data: bytes = b"") -> dict[str, Any]:
        """Send and require success (automine on): the receipt."""
        tx_hash = self.send(sender, to, data)
        found = self.receipt(tx_hash)
        if found is None or int(found["status"], 16) != 1:
            raise RuntimeError(f"transaction {tx_hash} failed")
        return found

    def deploy(self, sender: str, bytecode: str) -> str:
        return str(self.transact(sender, None, bytes.fromhex(bytecode.removeprefix("0x")))["contractAddress"]).lower()

    def call(self, to: str, data: bytes) -> bytes:
        return bytes.fromhex(str(self.rpc("eth_call", [{"to": to, "data": "0x" + data.hex()}, "latest"]))[2:])

    def impersonate(self, address: str) -> None:
        self.rpc("hardhat_impersonateAccount", [address])

    def set_balance(self, address: str, wei: int) -> None:
        self.rpc("hardhat_setBalance", [address, hex(wei)])

    def automine(self, on: bool) -> None:
        self.rpc("evm_setAutomine", [on])

    def mine(self) -> None:
        self.rpc("evm_mine")

    def drop(self, tx_hash: str) -> bool:
        return bool(self.rpc("hardhat_dropTransaction", [tx_hash]))

    def stop(self) -> None:
        self._http.close()
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        self._log.close()


def start_evm_node(evm_dir: Path = EVM_DIR, *, startup_timeout_s: float = 90.0) -> EvmNode:
    """A fresh chain (chain id 31337) on a free loopback port; stop() ends it."""
    ensure_installed(evm_dir)
    port = free_port()
    # the node prints its dev accounts' keys on start: into a private temp file, deleted on stop
    log = tempfile.TemporaryFile()  # noqa: SIM115 - closed by EvmNode.stop
    env = {**os.environ, "HARDHAT_DISABLE_TELEMETRY_PROMPT": "true", "CI": "true"}
    process = subprocess.Popen(
        [str(evm_dir / "node_modules" / ".bin" / "hardhat"), "node", "--hostname", "127.0.0.1", "--port", str(port)],
        cwd=evm_dir,
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + startup_timeout_s
    with httpx.Client(timeout=2) as http:
        while True:
            if process.poll() is not None:
                log.close()
                raise EvmUnavailableError(f"hardhat node exited with {process.returncode}")
            try:
                reply = http.post(url, json={"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []})
                chain_id = int(reply.json()["result"], 16)
                break
            except (httpx.HTTPError, KeyError, ValueError):
                if time.monotonic() > deadline:
                    process.kill()
                    log.close()
                    raise EvmUnavailableError("hardhat node did not answer in time") from None
                time.sleep(0.2)  # polling a starting server: readiness, not synchronisation of a test
    return EvmNode(url=url, chain_id=chain_id, process=process, _log=log)
