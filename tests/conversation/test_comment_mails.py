"""A work's author is mailed about comments, and a mail still waiting to be sent gathers
the later comments on the same work (app.mail.along, app.mail.outbox): one mail for a burst of
comments, none lost, none told twice."""

from __future__ import annotations

import re
import threading
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from app.conversation import comments
from app.conversation.schemas import CommentCreate
from app.core.clock import utcnow
from app.core.config import Settings
from app.mail import outbox
from app.models import DeliveryStatus, MailMessage, Member
from app.webhooks import dispatcher
from tests.challenges.helpers import SUBMISSIONS, create_challenge, organizer, submit
from tests.conftest import PG_URL, make_settings
from tests.factories import auth_headers, member_with_headers
from tests.mail.conftest import dispatch, mail_deliveries, parts

Headers = dict[str, str]


def comment_mails(engine: Engine) -> list[MailMessage]:
    with Session(engine) as session:
        statement = select(MailMessage).where(
            col(MailMessage.unsubscribe_kind) == "comment.created"
        )
        return list(session.exec(statement.order_by(col(MailMessage.id))))


def gathered(mail: MailMessage) -> list[str]:
    """The comments a mail waiting to be sent tells (their bodies)."""
    assert mail.context is not None
    return [item["body"] for item in mail.context["gathered"]]


def a_work(client: TestClient, app: FastAPI, locale: str = "en") -> tuple[Member, int]:
    challenge = create_challenge(client, organizer(app))
    member, headers = member_with_headers(app)
    settings = "/api/v1/members/me/notification-settings"
    answer = client.patch(settings, json={"locale": locale}, headers=headers)
    assert answer.status_code == 200, answer.text
    return member, submit(client, challenge["id"], headers, title="Senja")["id"]


def comment(client: TestClient, work_id: int, headers: Headers, body: str) -> None:
    url = f"{SUBMISSIONS}/{work_id}/comments"
    response = client.post(url, json={"body": body}, headers=headers)
    assert response.status_code == 201, response.text


def sent(directory: Path) -> list[EmailMessage]:
    found = []
    for path in sorted(directory.glob("*.eml")):
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
        assert isinstance(message, EmailMessage)
        found.append(message)
    return found


def to_files(settings: Settings, directory: Path) -> Settings:
    return make_settings(settings.database_url, mail_url=f"file:{directory}")


