"""The process `sanggar serve` becomes: uvicorn serving `app.main`, without the CLI.

`sanggar serve` replaces itself with `python -m app.serve OPTIONS` (`os.execv`: the same
process, its id, signals and output), so the served worker never imported Typer and the
other commands; and uvicorn is imported here without watchfiles, which it loads with itself
but needs for `--reload` alone (1.8 MiB of every worker together; bench/MEMORY.md). The
worker processes of `--workers` start from this module too (multiprocessing runs it as
their main module), so they import uvicorn the same way.
"""

from __future__ import annotations

import importlib
import json
import sys
from types import ModuleType
from typing import Any


def import_uvicorn(*, reload: bool) -> ModuleType:
    """uvicorn, imported without watchfiles unless the code is watched for changes (then
    uvicorn's own polling reloader would take its place)."""
    hidden = not reload and "watchfiles" not in sys.modules
    if hidden:
        sys.modules["watchfiles"] = None  # type: ignore[assignment]  # its import fails
    try:
        return importlib.import_module("uvicorn")
    finally:
        if hidden:
            del sys.modules["watchfiles"]


def serve(options: dict[str, Any]) -> None:
    """Serves the API with uvicorn; `options`: host, port, workers, reload and loop."""
    uvicorn = import_uvicorn(reload=options["reload"])
    from app.core.server import BoundedHttpToolsProtocol

    uvicorn.run(
        "app.main:app",
        **options,
        log_config=None,  # our structured logging (app.core.logging) handles uvicorn's loggers
        # Forwarded headers are the app's to believe, and only from SANGGAR_TRUSTED_PROXIES
        # (app.main); uvicorn's own default believed anyone connecting from 127.0.0.1.
        proxy_headers=False,
        server_header=False,  # no "Server: uvicorn": nothing to fingerprint
        # httptools, with bounds on the request line's and headers' size and time
        # (SANGGAR_MAX_URL_BYTES, _MAX_HEADER_BYTES, _HEADER_TIMEOUT_SECONDS).
        http=BoundedHttpToolsProtocol,
        # No WebSocket route: uvicorn's default ("auto") would load `websockets` into
        # every worker for nothing (bench/MEMORY.md).
        ws="none",
    )


if __name__ == "__main__":
    serve(json.loads(sys.argv[1]))
elif __name__ == "__mp_main__":
    # A worker of `--workers`, or the process `--reload` restarts: uvicorn before the
    # supervisor's pickled server (which imports it) is read.
    import_uvicorn(reload=False)
