"""The explicit registry of connectors, by vendor slug. Adding a vendor means adding it here."""

from __future__ import annotations

from connectors.ashby import AshbyConnector
from connectors.base import Connector
from connectors.greenhouse import GreenhouseConnector
from connectors.kombo import KomboConnector
from connectors.lever import LeverConnector
from connectors.teamtailor import TeamtailorConnector

REGISTRY: dict[str, type[Connector]] = {
    connector.vendor: connector
    for connector in (GreenhouseConnector, LeverConnector, TeamtailorConnector, AshbyConnector, KomboConnector)
}
