"""Problems, notifications and mails in the reader's language: the member's `locale`, else
the request's `Accept-Language` (q-values honoured), else SANGGAR_DEFAULT_LOCALE."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from app.i18n import negotiate
from app.mail import bulk
from app.models import Member, Role
from tests.events.helpers import EVENTS, create_event, organizer_headers, rsvp
from tests.factories import member_with_headers
from tests.mail.conftest import mails

MISSING = "/api/v1/members/999999"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("id", "id"),
        ("en-GB", "en"),
        ("id-ID,en;q=0.5", "id"),
        ("en;q=0.4, id;q=0.9", "id"),
        ("fr, en;q=0.1", "en"),
        ("de, *;q=0.5", "id"),  # anything: our first language
        ("en;q=0, id", "id"),  # q=0 is "not this one"
        ("fr", None),
        ("", None),
        ("id;q=nonsense, en", "en"),  # an unreadable q-value counts as 0
    ],
)
def test_accept_language_is_negotiated(header: str, expected: str | None) -> None:
    assert negotiate(header) == expected


@pytest.fixture
def indonesian_default(app: FastAPI) -> Iterator[None]:
    """The app as deployed by default (`SANGGAR_DEFAULT_LOCALE=id`); the tests' is `en`."""
    saved = app.state.settings
    app.state.settings = saved.model_copy(update={"default_locale": "id"})
    yield
    app.state.settings = saved


def test_an_anonymous_problem_follows_accept_language(client: TestClient) -> None:
    indonesian = client.get(MISSING, headers={"Accept-Language": "id-ID, en;q=0.8"}).json()
    english = client.get(MISSING, headers={"Accept-Language": "id;q=0.2, en"}).json()
    assert indonesian["code"] == english["code"] == "member_not_found"  # codes never change
    assert (indonesian["title"], english["title"]) == (
        "Anggota tidak ditemukan",
        "Member not found",
    )


@pytest.mark.usefixtures("indonesian_default")
def test_without_accept_language_the_default_locale_speaks(client: TestClient) -> None:
    problem = client.get("/api/v1/members/").json()
    assert problem["title"] == "Tidak ditemukan"
    assert problem["detail"] == "Alamat tidak diakhiri garis miring: coba /api/v1/members."
    unknown = client.get(MISSING, headers={"Accept-Language": "fr"}).json()
    assert unknown["title"] == "Anggota tidak ditemukan"


def test_a_validation_problem_detail_is_translated(client: TestClient) -> None:
    answer = client.get("/api/v1/events?limit=0", headers={"Accept-Language": "id"}).json()
    assert (answer["title"], answer["detail"]) == ("Isian tidak valid", "1 isian tidak valid.")
    english = client.get("/api/v1/events?limit=0", headers={"Accept-Language": "en"}).json()
    assert english["detail"] == "1 field is invalid."


def set_locale(client: TestClient, headers: dict[str, str], locale: str) -> None:
    response = client.patch(
        "/api/v1/members/me/notification-settings", json={"locale": locale}, headers=headers
    )
    assert response.status_code == 200, response.text
    assert response.json()["locale"] == locale


def test_patching_the_locale_changes_the_members_language(
    client: TestClient, app: FastAPI, engine: Engine
) -> None:
    member, headers = member_with_headers(app)
    settings = "/api/v1/members/me/notification-settings"
    assert client.get(settings, headers=headers).json()["locale"] == "en"  # the tests' default
    set_locale(client, headers, "id")
    with Session(engine) as session:
        assert session.exec(select(Member.locale).where(Member.id == member.id)).one() == "id"
    assert client.get(settings, headers=headers).json()["locale"] == "id"
    # The member's language wins over the request's: problems are now Indonesian.
    problem = client.get(MISSING, headers={**headers, "Accept-Language": "en"}).json()
    assert problem["title"] == "Anggota tidak ditemukan"
    refused = client.patch(settings, json={"locale": "fr"}, headers=headers)
    assert refused.status_code == 422
    assert client.patch(settings, json={"locale": None}, headers=headers).status_code == 422


