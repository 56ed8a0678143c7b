"""Threads and posts: authors own their words, organizers pin and lock."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx2 as httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.core.domain_events import DomainEvent, PostCreated, PostDeleted, ThreadCreated
from app.models import Role
from tests.conversation.helpers import API, ids, notifications, reply, start_thread
from tests.factories import QueryCounter, auth_headers, data_of, make_member, member_with_headers


def test_members_start_threads_and_read_them(
    client: TestClient, app: FastAPI, published: list[DomainEvent]
) -> None:
    author, headers = member_with_headers(app, display_name="Rina Wijaya")
    _, reader = member_with_headers(app)
    response = client.post(
        f"{API}/threads",
        json={"title": "Riso inks", "body": "What do you use?", "category": "printing"},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    thread = response.json()
    assert response.headers["location"] == f"/api/v1/threads/{thread['id']}"
    assert thread["author"]["display_name"] == "Rina Wijaya"
    assert (thread["post_count"], thread["pinned"], thread["locked"]) == (0, False, False)
    assert client.get(response.headers["location"], headers=reader).json() == thread
    assert ids(client.get(f"{API}/threads", headers=reader)) == [thread["id"]]
    created = [e for e in published if isinstance(e, ThreadCreated)]
    assert [(e.actor_id, data_of(e)) for e in created] == [(author.id, {"thread_id": thread["id"]})]


def test_anonymous_visitors_do_not_read_threads(client: TestClient, app: FastAPI) -> None:
    _, headers = member_with_headers(app)
    thread = start_thread(client, headers)
    assert client.get(f"{API}/threads").status_code == 401
    assert client.get(f"{API}/threads/{thread['id']}/posts").status_code == 401


def test_text_fields_are_bounded(client: TestClient, app: FastAPI) -> None:
    _, headers = member_with_headers(app)
    for body in (
        {"title": "x" * 201, "body": "ok"},
        {"title": "ok", "body": "x" * 10_001},
        {"title": " ", "body": "ok"},
        {"title": "ok", "body": "ok", "pinned": True},
    ):
        assert client.post(f"{API}/threads", json=body, headers=headers).status_code == 422
    thread = start_thread(client, headers)
    assert reply(client, thread["id"], headers, body="x" * 10_001).status_code == 422


def test_only_the_author_edits_a_thread(client: TestClient, app: FastAPI) -> None:
    _, author = member_with_headers(app)
    _, other = member_with_headers(app)
    thread = start_thread(client, author)
    url = f"{API}/threads/{thread['id']}"
    refused = client.patch(url, json={"title": "Mine now"}, headers=other)
    assert (refused.status_code, refused.json()["code"]) == (403, "not_author")
    edited = client.patch(url, json={"title": "Riso inks, again"}, headers=author)
    assert edited.status_code == 200
    assert edited.json()["title"] == "Riso inks, again"
    assert client.delete(url, headers=other).status_code == 403


def test_members_cannot_pin_or_lock_organizers_can(client: TestClient, app: FastAPI) -> None:
    _, author = member_with_headers(app)
    _, staff = member_with_headers(app, role=Role.ORGANIZER)
    thread = start_thread(client, author)
    url = f"{API}/threads/{thread['id']}"
    for change in ({"pinned": True}, {"locked": True}):
        refused = client.patch(url, json=change, headers=author)
        assert (refused.status_code, refused.json()["code"]) == (403, "organizer_only_fields")
    pinned = client.patch(url, json={"pinned": True, "locked": True}, headers=staff)
    assert (pinned.json()["pinned"], pinned.json()["locked"]) == (True, True)
    # Organizers moderate; they do not rewrite members' words.
    assert client.patch(url, json={"body": "Edited"}, headers=staff).status_code == 403


def test_a_locked_thread_refuses_posts(client: TestClient, app: FastAPI) -> None:
    _, author = member_with_headers(app)
    _, staff = member_with_headers(app, role=Role.ORGANIZER)
    thread = start_thread(client, author)
    post = reply(client, thread["id"], author).json()
    client.patch(f"{API}/threads/{thread['id']}", json={"locked": True}, headers=staff)
    for headers in (author, staff):
        refused = reply(client, thread["id"], headers)
        assert (refused.status_code, refused.json()["code"]) == (409, "thread_locked")
    edit = client.patch(f"{API}/posts/{post['id']}", json={"body": "Later"}, headers=author)
    assert (edit.status_code, edit.json()["code"]) == (409, "thread_locked")
    assert client.get(f"{API}/threads/{thread['id']}", headers=author).json()["post_count"] == 1


def test_patch_honours_if_match(client: TestClient, app: FastAPI) -> None:
    _, author = member_with_headers(app)
    thread = start_thread(client, author)
    url = f"{API}/threads/{thread['id']}"
    etag = client.get(url, headers=author).headers["etag"]
    client.patch(url, json={"title": "First"}, headers=author)
    stale = client.patch(url, json={"title": "Second"}, headers={**author, "If-Match": etag})
    assert stale.status_code == 412
    assert client.get(url, headers=author).json()["title"] == "First"


def test_posts_in_order_and_the_list_by_latest_activity(
    client: TestClient, app: FastAPI, published: list[DomainEvent]
) -> None:
    _, author = member_with_headers(app)
    _, other = member_with_headers(app)
    _, staff = member_with_headers(app, role=Role.ORGANIZER)
    first, second, third = (start_thread(client, author, title=f"T{n}") for n in range(3))
    posts = [reply(client, first["id"], other, body=f"Reply {n}") for n in range(2)]
    assert all(p.status_code == 201 for p in posts)
    assert posts[0].headers["location"] == f"/api/v1/posts/{posts[0].json()['id']}"
    listed = client.get(f"{API}/threads/{first['id']}/posts", headers=author)
    assert [p["body"] for p in listed.json()["items"]] == ["Reply 0", "Reply 1"]
    # The thread with the latest reply first; a pinned thread above all.
    assert ids(client.get(f"{API}/threads", headers=author)) == [
        first["id"],
        third["id"],
        second["id"],
    ]
    client.patch(f"{API}/threads/{second['id']}", json={"pinned": True}, headers=staff)
    page = client.get(f"{API}/threads", params={"limit": 2}, headers=author).json()
    assert [t["id"] for t in page["items"]] == [second["id"], first["id"]]
    rest = client.get(f"{API}/threads", params={"cursor": page["next_cursor"]}, headers=author)
    assert ids(rest) == [third["id"]]
    assert client.get(f"{API}/threads/{first['id']}", headers=author).json()["post_count"] == 2
    created = [data_of(e) for e in published if isinstance(e, PostCreated)]
    assert created[0] == {"post_id": posts[0].json()["id"], "thread_id": first["id"]}
    # The thread's author hears of replies.
    assert [n["type"] for n in notifications(client, author)].count("post.created") == 2
    assert "post.created" not in [n["type"] for n in notifications(client, other)]


def test_only_the_author_edits_a_post(client: TestClient, app: FastAPI) -> None:
    _, author = member_with_headers(app)
    _, other = member_with_headers(app)
    thread = start_thread(client, author)
    post = reply(client, thread["id"], author).json()
    url = f"{API}/posts/{post['id']}"
    refused = client.patch(url, json={"body": "Hijacked"}, headers=other)
    assert (refused.status_code, refused.json()["code"]) == (403, "not_author")
    assert client.delete(url, headers=other).status_code == 403
    edited = client.patch(url, json={"body": "Soy inks, and a fan."}, headers=author)
    assert edited.status_code == 200
    assert client.get(url, headers=other).json()["body"] == "Soy inks, and a fan."


def test_deleted_posts_keep_their_place(
    client: TestClient, app: FastAPI, published: list[DomainEvent]
) -> None:
    _, author = member_with_headers(app)
    _, other = member_with_headers(app)
    _, staff = member_with_headers(app, role=Role.ORGANIZER)
    thread = start_thread(client, author)
    mine, theirs, last = (reply(client, thread["id"], h).json() for h in (author, other, author))
    assert client.delete(f"{API}/posts/{mine['id']}", headers=author).status_code == 204
    assert client.delete(f"{API}/posts/{mine['id']}", headers=author).status_code == 204
    assert client.delete(f"{API}/posts/{theirs['id']}", headers=staff).status_code == 204
    items = client.get(f"{API}/threads/{thread['id']}/posts", headers=other).json()["items"]
    assert [(p["id"], p["deleted"], p["body"], p["author"]) for p in items[:2]] == [
        (mine["id"], True, None, None),
        (theirs["id"], True, None, None),
    ]
    assert items[2]["id"] == last["id"] and not items[2]["deleted"]
    assert client.get(f"{API}/threads/{thread['id']}", headers=other).json()["post_count"] == 1
    edit = client.patch(f"{API}/posts/{mine['id']}", json={"body": "Back"}, headers=author)
    assert (edit.status_code, edit.json()["code"]) == (409, "already_deleted")
    deleted = [data_of(e) for e in published if isinstance(e, PostDeleted)]
    assert deleted == [{"post_id": mine["id"]}, {"post_id": theirs["id"]}]


def test_deleting_a_thread_takes_its_posts(client: TestClient, app: FastAPI) -> None:
    _, author = member_with_headers(app)
    thread = start_thread(client, author)
    post = reply(client, thread["id"], author).json()
    assert client.delete(f"{API}/threads/{thread['id']}", headers=author).status_code == 204
    assert client.get(f"{API}/threads/{thread['id']}", headers=author).status_code == 404
    assert client.get(f"{API}/posts/{post['id']}", headers=author).status_code == 404


def test_list_query_counts_do_not_grow_with_page_size(
    client: TestClient, app: FastAPI, queries: QueryCounter
) -> None:
    authors = [member_with_headers(app)[1] for _ in range(6)]
    thread = start_thread(client, authors[0])
    for headers in authors:
        start_thread(client, headers)
        reply(client, thread["id"], headers)
    counts = []
    for limit in (2, 6):
        for url in (f"{API}/threads", f"{API}/threads/{thread['id']}/posts"):
            queries.reset()
            assert client.get(url, params={"limit": limit}, headers=authors[0]).status_code == 200
            counts.append(queries.count)
    assert counts[:2] == counts[2:]


def test_concurrent_replies_keep_the_post_count_exact(
    live: str, client: TestClient, app: FastAPI
) -> None:
    _, author = member_with_headers(app)
    thread = start_thread(client, author)
    repliers = [auth_headers(app, make_member(app)) for _ in range(20)]

    def post(headers: dict[str, str]) -> int:
        with httpx.Client(base_url=live, timeout=60) as http:
            url = f"{API}/threads/{thread['id']}/posts"
            return http.post(url, json={"body": "Me too"}, headers=headers).status_code

    with ThreadPoolExecutor(max_workers=10) as pool:
        statuses = list(pool.map(post, repliers + repliers[:10]))
    assert statuses == [201] * 30
    assert client.get(f"{API}/threads/{thread['id']}", headers=author).json()["post_count"] == 30
