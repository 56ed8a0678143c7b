"""Comments on works: feedback the work's author hears of, readable where the work is."""

from __future__ import annotations

from typing import Any

import anyio.to_thread
import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.core.domain_events import CommentCreated, CommentDeleted, DomainEvent
from app.models import Challenge, Comment, Role, Submission
from tests.challenges.helpers import organizer
from tests.conversation.helpers import API, comment, ids, notifications, work
from tests.factories import QueryCounter, data_of, member_with_headers


def test_members_comment_and_the_author_is_notified(
    client: TestClient, app: FastAPI, published: list[DomainEvent]
) -> None:
    author, author_headers = member_with_headers(app)
    critic, critic_headers = member_with_headers(app, display_name="Budi Santoso")
    submission = work(app, client, author_headers)
    response = comment(client, submission["id"], critic_headers, body="Lovely light.")
    assert response.status_code == 201, response.text
    created = response.json()
    assert response.headers["location"] == f"/api/v1/comments/{created['id']}"
    assert (created["body"], created["author"]["id"]) == ("Lovely light.", critic.id)
    assert client.get(response.headers["location"], headers=author_headers).json() == created
    listed = client.get(f"{API}/submissions/{submission['id']}/comments", headers=author_headers)
    assert ids(listed) == [created["id"]]
    feed = [n for n in notifications(client, author_headers) if n["type"] == "comment.created"]
    assert len(feed) == 1 and "Budi Santoso" in feed[0]["title"]
    assert submission["title"] in feed[0]["title"] and feed[0]["body"] == "Lovely light."
    assert feed[0]["data"] == {"submission_id": submission["id"], "comment_id": created["id"]}
    events = [e for e in published if isinstance(e, CommentCreated)]
    assert [(e.actor_id, data_of(e)) for e in events] == [
        (
            critic.id,
            {
                "comment_id": created["id"],
                "submission_id": submission["id"],
                "submission_author_id": author.id,
                "submission_title": submission["title"],
                "body": "Lovely light.",
            },
        )
    ]


def test_commenting_on_ones_own_work_notifies_nobody(client: TestClient, app: FastAPI) -> None:
    _, author = member_with_headers(app)
    submission = work(app, client, author)
    assert comment(client, submission["id"], author).status_code == 201
    assert "comment.created" not in [n["type"] for n in notifications(client, author)]


