"""Finding a mentor: the directory of open mentors and the suggestions for the caller."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.models import Discipline
from tests.factories import (
    QueryCounter,
    auth_headers,
    make_member,
    make_mentor,
    member_with_headers,
)
from tests.mentoring.helpers import MENTORS, answer, request_mentorship


def _ids(
    client: TestClient, headers: dict[str, str], path: str = MENTORS, **params: str
) -> list[int]:
    response = client.get(path, params=params, headers=headers)
    assert response.status_code == 200, response.text
    return [item["member"]["id"] for item in response.json()["items"]]


def test_the_directory_lists_open_mentors_with_spots_left(client: TestClient, app: FastAPI) -> None:
    _, headers = member_with_headers(app)
    ink = make_mentor(app, topics=["Ink", "zines"], capacity=3)
    photo = make_mentor(app, topics=["street photography"], capacity=1)
    make_mentor(app, topics=["ink"], is_open=False)
    make_mentor(app, topics=["ink"], is_active=False)
    closed = make_mentor(app, topics=["ink"])
    client.patch("/api/v1/members/me", json={"mentoring": None}, headers=auth_headers(app, closed))
    make_member(app, skills=["ink"])

    response = client.get(MENTORS, headers=headers)
    assert response.status_code == 200
    items = response.json()["items"]
    assert [item["member"]["id"] for item in items] == [ink.id, photo.id]
    assert items[0]["spots_left"] == 3
    assert items[0]["member"]["mentoring"] == {
        "open": True,
        "topics": ["Ink", "zines"],
        "capacity": 3,
    }
    assert _ids(client, headers, topic="INK") == [ink.id]
    assert _ids(client, headers, topic="watercolor") == []


def test_available_filter_leaves_out_full_mentors(client: TestClient, app: FastAPI) -> None:
    _, headers = member_with_headers(app)
    full = make_mentor(app, topics=["ink"], capacity=1)
    free = make_mentor(app, topics=["ink"], capacity=1)
    _, mentee = member_with_headers(app)
    mentorship = request_mentorship(client, full, mentee)
    answer(client, mentorship["id"], auth_headers(app, full), "accepted")
    assert _ids(client, headers) == [full.id, free.id]
    assert _ids(client, headers, available="true") == [free.id]


def test_mentors_are_for_members_only(client: TestClient) -> None:
    assert client.get(MENTORS).status_code == 401
    assert client.get(f"{MENTORS}/suggestions").status_code == 401


def test_suggestions_put_a_topic_matching_mentor_with_spots_first(
    client: TestClient, app: FastAPI
) -> None:
    newcomer, headers = member_with_headers(
        app, city="Bandung", disciplines=[Discipline.ILLUSTRATION], skills=["Risograph"]
    )
    busy_expert = make_mentor(app, topics=["illustration", "risograph"], capacity=2)
    full_expert = make_mentor(app, topics=["illustration", "risograph"], capacity=1)
    neighbour = make_mentor(app, topics=["Illustration"], capacity=1, city="Bandung")
    roomy = make_mentor(app, topics=["illustration"], capacity=4, city="Jakarta")
    unrelated = make_mentor(app, topics=["video"], capacity=9, city="Bandung")
    make_mentor(app, topics=["illustration"], is_open=False)
    # The newcomer's own profile is never suggested to them.
    client.patch(
        "/api/v1/members/me",
        json={"mentoring": {"open": True, "topics": ["illustration"], "capacity": 5}},
        headers=headers,
    )
    _, other = member_with_headers(app)
    for mentor in (busy_expert, full_expert):
        taken = request_mentorship(client, mentor, other)
        answer(client, taken["id"], auth_headers(app, mentor), "accepted")

    response = client.get(f"{MENTORS}/suggestions", headers=headers)
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    # Two matching topics beat one; among one match, more spots first; the unmatched last.
    assert [i["member"]["id"] for i in items] == [
        busy_expert.id,
        roomy.id,
        neighbour.id,
        unrelated.id,
    ]
    first = items[0]
    assert first["matched_topics"] == ["illustration", "risograph"]
    assert (first["spots_left"], first["same_city"]) == (1, False)
    assert items[2]["matched_topics"] == ["Illustration"]
    assert items[2]["same_city"] is True
    assert items[3]["matched_topics"] == []
    assert newcomer.id not in [i["member"]["id"] for i in items]
    assert (
        len(
            client.get(f"{MENTORS}/suggestions", params={"limit": 2}, headers=headers).json()[
                "items"
            ]
        )
        == 2
    )
    assert (
        client.get(f"{MENTORS}/suggestions", params={"limit": 0}, headers=headers).status_code
        == 422
    )
    assert response.json()["next_cursor"] is None
    # The ranking pages like every list, a page at a time, in the same order.
    paged = _pages(client, headers, f"{MENTORS}/suggestions", limit=1)
    assert paged == [busy_expert.id, roomy.id, neighbour.id, unrelated.id]


def _pages(client: TestClient, headers: dict[str, str], path: str, *, limit: int) -> list[int]:
    ids: list[int] = []
    params: dict[str, str | int] = {"limit": limit}
    while True:
        response = client.get(path, params=params, headers=headers)
        assert response.status_code == 200, response.text
        page = response.json()
        assert len(page["items"]) <= limit
        ids += [item["member"]["id"] for item in page["items"]]
        if page["next_cursor"] is None:
            return ids
        params["cursor"] = page["next_cursor"]


def test_suggestions_take_up_to_a_hundred_and_page_on_both_tie_breaks(
    client: TestClient, app: FastAPI
) -> None:
    _, headers = member_with_headers(app, city="Solo", skills=["ink"])
    mentors = [
        make_mentor(app, topics=["ink"] if n % 2 else ["clay"], capacity=1 + n % 3, city=city)
        for n, city in enumerate(["Solo", "Medan", "solo", "Bali", "Solo", "Medan", "Bali"])
    ]
    whole = client.get(f"{MENTORS}/suggestions", params={"limit": 100}, headers=headers)
    assert whole.status_code == 200, whole.text
    ranked = [item["member"]["id"] for item in whole.json()["items"]]
    assert len(ranked) == len(mentors) and set(ranked) == {m.id for m in mentors}
    for limit in (1, 2, 3):
        assert _pages(client, headers, f"{MENTORS}/suggestions", limit=limit) == ranked
    too_many = client.get(f"{MENTORS}/suggestions", params={"limit": 101}, headers=headers)
    assert too_many.status_code == 422


def test_same_city_breaks_a_tie_of_topics_and_spots(client: TestClient, app: FastAPI) -> None:
    _, headers = member_with_headers(app, city="Yogyakarta", skills=["poetry"])
    elsewhere = make_mentor(app, topics=["poetry"], capacity=2, city="Medan")
    nearby = make_mentor(app, topics=["poetry"], capacity=2, city="yogyakarta")
    assert _ids(client, headers, f"{MENTORS}/suggestions") == [nearby.id, elsewhere.id]


def test_suggestions_leave_out_my_current_mentors(client: TestClient, app: FastAPI) -> None:
    _, headers = member_with_headers(app, skills=["poetry"])
    asked = make_mentor(app, topics=["poetry"], capacity=2)
    other = make_mentor(app, topics=["poetry"], capacity=2)
    request_mentorship(client, asked, headers)
    assert _ids(client, headers, f"{MENTORS}/suggestions") == [other.id]


def test_mentor_list_query_count_does_not_grow_with_page_size(
    client: TestClient, app: FastAPI, queries: QueryCounter
) -> None:
    _, headers = member_with_headers(app, skills=["ink"])
    for n in range(10):
        make_mentor(
            app, topics=[f"topic{n}", "ink"], skills=["zines"], disciplines=[Discipline.CRAFT]
        )
    for path, param in ((MENTORS, "limit"), (f"{MENTORS}/suggestions", "limit")):
        counts = {}
        for limit in (2, 10):
            queries.reset()
            items = client.get(path, params={param: limit}, headers=headers).json()["items"]
            assert len(items) == limit
            counts[limit] = queries.count
        assert counts[2] == counts[10], (path, counts)


def test_a_newcomer_without_skills_or_city_gets_mentors_by_spots(
    client: TestClient, app: FastAPI
) -> None:
    _, headers = member_with_headers(app)
    small = make_mentor(app, topics=["ink"], capacity=1, city="Medan")
    large = make_mentor(app, topics=["poetry"], capacity=3)
    response = client.get(f"{MENTORS}/suggestions", headers=headers)
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert [i["member"]["id"] for i in items] == [large.id, small.id]
    assert [(i["matched_topics"], i["same_city"]) for i in items] == [([], False), ([], False)]
