"""The paper exchange: Polymarket's CLOB V2 imitated strictly, over HTTP on loopback (see `server`)."""

from omegacopy.devstack.paper.auth import PaperCredentials
from omegacopy.devstack.paper.faults import FaultMode, FaultRule, Faults
from omegacopy.devstack.paper.ledger import (
    EXCHANGE_V2,
    EXCHANGE_V3,
    NEG_RISK_EXCHANGE_V2,
    POLYGON_CHAIN_ID,
    PUSD,
    Fill,
    LedgerOrder,
    PaperAccount,
    PaperMarket,
    PaperTrade,
)
from omegacopy.devstack.paper.server import PaperExchange, RequestRecord, start_paper_exchange
from omegacopy.devstack.settable_clock import SettableClock

__all__ = [
    "EXCHANGE_V2",
    "EXCHANGE_V3",
    "NEG_RISK_EXCHANGE_V2",
    "POLYGON_CHAIN_ID",
    "PUSD",
    "FaultMode",
    "FaultRule",
    "Faults",
    "Fill",
    "LedgerOrder",
    "PaperAccount",
    "PaperCredentials",
    "PaperExchange",
    "PaperMarket",
    "PaperTrade",
    "RequestRecord",
    "SettableClock",
    "start_paper_exchange",
]
