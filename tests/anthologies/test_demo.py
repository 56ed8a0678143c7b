"""`sanggar seed-demo` publishes one anthology of consenting winners, once."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient
from rich.console import Console
from rich.progress import Progress
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from app.demo import anthologies as demo
from app.demo.community import seed_community
from app.models import Anthology, AnthologyEntry
from tests.anthologies.helpers import ANTHOLOGIES


def test_the_demo_publishes_one_anthology_once(
    app: FastAPI, engine: Engine, client: TestClient
) -> None:
    seed_community(
        engine, app.state.settings, members_count=30, seed=3, console=Console(quiet=True)
    )
    listed = client.get(ANTHOLOGIES).json()["items"]
    assert [a["title"] for a in listed] == [demo.TITLE]
    book = client.get(f"{ANTHOLOGIES}/{listed[0]['id']}").json()
    assert book["status"] == "published"
    assert book["items"], "the winners who consented are in the book"
    assert book["items"][0]["editor_note"] == demo.NOTE
    assert client.get(f"{ANTHOLOGIES}/{listed[0]['id']}.epub").status_code == 200
    with Session(engine) as session:
        entries = len(session.exec(select(AnthologyEntry)).all())
        with Progress(console=Console(quiet=True)) as progress:
            assert demo.seed_anthology(session, progress=progress) == 0
        session.commit()
        assert len(session.exec(select(Anthology)).all()) == 1
        assert len(session.exec(select(AnthologyEntry)).all()) == entries
