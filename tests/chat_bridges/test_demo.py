"""`sanggar seed-demo` shows one inactive bridge of each kind."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.core.config import Settings
from app.demo.bridges import seed_bridges
from app.models import Role
from tests.factories import auth_headers, make_member


def test_the_demo_has_one_inactive_bridge_of_each_kind(
    app: FastAPI, engine: Engine, settings: Settings, client: TestClient
) -> None:
    admin = make_member(app, role=Role.ADMIN, handle="demo_admin")
    with Session(engine) as session:
        seed_bridges(session, settings)
        session.commit()
    listed = client.get("/api/v1/chat-bridges", headers=auth_headers(app, admin)).json()["items"]
    assert sorted(b["kind"] for b in listed) == ["discord", "matrix", "slack", "telegram"]
    assert all(not b["active"] and b["locale"] == "id" for b in listed)
    assert all(b["target"]["secret_hint"].startswith("…") for b in listed)
