from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from app.main import create_app
from app.models import Member, Role
from tests.conftest import make_settings


def _admins(engine: Engine) -> int:
    with Session(engine) as session:
        return session.exec(
            select(func.count()).select_from(Member).where(col(Member.role) == Role.ADMIN)
        ).one()


def test_bootstrap_admin_is_created_once_at_start_up(database_url: str, engine: Engine) -> None:
    settings = make_settings(
        database_url,
        bootstrap_admin_email="first@example.com",
        bootstrap_admin_password="bootstrap secret",
    )
    for _ in range(2):  # a restart, or a second app process, creates no second admin
        app = create_app(settings)
        with TestClient(app) as client:
            login = client.post(
                "/api/v1/auth/token", data={"username": "admin", "password": "bootstrap secret"}
            )
            assert login.status_code == 200
    assert _admins(engine) == 1
