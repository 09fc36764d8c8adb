"""Redis and RQ: the connection from settings, and jobs enqueued once their transaction commits."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from redis import Redis
from redis.client import Pipeline
from redis.exceptions import RedisError, WatchError
from rq import Queue, Retry
from rq.exceptions import DuplicateJobError
from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from plugin.observability import context

log = logging.getLogger(__name__)
_PENDING = "brobygger_jobs"


def connect(url: str) -> Redis:
    # Short timeouts: a health check or a web request must not hang on a dead Redis.
    return Redis.from_url(url, socket_connect_timeout=3, socket_timeout=10, health_check_interval=30)


def enqueue_after_commit(session: Session, func: str | Callable[..., Any], *args: Any, job_id: str,
                         retry: Retry | None = None) -> None:
    """Enqueue a job once the session's transaction commits (never for work that was rolled back).
    Job ids are deterministic, so enqueueing twice runs once; if Redis is down, the cron tick finds
    the unfinished rows in the database and enqueues them again."""
    session.info.setdefault(_PENDING, []).append((func, args, job_id, retry))


def _with_request_id(options: dict[str, Any]) -> dict[str, Any]:
    """The job carries the request id of the request (or job) that enqueues it, for its log lines."""
    request_id = context.current()
    if request_id:
        options = {**options, "meta": {**options.get("meta", {}), context.META_KEY: request_id}}
    return options


def enqueue_unique(queue: Queue, func: str | Callable[..., Any], *args: Any, job_id: str, retry: Retry | None = None,
                   **options: Any) -> bool:
    """Enqueue unless a job with this id exists already; False when it did (or Redis is unreachable)."""
    try:
        queue.enqueue(func, *args, job_id=job_id, unique=True, retry=retry, result_ttl=3600, failure_ttl=86400,
                      **_with_request_id(options))
    except DuplicateJobError:
        return False
    except RedisError as exc:
        log.warning("could not enqueue %s (%s); the cron tick will retry", job_id, type(exc).__name__)
        return False
    return True


def enqueue_on(pipe: Pipeline, queue: Queue, func: str, *args: Any, job_id: str, retry: Retry | None = None) -> None:
    """Add a job's enqueueing to a transactional pipeline the caller executes, so it shares that round trip.
    Only for a job id nobody can have used yet (a row just inserted names it): nothing checks uniqueness."""
    job = queue.create_job(func, args=args, job_id=job_id, retry=retry, result_ttl=3600, failure_ttl=86400,
                           **_with_request_id({}))
    queue.enqueue_job(job, pipeline=pipe)


Wanted = tuple[str, tuple[object, ...], str, dict[str, Any]]  # job, arguments, job id, options (job_timeout, retry)


def enqueue_new(queue: Queue, wanted: list[Wanted]) -> list[str]:
    """Enqueue the jobs whose ids are not taken, in four round trips however many there are; returns the ids
    enqueued. Most of a caller's ids are usually taken (the cron tick's sync slot, rows still waiting for
    their job), and `enqueue_unique` costs two round trips a job. The new ids are WATCHed and checked again, so
    a racing enqueue of one of them makes Redis refuse the MULTI/EXEC; then each is enqueued on its own,
    atomically unique."""
    redis = queue.connection
    try:
        check = redis.pipeline(transaction=False)
        for _func, _args, job_id, _options in wanted:
            check.exists(queue.job_class.key_for(job_id))
        new = [job for job, taken in zip(wanted, check.execute(), strict=True) if not taken]
        if not new:
            return []
        keys = [queue.job_class.key_for(job_id) for _func, _args, job_id, _options in new]
        with redis.pipeline() as pipe:
            pipe.watch(*keys)
            if not pipe.exists(*keys):
                pipe.multi()
                for func, args, job_id, options in new:
                    _add(pipe, queue, func, args, job_id, options)
                pipe.execute()
                return [job_id for _func, _args, job_id, _options in new]
    except WatchError:
        pass
    except RedisError as exc:
        log.warning("could not enqueue %d jobs (%s); the cron tick will retry", len(wanted), type(exc).__name__)
        return []
    return [job_id for func, args, job_id, options in new if enqueue_unique(queue, func, *args, job_id=job_id,
                                                                            **options)]


def _add(pipe: Pipeline, queue: Queue, func: str, args: tuple[object, ...], job_id: str,
         options: dict[str, Any]) -> None:
    options = _with_request_id(options)
    job = queue.create_job(func, args=args, job_id=job_id, timeout=options.get("job_timeout"),
                           retry=options.get("retry"), meta=options.get("meta"), result_ttl=3600, failure_ttl=86400)
    queue.enqueue_job(job, pipeline=pipe)


def install_enqueuer(sessions: sessionmaker[Session], queue: Callable[[], Queue]) -> None:
    @event.listens_for(sessions, "after_commit")
    def _enqueue(session: Session) -> None:
        for func, args, job_id, retry in session.info.pop(_PENDING, []):
            enqueue_unique(queue(), func, *args, job_id=job_id, retry=retry)

    @event.listens_for(sessions, "after_rollback")
    def _forget(session: Session) -> None:
        session.info.pop(_PENDING, None)
