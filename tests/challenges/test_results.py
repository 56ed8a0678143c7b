"""Results: standard competition ranking from the tallies, winners at a tied cut-off."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.challenges.helpers import (
    CHALLENGES,
    SUBMISSIONS,
    Headers,
    create_challenge,
    entrants,
    move_to,
    organizer,
    vote,
)
from tests.factories import QueryCounter, member_with_headers


def _ranked_challenge(
    client: TestClient, app: FastAPI, tallies: list[int], **overrides: Any
) -> tuple[dict[str, Any], list[dict[str, Any]], Headers]:
    """A closed challenge whose works (in submission order) got these vote counts."""
    headers = organizer(app)
    challenge = create_challenge(client, headers, votes_per_member=len(tallies), **overrides)
    works = [work for work, _ in entrants(app, client, challenge["id"], len(tallies))]
    move_to(client, headers, challenge["id"], "voting")
    voters = [member_with_headers(app)[1] for _ in range(max(tallies, default=0))]
    for work, tally in zip(works, tallies, strict=True):
        for voter in voters[:tally]:
            vote(client, work["id"], voter)
    move_to(client, headers, challenge["id"], "closed")
    return challenge, works, headers


def _results(client: TestClient, challenge_id: int, **params: Any) -> dict[str, Any]:
    response = client.get(f"{CHALLENGES}/{challenge_id}/results", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_results_conflict_before_the_challenge_closes(client: TestClient, app: FastAPI) -> None:
    headers = organizer(app)
    challenge = create_challenge(client, headers)
    for phase in ("open", "voting"):
        move_to(client, headers, challenge["id"], phase)
        response = client.get(f"{CHALLENGES}/{challenge['id']}/results")
        assert response.status_code == 409
        assert response.json()["code"] == "challenge_not_closed"


def test_ties_share_a_rank_and_are_ordered_by_earlier_submission(
    client: TestClient, app: FastAPI
) -> None:
    challenge, works, _ = _ranked_challenge(client, app, [2, 3, 1, 2], winners_count=1)
    items = _results(client, challenge["id"])["items"]
    assert [(i["rank"], i["votes"], i["submission"]["id"]) for i in items] == [
        (1, 3, works[1]["id"]),
        (2, 2, works[0]["id"]),
        (2, 2, works[3]["id"]),
        (4, 1, works[2]["id"]),
    ]
    assert [i["winner"] for i in items] == [True, False, False, False]
    assert all(i["submission"]["vote_count"] == i["votes"] for i in items)


def test_winners_at_a_tied_cut_off_share_the_win(client: TestClient, app: FastAPI) -> None:
    challenge, _, _ = _ranked_challenge(client, app, [3, 2, 2, 1], winners_count=2)
    items = _results(client, challenge["id"])["items"]
    assert [(i["rank"], i["winner"]) for i in items] == [
        (1, True),
        (2, True),
        (2, True),
        (4, False),
    ]


def test_disqualified_works_are_left_out(client: TestClient, app: FastAPI) -> None:
    challenge, works, headers = _ranked_challenge(client, app, [3, 2, 1], winners_count=1)
    client.post(
        f"{SUBMISSIONS}/{works[0]['id']}/moderation",
        json={"action": "disqualify"},
        headers=headers,
    )
    items = _results(client, challenge["id"])["items"]
    assert [(i["rank"], i["submission"]["id"], i["winner"]) for i in items] == [
        (1, works[1]["id"], True),
        (2, works[2]["id"], False),
    ]


def test_ranks_hold_across_pages(client: TestClient, app: FastAPI) -> None:
    tallies = [4, 2, 2, 2, 1, 0, 0]
    challenge, _, _ = _ranked_challenge(client, app, tallies)
    expected = [
        (i["rank"], i["submission"]["id"]) for i in _results(client, challenge["id"])["items"]
    ]
    assert [rank for rank, _ in expected] == [1, 2, 2, 2, 5, 6, 6]
    for limit in (1, 2, 3):
        paged: list[tuple[int, int]] = []
        cursor = None
        while True:
            params: dict[str, Any] = {"limit": limit, **({"cursor": cursor} if cursor else {})}
            page = _results(client, challenge["id"], **params)
            paged += [(i["rank"], i["submission"]["id"]) for i in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert paged == expected, limit


def test_results_are_public_and_their_queries_do_not_grow_with_the_page(
    client: TestClient, app: FastAPI, queries: QueryCounter
) -> None:
    challenge, _, _ = _ranked_challenge(client, app, [3, 2, 2, 1, 1, 0, 0, 0])

    def count(limit: int) -> int:
        queries.reset()
        assert len(_results(client, challenge["id"], limit=limit)["items"]) == limit
        return queries.count

    # The challenge, the page of works with their authors, the rank of its first work.
    assert count(2) == count(8) == 3
