from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from app.core.logging import configure_logging


def test_health_and_readiness(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["status"] == "ready"


def test_readiness_fails_on_an_unmigrated_database(tmp_path: object) -> None:
    from app.main import create_app
    from tests.conftest import make_settings

    app = create_app(make_settings(f"sqlite:///{tmp_path}/empty.db"))
    with TestClient(app) as client:
        response = client.get("/readyz")
    app.state.engine.dispose()
    assert response.status_code == 503
    assert response.json()["code"] == "not_ready"


def test_metrics_count_requests_by_route(client: TestClient) -> None:
    client.get("/api/v1/members/1")
    text = client.get("/metrics").text
    assert 'sanggar_http_requests_total{method="GET",route="/api/v1/members/{member_id}"' in text
    assert "sanggar_http_request_duration_seconds_bucket" in text


def test_docs_are_served_without_a_cdn(client: TestClient) -> None:
    for page in ("/docs", "/redoc"):
        html = client.get(page).text
        assert "cdn.jsdelivr.net" not in html and "unpkg.com" not in html
        assert "/static-offline-docs/" in html
    assert client.get("/static-offline-docs/swagger-ui-bundle.js").status_code == 200
    assert client.get("/static-offline-docs/redoc.standalone.js").status_code == 200


def test_access_log_is_one_json_object_per_line_with_request_id(
    client: TestClient, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging(level="INFO", json_logs=True)  # binds the handler to the captured stdout
    try:
        client.get("/healthz", headers={"X-Request-ID": "log-me-1"})
    finally:
        configure_logging(level="WARNING", json_logs=True)
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.strip()]
    access = [line for line in lines if line.get("event") == "request"]
    assert access[-1]["request_id"] == "log-me-1"
    assert access[-1]["status"] == 200
    assert access[-1]["route"] == "/healthz"
