"""The idea box: idempotent upvotes, top and new, the organizers' answer."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx2 as httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.core.domain_events import DomainEvent, IdeaCreated, IdeaStatusChanged
from app.models import Role
from tests.conversation.helpers import API, ids, notifications, propose
from tests.factories import QueryCounter, auth_headers, data_of, make_member, member_with_headers


def test_members_propose_ideas(
    client: TestClient, app: FastAPI, published: list[DomainEvent]
) -> None:
    proposer, headers = member_with_headers(app)
    response = client.post(
        f"{API}/ideas",
        json={"title": "A print swap", "body": "Five in, five out."},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    idea = response.json()
    assert (idea["status"], idea["upvote_count"], idea["upvoted"]) == ("new", 0, False)
    assert (idea["response"], idea["author"]["id"]) == (None, proposer.id)
    assert client.get(response.headers["location"], headers=headers).json() == idea
    assert [data_of(e) for e in published if isinstance(e, IdeaCreated)] == [
        {"idea_id": idea["id"], "title": "A print swap"}
    ]
    for body in ({"title": "x" * 201, "body": "ok"}, {"title": "ok", "body": "x" * 5001}):
        assert client.post(f"{API}/ideas", json=body, headers=headers).status_code == 422


def test_upvoting_twice_counts_once(client: TestClient, app: FastAPI) -> None:
    _, proposer = member_with_headers(app)
    _, voter = member_with_headers(app)
    idea = propose(client, proposer)
    url = f"{API}/ideas/{idea['id']}/upvote"
    first, second = client.put(url, headers=voter), client.put(url, headers=voter)
    assert (first.status_code, second.status_code) == (200, 200)
    assert (second.json()["upvote_count"], second.json()["upvoted"]) == (1, True)
    assert client.put(url, headers=proposer).json()["upvote_count"] == 2  # own ideas too
    assert client.delete(url, headers=voter).status_code == 204
    assert client.delete(url, headers=voter).status_code == 204
    after = client.get(f"{API}/ideas/{idea['id']}", headers=voter).json()
    assert (after["upvote_count"], after["upvoted"]) == (1, False)
    assert client.put(f"{API}/ideas/999999/upvote", headers=voter).status_code == 404


def test_ideas_sorted_top_or_new(client: TestClient, app: FastAPI) -> None:
    _, proposer = member_with_headers(app)
    voters = [member_with_headers(app)[1] for _ in range(3)]
    old, mid, new = (propose(client, proposer, title=f"Idea {n}") for n in range(3))
    for headers in voters:
        client.put(f"{API}/ideas/{mid['id']}/upvote", headers=headers)
    client.put(f"{API}/ideas/{old['id']}/upvote", headers=voters[0])
    assert ids(client.get(f"{API}/ideas", headers=proposer)) == [mid["id"], old["id"], new["id"]]
    newest = client.get(f"{API}/ideas", params={"sort": "new"}, headers=proposer)
    assert ids(newest) == [new["id"], mid["id"], old["id"]]
    page = client.get(f"{API}/ideas", params={"sort": "top", "limit": 2}, headers=proposer).json()
    rest = client.get(
        f"{API}/ideas", params={"sort": "top", "cursor": page["next_cursor"]}, headers=proposer
    )
    assert [i["id"] for i in page["items"]] + ids(rest) == [mid["id"], old["id"], new["id"]]
    assert client.get(f"{API}/ideas", params={"sort": "hot"}, headers=proposer).status_code == 422


def test_organizers_answer_and_the_proposer_hears(
    client: TestClient, app: FastAPI, published: list[DomainEvent]
) -> None:
    proposer, headers = member_with_headers(app)
    organizer, staff = member_with_headers(app, role=Role.ORGANIZER)
    idea = propose(client, headers)
    url = f"{API}/ideas/{idea['id']}"
    refused = client.patch(url, json={"status": "planned"}, headers=headers)
    assert (refused.status_code, refused.json()["code"]) == (403, "organizer_only_fields")
    answered = client.patch(
        url, json={"status": "planned", "response": "Yes, in January!"}, headers=staff
    )
    assert answered.status_code == 200, answered.text
    assert (answered.json()["status"], answered.json()["response"]) == (
        "planned",
        "Yes, in January!",
    )
    assert answered.json()["responded_at"] is not None
    changed = [(e.actor_id, data_of(e)) for e in published if isinstance(e, IdeaStatusChanged)]
    assert changed == [
        (organizer.id, {"idea_id": idea["id"], "status": "planned", "proposer_id": proposer.id})
    ]
    feed = [n for n in notifications(client, headers) if n["type"] == "idea.status_changed"]
    assert len(feed) == 1 and feed[0]["body"] == "Yes, in January!"
    # Only a new status is news.
    client.patch(url, json={"response": "Yes, on 12 January!"}, headers=staff)
    assert len([e for e in published if isinstance(e, IdeaStatusChanged)]) == 1


def test_the_proposer_edits_only_while_new(client: TestClient, app: FastAPI) -> None:
    _, headers = member_with_headers(app)
    _, other = member_with_headers(app)
    _, staff = member_with_headers(app, role=Role.ORGANIZER)
    idea = propose(client, headers)
    url = f"{API}/ideas/{idea['id']}"
    assert client.patch(url, json={"title": "Mine"}, headers=other).status_code == 403
    assert client.patch(url, json={"title": "A zine swap"}, headers=headers).status_code == 200
    client.patch(url, json={"status": "under_review"}, headers=staff)
    late = client.patch(url, json={"title": "A zine and print swap"}, headers=headers)
    assert (late.status_code, late.json()["code"]) == (409, "idea_no_longer_new")


def test_status_filter_and_flat_query_counts(
    client: TestClient, app: FastAPI, queries: QueryCounter
) -> None:
    _, headers = member_with_headers(app)
    _, staff = member_with_headers(app, role=Role.ORGANIZER)
    made = [propose(client, member_with_headers(app)[1], title=f"Idea {n}") for n in range(6)]
    client.patch(f"{API}/ideas/{made[0]['id']}", json={"status": "done"}, headers=staff)
    done = client.get(f"{API}/ideas", params={"status": "done"}, headers=headers)
    assert ids(done) == [made[0]["id"]]
    counts = []
    for limit in (2, 6):
        queries.reset()
        assert (
            client.get(f"{API}/ideas", params={"limit": limit}, headers=headers).status_code == 200
        )
        counts.append(queries.count)
    assert counts[0] == counts[1]


def test_concurrent_upvotes_by_one_member_count_once(
    live: str, client: TestClient, app: FastAPI
) -> None:
    _, proposer = member_with_headers(app)
    idea = propose(client, proposer)
    voter = auth_headers(app, make_member(app))
    others = [auth_headers(app, make_member(app)) for _ in range(9)]

    def upvote(headers: dict[str, str]) -> int:
        with httpx.Client(base_url=live, timeout=60) as http:
            return http.put(f"{API}/ideas/{idea['id']}/upvote", headers=headers).status_code

    with ThreadPoolExecutor(max_workers=10) as pool:
        statuses = list(pool.map(upvote, [voter] * 20 + others))
    assert statuses == [200] * 29
    assert client.get(f"{API}/ideas/{idea['id']}", headers=proposer).json()["upvote_count"] == 10
