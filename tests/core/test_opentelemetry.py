"""FastAPI's own OpenTelemetry instrumentation follows `SANGGAR_OPENTELEMETRY`: off by
default, when no request looks for a tracer provider; on, each request does (and, with an
SDK set up in the process, is traced)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from opentelemetry import trace

from app.main import create_app
from tests.conftest import make_settings


def _provider_lookups(
    database_url: str, monkeypatch: pytest.MonkeyPatch, **settings: object
) -> int:
    lookups: list[object] = []
    real = trace.get_tracer_provider

    def counted() -> trace.TracerProvider:
        lookups.append(1)
        return real()

    app = create_app(make_settings(database_url, **settings))
    monkeypatch.setattr(trace, "get_tracer_provider", counted)
    with TestClient(app) as client:
        lookups.clear()  # what start-up looked up
        assert client.get("/healthz").status_code == 200
    app.state.engine.dispose()
    return len(lookups)


def test_off_by_default_no_request_looks_for_a_provider(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _provider_lookups(database_url, monkeypatch) == 0


def test_on_each_request_looks_for_one(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    assert _provider_lookups(database_url, monkeypatch, opentelemetry=True) >= 1
