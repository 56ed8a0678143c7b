"""Leaderboard, badges and awards over HTTP: ranks, periods, filters, access."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.core.clock import utcnow
from app.core.domain_events import PostCreated
from app.models import ContributionKind, Member, Role
from tests.factories import QueryCounter, auth_headers, make_member, member_with_headers
from tests.recognition.helpers import comment_created, id_of, publish_to_recognition, record

LEADERBOARD = "/api/v1/leaderboard"
Kind = ContributionKind


def _earn(app: FastAPI, member: Member, kinds: list[ContributionKind], days_ago: int = 0) -> None:
    for kind in kinds:
        record(app, member, kind, utcnow() - timedelta(days=days_ago))


def _all_pages(client: TestClient, headers: dict[str, str], limit: int, **params: Any) -> list[Any]:
    items: list[Any] = []
    cursor = None
    while True:
        query = {"limit": limit, **params, **({"cursor": cursor} if cursor else {})}
        response = client.get(LEADERBOARD, params=query, headers=headers)
        assert response.status_code == 200, response.text
        items += response.json()["items"]
        cursor = response.json()["next_cursor"]
        if cursor is None:
            return items


def _ranked(app: FastAPI) -> list[Member]:
    members = [make_member(app) for _ in range(5)]
    _earn(app, members[0], [Kind.SUBMISSION] * 3)  # 30
    _earn(app, members[1], [Kind.SUBMISSION] * 2)  # 20
    _earn(app, members[2], [Kind.SUBMISSION, Kind.EVENT_ATTENDED, Kind.EVENT_ATTENDED])  # 20
    _earn(app, members[3], [Kind.SUBMISSION])  # 10
    _earn(app, members[4], [Kind.EVENT_ATTENDED])  # 5
    return members


def test_ties_share_a_rank_on_every_page_size(app: FastAPI, client: TestClient) -> None:
    members = _ranked(app)
    headers = auth_headers(app, members[4])
    expected = [
        (1, 30, members[0].id),
        (2, 20, members[1].id),
        (2, 20, members[2].id),
        (4, 10, members[3].id),
        (5, 5, members[4].id),
    ]
    for limit in (1, 2, 3, 20):
        items = _all_pages(client, headers, limit, period="all")
        assert [(i["rank"], i["points"], i["member"]["id"]) for i in items] == expected, limit


def test_the_default_period_is_this_month_and_weeks_and_months_start_fresh(
    app: FastAPI, client: TestClient
) -> None:
    now, old, last_week = make_member(app), make_member(app), make_member(app)
    _earn(app, now, [Kind.VOTE])
    _earn(app, old, [Kind.SUBMISSION], days_ago=40)  # always last month or before
    _earn(app, last_week, [Kind.IDEA], days_ago=8)  # always last week or before
    headers = auth_headers(app, now)

    def ids(**params: Any) -> set[int | None]:
        body = client.get(LEADERBOARD, params=params, headers=headers).json()
        return {item["member"]["id"] for item in body["items"]}

    body = client.get(LEADERBOARD, headers=headers).json()
    assert body["period"] == "month"
    assert body["period_start"] == utcnow().date().replace(day=1).isoformat()
    assert old.id not in ids() and now.id in ids()
    assert ids(period="week") == {now.id}
    assert ids(period="all") == {now.id, old.id, last_week.id}


def test_the_discipline_filter_ranks_among_members_of_that_discipline(
    app: FastAPI, client: TestClient
) -> None:
    writer = make_member(app, disciplines=["writing"])
    photographer = make_member(app, disciplines=["photography", "writing"])
    designer = make_member(app, disciplines=["design"])
    _earn(app, designer, [Kind.SUBMISSION] * 5)
    _earn(app, photographer, [Kind.SUBMISSION] * 2)
    _earn(app, writer, [Kind.SUBMISSION])
    headers = auth_headers(app, writer)
    body = client.get(LEADERBOARD, params={"discipline": "writing"}, headers=headers).json()
    assert [(i["rank"], i["member"]["id"]) for i in body["items"]] == [
        (1, photographer.id),
        (2, writer.id),
    ]


def test_deactivated_members_leave_the_leaderboard(app: FastAPI, client: TestClient) -> None:
    gone = make_member(app, is_active=False)
    present = make_member(app)
    _earn(app, gone, [Kind.SUBMISSION] * 2)
    _earn(app, present, [Kind.SUBMISSION])
    body = client.get(LEADERBOARD, headers=auth_headers(app, present)).json()
    assert [(i["rank"], i["member"]["id"]) for i in body["items"]] == [(1, present.id)]


def test_points_show_on_the_profile(app: FastAPI, client: TestClient) -> None:
    member = make_member(app)
    _earn(app, member, [Kind.SUBMISSION, Kind.VOTE, Kind.COMMENT])
    assert client.get(f"/api/v1/members/{member.id}").json()["points"] == 13


def test_the_leaderboard_is_for_members_and_validates_its_filters(
    app: FastAPI, client: TestClient
) -> None:
    assert client.get(LEADERBOARD).status_code == 401
    headers = member_with_headers(app)[1]
    assert client.get(LEADERBOARD, params={"period": "year"}, headers=headers).status_code == 422
    assert client.get(LEADERBOARD, params={"limit": 0}, headers=headers).status_code == 422


def test_leaderboard_queries_do_not_grow_with_the_page(
    app: FastAPI, client: TestClient, queries: QueryCounter
) -> None:
    members = _ranked(app)
    headers = auth_headers(app, members[0])

    def count(limit: int) -> int:
        queries.reset()
        response = client.get(LEADERBOARD, params={"limit": limit}, headers=headers)
        assert len(response.json()["items"]) == limit
        return queries.count

    # The page with its members, and the rank of its first row.
    assert count(1) == count(5) == 2


# --- badges and awards ---------------------------------------------------------------------


def test_the_catalogue_lists_every_badge_with_its_holders(
    app: FastAPI, client: TestClient, session: Session
) -> None:
    organizer = make_member(app, role=Role.ORGANIZER)
    a, b = make_member(app), make_member(app)
    for member in (a, b):
        _award(client, app, organizer, member)
    for n, member in enumerate((a, b, a)):
        publish_to_recognition(app, PostCreated(actor_id=member.id, post_id=n, thread_id=1))
    for n in range(10):
        publish_to_recognition(
            app,
            comment_created(a.id, n, on_work_of=id_of(b)),
        )
    body = client.get("/api/v1/badges", headers=auth_headers(app, a)).json()
    holders = {item["code"]: item["holders"] for item in body["items"]}
    assert len(holders) == 7
    assert holders["ten_comments"] == 1
    assert holders["first_submission"] == 0
    assert body["awards_granted"] == 2
    assert body["next_cursor"] is None
    assert client.get("/api/v1/badges").status_code == 401


def test_the_catalogue_is_paged_like_every_list(app: FastAPI, client: TestClient) -> None:
    headers = auth_headers(app, make_member(app))
    codes: list[str] = []
    params: dict[str, Any] = {"limit": 3}
    while True:
        response = client.get("/api/v1/badges", params=params, headers=headers)
        assert response.status_code == 200, response.text
        page = response.json()
        assert len(page["items"]) <= 3 and "awards_granted" in page
        codes += [item["code"] for item in page["items"]]
        if page["next_cursor"] is None:
            break
        params["cursor"] = page["next_cursor"]
    whole = client.get("/api/v1/badges", params={"limit": 100}, headers=headers).json()
    assert codes == [item["code"] for item in whole["items"]] and len(codes) == 7
    for bad in ({"limit": 0}, {"limit": 101}):
        assert client.get("/api/v1/badges", params=bad, headers=headers).status_code == 422
    forged = client.get("/api/v1/badges", params={"cursor": "WyJub3BlIl0"}, headers=headers)
    assert (forged.status_code, forged.json()["code"]) == (400, "invalid_cursor")


def _award(client: TestClient, app: FastAPI, organizer: Member, member: Member, **body: Any) -> Any:
    response = client.post(
        f"/api/v1/members/{member.id}/awards",
        json={"title": "Most creative member, November", **body},
        headers=auth_headers(app, organizer),
    )
    assert response.status_code == 201, response.text
    return response


def test_an_organizer_grants_an_award_that_joins_the_public_badges(
    app: FastAPI, client: TestClient
) -> None:
    organizer = make_member(app, role=Role.ORGANIZER)
    member, headers = member_with_headers(app)
    response = _award(client, app, organizer, member, note="For the zine workshop.")
    award = response.json()
    assert award["kind"] == "award" and award["code"] is None
    assert award["reason"] == "For the zine workshop."
    assert award["awarded_by_id"] == organizer.id
    assert client.get(response.headers["Location"]).json() == award

    listed = client.get(f"/api/v1/members/{member.id}/badges").json()
    assert listed == {"items": [award], "next_cursor": None}
    notes = client.get("/api/v1/notifications", headers=headers).json()["items"]
    assert [n["type"] for n in notes if n["type"] == "badge.awarded"] == ["badge.awarded"]


def test_only_organizers_grant_awards_and_only_to_members_that_exist(
    app: FastAPI, client: TestClient
) -> None:
    member, headers = member_with_headers(app)
    path = f"/api/v1/members/{member.id}/awards"
    assert client.post(path, json={"title": "Me"}).status_code == 401
    assert client.post(path, json={"title": "Me"}, headers=headers).status_code == 403
    organizer = auth_headers(app, make_member(app, role=Role.ORGANIZER))
    assert client.post(path, json={"title": " "}, headers=organizer).status_code == 422
    missing = client.post("/api/v1/members/999999/awards", json={"title": "X"}, headers=organizer)
    assert missing.status_code == 404
    assert client.get("/api/v1/members/999999/badges").status_code == 404
    assert client.get(f"/api/v1/members/{member.id}/badges/999999").status_code == 404


def test_member_badges_page_newest_first(app: FastAPI, client: TestClient) -> None:
    organizer = make_member(app, role=Role.ORGANIZER)
    member = make_member(app)
    ids = [
        _award(client, app, organizer, member, title=f"Award {n}").json()["id"] for n in range(3)
    ]
    first = client.get(f"/api/v1/members/{member.id}/badges", params={"limit": 2}).json()
    second = client.get(
        f"/api/v1/members/{member.id}/badges",
        params={"limit": 2, "cursor": first["next_cursor"]},
    ).json()
    assert [b["id"] for b in first["items"] + second["items"]] == ids[::-1]
    assert second["next_cursor"] is None
