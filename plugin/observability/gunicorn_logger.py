"""gunicorn's own messages (start-up, workers, errors) through our handler: one format, one redaction filter.

`brobygger run` starts gunicorn with `--logger-class plugin.observability.gunicorn_logger.GunicornLogger` and no
access log: the app logs each request itself (`web.py`), where the route, and so the token in its path, is known.
"""

from __future__ import annotations

from typing import Any

from gunicorn import glogging

from plugin.config import load
from plugin.observability import logs


class GunicornLogger(glogging.Logger):
    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        logs.configure(logs.log_format(load()))
        for log in (self.error_log, self.access_log):
            for handler in list(log.handlers):
                log.removeHandler(handler)
            log.propagate = True
