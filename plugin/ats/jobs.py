"""Jobs that talk to the ATSs. They receive ids only and run the same services the CLI and web use."""

from __future__ import annotations

import uuid

from connectors.http import Policy
from plugin.ats import sync, webhooks, writeback
from plugin.ats.locks import SyncBusy, close_interrupted, holding_sync_lock
from plugin.extension import get_state


def sync_installation(installation_id: str, full: bool = False) -> dict[str, int] | str:
    """One sync at a time per installation: a tick that finds one running leaves it be."""
    state = get_state()
    target = uuid.UUID(installation_id)
    try:
        with holding_sync_lock(state.redis, target), state.sessions() as session:
            close_interrupted(session, target)
            counts = sync.run(session, state.vault, target, full=full, policy=_policy(), cache=state.redis)
    except SyncBusy:
        return "skipped: a sync of this installation is running"
    return counts.as_dict()


def process_webhook(delivery_id: str) -> str:
    state = get_state()
    with state.sessions() as session:
        return webhooks.process(session, state.vault, uuid.UUID(delivery_id), cache=state.redis, policy=_policy())


def write_back(writeback_id: str) -> str:
    state = get_state()
    with state.sessions() as session:
        return writeback.perform(session, state.vault, uuid.UUID(writeback_id), policy=_policy())


def _policy() -> Policy:
    """The ATS client's retry policy, with the deployment's longest pause between attempts."""
    return Policy(backoff_cap=get_state().setting("ATS_BACKOFF_CAP"))
