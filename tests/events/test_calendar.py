"""iCalendar feeds: they parse back, keep cancelled events, and the member feed's token."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from fastapi import FastAPI
from fastapi.testclient import TestClient
from icalendar import Calendar
from sqlalchemy.engine import Engine

from app.main import create_app
from tests.conftest import make_settings
from tests.events.helpers import EVENTS, create_event, local_time, organizer_headers, rsvp
from tests.factories import member_with_headers

FEED = "/api/v1/members/me/calendar.ics"


def _parse(response: Any) -> dict[str, Any]:
    """The feed's VEVENTs by UID, after checking it is a calendar that parses."""
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/calendar")
    calendar = Calendar.from_ical(response.content)
    assert calendar.get_missing_tzids() == set()  # a VTIMEZONE for every TZID used
    return {str(vevent["UID"]): vevent for vevent in calendar.walk("VEVENT")}


def test_public_feed_lists_upcoming_events_and_keeps_cancelled_ones(
    client: TestClient, app: FastAPI
) -> None:
    organizer = organizer_headers(app)
    kept = create_event(client, organizer, online_url="https://meet.example.com/a")
    cancelled = create_event(client, organizer, title="Zine swap")
    draft = create_event(client, organizer, status="draft")
    starts = local_time(-2)
    ended = create_event(
        client,
        organizer,
        starts_at=starts.isoformat(),
        ends_at=(starts + timedelta(hours=2)).isoformat(),
    )
    client.patch(f"{EVENTS}/{cancelled['id']}", json={"status": "cancelled"}, headers=organizer)

    vevents = _parse(client.get("/api/v1/events.ics"))
    assert set(vevents) == {f"event-{kept['id']}@sanggar", f"event-{cancelled['id']}@sanggar"}
    assert f"event-{draft['id']}@sanggar" not in vevents
    assert f"event-{ended['id']}@sanggar" not in vevents
    struck = vevents[f"event-{cancelled['id']}@sanggar"]
    assert str(struck["STATUS"]) == "CANCELLED"
    assert struck["SEQUENCE"] == 1
    shown = vevents[f"event-{kept['id']}@sanggar"]
    assert str(shown["STATUS"]) == "CONFIRMED"
    assert shown["DTSTART"].params["TZID"] == "Asia/Jakarta"
    assert shown["DTSTART"].dt.hour == 19
    assert "DTSTAMP" in shown
    assert "URL" not in shown  # nobody in a public feed may see the online link
    assert b"meet.example.com" not in client.get("/api/v1/events.ics").content


def test_public_feed_filters_and_conditional_get(client: TestClient, app: FastAPI) -> None:
    organizer = organizer_headers(app)
    bandung = create_event(client, organizer, city="Bandung")
    create_event(client, organizer, city="Jakarta")
    vevents = _parse(client.get("/api/v1/events.ics", params={"city": "bandung"}))
    assert set(vevents) == {f"event-{bandung['id']}@sanggar"}
    first = client.get("/api/v1/events.ics")
    again = client.get("/api/v1/events.ics", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304


def test_single_event_ics_and_sequence_after_edits(client: TestClient, app: FastAPI) -> None:
    organizer = organizer_headers(app)
    event = create_event(client, organizer, timezone="Europe/Berlin")
    path = f"{EVENTS}/{event['id']}.ics"
    before = _parse(client.get(path))[f"event-{event['id']}@sanggar"]
    assert before["SEQUENCE"] == 0
    assert before["DTSTART"].params["TZID"] == "Europe/Berlin"
    client.patch(f"{EVENTS}/{event['id']}", json={"title": "Riso II"}, headers=organizer)
    client.patch(f"{EVENTS}/{event['id']}", json={"status": "cancelled"}, headers=organizer)
    after = _parse(client.get(path))[f"event-{event['id']}@sanggar"]
    assert after["SEQUENCE"] == 2
    assert str(after["SUMMARY"]) == "Riso II"
    assert str(after["STATUS"]) == "CANCELLED"
    assert client.get(f"{EVENTS}/999999.ics").status_code == 404


def test_member_feed_with_a_token_lists_what_they_are_going_to(
    client: TestClient, app: FastAPI
) -> None:
    organizer = organizer_headers(app)
    url = "https://meet.example.com/b"
    going = create_event(client, organizer, online_url=url)
    cancelled = create_event(client, organizer)
    maybe = create_event(client, organizer)
    _, member = member_with_headers(app)
    rsvp(client, going["id"], member)
    rsvp(client, cancelled["id"], member)
    rsvp(client, maybe["id"], member, "interested")
    client.patch(f"{EVENTS}/{cancelled['id']}", json={"status": "cancelled"}, headers=organizer)

    issued = client.post("/api/v1/members/me/calendar-token", headers=member)
    assert issued.status_code == 201, issued.text
    token, feed_url = issued.json()["token"], issued.json()["url"]
    assert feed_url.startswith("http://testserver/api/v1/members/me/calendar.ics?token=")
    parts = urlsplit(feed_url)
    vevents = _parse(client.get(f"{parts.path}?{parts.query}"))  # no Authorization header
    assert set(vevents) == {f"event-{going['id']}@sanggar", f"event-{cancelled['id']}@sanggar"}
    assert str(vevents[f"event-{going['id']}@sanggar"]["URL"]) == url
    assert str(vevents[f"event-{cancelled['id']}@sanggar"]["STATUS"]) == "CANCELLED"

    reissued = client.post("/api/v1/members/me/calendar-token", headers=member).json()["token"]
    revoked = client.get(FEED, params={"token": token})
    assert revoked.status_code == 401
    assert revoked.headers["content-type"] == "application/problem+json"
    assert revoked.json()["code"] == "invalid_feed_token"
    assert client.get(FEED, params={"token": reissued}).status_code == 200
    assert client.delete("/api/v1/members/me/calendar-token", headers=member).status_code == 204
    assert client.get(FEED, params={"token": reissued}).status_code == 401


def test_member_feed_refuses_wrong_tokens(client: TestClient, app: FastAPI) -> None:
    assert client.get(FEED, params={"token": "sgr_feed_nope"}).status_code == 401
    assert client.get(FEED).status_code == 422
    assert client.post("/api/v1/members/me/calendar-token").status_code == 401


def test_feed_url_uses_the_public_base_url_when_set(app: FastAPI, engine: Engine) -> None:
    settings = make_settings(
        app.state.settings.database_url, public_base_url="https://sanggar.example.org/"
    )
    other = create_app(settings)
    try:
        _, member = member_with_headers(other)
        with TestClient(other) as client:
            body = client.post("/api/v1/members/me/calendar-token", headers=member).json()
        assert body["url"].startswith("https://sanggar.example.org/api/v1/members/me/calendar.ics")
    finally:
        other.state.engine.dispose()