def test_comments_before_the_mail_is_sent_are_told_in_one_mail(
    client: TestClient, app: FastAPI, engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    _, work_id = a_work(client, app)
    rina = member_with_headers(app, display_name="Rina")[1]
    budi = member_with_headers(app, display_name="Budi")[1]
    comment(client, work_id, rina, "Warnanya hangat.")
    comment(client, work_id, budi, "Komposisinya <rapi>.")
    [mail] = comment_mails(engine)
    assert gathered(mail) == ["Warnanya hangat.", "Komposisinya <rapi>."]
    dispatch(engine, to_files(settings, tmp_path))
    [told] = [m for m in sent(tmp_path) if m["List-Unsubscribe"]]
    assert told["Subject"] == "2 new comments on “Senja”"
    text, html = parts(told)
    assert re.search(r"Rina \(@\w+\) commented on “Senja”\nWarnanya hangat\.", text)
    assert re.search(r"Budi \(@\w+\) commented on “Senja”\nKomposisinya <rapi>\.", text)
    assert "Komposisinya &lt;rapi&gt;." in html and "Warnanya hangat." in html
    assert [d.status for d in mail_deliveries(engine)][-1] == DeliveryStatus.SUCCEEDED


def test_one_comment_is_mailed_as_before(
    client: TestClient, app: FastAPI, engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    _, work_id = a_work(client, app)
    comment(client, work_id, member_with_headers(app, display_name="Rina")[1], "Bagus.")
    dispatch(engine, to_files(settings, tmp_path))
    [told] = [m for m in sent(tmp_path) if m["List-Unsubscribe"]]
    assert re.fullmatch(r"Rina \(@\w+\) commented on “Senja”", told["Subject"])
    assert "\nBagus.\n" in parts(told)[0]


def test_the_gathered_mail_speaks_the_members_language(
    client: TestClient, app: FastAPI, engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    _, work_id = a_work(client, app, locale="id")
    for n in range(3):
        comment(client, work_id, member_with_headers(app)[1], f"Komentar {n}")
    dispatch(engine, to_files(settings, tmp_path))
    [told] = [m for m in sent(tmp_path) if m["List-Unsubscribe"]]
    assert told["Subject"] == "3 komentar baru di karya kamu “Senja”"
    assert told["Content-Language"] == "id"


def test_a_comment_after_the_mail_was_claimed_gets_a_mail_of_its_own(
    client: TestClient, app: FastAPI, engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    _, work_id = a_work(client, app)
    headers = member_with_headers(app)[1]
    out = to_files(settings, tmp_path)
    dispatch(engine, out)  # the welcome mails
    comment(client, work_id, headers, "first")
    with Session(engine) as session:  # a dispatcher claimed it (and read it), not sent yet
        assert len(dispatcher.claim(session, now=utcnow())) == 1
        session.commit()
    comment(client, work_id, headers, "second")
    assert [gathered(m) for m in comment_mails(engine)] == [["first"], ["second"]]
    with Session(engine) as session:  # the claim handed back unsent: it may gather again
        assert dispatcher.LEASES.release_held(session) == 1
        session.commit()
    comment(client, work_id, headers, "third")
    # The newest of the work's mails gathers: the first one, handed back, is sent as read.
    assert [gathered(m) for m in comment_mails(engine)] == [["first"], ["second", "third"]]
    dispatch(engine, out)
    comment(client, work_id, headers, "fourth")  # the others were sent
    assert gathered(comment_mails(engine)[-1]) == ["fourth"]


def test_a_mail_gathers_at_most_the_limit(
    client: TestClient, app: FastAPI, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(outbox, "GATHER_LIMIT", 3)
    _, work_id = a_work(client, app)
    headers = member_with_headers(app)[1]
    for n in range(5):
        comment(client, work_id, headers, f"c{n}")
    assert [gathered(m) for m in comment_mails(engine)] == [["c0", "c1", "c2"], ["c3", "c4"]]


def test_comments_on_another_work_or_to_another_author_are_mailed_apart(
    client: TestClient, app: FastAPI, engine: Engine
) -> None:
    _, one = a_work(client, app)
    _, other = a_work(client, app)
    headers = member_with_headers(app)[1]
    comment(client, one, headers, "a")
    comment(client, other, headers, "b")
    comment(client, one, headers, "c")
    assert sorted(gathered(m) for m in comment_mails(engine)) == [["a", "c"], ["b"]]


def test_a_member_who_turned_comment_mail_off_gets_none(
    client: TestClient, app: FastAPI, engine: Engine
) -> None:
    author, work_id = a_work(client, app)
    answer = client.patch(
        "/api/v1/members/me/notification-settings",
        json={"email": {"comment.created": False}},
        headers=auth_headers(app, author),
    )
    assert answer.status_code == 200, answer.text
    headers = member_with_headers(app)[1]
    comment(client, work_id, headers, "a")
    comment(client, work_id, headers, "b")
    assert comment_mails(engine) == []


def write_comment(session: Session, work_id: int, author: Member, body: str) -> None:
    member = session.get(Member, author.id)
    assert member is not None
    data = CommentCreate(body=body)
    comments.create_comment(session, submission_id=work_id, author=member, data=data)


@pytest.mark.skipif(PG_URL is None, reason="concurrent writers: PostgreSQL")
def test_a_mail_being_gathered_into_is_neither_claimed_nor_waited_for(
    client: TestClient, app: FastAPI, engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    _, work_id = a_work(client, app)
    commenter, another = member_with_headers(app)[0], member_with_headers(app)[0]
    out = to_files(settings, tmp_path)
    dispatch(engine, out)  # the welcome mails
    with Session(engine) as session:
        write_comment(session, work_id, commenter, "first")
        session.commit()
    with Session(engine) as gathering:
        write_comment(gathering, work_id, commenter, "second")  # holds the first mail
        with Session(engine) as claiming:  # a dispatcher skips it
            assert dispatcher.claim(claiming, now=utcnow()) == []
            claiming.commit()
        with Session(engine) as other:  # another comment does not wait: a mail of its own
            write_comment(other, work_id, another, "third")
            other.commit()
        gathering.commit()
    assert [gathered(m) for m in comment_mails(engine)] == [["first", "second"], ["third"]]


@pytest.mark.skipif(PG_URL is None, reason="concurrent writers: PostgreSQL")
def test_comments_while_the_dispatcher_claims_end_each_in_exactly_one_sent_mail(
    client: TestClient, app: FastAPI, engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    author, work_id = a_work(client, app)
    commenters = [member_with_headers(app)[0] for _ in range(4)]
    per_writer = 40
    out = to_files(settings, tmp_path)
    writing = threading.Event()
    errors: list[BaseException] = []

    def write(commenter: Member, n: int) -> None:
        try:
            for i in range(per_writer):
                with Session(engine, expire_on_commit=False) as session:
                    write_comment(session, work_id, commenter, f"[w{n}-{i}]")
                    session.commit()
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    def send() -> None:
        try:
            while writing.is_set():
                dispatch(engine, out)
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    writing.set()
    sender = threading.Thread(target=send)
    sender.start()
    writers = [threading.Thread(target=write, args=(m, n)) for n, m in enumerate(commenters)]
    for thread in writers:
        thread.start()
    for thread in writers:
        thread.join()
    writing.clear()
    sender.join()
    assert errors == []
    while dispatch(engine, out):
        pass
    told: list[str] = []
    mails = [m for m in sent(tmp_path) if m["To"] == author.email and m["List-Unsubscribe"]]
    for mail in mails:
        told += re.findall(r"\[w\d+-\d+\]", parts(mail)[0])
    expected = sorted(f"[w{n}-{i}]" for n in range(len(commenters)) for i in range(per_writer))
    assert sorted(told) == expected  # every comment told, none twice
    assert len(mails) == len(comment_mails(engine)) < len(expected)
    assert {d.status for d in mail_deliveries(engine)} == {DeliveryStatus.SUCCEEDED}
