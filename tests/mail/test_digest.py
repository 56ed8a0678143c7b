"""The weekly digest: to silent members only, once per member and week whatever the number
of runs at once, only when there is something to tell, with one-click unsubscribe."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from email import message_from_bytes, policy
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from app.core.clock import utcnow
from app.core.config import Settings
from app.mail import digest, service
from app.models import Challenge, MailDigest, MailMessage, Member
from app.principal.changes import PRINCIPALS_UNCHANGED
from tests.conftest import make_settings
from tests.factories import make_member, tokens_for
from tests.mail.conftest import dispatch, parts


def silent(app: FastAPI, engine: Engine, **fields: object) -> Member:
    """A member who joined a month ago and has not been seen since."""
    member = make_member(app, **fields)  # type: ignore[arg-type]
    with engine.begin() as connection:
        connection.execution_options(**{PRINCIPALS_UNCHANGED: True})
        connection.execute(
            sa.update(Member)
            .where(col(Member.id) == member.id)
            .values(joined_at=utcnow() - timedelta(days=30))
        )
    return member


def run(engine: Engine, now: datetime | None = None, batch: int = 2) -> digest.DigestRun:
    with Session(engine) as session:
        return digest.run(session, now=now, batch=batch)


def digests(engine: Engine) -> list[MailMessage]:
    with Session(engine) as session:
        statement = select(MailMessage).where(MailMessage.template == "digest")
        return list(session.exec(statement.order_by(col(MailMessage.id))))


def test_silent_members_get_one_digest_a_week(app: FastAPI, engine: Engine) -> None:
    quiet = [silent(app, engine) for _ in range(3)]
    busy = silent(app, engine)
    tokens_for(app, busy)  # logged in today: active
    opted_out = silent(app, engine)
    gone = silent(app, engine, is_active=False)
    make_member(app)  # joined today: nothing missed yet
    with Session(engine) as session:
        assert opted_out.id is not None
        service.update(session, opted_out.id, digest="off")
        session.commit()

    first = run(engine)
    assert first.mailed == 3
    mailed = digests(engine)
    assert sorted(m.member_id or 0 for m in mailed) == sorted(m.id or 0 for m in quiet)
    assert all(m.unsubscribe_kind == "digest" for m in mailed)
    assert mailed[0].context is not None and "join_event" in mailed[0].context["first_steps"]
    assert gone.id not in {m.member_id for m in mailed}

    assert run(engine).mailed == 0  # this week's are written
    # A week later the one seen today and the newcomer have been away a week too.
    assert run(engine, now=utcnow() + timedelta(days=7)).mailed == 5


def test_a_page_with_no_one_owed_does_not_end_the_run(app: FastAPI, engine: Engine) -> None:
    # Pages are windows of ids: the first two members (a page at batch=2) are active.
    for _ in range(2):
        tokens_for(app, silent(app, engine))
    quiet = silent(app, engine)
    result = run(engine, batch=2)
    assert result.mailed == 1
    assert [m.member_id for m in digests(engine)] == [quiet.id]


def test_runs_at_once_mail_each_member_once(app: FastAPI, engine: Engine) -> None:
    members = {silent(app, engine).id or 0 for _ in range(12)}
    start = threading.Barrier(3)
    errors: list[BaseException] = []

    def one_run() -> None:
        try:
            start.wait()
            run(engine, batch=3)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=one_run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    mailed = [m.member_id or 0 for m in digests(engine)]
    assert sorted(mailed) == sorted(members)  # each once
    with Session(engine) as session:
        assert len(session.exec(select(MailDigest)).all()) == 12


def test_nothing_to_tell_no_mail(
    app: FastAPI, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    silent(app, engine)
    monkeypatch.setattr(digest, "_unfinished", lambda _session, _member_id: [])
    assert run(engine).mailed == 0
    with Session(engine) as session:
        assert session.exec(select(MailDigest)).all() == []  # not claimed: asked again later


def test_the_digest_tells_the_news_and_unsubscribes_in_one_click(
    app: FastAPI,
    engine: Engine,
    settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    now = utcnow()
    with Session(engine) as session:
        session.add(
            Challenge(
                title="Kota <Tua>",
                theme="old town",
                discipline="illustration",
                submissions_open_at=now - timedelta(days=1),
                submissions_close_at=now + timedelta(days=6),
                voting_close_at=now + timedelta(days=9),
                published=True,
            )
        )
        session.commit()
    monkeypatch.setattr(digest, "_unfinished", lambda _session, _member_id: [])
    reader = silent(app, engine, display_name="Sari")
    assert run(engine).mailed == 1
    out = make_settings(settings.database_url, mail_url=f"file:{tmp_path}")
    dispatch(engine, out)
    messages = [
        message_from_bytes(p.read_bytes(), policy=policy.default) for p in tmp_path.glob("*.eml")
    ]
    [mail] = [m for m in messages if m["List-Unsubscribe"]]
    assert mail["Subject"] == "Yang kamu lewatkan minggu ini di Sanggar"
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text, html = parts(mail)
    assert "Kota <Tua>" in text and "Kota &lt;Tua&gt;" in html and "/challenges/" in text
    assert f"unsubscribe?token={reader.id}.digest." in mail["List-Unsubscribe"]
