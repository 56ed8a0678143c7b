"""X-Forwarded-For is believed only from the proxies SANGGAR_TRUSTED_PROXIES names: anyone else
(anyone on the host included) could otherwise pick the address the per-address limits count."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import ValidationError
from typer.testing import CliRunner

from app import serve
from app.cli import cli
from app.main import create_app
from tests.conftest import _free_port, make_settings

TOKEN = "/api/v1/auth/token"


def _statuses(app: FastAPI, *, peer: str, forwarded_for: list[str]) -> list[int]:
    """Log-in attempts from `peer`, each claiming to forward another client."""
    with TestClient(app, client=(peer, 1000)) as client:
        return [
            client.post(
                TOKEN,
                data={"username": "nobody", "password": "wrong"},
                headers={"X-Forwarded-For": address},
            ).status_code
            for address in forwarded_for
        ]


def _app(database_url: str, **settings: object) -> FastAPI:
    return create_app(
        make_settings(database_url, rate_limit_enabled=True, rate_limit_auth="2/hour", **settings)
    )


def test_a_forged_forwarded_for_from_localhost_does_not_change_the_limit_key(
    database_url: str, engine: object
) -> None:
    app = _app(database_url)
    forged = ["203.0.113.1", "203.0.113.2", "203.0.113.3"]
    assert _statuses(app, peer="127.0.0.1", forwarded_for=forged) == [401, 401, 429]
    app.state.engine.dispose()


def test_a_named_proxy_is_believed_and_others_are_not(database_url: str, engine: object) -> None:
    app = _app(database_url, trusted_proxies="10.0.0.0/24")
    clients = ["203.0.113.1", "203.0.113.2", "203.0.113.3"]
    assert _statuses(app, peer="10.0.0.7", forwarded_for=clients) == [401, 401, 401]
    # 127.0.0.1 is no named proxy: its forwarded addresses are its own, one budget.
    assert _statuses(app, peer="127.0.0.1", forwarded_for=clients) == [401, 401, 429]
    app.state.engine.dispose()


@pytest.mark.parametrize("value", ["*", "proxy.example.org", "10.0.0.0/33"])
def test_trusted_proxies_are_addresses_or_networks(database_url: str, value: str) -> None:
    with pytest.raises(ValidationError, match="name the proxies"):
        make_settings(database_url, trusted_proxies=value)


def test_sanggar_serve_does_not_believe_a_forged_forwarded_for_from_localhost(
    database_url: str, engine: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through a real uvicorn started as `sanggar serve` starts it: uvicorn's own default
    believed X-Forwarded-For from 127.0.0.1 before the app saw the request."""
    commands: list[list[str]] = []
    monkeypatch.setattr("app.cli.os.execv", lambda _path, argv: commands.append(argv))
    assert CliRunner().invoke(cli, ["serve"]).exit_code == 0
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr("uvicorn.run", lambda *args, **kwargs: calls.append(kwargs))
    serve.serve(json.loads(commands[0][-1]))  # the process `sanggar serve` becomes
    options = {k: v for k, v in calls[0].items() if k not in {"host", "port", "workers", "reload"}}
    app = _app(database_url)
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, **{**options, "lifespan": "off"})
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", trust_env=False) as client:
            statuses = [
                client.post(
                    TOKEN,
                    data={"username": "nobody", "password": "wrong"},
                    headers={"X-Forwarded-For": f"203.0.113.{n}"},
                ).status_code
                for n in range(3)
            ]
    finally:
        server.should_exit = True
        thread.join(timeout=5)
        app.state.engine.dispose()
    assert statuses == [401, 401, 429]
