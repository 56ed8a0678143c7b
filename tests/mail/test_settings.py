"""Notification settings, notification mails, and RFC 8058 one-click unsubscribe."""

from __future__ import annotations

from email import message_from_bytes, policy
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.core.config import Settings
from app.mail import kinds, tokens
from app.notifications.service import notify
from tests.conftest import make_settings
from tests.factories import member_with_headers
from tests.mail.conftest import dispatch, mails, parts

PATH = "/api/v1/members/me/notification-settings"


def notify_member(engine: Engine, member_id: int, kind: str) -> None:
    with Session(engine) as session:
        notify(session, member_id=member_id, type=kind, title="Budi commented on <Senja>")
        session.commit()


def test_the_defaults(app: FastAPI, client: TestClient) -> None:
    _member, headers = member_with_headers(app)
    response = client.get(PATH, headers=headers)
    assert response.status_code == 200 and response.headers["ETag"]
    body = response.json()
    # No language chosen yet: the deployment's default (`id`; the tests' app says `en`).
    assert body["locale"] == app.state.settings.default_locale and body["digest"] == "weekly"
    on = {kind for kind, mailed in body["email"].items() if mailed}
    assert on == {
        "comment.created",
        "mentorship.requested",
        "mentorship.accepted",
        "mentorship.declined",
        "event.waitlist_promoted",
        "event.cancelled",
    }
    assert set(body["email"]) == set(kinds.EMAIL_DEFAULTS)


def test_changing_some_kinds_keeps_the_others(app: FastAPI, client: TestClient) -> None:
    _member, headers = member_with_headers(app)
    changed = client.patch(
        PATH, headers=headers, json={"digest": "off", "email": {"badge.awarded": True}}
    )
    assert changed.status_code == 200, changed.text
    again = client.patch(PATH, headers=headers, json={"email": {"comment.created": False}})
    body = again.json()
    assert body["digest"] == "off"
    assert body["email"]["badge.awarded"] is True and body["email"]["comment.created"] is False
    assert client.get(PATH, headers=headers).json() == body


def test_bad_changes_are_refused_and_change_nothing(app: FastAPI, client: TestClient) -> None:
    _member, headers = member_with_headers(app)
    before = client.get(PATH, headers=headers)
    for body in (
        {"email": {"member.welcome": False}},
        {"digest": "daily"},
        {"digest": None},
        {"email": {"comment.created": "maybe"}},
        {"colour": "red"},
    ):
        assert client.patch(PATH, headers=headers, json=body).status_code == 422, body
    stale = client.patch(PATH, headers={**headers, "If-Match": '"stale"'}, json={"digest": "off"})
    assert stale.status_code == 412
    fresh = {**headers, "If-Match": before.headers["ETag"]}
    assert client.patch(PATH, headers=fresh, json={"digest": "off"}).status_code == 200
    assert client.get(PATH).status_code == 401


def test_a_notification_of_a_kind_on_is_mailed_with_one_click_unsubscribe(
    app: FastAPI, client: TestClient, engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    member, headers = member_with_headers(app)
    assert member.id is not None
    notify_member(engine, member.id, "comment.created")
    notify_member(engine, member.id, "badge.awarded")  # off by default: in the app only
    mailed = [m for m in mails(engine) if m.template == "notification"]
    assert [m.unsubscribe_kind for m in mailed] == ["comment.created"]
    out = make_settings(
        settings.database_url, mail_url=f"file:{tmp_path}", public_base_url="https://api.example"
    )
    dispatch(engine, out)
    notices = [
        message_from_bytes(p.read_bytes(), policy=policy.default) for p in tmp_path.glob("*.eml")
    ]
    [notice] = [m for m in notices if m["List-Unsubscribe"]]
    assert notice["Subject"] == "Budi commented on <Senja>"
    assert notice["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = notice["List-Unsubscribe"].strip("<>")
    assert link.startswith("https://api.example/api/v1/mail/unsubscribe?token=")
    text, html = parts(notice)
    assert link in text and "Budi commented on &lt;Senja&gt;" in html
    # The mail client's one click: a POST, no log-in.
    parsed = urlsplit(link)
    answer = client.post(
        f"{parsed.path}?{parsed.query}",
        content=b"List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"kind": "comment.created", "email": False}
    assert client.get(PATH, headers=headers).json()["email"]["comment.created"] is False
    notify_member(engine, member.id, "comment.created")
    assert len([m for m in mails(engine) if m.template == "notification"]) == 1
    token = parse_qs(parsed.query)["token"][0]
    assert client.post("/api/v1/mail/unsubscribe", params={"token": token}).status_code == 200


def test_the_unsubscribe_page_changes_nothing(
    app: FastAPI, client: TestClient, settings: Settings
) -> None:
    member, headers = member_with_headers(app)
    assert member.id is not None
    token = tokens.unsubscribe_token(settings.signing_key(), member.id, kinds.DIGEST)
    page = client.get("/api/v1/mail/unsubscribe", params={"token": token})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert 'method="post"' in page.text
    assert client.get(PATH, headers=headers).json()["digest"] == "weekly"
    assert client.post("/api/v1/mail/unsubscribe", params={"token": token}).status_code == 200
    assert client.get(PATH, headers=headers).json()["digest"] == "off"


def test_forged_or_broken_tokens_are_refused(
    app: FastAPI, client: TestClient, settings: Settings
) -> None:
    member, headers = member_with_headers(app)
    assert member.id is not None
    good = tokens.unsubscribe_token(settings.signing_key(), member.id, "comment.created")
    other = good.replace(f"{member.id}.", f"{member.id + 1}.", 1)
    unknown_kind = tokens.unsubscribe_token(settings.signing_key(), member.id, "member.welcome")
    for token in (other, good[:-2], "x", "1.2", "\x00", unknown_kind, "9" * 30 + ".digest.x"):
        for method in ("get", "post"):
            answer = client.request(method, "/api/v1/mail/unsubscribe", params={"token": token})
            assert answer.status_code in (404, 422), (token, answer.text)
    assert client.post("/api/v1/mail/unsubscribe").status_code == 422
    assert client.get(PATH, headers=headers).json()["email"]["comment.created"] is True