def test_a_comment_hops_to_a_worker_thread_once_and_a_key_once_more(
    client: TestClient, app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The handler's one hop (app.core.db.UnitOfWorkRoute): the Idempotency-Key dependency
    runs on the event loop and takes a thread only to look a sent key up."""
    _, author = member_with_headers(app)
    _, critic = member_with_headers(app)
    submission = work(app, client, author)
    assert comment(client, submission["id"], critic).status_code == 201  # token remembered
    hops: list[str] = []
    real = anyio.to_thread.run_sync

    async def counting(function: Any, *args: Any, **kwargs: Any) -> Any:
        hops.append(getattr(function, "__qualname__", repr(function)))
        return await real(function, *args, **kwargs)

    monkeypatch.setattr(anyio.to_thread, "run_sync", counting)
    assert comment(client, submission["id"], critic).status_code == 201
    assert len(hops) == 1, hops
    hops.clear()
    keyed = {**critic, "Idempotency-Key": "one"}
    first = comment(client, submission["id"], keyed, body="Once.")
    assert first.status_code == 201
    assert len(hops) == 2, hops  # the key's lookup, the handler
    again = comment(client, submission["id"], keyed, body="Once.")
    assert again.headers["Idempotent-Replayed"] == "true" and again.json() == first.json()
    assert comment(client, submission["id"], keyed, body="Twice.").status_code == 422


def test_only_the_author_edits_a_comment(client: TestClient, app: FastAPI) -> None:
    _, author = member_with_headers(app)
    _, critic = member_with_headers(app)
    _, other = member_with_headers(app)
    submission = work(app, client, author)
    created = comment(client, submission["id"], critic).json()
    url = f"{API}/comments/{created['id']}"
    refused = client.patch(url, json={"body": "Not mine"}, headers=other)
    assert (refused.status_code, refused.json()["code"]) == (403, "not_author")
    # Even the work's author cannot rewrite feedback on it.
    assert client.patch(url, json={"body": "Perfect"}, headers=author).status_code == 403
    assert client.delete(url, headers=other).status_code == 403
    edited = client.patch(url, json={"body": "Lovely, really."}, headers=critic)
    assert (edited.status_code, edited.json()["body"]) == (200, "Lovely, really.")


def test_deleted_comments_keep_their_place(
    client: TestClient, app: FastAPI, published: list[DomainEvent]
) -> None:
    _, author = member_with_headers(app)
    _, critic = member_with_headers(app)
    _, staff = member_with_headers(app, role=Role.ORGANIZER)
    submission = work(app, client, author)
    first, second = (comment(client, submission["id"], critic).json() for _ in range(2))
    assert client.delete(f"{API}/comments/{first['id']}", headers=critic).status_code == 204
    assert client.delete(f"{API}/comments/{second['id']}", headers=staff).status_code == 204
    items = client.get(f"{API}/submissions/{submission['id']}/comments", headers=author).json()
    assert [(c["id"], c["deleted"], c["body"], c["author"]) for c in items["items"]] == [
        (first["id"], True, None, None),
        (second["id"], True, None, None),
    ]
    assert [data_of(e) for e in published if isinstance(e, CommentDeleted)] == [
        {"comment_id": first["id"]},
        {"comment_id": second["id"]},
    ]


def test_comments_follow_the_works_visibility(client: TestClient, app: FastAPI) -> None:
    _, author = member_with_headers(app)
    _, critic = member_with_headers(app)
    running = work(app, client, author)
    created = comment(client, running["id"], critic).json()
    # Works of a running challenge are for members: so is their feedback.
    assert client.get(f"{API}/submissions/{running['id']}/comments").status_code == 401
    assert client.get(f"{API}/comments/{created['id']}").status_code == 401
    closed = work(app, client, author, phase="closed")
    public = comment(client, closed["id"], critic).json()
    assert ids(client.get(f"{API}/submissions/{closed['id']}/comments")) == [public["id"]]
    assert client.get(f"{API}/submissions/999999/comments", headers=critic).status_code == 404
    assert comment(client, 999999, critic).status_code == 404
    assert (
        client.post(f"{API}/submissions/{closed['id']}/comments", json={"body": "x"}).status_code
        == 401
    )


def test_members_comment_only_on_works_they_may_see(client: TestClient, app: FastAPI) -> None:
    """A work hidden after a report, or in a challenge taken back to draft, is for
    organizers only: a member's comment gets 404 and writes nothing; a disqualified work
    stays open to members' feedback."""
    _, author = member_with_headers(app)
    critic_member, critic = member_with_headers(app)
    staff = organizer(app)
    hidden, drafted, disqualified = (work(app, client, author) for _ in range(3))
    with app.state.engine.begin() as connection:
        connection.execute(
            sa.update(Submission)
            .where(col(Submission.id) == hidden["id"])
            .values(hidden_at=sa.func.now())
        )
        connection.execute(
            sa.update(Submission)
            .where(col(Submission.id) == disqualified["id"])
            .values(disqualified=True)
        )
        connection.execute(
            sa.update(Challenge)
            .where(col(Challenge.id) == drafted["challenge_id"])
            .values(published=False)
        )
    for refused in (hidden, drafted):
        response = comment(client, refused["id"], critic)
        assert (response.status_code, response.json()["code"]) == (404, "submission_not_found")
        assert comment(client, refused["id"], staff).status_code == 201
    assert comment(client, disqualified["id"], critic).status_code == 201
    with Session(app.state.engine) as session:
        written = session.exec(select(Comment.submission_id, Comment.author_id)).all()
    by_critic = sorted(work_id for work_id, author_id in written if author_id == critic_member.id)
    assert by_critic == [disqualified["id"]]
    assert sorted(work_id for work_id, _ in written) == sorted(
        [hidden["id"], drafted["id"], disqualified["id"]]
    )


def test_comment_bodies_are_bounded(client: TestClient, app: FastAPI) -> None:
    _, author = member_with_headers(app)
    submission = work(app, client, author)
    for body in ("", "   ", "x" * 10_001, "nul\x00"):
        assert comment(client, submission["id"], author, body=body).status_code == 422


def test_comment_list_query_count_does_not_grow_with_page_size(
    client: TestClient, app: FastAPI, queries: QueryCounter
) -> None:
    _, author = member_with_headers(app)
    submission = work(app, client, author)
    for _ in range(6):
        comment(client, submission["id"], member_with_headers(app)[1])
    counts = []
    for limit in (2, 6):
        queries.reset()
        url = f"{API}/submissions/{submission['id']}/comments"
        assert client.get(url, params={"limit": limit}, headers=author).status_code == 200
        counts.append(queries.count)
    assert counts[0] == counts[1]
