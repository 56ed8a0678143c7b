"""NUL and other control characters are refused with a 422 problem wherever a string comes in.

One place decides: the shared string types in app/core/types.py (`Line` for one-line values,
`Text` for prose, where tab, newline and carriage return are allowed) and the header patterns.
"""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.factories import member_with_headers

API = "/api/v1"
REFUSED = ["\x00", "\x01", "\x07", "\x1b", "\x7f", "\x85", "\x9f"]


def _assert_refused(response: object, where: str) -> None:
    assert response.status_code == 422, (where, response.text)  # type: ignore[attr-defined]
    assert response.headers["content-type"] == "application/problem+json"  # type: ignore[attr-defined]
    assert response.json()["code"] == "validation_failed"  # type: ignore[attr-defined]


@pytest.mark.parametrize("char", REFUSED)
def test_control_characters_are_refused_in_bodies_queries_and_headers(
    client: TestClient, app: FastAPI, char: str
) -> None:
    _, headers = member_with_headers(app)
    bodies = {
        f"{API}/threads": {"title": f"Pa{char}per", "body": "Which paper?"},
        f"{API}/ideas": {"title": "Zines", "body": f"In{char} May."},
        f"{API}/projects": {"title": f"Book{char}", "kind": "ebook"},
    }
    for path, body in bodies.items():
        _assert_refused(client.post(path, json=body, headers=headers), path)
    _assert_refused(
        client.patch(f"{API}/members/me", json={"bio": f"a{char}b"}, headers=headers), "bio"
    )
    _assert_refused(client.get(f"{API}/members", params={"q": f"a{char}"}, headers=headers), "q")
    idempotent = {**headers, "Idempotency-Key": f"key{char}1"}
    thread = {"title": "Paper", "body": "Which?"}
    if char.isascii():  # HTTP header values are latin-1; C1 controls do not survive as text
        _assert_refused(client.post(f"{API}/threads", json=thread, headers=idempotent), "header")


def test_control_characters_in_path_segments_are_refused(client: TestClient, app: FastAPI) -> None:
    _, headers = member_with_headers(app)
    for path in (f"{API}/members/%00", f"{API}/threads/1%00", f"{API}/events/%01.ics"):
        response = client.get(path, headers=headers)
        assert response.status_code in (404, 422), path
        assert response.headers["content-type"] == "application/problem+json"


def test_prose_keeps_tabs_and_line_breaks_but_one_line_fields_do_not(
    client: TestClient, app: FastAPI
) -> None:
    _, headers = member_with_headers(app)
    prose = {"title": "Paper", "body": "Riso:\tsoy inks\r\nor rice paper?\n"}
    created = client.post(f"{API}/threads", json=prose, headers=headers)
    assert created.status_code == 201, created.text
    assert created.json()["body"] == prose["body"]
    for title in ("Two\nlines", "Tab\tbed", "Para\u2028graph"):
        _assert_refused(
            client.post(f"{API}/threads", json={**prose, "title": title}, headers=headers), title
        )
