"""A correctly signed access token is taken only with claims in the form and range we issue:
any other value (an id past the id columns, an expiry past what a datetime holds, a float,
text, null, a nested object) is a 401, never a 500."""

from __future__ import annotations

import time
from typing import Any

import jwt
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.core.security import JWT_ALGORITHM, JWT_AUDIENCE
from app.models import Member
from tests.factories import make_member, tokens_for

ME = "/api/v1/members/me"


def _signed(app: FastAPI, **claims: Any) -> dict[str, str]:
    now = int(time.time())
    payload = {"sub": "1", "sid": 1, "aud": JWT_AUDIENCE, "iat": now, "exp": now + 600}
    payload.update(claims)
    token = jwt.encode(payload, app.state.settings.signing_key(), algorithm=JWT_ALGORITHM)
    return {"Authorization": f"Bearer {token}"}


def _genuine_claims(app: FastAPI, member: Member) -> dict[str, Any]:
    token = tokens_for(app, member)["access_token"]
    claims: dict[str, Any] = jwt.decode(
        token, app.state.settings.signing_key(), algorithms=[JWT_ALGORITHM], audience=JWT_AUDIENCE
    )
    return claims


@pytest.mark.parametrize(
    "claim",
    [
        {"sub": str(2**64)},
        {"sub": str(2**63)},
        {"sub": str(2**31)},
        {"sid": 2**64},
        {"sid": 2**31},
        {"exp": 10**20},
        {"exp": float("inf")},
        {"sub": "1e3"},
        {"sub": " 1"},
        {"sub": "١"},  # an Arabic-Indic digit: int() would take it
        {"sid": 1.0},
        {"sid": True},
        {"sid": "1"},
        {"sub": 1},
        {"exp": 2.0e9},
    ],
)
def test_a_claim_out_of_form_or_range_is_unauthorized(
    app: FastAPI, client: TestClient, claim: dict[str, Any]
) -> None:
    member = make_member(app)
    claims = {**_genuine_claims(app, member), **claim}
    response = client.get(ME, headers=_signed(app, **claims))
    assert response.status_code == 401, response.text
    assert response.json()["code"] in {"unauthorized", "token_expired"}


def test_the_genuine_claims_still_work(app: FastAPI, client: TestClient) -> None:
    member = make_member(app)
    response = client.get(ME, headers=_signed(app, **_genuine_claims(app, member)))
    assert response.status_code == 200, response.text


_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.sampled_from([2**31, 2**63, 2**64, 10**20, -(2**63) - 1])
    | st.integers(min_value=2**31 - 2, max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=30)
    | st.from_regex(r"\A-?[0-9]{1,40}\Z")
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=6,
)
# Each claim is either left as a genuine token has it or replaced by any value, so that one
# odd claim meets otherwise valid ones (and reaches the lookup).
_CLAIMS = st.fixed_dictionaries(
    {},
    optional=dict.fromkeys(("sub", "sid", "exp", "iat", "aud"), _VALUES),
)


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(claims=_CLAIMS)
def test_no_claim_value_is_a_server_error(
    app: FastAPI, client: TestClient, claims: dict[str, Any]
) -> None:
    genuine = _genuine_claims(app, make_member(app))
    response = client.get(ME, headers=_signed(app, **{**genuine, **claims}))
    assert response.status_code < 500, (claims, response.text)
