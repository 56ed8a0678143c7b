"""Submissions: entering within the limit and the phase, who sees what, edits, moderation."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx2 as httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.core.domain_events import DomainEvent, SubmissionCreated
from app.main import create_app
from tests.challenges.helpers import (
    CHALLENGES,
    SUBMISSIONS,
    create_challenge,
    entrants,
    move_to,
    notification_types,
    organizer,
    submit,
    works,
)
from tests.conftest import make_settings
from tests.factories import QueryCounter, member_with_headers


def test_a_member_enters_a_work_while_open(
    client: TestClient, app: FastAPI, published: list[DomainEvent]
) -> None:
    challenge = create_challenge(client, organizer(app))
    member, headers = member_with_headers(app)
    response = client.post(
        f"{CHALLENGES}/{challenge['id']}/submissions",
        json={"title": "Pasar pagi", "content": "Words " * 10},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    work = response.json()
    assert response.headers["location"] == f"{SUBMISSIONS}/{work['id']}"
    assert work["author"]["id"] == member.id
    assert (work["license"], work["anthology_consent"], work["media_urls"]) == (
        "all-rights-reserved",
        False,
        [],
    )
    assert work["vote_count"] is None
    created = [e for e in published if isinstance(e, SubmissionCreated)]
    assert [e.submission_id for e in created] == [work["id"]]


def test_a_second_work_past_the_limit_conflicts(client: TestClient, app: FastAPI) -> None:
    challenge = create_challenge(client, organizer(app))
    _, headers = member_with_headers(app)
    submit(client, challenge["id"], headers)
    response = client.post(
        f"{CHALLENGES}/{challenge['id']}/submissions", json={"title": "Again"}, headers=headers
    )
    assert response.status_code == 409
    assert response.json()["code"] == "submission_limit_reached"


def test_the_limit_is_per_member_and_configurable(client: TestClient, app: FastAPI) -> None:
    challenge = create_challenge(client, organizer(app), max_submissions_per_member=2)
    _, rina = member_with_headers(app)
    _, budi = member_with_headers(app)
    submit(client, challenge["id"], rina)
    submit(client, challenge["id"], rina)
    submit(client, challenge["id"], budi)
    third = client.post(
        f"{CHALLENGES}/{challenge['id']}/submissions", json={"title": "3"}, headers=rina
    )
    assert third.status_code == 409


def test_submitting_outside_the_open_phase_conflicts(client: TestClient, app: FastAPI) -> None:
    headers = organizer(app)
    _, member = member_with_headers(app)
    for phase in ("upcoming", "voting", "closed"):
        challenge = create_challenge(client, headers, phase)
        response = client.post(
            f"{CHALLENGES}/{challenge['id']}/submissions", json={"title": "Late"}, headers=member
        )
        assert response.status_code == 409, phase
        assert response.json()["code"] == "challenge_not_open"
    draft = create_challenge(client, headers, published=False)
    response = client.post(
        f"{CHALLENGES}/{draft['id']}/submissions", json={"title": "Early"}, headers=member
    )
    assert response.status_code == 404


def test_concurrent_entries_by_one_member_respect_the_limit(
    live: str, client: TestClient, app: FastAPI
) -> None:
    challenge = create_challenge(client, organizer(app), max_submissions_per_member=2)
    _, headers = member_with_headers(app)

    def enter(n: int) -> int:
        with httpx.Client(base_url=live, timeout=60) as http:
            return http.post(
                f"{CHALLENGES}/{challenge['id']}/submissions",
                json={"title": f"Work {n}"},
                headers=headers,
            ).status_code

    with ThreadPoolExecutor(max_workers=10) as pool:
        statuses = list(pool.map(enter, range(10)))
    assert sorted(statuses) == [201] * 2 + [409] * 8
    counts = client.get(f"{CHALLENGES}/{challenge['id']}").json()
    assert (counts["submission_count"], counts["participant_count"]) == (2, 1)


def test_work_fields_are_validated(client: TestClient, app: FastAPI) -> None:
    challenge = create_challenge(client, organizer(app))
    _, headers = member_with_headers(app)
    url = f"{CHALLENGES}/{challenge['id']}/submissions"
    bad = [
        {"title": "x", "media_urls": [f"https://img.example.com/{n}.jpg" for n in range(11)]},
        {"title": "x", "media_urls": ["ftp://img.example.com/1.jpg"]},
        {"title": "x", "content": "a" * 100_001},
        {"title": "x", "license": "GPL-3.0"},
        {"title": "   "},
        {"title": "x", "vote_count": 99},
    ]
    for body in bad:
        assert client.post(url, json=body, headers=headers).status_code == 422, body
    longest = {"title": "x", "content": "a" * 100_000, "license": "CC-BY-SA-4.0"}
    assert client.post(url, json=longest, headers=headers).status_code == 201


def test_anonymous_visitors_see_works_only_once_closed(client: TestClient, app: FastAPI) -> None:
    headers = organizer(app)
    challenge = create_challenge(client, headers)
    _, member = member_with_headers(app)
    work = submit(client, challenge["id"], member)
    for phase in ("open", "voting"):
        move_to(client, headers, challenge["id"], phase)
        listed = client.get(f"{CHALLENGES}/{challenge['id']}/submissions")
        assert listed.status_code == 401, phase
        assert listed.json()["code"] == "login_required"
        assert client.get(f"{SUBMISSIONS}/{work['id']}").status_code == 401
        assert [w["id"] for w in works(client, challenge["id"], member)] == [work["id"]]
    move_to(client, headers, challenge["id"], "closed")
    assert [w["id"] for w in works(client, challenge["id"])] == [work["id"]]
    assert client.get(f"{SUBMISSIONS}/{work['id']}").status_code == 200


def test_members_cannot_read_counts_until_closed(client: TestClient, app: FastAPI) -> None:
    headers = organizer(app)
    challenge = create_challenge(client, headers)
    (work, _), (_, voter) = entrants(app, client, challenge["id"], 2)
    move_to(client, headers, challenge["id"], "voting")
    client.put(f"{SUBMISSIONS}/{work['id']}/vote", headers=voter)
    assert {w["vote_count"] for w in works(client, challenge["id"], voter)} == {None}
    assert client.get(f"{SUBMISSIONS}/{work['id']}", headers=voter).json()["vote_count"] is None
    # Organizers audit the vote, so they see the tallies.
    assert client.get(f"{SUBMISSIONS}/{work['id']}", headers=headers).json()["vote_count"] == 1
    move_to(client, headers, challenge["id"], "closed")
    assert client.get(f"{SUBMISSIONS}/{work['id']}", headers=voter).json()["vote_count"] == 1


def test_the_author_edits_while_open_with_if_match(client: TestClient, app: FastAPI) -> None:
    headers = organizer(app)
    challenge = create_challenge(client, headers)
    _, author = member_with_headers(app)
    work = submit(client, challenge["id"], author)
    url = f"{SUBMISSIONS}/{work['id']}"
    etag = client.get(url, headers=author).headers["etag"]
    edited = client.patch(url, json={"title": "Revised"}, headers={**author, "If-Match": etag})
    assert edited.status_code == 200
    assert edited.json()["title"] == "Revised"
    stale = client.patch(url, json={"title": "Again"}, headers={**author, "If-Match": etag})
    assert stale.status_code == 412
    _, other = member_with_headers(app)
    response = client.patch(url, json={"title": "Mine now"}, headers=other)
    assert response.status_code == 403
    assert response.json()["code"] == "not_submission_author"


def test_after_the_open_phase_only_license_and_consent_change(
    client: TestClient, app: FastAPI
) -> None:
    headers = organizer(app)
    challenge = create_challenge(client, headers)
    _, author = member_with_headers(app)
    work = submit(client, challenge["id"], author)
    move_to(client, headers, challenge["id"], "closed")
    url = f"{SUBMISSIONS}/{work['id']}"
    response = client.patch(url, json={"content": "rewritten"}, headers=author)
    assert response.status_code == 409
    assert response.json()["code"] == "challenge_not_open"
    consent = client.patch(
        url, json={"anthology_consent": True, "license": "CC-BY-4.0"}, headers=author
    )
    assert consent.status_code == 200
    assert (consent.json()["anthology_consent"], consent.json()["license"]) == (True, "CC-BY-4.0")


def test_the_author_withdraws_only_while_open(client: TestClient, app: FastAPI) -> None:
    headers = organizer(app)
    challenge = create_challenge(client, headers)
    _, author = member_with_headers(app)
    _, other = member_with_headers(app)
    kept = submit(client, challenge["id"], other)
    assert client.delete(f"{SUBMISSIONS}/{kept['id']}", headers=author).status_code == 403
    work = submit(client, challenge["id"], author)
    assert client.delete(f"{SUBMISSIONS}/{work['id']}", headers=author).status_code == 204
    assert client.get(f"{SUBMISSIONS}/{work['id']}", headers=author).status_code == 404
    # Withdrawing frees the quota for another entry.
    again = submit(client, challenge["id"], author)
    move_to(client, headers, challenge["id"], "voting")
    response = client.delete(f"{SUBMISSIONS}/{again['id']}", headers=author)
    assert response.status_code == 409
    assert response.json()["code"] == "challenge_not_open"


def test_moderation_is_for_organizers_and_tells_the_author(
    client: TestClient, app: FastAPI
) -> None:
    headers = organizer(app)
    challenge = create_challenge(client, headers)
    _, author = member_with_headers(app)
    _, other = member_with_headers(app)
    work = submit(client, challenge["id"], author)
    url = f"{SUBMISSIONS}/{work['id']}/moderation"
    assert client.post(url, json={"action": "feature"}, headers=other).status_code == 403
    featured = client.post(url, json={"action": "feature"}, headers=headers)
    assert featured.status_code == 200
    assert featured.json()["featured"] is True
    reason = "Not the author's own photo."
    out = client.post(url, json={"action": "disqualify", "reason": reason}, headers=headers)
    assert out.json()["disqualified"] is True
    # Repeating an action changes nothing and tells nobody again.
    client.post(url, json={"action": "disqualify", "reason": reason}, headers=headers)
    types = notification_types(client, author)
    assert types.count("submission.featured") == 1
    assert types.count("submission.disqualified") == 1
    # The author sees the note; other members see the work flagged, without the note.
    mine = client.get(f"{SUBMISSIONS}/{work['id']}", headers=author).json()
    assert mine["moderation_reason"] == reason
    seen = client.get(f"{SUBMISSIONS}/{work['id']}", headers=other).json()
    assert (seen["disqualified"], seen["moderation_reason"]) == (True, None)
    # The public never sees a disqualified work, even once the challenge is closed.
    move_to(client, headers, challenge["id"], "closed")
    assert works(client, challenge["id"]) == []
    assert client.get(f"{SUBMISSIONS}/{work['id']}").status_code == 404
    back = client.post(url, json={"action": "reinstate"}, headers=headers)
    assert back.json()["disqualified"] is False
    assert [w["id"] for w in works(client, challenge["id"])] == [work["id"]]
    assert client.post(url, json={"action": "ban"}, headers=headers).status_code == 422


def test_list_queries_do_not_grow_with_the_page(
    client: TestClient, app: FastAPI, queries: QueryCounter
) -> None:
    challenge = create_challenge(client, organizer(app))
    entrants(app, client, challenge["id"], 8)
    _, viewer = member_with_headers(app)

    def count(limit: int) -> int:
        queries.reset()
        response = client.get(
            f"{CHALLENGES}/{challenge['id']}/submissions", params={"limit": limit}, headers=viewer
        )
        assert len(response.json()["items"]) == limit
        return queries.count

    assert count(2) == count(8)


def test_a_work_and_a_page_of_works_cost_a_fixed_number_of_statements(
    client: TestClient, app: FastAPI, queries: QueryCounter
) -> None:
    """A work: itself with its author and challenge (its files only if it has some). A
    page: the challenge, then the works with their authors; on PostgreSQL both in one
    statement (app.submissions.reads)."""
    challenge = create_challenge(client, organizer(app))
    entrants(app, client, challenge["id"], 3)
    _, viewer = member_with_headers(app)
    listed = f"{CHALLENGES}/{challenge['id']}/submissions"
    first = client.get(listed, params={"limit": 2}, headers=viewer).json()
    one = f"{SUBMISSIONS}/{first['items'][0]['id']}"
    client.get(one, headers=viewer)  # the token is remembered from here on
    page = 1 if app.state.engine.dialect.name == "postgresql" else 2
    for url, params, statements in (
        (one, {}, 1),
        (listed, {"limit": 2}, page),
        (listed, {"limit": 2, "cursor": first["next_cursor"]}, page),
    ):
        queries.reset()
        assert client.get(url, params=params, headers=viewer).status_code == 200
        assert queries.count == statements, (url, queries.statements)


def test_a_page_of_no_works_and_a_refused_challenge(client: TestClient, app: FastAPI) -> None:
    """A page reads its challenge even with no work on it (on PostgreSQL in the works'
    statement), and refuses a challenge that is missing or a draft (app.submissions.reads)."""
    headers = organizer(app)
    challenge = create_challenge(client, headers)
    draft = create_challenge(client, headers, published=False)
    _, member = member_with_headers(app)
    listed = f"{CHALLENGES}/{challenge['id']}/submissions"
    empty = client.get(listed, headers=member)
    assert (empty.status_code, empty.json()) == (200, {"items": [], "next_cursor": None})
    work = submit(client, challenge["id"], member)
    first = client.get(listed, params={"limit": 1}, headers=member).json()
    assert ([w["id"] for w in first["items"]], first["next_cursor"]) == ([work["id"]], None)
    submit(client, challenge["id"], member_with_headers(app)[1])
    first = client.get(listed, params={"limit": 1}, headers=member).json()
    after = client.get(listed, params={"limit": 1, "cursor": first["next_cursor"]}, headers=member)
    assert [w["title"] for w in after.json()["items"]] == ["Pasar pagi"]
    assert after.json()["next_cursor"] is None
    assert client.get(listed).status_code == 401  # the public, before the challenge closes
    for missing in (f"{CHALLENGES}/{draft['id']}/submissions", f"{CHALLENGES}/999999/submissions"):
        assert client.get(missing, headers=member).status_code == 404
    assert client.get(f"{CHALLENGES}/{draft['id']}/submissions", headers=headers).json() == {
        "items": [],
        "next_cursor": None,
    }


def test_entering_works_spends_the_posting_budget(database_url: str, engine: object) -> None:
    """A work entered calls the `submission.created` webhook and earns points: posting."""
    limited = create_app(
        make_settings(database_url, rate_limit_enabled=True, rate_limit_posting="2/hour")
    )
    with TestClient(limited) as client:
        challenge = create_challenge(client, organizer(limited), max_submissions_per_member=5)
        _, headers = member_with_headers(limited)
        submit(client, challenge["id"], headers)
        submit(client, challenge["id"], headers, title="Pasar sore")
        path = f"/api/v1/challenges/{challenge['id']}/submissions"
        body = {"title": "Pasar malam", "media_urls": ["https://img.example.com/3.jpg"]}
        response = client.post(path, json=body, headers=headers)
        assert (response.status_code, response.json()["code"]) == (429, "rate_limited")
    limited.state.engine.dispose()
