"""`sanggar seed-demo` publishes a book of consenting winners and an exhibition of the
most-voted consenting photographs, each with its picture and curator's note, once."""

from __future__ import annotations

import zipfile
from io import BytesIO

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
    assert [a["title"] for a in listed] == [demo.EXHIBITION_TITLE, demo.TITLE]  # newest first
    exhibition, stories = listed
    book = client.get(f"{ANTHOLOGIES}/{stories['id']}").json()
    assert book["status"] == "published"
    assert book["items"], "the winners who consented are in the book"
    assert book["items"][0]["editor_note"] == demo.NOTE
    assert client.get(f"{ANTHOLOGIES}/{stories['id']}.epub").status_code == 200
    gallery = client.get(f"{ANTHOLOGIES}/{exhibition['id']}").json()
    assert gallery["items"], "the most-voted photographs whose authors consented are hung"
    assert len(gallery["items"]) <= demo.EXHIBITION_SIZE
    for item in gallery["items"]:
        assert item["editor_note"] in demo.CURATOR_NOTES
        (picture,) = item["media"]
        assert picture["kind"] == "image" and picture["status"] == "ready"
        assert picture["variants"]["medium"]["width"] == 1200
        content = client.get(picture["variants"]["thumb"]["url"])
        assert content.status_code == 200, content.text
        assert content.headers["content-type"] == "image/webp"
    epub = client.get(f"{ANTHOLOGIES}/{exhibition['id']}.epub")
    assert epub.status_code == 200
    with zipfile.ZipFile(BytesIO(epub.content)) as archive:
        assert "EPUB/cover.jpg" in archive.namelist()
        assert "EPUB/images/work-001-1.jpg" in archive.namelist()
    with Session(engine) as session:
        entries = len(session.exec(select(AnthologyEntry)).all())
        with Progress(console=Console(quiet=True)) as progress:
            assert demo.seed_anthology(session, progress=progress) == 0
        session.commit()
        assert len(session.exec(select(Anthology)).all()) == 2
        assert len(session.exec(select(AnthologyEntry)).all()) == entries
