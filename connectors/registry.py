"""The explicit registry of connectors, by vendor slug. Adding a vendor means adding it here."""

from __future__ import annotations

from .base import Connector
from .greenhouse import GreenhouseConnector
from .lever import LeverConnector
from .teamtailor import TeamtailorConnector

REGISTRY: dict[str, type[Connector]] = {
    connector.vendor: connector for connector in (GreenhouseConnector, LeverConnector, TeamtailorConnector)
}
