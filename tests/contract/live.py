"""What the client tests do to the live server directly (over plain HTTP, not through the
client under test): log in, add challenges so that a list spans several pages, read a list
whole, and sign an access token that has expired."""

from __future__ import annotations

import time
from typing import Any

import httpx
import jwt

from app.core.security import JWT_ALGORITHM
from tests.challenges.helpers import challenge_body
from tests.contract.conftest import SECRET_KEY, LiveSanggar

CHALLENGES = "/api/v1/challenges"


def log_in(live: LiveSanggar, username: str, password: str) -> dict[str, Any]:
    form = {"username": username, "password": password, "grant_type": "password"}
    answer = httpx.post(f"{live.url}/api/v1/auth/token", data=form, timeout=30)
    tokens: dict[str, Any] = answer.raise_for_status().json()
    return tokens


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def add_challenges(live: LiveSanggar, count: int) -> list[int]:
    """Upcoming challenges, so that lists of open ones elsewhere stay as those tests left them."""
    admin = bearer(log_in(live, live.admin_email, live.admin_password)["access_token"])
    made = []
    for number in range(count):
        body = challenge_body("upcoming", title=f"Sketch week {number}", published=True)
        answer = httpx.post(f"{live.url}{CHALLENGES}", json=body, headers=admin, timeout=30)
        made.append(answer.raise_for_status().json()["id"])
    return made


def every_challenge_id(live: LiveSanggar, token: str) -> list[int]:
    ids: list[int] = []
    params: dict[str, str | int] = {"limit": 100}
    while True:
        answer = httpx.get(f"{live.url}{CHALLENGES}", params=params, headers=bearer(token))
        page = answer.raise_for_status().json()
        ids += [challenge["id"] for challenge in page["items"]]
        if page["next_cursor"] is None:
            return ids
        params["cursor"] = page["next_cursor"]


def expired_copy(access_token: str) -> str:
    """The same log-in's access token, signed by the server's key, expired a minute ago."""
    claims = jwt.decode(access_token, options={"verify_signature": False})
    now = int(time.time())
    claims |= {"iat": now - 900, "exp": now - 60}
    return jwt.encode(claims, SECRET_KEY, algorithm=JWT_ALGORITHM)


def answers_token_expired(live: LiveSanggar, token: str) -> bool:
    """Whether the server tells this expired token apart from a forged one."""
    answer = httpx.get(f"{live.url}/api/v1/members/me", headers=bearer(token), timeout=30)
    return answer.status_code == 401 and answer.json()["code"] == "token_expired"
