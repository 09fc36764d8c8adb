"""Jobs that talk to the ATSs. They receive ids only and run the same services the CLI and web use."""

from __future__ import annotations

import uuid
from contextlib import suppress

from redis.exceptions import LockError

from ..extension import get_state
from ..services import sync, webhooks, writeback

LOCK_SECONDS = 120  # renewed after every page; a killed worker's lock lapses within two minutes


def sync_installation(installation_id: str, full: bool = False) -> dict[str, int] | str:
    """One sync at a time per installation: a tick that finds one running leaves it be."""
    state = get_state()
    lock = state.redis.lock(f"brobygger:sync-lock:{installation_id}", timeout=LOCK_SECONDS)
    if not lock.acquire(blocking=False):
        return "skipped: a sync of this installation is running"
    try:
        with state.sessions() as session:
            counts = sync.run(session, state.vault, uuid.UUID(installation_id), full=full,
                              progress=lambda _n: lock.reacquire())
        return counts.as_dict()
    finally:
        with suppress(LockError):  # lapsed while a page took longer than the lock: nothing to release
            lock.release()


def process_webhook(delivery_id: str) -> str:
    state = get_state()
    with state.sessions() as session:
        return webhooks.process(session, state.vault, uuid.UUID(delivery_id))


def write_back(writeback_id: str) -> str:
    state = get_state()
    with state.sessions() as session:
        return writeback.perform(session, state.vault, uuid.UUID(writeback_id))
