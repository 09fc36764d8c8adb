"""Logs and metrics: infrastructure, like `plugin.core`, that knows no feature; the features call it.

`context` keeps the request id, `logs` the one redaction filter and the two formats, `web` the per-request
hooks (request id, access log, request metrics), `metrics` the counters the web processes keep, `job_metrics`
the job counters the workers keep in Redis, `worker` the RQ worker that keeps them, and `gunicorn_logger` sends
gunicorn's own messages through the same handler.
"""
