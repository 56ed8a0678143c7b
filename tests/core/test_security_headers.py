"""Security headers, CORS, cache rules and 500 bodies (OWASP REST / HTTP headers cheat sheets)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx2 import Response

from app.core.security_headers import API_CSP, docs_csp
from app.main import create_app
from tests.anthologies.helpers import closed_challenge
from tests.challenges.helpers import SUBMISSIONS, organizer
from tests.conftest import make_settings
from tests.factories import member_with_headers

ALLOWED = "https://app.example.org"


def _assert_baseline(response_headers: object) -> None:
    headers = dict(response_headers)  # type: ignore[call-overload]
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["cross-origin-opener-policy"] == "same-origin"
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert "server" not in headers
    assert "x-powered-by" not in headers


@pytest.fixture
def cors_client(database_url: str) -> Iterator[TestClient]:
    settings = make_settings(database_url, cors_origins=[ALLOWED], hsts_max_age=3600)
    application = create_app(settings)
    with TestClient(application) as test_client:
        yield test_client
    application.state.engine.dispose()


def test_api_answers_carry_the_strict_policy_and_no_store(client: TestClient, app: FastAPI) -> None:
    _, headers = member_with_headers(app)
    for response in (
        client.get("/api/v1/members/me", headers=headers),
        client.get("/api/v1/members/me"),  # 401
        client.get("/api/v1/nothing-here"),  # 404
        client.get("/healthz"),
    ):
        _assert_baseline(response.headers)
        assert response.headers["content-security-policy"] == API_CSP
        assert response.headers["cache-control"] == "no-store"
        assert response.headers["cross-origin-resource-policy"] == "same-origin"
        assert "strict-transport-security" not in response.headers  # plain http


def test_hsts_is_sent_over_https_only(client: TestClient) -> None:
    secure = TestClient(client.app, base_url="https://testserver")
    assert secure.get("/healthz").headers["strict-transport-security"] == (
        "max-age=63072000; includeSubDomains"
    )


def test_docs_pages_allow_their_own_inline_script_by_hash_only(client: TestClient) -> None:
    for path in ("/docs", "/redoc", "/docs/oauth2-redirect"):
        response = client.get(path)
        assert response.status_code == 200, path
        _assert_baseline(response.headers)
        policy = response.headers["content-security-policy"]
        scripts = re.findall(r"<script>(.*?)</script>", response.text, re.DOTALL)
        assert policy == docs_csp(response.content)
        assert policy.count("'sha256-") == len(scripts), path
        script_src = next(part for part in policy.split("; ") if part.startswith("script-src"))
        assert "unsafe-inline" not in script_src and "unsafe-eval" not in script_src
        # Every external script and stylesheet the page loads comes from this origin.
        for url in re.findall(r'(?:src|href)="([^"]+)"', response.text):
            assert url.startswith("/"), url
    swagger = client.get("/docs").text
    assert 'src="/static-offline-docs/swagger-ui-bundle.js"' in swagger
    # Never the validator badge (an image from validator.swagger.io), whatever the layout.
    assert '"validatorUrl": null' in swagger


def test_a_500_is_a_problem_without_a_stack_trace(database_url: str) -> None:
    application = create_app(make_settings(database_url))

    def explode() -> None:
        raise RuntimeError("secret internals: password=hunter2")

    application.add_api_route("/test-only/explode", explode)
    with TestClient(application, raise_server_exceptions=False) as test_client:
        response = test_client.get("/test-only/explode")
    application.state.engine.dispose()
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    body = response.text
    for leak in ("Traceback", "RuntimeError", "hunter2", "secret internals", 'File "'):
        assert leak not in body
    assert response.json()["code"] == "internal_error"
    _assert_baseline(response.headers)
    assert response.headers["cache-control"] == "no-store"


def test_cors_answers_allowed_origins_only_and_never_with_credentials(
    cors_client: TestClient,
) -> None:
    preflight = {"Access-Control-Request-Method": "PATCH"}
    allowed = cors_client.options(
        "/api/v1/members/me",
        headers={
            "Origin": ALLOWED,
            **preflight,
            "Access-Control-Request-Headers": "authorization,if-match",
        },
    )
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == ALLOWED
    assert "access-control-allow-credentials" not in allowed.headers
    assert "PATCH" in allowed.headers["access-control-allow-methods"]

    stranger = cors_client.options(
        "/api/v1/members/me", headers={"Origin": "https://evil.example", **preflight}
    )
    _assert_cors_refused(stranger, "https://evil.example")

    for asked, named in (
        ({"Access-Control-Request-Headers": "authorization,traceparent"}, "traceparent"),
        ({"Access-Control-Request-Method": "TRACE"}, "TRACE"),
    ):
        odd = cors_client.options(
            "/api/v1/members/me", headers={"Origin": ALLOWED, **preflight, **asked}
        )
        assert odd.status_code == 403, odd.text
        assert odd.json()["code"] == "cors_request_not_allowed"
        assert named in odd.json()["detail"] and "Idempotency-Key" in odd.json()["detail"]

    simple = cors_client.get("/healthz", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in simple.headers
    exposed = cors_client.get("/healthz", headers={"Origin": ALLOWED})
    assert exposed.headers["access-control-allow-origin"] == ALLOWED
    assert "ETag" in exposed.headers["access-control-expose-headers"]
    assert "origin" in exposed.headers["vary"].lower()


def test_cors_is_off_without_configured_origins(client: TestClient) -> None:
    response = client.get("/healthz", headers={"Origin": ALLOWED})
    assert "access-control-allow-origin" not in response.headers
    preflight = client.options(
        "/api/v1/auth/token",
        headers={"Origin": "http://localhost:5173", "Access-Control-Request-Method": "POST"},
    )
    _assert_cors_refused(preflight, "http://localhost:5173")


def _assert_cors_refused(response: Response, origin: str) -> None:
    """A preflight from an origin not allowed: a 403 that says so and how to allow it, not a
    405 that reads as a routing bug."""
    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"
    assert "access-control-allow-origin" not in response.headers
    problem = response.json()
    assert problem["code"] == "cors_origin_not_allowed"
    assert origin in problem["detail"] and "SANGGAR_CORS_ORIGINS" in problem["detail"]
    _assert_baseline(response.headers)


def test_wildcard_or_path_origins_are_refused_in_settings(database_url: str) -> None:
    for origin in ("*", "https://app.example.org/path", "app.example.org"):
        with pytest.raises(ValueError):
            make_settings(database_url, cors_origins=[origin])


def test_public_cacheable_answers_keep_their_cache_headers(
    client: TestClient, app: FastAPI
) -> None:
    headers = organizer(app)
    _, works, _ = closed_challenge(client, app, headers, [1], winners_count=1)
    url = f"{SUBMISSIONS}/{works[0]['id']}/card.png"
    anonymous = client.get(url)
    assert anonymous.status_code == 200
    assert anonymous.headers["cache-control"].startswith("public, max-age=")
    assert anonymous.headers["cross-origin-resource-policy"] == "cross-origin"
    _assert_baseline(anonymous.headers)
    # Asked with credentials, nothing is left in a shared cache.
    signed_in = client.get(url, headers=headers)
    assert signed_in.status_code == 200
    assert signed_in.headers["cache-control"] == "no-store"


def test_docs_pages_may_call_the_configured_public_url_and_nothing_else(
    database_url: str,
) -> None:
    settings = make_settings(database_url, public_base_url="https://api.example.org/sanggar/")
    with TestClient(create_app(settings)) as client:
        policy = client.get("/docs").headers["content-security-policy"]
    assert "connect-src 'self' https://api.example.org;" in policy


def test_redoc_is_served_without_its_outside_logo(client: TestClient) -> None:
    page = client.get("/redoc").text
    assert 'src="/redoc.offline.js"' in page
    bundle = client.get("/redoc.offline.js")
    assert bundle.status_code == 200
    assert bundle.headers["content-type"].startswith("text/javascript")
    assert b"cdn.redoc.ly" not in bundle.content and b"Redoc" in bundle.content
