"""What every request of ours goes through: a request id, one access-log line and the request metrics.

The access line is ours rather than the server's because only the app knows the route a path took, and so
which segment of it is a credential: the path is logged redacted (`logs.redact`), the route as its URL rule.
In a host app only the requests under our mount point are ours; the host's are left to the host.
"""

from __future__ import annotations

import logging
import time

from flask import Flask, Response, g, request

from plugin.observability import context, logs, metrics

access_log = logging.getLogger("brobygger.access")


def init_app(app: Flask, url_prefix: str) -> None:
    """Call once our blueprints are registered: the token-bearing routes are learnt from the URL map."""
    logs.register_routes(rule.rule for rule in app.url_map.iter_rules())

    def ours() -> bool:
        return not url_prefix or request.path == url_prefix or request.path.startswith(url_prefix + "/")

    def start() -> None:
        if ours():
            g._brobygger_started = time.perf_counter()
            g._brobygger_request_id = context.bind(context.accept(request.headers.get(context.HEADER)))

    def finish(response: Response) -> Response:
        started = g.pop("_brobygger_started", None)  # popped: a test may run many requests in one app context
        if started is None:
            return response
        seconds = time.perf_counter() - started
        route = request.url_rule.rule if request.url_rule else None
        metrics.observe_request(route, request.method, response.status_code, seconds)
        response.headers[context.HEADER] = context.current() or ""
        path = logs.redact(request.path)
        access_log.info("%s %s %s %.1fms", request.method, path, response.status_code, seconds * 1000,
                        extra={"method": request.method, "path": path, "route": route or metrics.UNMATCHED,
                               "status": response.status_code, "duration_ms": round(seconds * 1000, 2)})
        return response

    def forget(_exc: BaseException | None) -> None:
        token = g.pop("_brobygger_request_id", None)
        if token is not None:
            context.unbind(token)

    # First among the hooks (it reads no body, so it may go before the body limit): the time and the id cover
    # what the other hooks do, and a request a hook answers early (a rate limit, a 413) is logged too.
    app.before_request_funcs.setdefault(None, []).insert(0, start)
    app.after_request(finish)
    app.teardown_request(forget)
