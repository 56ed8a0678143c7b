"""The progress log: written by active project members, read by every member."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.core.domain_events import DomainEvent, ProjectUpdatePosted
from app.models import Role
from tests.factories import QueryCounter, member_with_headers
from tests.projects.helpers import PROJECTS, create_project, members_path

Events = list[DomainEvent]


def _updates(project_id: int) -> str:
    return f"{PROJECTS}/{project_id}/updates"


def test_members_post_updates_everyone_reads_them(
    client: TestClient, app: FastAPI, published: Events
) -> None:
    author, owner = member_with_headers(app)
    _, reader = member_with_headers(app)
    project = create_project(client, owner)
    response = client.post(
        _updates(project["id"]),
        json={"title": "First draft done", "body": "All twelve stories are in."},
        headers=owner,
    )
    assert response.status_code == 201, response.text
    update = response.json()
    assert (update["author_id"], update["title"]) == (author.id, "First draft done")
    assert client.get(response.headers["location"], headers=reader).json() == update
    untitled = client.post(_updates(project["id"]), json={"body": "Layout next."}, headers=owner)
    assert untitled.json()["title"] is None
    listed = client.get(_updates(project["id"]), headers=reader).json()["items"]
    assert [u["id"] for u in listed] == [untitled.json()["id"], update["id"]]  # newest first
    posted = [e for e in published if isinstance(e, ProjectUpdatePosted)]
    assert posted[0] == ProjectUpdatePosted(
        actor_id=author.id, project_id=project["id"], update_id=update["id"]
    )


def test_only_active_members_post_updates(client: TestClient, app: FastAPI) -> None:
    _, owner = member_with_headers(app)
    _, outsider = member_with_headers(app)
    _, requester = member_with_headers(app)
    _, organizer = member_with_headers(app, role=Role.ORGANIZER)
    project = create_project(client, owner)
    client.post(members_path(project["id"]), json={}, headers=requester)
    for headers in (outsider, requester, organizer):
        response = client.post(_updates(project["id"]), json={"body": "Hi"}, headers=headers)
        assert response.status_code == 403
        assert response.json()["code"] == "not_project_member"


def test_update_bodies_are_validated(client: TestClient, app: FastAPI) -> None:
    _, owner = member_with_headers(app)
    project = create_project(client, owner)
    for body in ({}, {"body": "  "}, {"body": "x" * 10_001}, {"body": "ok", "author_id": 1}):
        assert client.post(_updates(project["id"]), json=body, headers=owner).status_code == 422


def test_anonymous_visitors_do_not_read_the_log(client: TestClient, app: FastAPI) -> None:
    _, owner = member_with_headers(app)
    project = create_project(client, owner)
    assert client.get(_updates(project["id"])).status_code == 401


def test_update_list_query_count_does_not_grow_with_page_size(
    client: TestClient, app: FastAPI, queries: QueryCounter
) -> None:
    _, owner = member_with_headers(app)
    project = create_project(client, owner)
    for n in range(8):
        client.post(_updates(project["id"]), json={"body": f"Step {n}"}, headers=owner)
    counts = {}
    for limit in (2, 8):
        queries.reset()
        response = client.get(_updates(project["id"]), params={"limit": limit}, headers=owner)
        assert len(response.json()["items"]) == limit
        counts[limit] = queries.count
    assert counts[2] == counts[8], counts