@pytest.mark.usefixtures("indonesian_default")
@pytest.mark.parametrize(
    ("header", "stored", "mailed"),
    [("en-GB, id;q=0.5", "en", "en"), ("id", "id", "id"), ("fr", None, "id"), (None, None, "id")],
)
def test_registering_keeps_the_language_the_request_asked_for(
    client: TestClient, engine: Engine, header: str | None, stored: str | None, mailed: str
) -> None:
    """The welcome mail, and every later one, is in the language of the sign-up's
    `Accept-Language` when it names one of ours; else the member's locale stays unknown."""
    body = {
        "email": "sari@example.com",
        "password": "correct horse battery",
        "handle": "sari",
        "display_name": "Sari",
    }
    headers = {"Accept-Language": header} if header else {}
    assert client.post("/api/v1/auth/register", json=body, headers=headers).status_code == 201
    with Session(engine) as session:
        assert session.exec(select(Member.locale).where(Member.handle == "sari")).one() == stored
    [welcome] = [m for m in mails(engine) if m.recipient == "sari@example.com"]
    assert (welcome.template, welcome.locale) == ("welcome", mailed)


def test_notifications_are_shown_in_the_readers_language(client: TestClient, app: FastAPI) -> None:
    _, headers = member_with_headers(app, display_name="Rina")
    feed = "/api/v1/notifications"
    english = client.get(feed, headers=headers).json()["items"][0]
    assert english["title"] == "Welcome to Sanggar, Rina!"
    # No locale yet: the request's language.
    asked = client.get(feed, headers={**headers, "Accept-Language": "id"}).json()["items"][0]
    assert asked["title"] == "Selamat datang di Sanggar, Rina!"
    set_locale(client, headers, "id")
    indonesian = client.get(feed, headers={**headers, "Accept-Language": "en"}).json()["items"][0]
    assert indonesian["id"] == english["id"]
    assert indonesian["title"] == "Selamat datang di Sanggar, Rina!"
    assert indonesian["body"].startswith("Beberapa langkah pertama")


def test_a_cancelled_event_mails_everyone_going_in_their_language(
    client: TestClient, app: FastAPI, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In batches (two here): every attendee who wants that mail gets it, in their
    language; one who turned it off, or who left, gets none."""
    monkeypatch.setattr(bulk, "BATCH", 2)
    organizer = organizer_headers(app)
    event = create_event(client, organizer, capacity=3, title="Sketsa Kota")
    people = [member_with_headers(app) for _ in range(5)]
    for _, headers in people:
        rsvp(client, event["id"], headers)  # three go, two wait
    set_locale(client, people[0][1], "id")
    set_locale(client, people[1][1], "en")
    client.patch(
        "/api/v1/members/me/notification-settings",
        json={"email": {"event.cancelled": False}},
        headers=people[2][1],
    ).raise_for_status()
    before = len(mails(engine))
    response = client.patch(
        f"{EVENTS}/{event['id']}", json={"status": "cancelled"}, headers=organizer
    )
    assert response.status_code == 200
    sent = {m.member_id: m for m in mails(engine)[before:] if m.template == "notification"}
    wanted = {people[i][0].id for i in (0, 1, 3, 4)}
    assert set(sent) == wanted
    assert sent[people[0][0].id].locale == "id"
    titles = {member_id: (m.context or {}).get("title") for member_id, m in sent.items()}
    assert titles[people[0][0].id] == "Dibatalkan: Sketsa Kota"
    assert titles[people[1][0].id] == "Cancelled: Sketsa Kota"
    assert all(m.unsubscribe_kind == "event.cancelled" for m in sent.values())
    # The notification itself reads in each reader's language too.
    shown = client.get("/api/v1/notifications", headers=people[0][1]).json()["items"][0]
    assert shown["title"] == "Dibatalkan: Sketsa Kota"
    assert "tidak jadi diadakan" in shown["body"]


def test_a_bulk_notification_of_a_kind_not_mailed_by_default_mails_nobody(
    app: FastAPI, engine: Engine
) -> None:
    """Organizers are told of a newcomer (`member.joined`, to many at once), never by mail."""
    member_with_headers(app, role=Role.ORGANIZER)
    before = len(mails(engine))
    member_with_headers(app)
    assert [m.template for m in mails(engine)[before:]] == ["welcome"]
