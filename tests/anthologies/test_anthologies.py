"""Anthologies over HTTP: who may make them, which works go in, order, notes, visibility."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx2 as httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.core import domain_events
from app.core.domain_events import AnthologyPublished
from app.models import Role
from tests.anthologies.helpers import ANTHOLOGIES, closed_challenge, create, disqualify
from tests.challenges.helpers import SUBMISSIONS, organizer
from tests.factories import QueryCounter, member_with_headers


def _excluded(body: dict[str, Any]) -> dict[int, str]:
    return {item["submission_id"]: item["reason"] for item in body["excluded"]}


def _titles(body: dict[str, Any]) -> list[str]:
    return [item["title"] for item in body["items"]]


def test_members_cannot_create_anthologies(client: TestClient, app: FastAPI) -> None:
    _, member = member_with_headers(app, role=Role.MENTOR)
    response = client.post(ANTHOLOGIES, json={"title": "Mine"}, headers=member)
    assert response.status_code == 403
    assert client.post(ANTHOLOGIES, json={"title": "Mine"}).status_code == 401


def test_works_without_consent_are_left_out_and_reported(client: TestClient, app: FastAPI) -> None:
    headers = organizer(app)
    _, works, _ = closed_challenge(client, app, headers, [2, 1, 0], consents=[True, False, True])
    ids = [works[0]["id"], works[1]["id"], works[2]["id"]]
    body = create(client, headers, submission_ids=ids)
    assert [item["submission_id"] for item in body["items"]] == [works[0]["id"], works[2]["id"]]
    assert [item["position"] for item in body["items"]] == [1, 2]
    assert _excluded(body) == {works[1]["id"]: "no_consent"}
    assert body["work_count"] == 2
    item = body["items"][0]
    assert item["license"] == "CC-BY-4.0"
    assert item["author"]["display_name"] == "Author 0"
    assert item["challenge"]["title"] == "Monthly writing challenge"


def test_disqualified_works_never_go_in(client: TestClient, app: FastAPI) -> None:
    headers = organizer(app)
    _, works, _ = closed_challenge(client, app, headers, [2, 1])
    disqualify(client, headers, works[0]["id"])
    body = create(client, headers, submission_ids=[w["id"] for w in works])
    assert _titles(body) == ["Story 1"]
    assert _excluded(body) == {works[0]["id"]: "disqualified"}


def test_works_of_a_running_challenge_stay_out(client: TestClient, app: FastAPI) -> None:
    headers = organizer(app)
    _, works, _ = closed_challenge(client, app, headers, [1], phase="voting")
    body = create(client, headers, submission_ids=[works[0]["id"]])
    assert body["items"] == []
    assert _excluded(body) == {works[0]["id"]: "challenge_not_closed"}


def test_challenge_winners_are_collected_with_ties_at_the_cut_off(
    client: TestClient, app: FastAPI
) -> None:
    headers = organizer(app)
    challenge, works, _ = closed_challenge(
        client,
        app,
        headers,
        [1, 3, 1, 0, 2],
        consents=[True, True, True, True, False],
        winners_count=3,
    )
    body = create(client, headers, challenge_ids=[challenge["id"]])
    # Results order: 3 votes, 2 (no consent: reported), then the two tied at 1 by entry.
    assert _titles(body) == ["Story 1", "Story 0", "Story 2"]
    assert _excluded(body) == {works[4]["id"]: "no_consent"}


def test_winners_of_a_disqualified_winner_move_up(client: TestClient, app: FastAPI) -> None:
    headers = organizer(app)
    challenge, works, _ = closed_challenge(client, app, headers, [3, 2, 1], winners_count=2)
    disqualify(client, headers, works[0]["id"])
    body = create(client, headers, challenge_ids=[challenge["id"]])
    assert _titles(body) == ["Story 1", "Story 2"]


def test_challenge_ids_must_name_closed_challenges(client: TestClient, app: FastAPI) -> None:
    headers = organizer(app)
    running, _, _ = closed_challenge(client, app, headers, [1], phase="voting")
    response = client.post(
        ANTHOLOGIES, json={"title": "Too soon", "challenge_ids": [running["id"]]}, headers=headers
    )
    assert response.status_code == 409
    assert response.json()["code"] == "challenge_not_closed"
    response = client.post(
        ANTHOLOGIES, json={"title": "Nothing", "challenge_ids": [999_999]}, headers=headers
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "challenge_ids", 0]


def test_one_source_of_works_at_a_time(client: TestClient, app: FastAPI) -> None:
    headers = organizer(app)
    for body in (
        {"submission_ids": [1], "entries": [{"submission_id": 2}]},
        {"submission_ids": [1], "challenge_ids": [1]},
        {"submission_ids": [1, 1]},
        {"entries": [{"submission_id": 3}, {"submission_id": 3}]},
    ):
        response = client.post(ANTHOLOGIES, json={"title": "x", **body}, headers=headers)
        assert response.status_code == 422, body


def test_entries_set_the_order_and_the_editor_notes(client: TestClient, app: FastAPI) -> None:
    headers = organizer(app)
    _, works, _ = closed_challenge(client, app, headers, [1, 0, 0])
    entries = [
        {"submission_id": works[2]["id"], "editor_note": "Opens the book."},
        {"submission_id": works[0]["id"]},
    ]
    body = create(client, headers, entries=entries)
    assert _titles(body) == ["Story 2", "Story 0"]
    assert [i["editor_note"] for i in body["items"]] == ["Opens the book.", ""]
    response = client.patch(
        f"{ANTHOLOGIES}/{body['id']}",
        json={"submission_ids": [works[0]["id"], works[1]["id"]]},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    assert _titles(response.json()) == ["Story 0", "Story 1"]


def test_withdrawn_consent_takes_a_work_out_until_given_again(
    client: TestClient, app: FastAPI
) -> None:
    headers = organizer(app)
    _, works, authors = closed_challenge(client, app, headers, [1, 0])
    body = create(client, headers, submission_ids=[w["id"] for w in works], status="published")
    url = f"{ANTHOLOGIES}/{body['id']}"
    withdraw = {"anthology_consent": False}
    response = client.patch(f"{SUBMISSIONS}/{works[0]['id']}", json=withdraw, headers=authors[0])
    assert response.status_code == 200, response.text
    read = client.get(url, headers=headers).json()
    assert _titles(read) == ["Story 1"]
    assert _excluded(read) == {works[0]["id"]: "no_consent"}
    public = client.get(url).json()
    assert _titles(public) == ["Story 1"]
    assert public["excluded"] == []  # who declined is the organizers' business
    give = {"anthology_consent": True}
    client.patch(f"{SUBMISSIONS}/{works[0]['id']}", json=give, headers=authors[0])
    assert _titles(client.get(url).json()) == ["Story 0", "Story 1"]


def test_drafts_are_hidden_from_everyone_but_organizers(client: TestClient, app: FastAPI) -> None:
    headers = organizer(app)
    _, member = member_with_headers(app)
    draft = create(client, headers, title="Draft")
    url = f"{ANTHOLOGIES}/{draft['id']}"
    assert client.get(url).status_code == 404
    assert client.get(url, headers=member).status_code == 404
    assert client.get(f"{url}.epub").status_code == 404
    assert client.get(url, headers=headers).status_code == 200
    assert [a["title"] for a in client.get(ANTHOLOGIES).json()["items"]] == []
    assert [a["title"] for a in client.get(ANTHOLOGIES, headers=headers).json()["items"]] == [
        "Draft"
    ]

    published = client.patch(url, json={"status": "published"}, headers=headers).json()
    assert published["published_at"] is not None
    response = client.get(url)
    assert response.status_code == 200
    assert response.json()["status"] == "published"
    assert [a["title"] for a in client.get(ANTHOLOGIES).json()["items"]] == ["Draft"]
    # Back to draft and published again: the first publication date stays.
    client.patch(url, json={"status": "draft"}, headers=headers)
    again = client.patch(url, json={"status": "published"}, headers=headers).json()
    assert again["published_at"] == published["published_at"]


def test_patch_honours_if_match(client: TestClient, app: FastAPI) -> None:
    headers = organizer(app)
    body = create(client, headers)
    url = f"{ANTHOLOGIES}/{body['id']}"
    etag = client.get(url, headers=headers).headers["ETag"]
    first = client.patch(url, json={"title": "One"}, headers={**headers, "If-Match": etag})
    assert first.status_code == 200
    stale = client.patch(url, json={"title": "Two"}, headers={**headers, "If-Match": etag})
    assert stale.status_code == 412
    # A write's ETag names the stored version, what a GET returns.
    written = client.patch(url, json={"description": "New."}, headers=headers)
    assert written.headers["ETag"] == client.get(url, headers=headers).headers["ETag"]
    fresh = {**headers, "If-Match": written.headers["ETag"]}
    assert client.patch(url, json={"title": "Three"}, headers=fresh).status_code == 200


def test_the_chosen_works_come_back_in_order(client: TestClient, app: FastAPI) -> None:
    headers = organizer(app)
    _, member = member_with_headers(app)
    _, works, _ = closed_challenge(client, app, headers, [2, 1, 0], consents=[True, False, True])
    ids = [works[1]["id"], works[2]["id"], works[0]["id"]]
    body = create(client, headers, submission_ids=ids, status="published")
    # Organizers get back what they chose, left-out works included, so a client can send
    # the list back reordered; others see the works in the book.
    assert body["submission_ids"] == ids
    url = f"{ANTHOLOGIES}/{body['id']}"
    assert client.get(url, headers=headers).json()["submission_ids"] == ids
    assert client.get(url, headers=member).json()["submission_ids"] == [ids[1], ids[2]]
    entries = [{"submission_id": ids[2]}, {"submission_id": ids[0], "editor_note": "Last."}]
    patched = client.patch(url, json={"entries": entries}, headers=headers).json()
    assert patched["submission_ids"] == [ids[2], ids[0]]


def test_unknown_works_are_refused_and_nothing_changes(client: TestClient, app: FastAPI) -> None:
    headers = organizer(app)
    _, works, _ = closed_challenge(client, app, headers, [1, 0])
    known = [w["id"] for w in works]
    before = client.get(ANTHOLOGIES, headers=headers).json()["items"]
    refused = client.post(
        ANTHOLOGIES,
        json={"title": "Nope", "submission_ids": [known[0], 999_998, known[1], 999_999]},
        headers=headers,
    )
    assert refused.status_code == 422, refused.text
    problem = refused.json()
    assert problem["code"] == "unknown_submissions"
    assert "999998" in problem["detail"] and "999999" in problem["detail"]
    assert [e["loc"] for e in problem["errors"]] == [
        ["body", "submission_ids", 1],
        ["body", "submission_ids", 3],
    ]
    assert client.get(ANTHOLOGIES, headers=headers).json()["items"] == before

    body = create(client, headers, submission_ids=known)
    url = f"{ANTHOLOGIES}/{body['id']}"
    etag = client.get(url, headers=headers).headers["ETag"]
    entries = [{"submission_id": 999_999}, {"submission_id": known[0]}]
    for change in ({"submission_ids": [999_999]}, {"entries": entries, "title": "Renamed"}):
        response = client.patch(url, json=change, headers=headers)
        assert response.status_code == 422, response.text
        assert response.json()["code"] == "unknown_submissions"
    assert response.json()["errors"][0]["loc"] == ["body", "entries", 0, "submission_id"]
    after = client.get(url, headers=headers)
    assert after.headers["ETag"] == etag
    assert after.json()["submission_ids"] == known and after.json()["title"] == "Cerita Kota"


def test_members_cannot_edit_or_delete(client: TestClient, app: FastAPI) -> None:
    headers = organizer(app)
    _, member = member_with_headers(app)
    body = create(client, headers, status="published")
    url = f"{ANTHOLOGIES}/{body['id']}"
    assert client.patch(url, json={"title": "Mine"}, headers=member).status_code == 403
    assert client.delete(url, headers=member).status_code == 403
    assert client.delete(url, headers=headers).status_code == 204
    assert client.get(url, headers=headers).status_code == 404


def test_list_queries_do_not_grow_with_the_page(
    client: TestClient, app: FastAPI, queries: QueryCounter
) -> None:
    headers = organizer(app)
    _, works, _ = closed_challenge(client, app, headers, [1, 0])
    for n in range(5):
        create(client, headers, title=f"Book {n}", submission_ids=[w["id"] for w in works])
        create(client, headers, title=f"Draft {n}", status="draft")

    def count(limit: int, viewer: dict[str, str]) -> int:
        queries.reset()
        page = client.get(ANTHOLOGIES, params={"limit": limit}, headers=viewer).json()
        assert len(page["items"]) == limit
        assert all(item["work_count"] == 2 for item in page["items"] if "Book" in item["title"])
        return queries.count

    assert count(2, headers) == count(10, headers)


def test_concurrent_edits_publish_once_and_keep_one_order(
    live: str, client: TestClient, app: FastAPI
) -> None:
    headers = organizer(app)
    _, works, _ = closed_challenge(client, app, headers, [0, 0, 0])
    ids = [w["id"] for w in works]
    body = create(client, headers)
    url = f"{ANTHOLOGIES}/{body['id']}"

    def edit(n: int) -> int:
        order = ids[n % 3 :] + ids[: n % 3]
        with httpx.Client(base_url=live, timeout=60) as http:
            change = {"status": "published", "submission_ids": order}
            return http.patch(url, json=change, headers=headers).status_code

    with domain_events.recording() as published, ThreadPoolExecutor(max_workers=4) as pool:
        statuses = list(pool.map(edit, range(4)))
    assert statuses == [200] * 4
    assert len([e for e in published if isinstance(e, AnthologyPublished)]) == 1
    items = client.get(url).json()["items"]
    assert sorted(item["submission_id"] for item in items) == sorted(ids)
    assert [item["position"] for item in items] == [1, 2, 3]
