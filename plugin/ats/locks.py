"""One sync at a time per installation, guarded by a Redis lock that a thread of the running sync renews
every few seconds. A worker killed with its sync (kill -9, a lost machine) stops renewing, so the lock
lapses within LOCK_SECONDS; the cron tick then finds the sync's run still "running" with nobody holding
the lock and enqueues a sync that resumes it, and that sync closes the dead run as failed.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress

from redis import Redis
from redis.exceptions import LockError, RedisError
from redis.lock import Lock
from sqlalchemy import select
from sqlalchemy.orm import Session

from plugin.models import Installation, SyncRun, utcnow

log = logging.getLogger(__name__)

LOCK_SECONDS = 10  # how long a dead sync keeps its installation locked
RENEW_SECONDS = 3  # a live sync renews its lock this often, however long one page takes
INTERRUPTED = "interrupted: the process running this sync stopped before it finished; a later sync resumed it"


class SyncBusy(Exception):
    """Another sync of this installation holds its lock."""


def sync_lock(redis: Redis, installation_id: uuid.UUID | str) -> Lock:
    # thread_local=False: the renewing thread must see the token the sync acquired the lock with.
    return redis.lock(f"brobygger:sync-lock:{installation_id}", timeout=LOCK_SECONDS, thread_local=False)


@contextmanager
def holding_sync_lock(redis: Redis, installation_id: uuid.UUID) -> Iterator[None]:
    """Hold the installation's sync lock, renewed in the background, or raise SyncBusy."""
    lock = sync_lock(redis, installation_id)
    if not lock.acquire(blocking=False):
        raise SyncBusy(f"a sync of installation {installation_id} is running")
    stop = threading.Event()
    renewer = threading.Thread(target=_renew, args=(lock, stop), name="sync-lock", daemon=True)
    renewer.start()
    try:
        yield
    finally:
        stop.set()
        renewer.join()
        with suppress(LockError):  # lost while Redis was unreachable or flushed: nothing to release
            lock.release()


def _renew(lock: Lock, stop: threading.Event) -> None:
    while not stop.wait(RENEW_SECONDS):
        try:
            lock.reacquire()
        except LockError:  # Redis lost the key (a flush or a restart): take it again if it is still free
            token = lock.local.token
            if not (isinstance(token, bytes) and lock.acquire(blocking=False, token=token)):
                log.warning("sync lock %s lost to another holder", lock.name)
                return
        except RedisError as exc:  # Redis briefly unreachable: try again next round
            log.warning("sync lock %s not renewed (%s)", lock.name, type(exc).__name__)


def close_interrupted(session: Session, installation_id: uuid.UUID) -> int:
    """Runs of this installation still marked running while the caller holds its lock: their process
    died. Mark them failed, with why, so an admin never sees a sync running forever."""
    runs = session.scalars(select(SyncRun).where(SyncRun.installation_id == installation_id,
                                                 SyncRun.status == "running")).all()
    for run in runs:
        run.status, run.finished_at, run.error = "failed", utcnow(), INTERRUPTED
    session.commit()
    return len(runs)


def interrupted_runs(session: Session, redis: Redis) -> list[tuple[uuid.UUID, uuid.UUID, bool]]:
    """(installation, run, full) for each active installation's run marked running whose lock nobody
    holds: the sync died with its process and must be resumed."""
    rows = session.execute(select(SyncRun.installation_id, SyncRun.id, SyncRun.full)
                           .join(Installation, Installation.id == SyncRun.installation_id)
                           .where(SyncRun.status == "running", Installation.active.is_(True))).all()
    return [(installation_id, run_id, full) for installation_id, run_id, full in rows
            if not redis.exists(sync_lock(redis, installation_id).name)]
