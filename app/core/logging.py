"""Structured logs: one JSON object a line, with the request id of the request being served."""

from __future__ import annotations

import logging
import sys
from typing import Any

import orjson
import structlog

_SHARED_PROCESSORS: list[Any] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
    structlog.processors.StackInfoRenderer(),
]


def _renderer(json_logs: bool) -> Any:
    if json_logs:
        return structlog.processors.JSONRenderer(
            serializer=lambda obj, **_: orjson.dumps(obj).decode()
        )
    return structlog.dev.ConsoleRenderer(colors=False)


def configure_logging(*, level: str = "INFO", json_logs: bool = True) -> None:
    """Route structlog and the standard library (uvicorn, alembic) through one renderer."""
    structlog.configure(
        # Level first: a line below the level (the access log at WARNING) is dropped before
        # the other processors time-stamp and render it, not after.
        processors=[
            structlog.stdlib.filter_by_level,
            *_SHARED_PROCESSORS,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=_SHARED_PROCESSORS,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            _renderer(json_logs),
        ],
    )
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level.upper())
    # Our middleware writes the access log (with request id and duration); uvicorn's would be a
    # second line per request (and with no handler to reach, uvicorn never formats its fields).
    uvicorn_access = logging.getLogger("uvicorn.access")
    uvicorn_access.disabled, uvicorn_access.propagate = True, False
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers = []
        logging.getLogger(name).propagate = True
