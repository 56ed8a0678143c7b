"""Events over HTTP: who may create, see and edit them, validation, filters, check-ins."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.core.domain_events import (
    DomainEvent,
    EventAttended,
    EventCancelled,
    EventPublished,
    EventStatusChanged,
)
from app.models import Role
from tests.events.helpers import (
    EVENTS,
    create_event,
    event_body,
    local_time,
    organizer_headers,
    rsvp,
)
from tests.factories import QueryCounter, make_member, member_with_headers


def test_organizer_creates_an_event_with_times_in_utc(client: TestClient, app: FastAPI) -> None:
    headers = organizer_headers(app)
    starts = local_time(10, hour=19)
    response = client.post(
        EVENTS,
        json=event_body(
            starts_at=starts.isoformat(),
            ends_at=(starts + timedelta(hours=2)).isoformat(),
            capacity=12,
        ),
        headers=headers,
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert response.headers["location"] == f"/api/v1/events/{body['id']}"
    assert body["starts_at"] == starts.astimezone(UTC).isoformat().replace("+00:00", "Z")
    assert body["timezone"] == "Asia/Jakarta"
    assert (body["going_count"], body["waitlist_count"], body["spots_left"]) == (0, 0, 12)
    assert body["series_id"] is None
    assert body["sequence"] == 0


def test_spots_left_is_null_without_capacity(client: TestClient, app: FastAPI) -> None:
    body = create_event(client, organizer_headers(app))
    assert body["capacity"] is None
    assert body["spots_left"] is None


@pytest.mark.parametrize("role", [Role.MEMBER, Role.MENTOR])
def test_plain_members_cannot_create_or_edit_events(
    client: TestClient, app: FastAPI, role: Role
) -> None:
    event = create_event(client, organizer_headers(app))
    _, headers = member_with_headers(app, role=role)
    created = client.post(EVENTS, json=event_body(), headers=headers)
    assert created.status_code == 403
    assert created.headers["content-type"] == "application/problem+json"
    edited = client.patch(f"{EVENTS}/{event['id']}", json={"title": "Mine"}, headers=headers)
    assert edited.status_code == 403
    assert client.delete(f"{EVENTS}/{event['id']}", headers=headers).status_code == 403
    assert client.post(EVENTS, json=event_body()).status_code == 401


def test_drafts_are_hidden_from_members_and_anonymous_visitors(
    client: TestClient, app: FastAPI
) -> None:
    organizer = organizer_headers(app)
    draft = create_event(client, organizer, status="draft")
    published = create_event(client, organizer)
    _, member = member_with_headers(app)
    for headers in (member, {}):
        assert client.get(f"{EVENTS}/{draft['id']}", headers=headers).status_code == 404
        assert client.get(f"{EVENTS}/{draft['id']}.ics", headers=headers).status_code == 404
        listed = client.get(EVENTS, headers=headers).json()["items"]
        assert [e["id"] for e in listed] == [published["id"]]
    answer = client.put(f"{EVENTS}/{draft['id']}/rsvp", json={"status": "going"}, headers=member)
    assert answer.status_code == 404
    assert client.get(f"{EVENTS}/{draft['id']}", headers=organizer).status_code == 200
    organizer_list = client.get(EVENTS, headers=organizer).json()["items"]
    assert {e["id"] for e in organizer_list} == {draft["id"], published["id"]}
    drafts = client.get(EVENTS, params={"status": "draft"}, headers=organizer).json()["items"]
    assert [e["id"] for e in drafts] == [draft["id"]]


def test_online_url_is_shown_only_to_organizers_and_members_going(
    client: TestClient, app: FastAPI
) -> None:
    organizer = organizer_headers(app)
    url = "https://meet.example.com/riso"
    event = create_event(client, organizer, online_url=url, capacity=1)
    path = f"{EVENTS}/{event['id']}"
    _, going = member_with_headers(app)
    _, waitlisted = member_with_headers(app)
    _, other = member_with_headers(app)
    rsvp(client, event["id"], going)
    rsvp(client, event["id"], waitlisted)
    assert event["online_url"] == url
    assert client.get(path, headers=organizer).json()["online_url"] == url
    assert client.get(path, headers=going).json()["online_url"] == url
    assert client.get(path, headers=waitlisted).json()["online_url"] is None
    assert client.get(path, headers=other).json()["online_url"] is None
    assert client.get(path).json()["online_url"] is None
    listed = client.get(EVENTS, headers=other).json()["items"]
    assert listed[0]["online_url"] is None
    assert client.get(EVENTS, headers=going).json()["items"][0]["online_url"] == url


def test_my_rsvp_status_is_part_of_the_event(client: TestClient, app: FastAPI) -> None:
    event = create_event(client, organizer_headers(app))
    _, member = member_with_headers(app)
    path = f"{EVENTS}/{event['id']}"
    assert client.get(path, headers=member).json()["my_rsvp_status"] is None
    rsvp(client, event["id"], member, "interested")
    assert client.get(path, headers=member).json()["my_rsvp_status"] == "interested"
    assert client.get(path).json()["my_rsvp_status"] is None


def test_patch_with_a_stale_if_match_is_412(client: TestClient, app: FastAPI) -> None:
    organizer = organizer_headers(app)
    event = create_event(client, organizer)
    path = f"{EVENTS}/{event['id']}"
    etag = client.get(path, headers=organizer).headers["etag"]
    first = client.patch(
        path, json={"title": "Riso, part one"}, headers={**organizer, "If-Match": etag}
    )
    assert first.status_code == 200, first.text
    assert first.json()["sequence"] == 1
    second = client.patch(
        path, json={"title": "Riso, take two"}, headers={**organizer, "If-Match": etag}
    )
    assert second.status_code == 412
    assert second.json()["code"] == "etag_mismatch"
    assert client.get(path).json()["title"] == "Riso, part one"
    third = client.patch(
        path, json={"title": "Riso"}, headers={**organizer, "If-Match": first.headers["etag"]}
    )
    assert third.status_code == 200


def test_patch_without_changes_keeps_the_sequence(client: TestClient, app: FastAPI) -> None:
    organizer = organizer_headers(app)
    event = create_event(client, organizer)
    same = client.patch(
        f"{EVENTS}/{event['id']}", json={"title": event["title"]}, headers=organizer
    )
    assert same.json()["sequence"] == 0


def test_get_honours_if_none_match(client: TestClient, app: FastAPI) -> None:
    event = create_event(client, organizer_headers(app))
    path = f"{EVENTS}/{event['id']}"
    etag = client.get(path).headers["etag"]
    assert client.get(path, headers={"If-None-Match": etag}).status_code == 304


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"timezone": "Mars/Olympus_Mons"}, "timezone"),
        ({"timezone": "../../etc/passwd"}, "timezone"),
        ({"ends_at": local_time(13).isoformat()}, "ends_at"),
        ({"starts_at": "2026-12-01T19:00:00"}, "starts_at"),  # no offset
        ({"starts_at": "0001-01-01T00:00:00+01:00"}, "starts_at"),
        ({"capacity": 0}, "capacity"),
        ({"kind": "rave"}, "kind"),
        ({"title": "Riso\x00"}, "title"),
        ({"online_url": "ftp://example.com/x"}, "online_url"),
        ({"repeat": {"frequency": "weekly", "count": 1}}, "repeat"),
        ({"repeat": {"frequency": "daily", "count": 3}}, "repeat"),
        ({"going_count": 3}, "going_count"),
    ],
)
def test_invalid_events_are_422_problems(
    client: TestClient, app: FastAPI, changes: dict[str, object], field: str
) -> None:
    response = client.post(EVENTS, json=event_body(**changes), headers=organizer_headers(app))
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["code"] == "validation_failed"
    assert any(field in error["loc"] for error in problem["errors"])


def test_patch_ends_before_the_stored_start_is_422(client: TestClient, app: FastAPI) -> None:
    organizer = organizer_headers(app)
    event = create_event(client, organizer)
    response = client.patch(
        f"{EVENTS}/{event['id']}", json={"ends_at": event["starts_at"]}, headers=organizer
    )
    assert response.status_code == 422
    assert response.json()["code"] == "ends_before_start"
    nulled = client.patch(f"{EVENTS}/{event['id']}", json={"title": None}, headers=organizer)
    assert nulled.status_code == 422


def test_filters_and_order(client: TestClient, app: FastAPI) -> None:
    organizer = organizer_headers(app)
    later = create_event(client, organizer, **_at(20), city="Bandung", kind="meetup")
    sooner = create_event(client, organizer, **_at(5), city="Jakarta")
    middle = create_event(client, organizer, **_at(10), city="bandung")

    def ids(**params: str) -> list[int]:
        response = client.get(EVENTS, params=params)
        assert response.status_code == 200, response.text
        return [e["id"] for e in response.json()["items"]]

    assert ids() == [sooner["id"], middle["id"], later["id"]]
    assert ids(city="BANDUNG") == [middle["id"], later["id"]]
    assert ids(kind="meetup") == [later["id"]]
    assert ids(starts_after=middle["starts_at"]) == [middle["id"], later["id"]]
    assert ids(starts_before=middle["starts_at"]) == [sooner["id"]]
    page = client.get(EVENTS, params={"limit": 2}).json()
    assert [e["id"] for e in page["items"]] == [sooner["id"], middle["id"]]
    rest = client.get(EVENTS, params={"limit": 2, "cursor": page["next_cursor"]}).json()
    assert [e["id"] for e in rest["items"]] == [later["id"]]
    assert rest["next_cursor"] is None
    assert client.get(EVENTS, params={"starts_after": "yesterday"}).status_code == 422


def _at(days: int) -> dict[str, str]:
    starts = local_time(days)
    return {"starts_at": starts.isoformat(), "ends_at": (starts + timedelta(hours=2)).isoformat()}


def test_event_list_query_count_does_not_grow_with_page_size(
    client: TestClient, app: FastAPI, queries: QueryCounter
) -> None:
    organizer = organizer_headers(app)
    _, member = member_with_headers(app)
    for day in range(1, 13):
        event = create_event(client, organizer, **_at(day), online_url="https://x.example.com")
        rsvp(client, event["id"], member)

    def count(limit: int) -> int:
        queries.reset()
        response = client.get(EVENTS, params={"limit": limit}, headers=member)
        assert response.status_code == 200
        assert len(response.json()["items"]) == limit
        return queries.count

    assert count(2) == count(12)


def test_an_event_and_a_page_of_events_cost_one_statement(
    client: TestClient, app: FastAPI, queries: QueryCounter
) -> None:
    """The viewer's RSVP is joined in; covers are read only for events that have one
    (app.events.reads)."""
    organizer = organizer_headers(app)
    _, member = member_with_headers(app)
    event = create_event(client, organizer, **_at(1), online_url="https://x.example.com")
    rsvp(client, event["id"], member)
    for url, params in ((f"{EVENTS}/{event['id']}", {}), (EVENTS, {"limit": 5})):
        queries.reset()
        response = client.get(url, params=params, headers=member)
        assert response.status_code == 200
        assert queries.count == 1, (url, queries.statements)
    shown = client.get(f"{EVENTS}/{event['id']}", headers=member).json()
    assert shown["my_rsvp_status"] == "going" and shown["online_url"] is not None


def test_delete_is_organizer_only_and_removes_the_event(client: TestClient, app: FastAPI) -> None:
    organizer = organizer_headers(app)
    event = create_event(client, organizer)
    _, member = member_with_headers(app)
    rsvp(client, event["id"], member)
    assert client.delete(f"{EVENTS}/{event['id']}", headers=member).status_code == 403
    assert client.delete(f"{EVENTS}/{event['id']}", headers=organizer).status_code == 204
    assert client.get(f"{EVENTS}/{event['id']}").status_code == 404
    assert client.delete(f"{EVENTS}/{event['id']}", headers=organizer).status_code == 404


def test_status_cannot_go_back_to_draft(client: TestClient, app: FastAPI) -> None:
    organizer = organizer_headers(app)
    event = create_event(client, organizer)
    response = client.patch(f"{EVENTS}/{event['id']}", json={"status": "draft"}, headers=organizer)
    assert response.status_code == 409
    assert response.json()["code"] == "cannot_unpublish"


def test_publishing_and_cancelling_publish_domain_events(
    client: TestClient, app: FastAPI, published: list[DomainEvent]
) -> None:
    organizer = organizer_headers(app)
    event = create_event(client, organizer, status="draft")
    path = f"{EVENTS}/{event['id']}"
    assert [e for e in published if isinstance(e, EventStatusChanged)] == []
    client.patch(path, json={"status": "published"}, headers=organizer)
    client.patch(path, json={"status": "cancelled"}, headers=organizer)
    assert [e for e in published if isinstance(e, EventStatusChanged)] == [
        EventPublished(actor_id=event["created_by_id"], event_id=event["id"]),
        EventCancelled(actor_id=event["created_by_id"], event_id=event["id"]),
    ]


def test_check_in_is_201_then_200_with_the_same_check_in(
    client: TestClient, app: FastAPI, published: list[DomainEvent]
) -> None:
    organizer = organizer_headers(app)
    event = create_event(client, organizer)
    member = make_member(app)
    path = f"{EVENTS}/{event['id']}/check-ins"
    first = client.post(path, json={"member_id": member.id}, headers=organizer)
    assert first.status_code == 201, first.text
    assert first.headers["location"] == f"{path}/{member.id}"
    body = first.json()
    assert (body["event_id"], body["member_id"]) == (event["id"], member.id)
    again = client.post(path, json={"member_id": member.id}, headers=organizer)
    assert again.status_code == 200
    assert again.json() == body
    attended = [e for e in published if isinstance(e, EventAttended)]
    assert [(e.actor_id, e.event_id, e.member_id) for e in attended] == [
        (member.id, event["id"], member.id)
    ]
    assert client.get(f"{path}/{member.id}", headers=organizer).json() == body
    listed = client.get(path, headers=organizer).json()["items"]
    assert [c["member_id"] for c in listed] == [member.id]


def test_check_in_rules(client: TestClient, app: FastAPI) -> None:
    organizer = organizer_headers(app)
    event = create_event(client, organizer)
    draft = create_event(client, organizer, status="draft")
    member, member_headers = member_with_headers(app)
    path = f"{EVENTS}/{event['id']}/check-ins"
    forbidden = client.post(path, json={"member_id": member.id}, headers=member_headers)
    assert forbidden.status_code == 403
    unknown = client.post(path, json={"member_id": 999_999}, headers=organizer)
    assert (unknown.status_code, unknown.json()["code"]) == (404, "member_not_found")
    not_open = client.post(
        f"{EVENTS}/{draft['id']}/check-ins", json={"member_id": member.id}, headers=organizer
    )
    assert (not_open.status_code, not_open.json()["code"]) == (409, "event_not_published")
    missing = client.get(f"{path}/{member.id}", headers=organizer)
    assert missing.status_code == 404


def test_event_times_accept_any_offset(client: TestClient, app: FastAPI) -> None:
    starts = datetime(2031, 5, 1, 12, tzinfo=UTC)
    body = create_event(
        client,
        organizer_headers(app),
        starts_at="2031-05-01T19:00:00+07:00",
        ends_at="2031-05-01T14:00:00Z",
    )
    assert body["starts_at"] == starts.isoformat().replace("+00:00", "Z")
    assert body["ends_at"] == "2031-05-01T14:00:00Z"
