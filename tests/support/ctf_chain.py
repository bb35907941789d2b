"""A market on the local EVM: the real ConditionalTokens and a standard ERC20 collateral, deployed
fresh per test, driven through JSON-RPC as Polymarket's contracts would be on Polygon."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from eth_abi.abi import encode

from omegacopy.domain import ctf_calls
from omegacopy.domain.ctf_calls import selector
from omegacopy.domain.redemption import RouteCandidates
from omegacopy.domain.resolution import resolution_from_vector

UNIT = 10**6  # 6-decimal collateral and shares, as pUSD


def abi_call(signature: str, types: list[str], values: list[Any]) -> bytes:
    return selector(signature) + encode(types, values)


@dataclass
class CtfMarket:
    node: Any
    deployer: str
    oracle: str
    ctf: str
    collateral: str
    question_id: bytes
    condition_id: str

    @classmethod
    def deploy(cls, node: Any) -> CtfMarket:
        deployer, oracle = node.accounts()[:2]
        contracts = node.contracts
        ctf = node.deploy(deployer, contracts["ConditionalTokens"]["bytecode"])
        collateral = node.deploy(deployer, contracts["Collateral"]["bytecode"])
        question = os.urandom(32)
        node.transact(deployer, ctf, abi_call("prepareCondition(address,bytes32,uint256)",
                                           ["address", "bytes32", "uint256"], [oracle, question, 2]))  # fmt: skip
        condition = node.call(ctf, abi_call("getConditionId(address,bytes32,uint256)",
                                         ["address", "bytes32", "uint256"], [oracle, question, 2]))  # fmt: skip
        return cls(node, deployer, oracle, ctf, collateral, question, "0x" + condition.hex())

    @property
    def routes(self) -> RouteCandidates:
        return RouteCandidates(ctf=self.ctf, collaterals=(self.collateral,), neg_risk_adapters=())

    def token_ids(self) -> tuple[str, str]:
        ids = []
        for index_set in (1, 2):
            collection = self.node.call(self.ctf, ctf_calls.get_collection_id(self.condition_id, index_set))
            position = self.node.call(self.ctf, ctf_calls.get_position_id(self.collateral, collection))
            ids.append(str(ctf_calls.as_uint(position)))
        return ids[0], ids[1]

    def fund(self, holder: str, usd: int) -> None:
        """`usd` dollars of collateral to `holder`, split into as many YES and NO shares."""
        node = self.node
        node.set_balance(holder, 10**20)
        node.impersonate(holder)
        node.transact(self.deployer, self.collateral, abi_call("mint(address,uint256)", ["address", "uint256"],
                                                            [holder, usd * UNIT]))  # fmt: skip
        node.transact(holder, self.collateral, abi_call("approve(address,uint256)", ["address", "uint256"],
                                                     [self.ctf, usd * UNIT]))  # fmt: skip
        node.transact(holder, self.ctf, abi_call(
            "splitPosition(address,bytes32,bytes32,uint256[],uint256)",
            ["address", "bytes32", "bytes32", "uint256[]", "uint256"],
            [self.collateral, bytes(32), bytes.fromhex(self.condition_id[2:]), [1, 2], usd * UNIT],
        ))  # fmt: skip

    def give_away(self, holder: str, token_id: str, shares: int, to: str) -> None:
        self.node.transact(holder, self.ctf, abi_call(
            "safeTransferFrom(address,address,uint256,uint256,bytes)",
            ["address", "address", "uint256", "uint256", "bytes"], [holder, to, int(token_id), shares * UNIT, b""],
        ))  # fmt: skip

    def report(self, payouts: list[int]) -> None:
        self.node.transact(self.oracle, self.ctf, abi_call("reportPayouts(bytes32,uint256[])", ["bytes32", "uint256[]"],
                                                        [self.question_id, payouts]))  # fmt: skip

    def shares(self, holder: str, token_id: str) -> int:
        return ctf_calls.as_uint(self.node.call(self.ctf, abi_call("balanceOf(address,uint256)", ["address", "uint256"],
                                                                [holder, int(token_id)])))  # fmt: skip

    def cash(self, holder: str) -> int:
        return ctf_calls.as_uint(self.node.call(self.collateral, abi_call("balanceOf(address)", ["address"], [holder])))

    def resolution(self, payouts: list[int]) -> Any:
        from decimal import Decimal

        from omegacopy.domain.resolution import ResolutionSource

        total = sum(payouts)
        return resolution_from_vector(self.condition_id, list(self.token_ids()),
                                      [Decimal(p) / Decimal(total) for p in payouts],
                                      source=ResolutionSource.MARKETS)  # fmt: skip
