"""`sanggar seed-demo` grows conversations that obey the same rules as the API."""

from __future__ import annotations

from fastapi import FastAPI
from rich.console import Console
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from app.demo.community import seed_community
from app.models import Announcement, Comment, Idea, IdeaStatus, IdeaUpvote, Post, Thread


def _snapshot(session: Session) -> list[object]:
    session.rollback()
    return [
        sorted((t.title, t.post_count, t.pinned, t.locked) for t in session.exec(select(Thread))),
        sorted(
            (i.title, i.status, i.upvote_count)
            for i in session.exec(select(Idea).order_by(col(Idea.id)))
        ),
        session.exec(select(func.count()).select_from(Comment)).one(),
        session.exec(select(func.count()).select_from(Announcement)).one(),
    ]


def test_demo_conversations_are_consistent_and_seeded_once(
    app: FastAPI, engine: Engine, session: Session
) -> None:
    def seed(seed: int) -> None:
        seed_community(
            engine, app.state.settings, members_count=30, seed=seed, console=Console(quiet=True)
        )

    seed(5)
    threads = list(session.exec(select(Thread)))
    assert any(t.pinned for t in threads) and any(t.locked for t in threads)
    for thread in threads:
        posts = session.exec(select(func.count()).where(Post.thread_id == thread.id)).one()
        assert thread.post_count == posts
    for idea in session.exec(select(Idea)):
        upvotes = session.exec(select(func.count()).where(IdeaUpvote.idea_id == idea.id)).one()
        assert idea.upvote_count == upvotes
    statuses = {IdeaStatus(i.status) for i in session.exec(select(Idea))}
    assert {IdeaStatus.NEW, IdeaStatus.PLANNED, IdeaStatus.DONE} <= statuses
    first = _snapshot(session)
    assert first[2] and first[3]
    seed(5)  # seeding again changes nothing
    assert _snapshot(session) == first
