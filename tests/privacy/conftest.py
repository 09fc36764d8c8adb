"""The privacy tests' log capture: every logger, every level, for the length of one test."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from tests.privacy.search import Captured


@pytest.fixture
def captured() -> Iterator[Captured]:
    root = logging.getLogger()
    handler, level = Captured(), root.level
    # Root, and the loggers that do not pass records up (RQ's worker logger, once RQ has configured it).
    loggers = [root, logging.getLogger("rq.worker"), *(
        logger for logger in logging.Logger.manager.loggerDict.values()
        if isinstance(logger, logging.Logger) and not logger.propagate)]
    for logger in loggers:
        logger.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield handler
    for logger in loggers:
        logger.removeHandler(handler)
    root.setLevel(level)
