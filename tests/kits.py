"""One kit per vendor: how to stand up its simulator, connect to it, name a dataset candidate in the vendor's ids
and sign a delivery as the vendor would. The contract tests and the webhook tests run every vendor through these;
adding a vendor means adding its kit."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from connectors.ashby import AshbyConnector
from connectors.base import Connector
from connectors.greenhouse import GreenhouseConnector
from connectors.http import Policy
from connectors.kombo import KomboConnector
from connectors.kombo import sign as kombo_sign
from connectors.lever import LeverConnector
from connectors.simulators.ashby import AshbySimulator
from connectors.simulators.base import Simulator
from connectors.simulators.dataset import SimApplication, SimCandidate
from connectors.simulators.greenhouse import GreenhouseSimulator
from connectors.simulators.greenhouse import webhook_delivery as greenhouse_delivery
from connectors.simulators.kombo import KomboSimulator
from connectors.simulators.lever import LeverSimulator
from connectors.simulators.teamtailor import TeamtailorSimulator
from connectors.teamtailor import TeamtailorConnector

FAST = Policy(timeout=(1, 0.5), max_attempts=3, backoff_base=0.01, backoff_cap=0.2)
Delivery = tuple[bytes, dict[str, str]]


@dataclass(frozen=True)
class Kit:
    vendor: str
    connector_class: type[Connector]
    api_path: str  # appended to the simulator's URL to give the API root
    simulator: Callable[..., Simulator]  # (dataset, **options) -> simulator
    credentials: Callable[[Simulator, str], dict[str, str]]  # (simulator, its URL) -> credentials
    candidate_id: Callable[[Simulator, SimCandidate], str]
    deliver: Callable[..., Delivery]  # (simulator, secret, event, candidate, **extra) -> signed delivery
    stream: str = "candidates"  # the stream that carries candidates
    # What each documented event does to the person, for the webhook tests: reject, hire, update, delete,
    # delete_application, merge, anonymise, sync.
    effects: dict[str, str] = field(default_factory=dict)
    # Signs a documented webhook body (a fixture's, possibly with a field removed) as the vendor would.
    sign: Callable[[str, Any], Delivery] | None = None
    # True when the credential is a token the connector refreshes (OAuth); else the key is revoked outright.
    refreshes: bool = False

    def revoke(self, simulator: Simulator) -> None:
        """An admin revokes the API key (or, for OAuth, every issued token expires)."""
        if self.refreshes:
            simulator.expire_tokens()
        elif isinstance(simulator, TeamtailorSimulator):
            simulator.revoke_key()
        else:
            simulator.api_key = "a-revoked-key"  # type: ignore[attr-defined]

    def connector(self, simulator: Simulator, url: str, **options: Any) -> Connector:
        return self.connector_class(f"{url}{self.api_path}", self.credentials(simulator, url),
                                    policy=options.pop("policy", FAST), **options)


def _raw(body: Any) -> bytes:
    return json.dumps(body, ensure_ascii=False).encode()


def _hex(secret: str, message: bytes) -> str:
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def _sign_greenhouse(secret: str, body: Any) -> Delivery:
    raw = _raw(body)
    return raw, {"Signature": f"sha256 {_hex(secret, raw)}", "Greenhouse-Event-ID": str(uuid.uuid4())}


def _sign_lever(secret: str, body: Any) -> Delivery:
    if isinstance(body, dict) and "triggeredAt" in body:
        body = {**body, "triggeredAt": int(time.time() * 1000)}
        if "signature" in body:  # a body without one stays without
            body["signature"] = _hex(secret, f"{body.get('token', '')}{body['triggeredAt']}".encode())
    return _raw(body), {}


def _sign_teamtailor(secret: str, body: Any) -> Delivery:
    raw, stamp = _raw(body), int(time.time())
    value = base64.b64encode(f"t={stamp},v2={_hex(secret, f'{stamp}.'.encode() + raw)}".encode()).decode()
    return raw, {"TT-Signature": value}


def _sign_ashby(secret: str, body: Any) -> Delivery:
    raw = _raw(body)
    return raw, {"Ashby-Signature": f"sha256={_hex(secret, raw)}"}


def _sign_kombo(secret: str, body: Any) -> Delivery:
    raw = _raw(body)
    return raw, {"X-Kombo-Signature": kombo_sign(secret, raw)}


def _greenhouse_deliver(sim: Simulator, secret: str, event: str, candidate: SimCandidate, *,
                        merged_into: SimCandidate | None = None, application: SimApplication | None = None,
                        now: float | None = None) -> Delivery:
    return greenhouse_delivery(secret, event, candidate, merged_into=merged_into)


def _lever_deliver(sim: Simulator, secret: str, event: str, candidate: SimCandidate, *,
                   application: SimApplication | None = None, now: float | None = None, **_: Any) -> Delivery:
    assert isinstance(sim, LeverSimulator)
    return sim.webhook_delivery(secret, event, candidate, opportunity=application, now=now)


def _teamtailor_deliver(sim: Simulator, secret: str, event: str, candidate: SimCandidate, *,
                        application: SimApplication | None = None, now: float | None = None, **_: Any) -> Delivery:
    assert isinstance(sim, TeamtailorSimulator)
    return sim.webhook_delivery(secret, event, candidate, now=now, application=application)


GREENHOUSE = Kit(
    vendor="greenhouse", connector_class=GreenhouseConnector, api_path="/v3",
    simulator=lambda data, **options: GreenhouseSimulator(data, **{"rate_limit": 500, "window_seconds": 1, **options}),
    credentials=lambda sim, url: {"client_id": sim.client_id, "client_secret": sim.client_secret,  # type: ignore[attr-defined]
                                  "token_url": f"{url}/token"},
    candidate_id=lambda sim, candidate: str(candidate.id), deliver=_greenhouse_deliver, sign=_sign_greenhouse,
    refreshes=True,
    effects={"reject_candidate": "reject", "hire_candidate": "hire", "candidate_stage_change": "update",
             "update_candidate": "update", "delete_candidate": "delete", "merge_candidate": "merge",
             "candidate_anonymized": "anonymise", "new_candidate_application": "update",
             "new_prospect_application": "update"})

LEVER = Kit(
    vendor="lever", connector_class=LeverConnector, api_path="/v1",
    simulator=lambda data, **options: LeverSimulator(data, **{"rate_limit": 500, "window_seconds": 1, **options}),
    credentials=lambda sim, url: {"api_key": sim.api_key},  # type: ignore[attr-defined]
    candidate_id=lambda sim, candidate: sim.contact_id(candidate.id),  # type: ignore[attr-defined]
    deliver=_lever_deliver, stream="opportunities", sign=_sign_lever,
    effects={"applicationCreated": "update", "candidateStageChange": "update", "candidateArchiveChange": "reject",
             "candidateHired": "hire", "candidateDeleted": "delete_application", "interviewCreated": "update",
             "interviewUpdated": "update", "contactUpdated": "update"})

TEAMTAILOR = Kit(
    vendor="teamtailor", connector_class=TeamtailorConnector, api_path="/v1",
    simulator=lambda data, **options: TeamtailorSimulator(data, **{"rate_limit": 500, "window_seconds": 1, **options}),
    credentials=lambda sim, url: {"api_key": sim.api_key},  # type: ignore[attr-defined]
    candidate_id=lambda sim, candidate: str(candidate.id), deliver=_teamtailor_deliver, sign=_sign_teamtailor,
    effects={"candidate.create": "update", "candidate.update": "update", "candidate.destroy": "delete",
             "job_application.create": "update", "job_application.update": "reject",
             "job_application.destroy": "delete_application"})

def _ashby_deliver(sim: Simulator, secret: str, event: str, candidate: SimCandidate, *,
                   merged_into: SimCandidate | None = None, now: float | None = None, **_: Any) -> Delivery:
    assert isinstance(sim, AshbySimulator)
    return sim.webhook_delivery(secret, event, candidate, now=now, merged_into=merged_into)


def _kombo_deliver(sim: Simulator, secret: str, event: str, candidate: SimCandidate, *,
                   now: float | None = None, **_: Any) -> Delivery:
    assert isinstance(sim, KomboSimulator)
    return sim.webhook_delivery(secret, event, candidate, now=now)


ASHBY = Kit(
    vendor="ashby", connector_class=AshbyConnector, api_path="",
    simulator=lambda data, **options: AshbySimulator(data, **{"rate_limit": 500, "window_seconds": 1, **options}),
    credentials=lambda sim, url: {"api_key": sim.api_key},  # type: ignore[attr-defined]
    candidate_id=lambda sim, candidate: sim.candidate_id(candidate.id),  # type: ignore[attr-defined]
    deliver=_ashby_deliver, sign=_sign_ashby,
    effects={"applicationSubmit": "update", "applicationUpdate": "update", "candidateStageChange": "update",
             "candidateHire": "hire", "candidateDelete": "delete", "candidateMerge": "merge"})

KOMBO = Kit(
    vendor="kombo", connector_class=KomboConnector, api_path="/v1",
    simulator=lambda data, **options: KomboSimulator(data, **{"rate_limit": 500, "window_seconds": 1, **options}),
    credentials=lambda sim, url: {"api_key": sim.api_key, "integration_id": sim.integration_id},  # type: ignore[attr-defined]
    candidate_id=lambda sim, candidate: sim.candidate_id(candidate.id),  # type: ignore[attr-defined]
    deliver=_kombo_deliver, sign=_sign_kombo,
    effects={"data-changed": "sync", "sync-finished": "sync"})

KITS: dict[str, Kit] = {kit.vendor: kit for kit in (GREENHOUSE, LEVER, TEAMTAILOR, ASHBY, KOMBO)}


