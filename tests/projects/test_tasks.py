"""The task board: only project members write, assignees are members, completion counts once."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.core.domain_events import DomainEvent, TaskCompleted
from app.models import Role
from tests.factories import QueryCounter, make_member, member_with_headers
from tests.projects.helpers import add_member, create_project, members_path, tasks_path

Events = list[DomainEvent]


def _board(client: TestClient, app: FastAPI) -> tuple[dict[str, Any], dict[str, str], int]:
    """A project, its coordinator's headers, and an active contributor's id."""
    _, owner = member_with_headers(app)
    contributor = make_member(app)
    project = create_project(client, owner)
    add_member(client, project["id"], owner, contributor.id)
    return project, owner, contributor.id  # type: ignore[return-value]


def test_members_create_tasks_and_read_them_back(client: TestClient, app: FastAPI) -> None:
    project, owner, contributor_id = _board(client, app)
    response = client.post(
        tasks_path(project["id"]),
        json={
            "title": "Edit the first four stories",
            "description": "Line edits.",
            "assignee_id": contributor_id,
            "due_on": "2026-12-15",
        },
        headers=owner,
    )
    assert response.status_code == 201, response.text
    task = response.json()
    assert response.headers["location"] == tasks_path(project["id"], task["id"])
    assert (task["status"], task["due_on"], task["completed_at"]) == ("todo", "2026-12-15", None)
    assert client.get(response.headers["location"], headers=owner).json() == task


def test_non_members_cannot_write_tasks(client: TestClient, app: FastAPI) -> None:
    project, owner, _ = _board(client, app)
    _, outsider = member_with_headers(app)
    _requester, requester_headers = member_with_headers(app)
    _, organizer = member_with_headers(app, role=Role.ORGANIZER)
    client.post(members_path(project["id"]), json={}, headers=requester_headers)
    task = client.post(tasks_path(project["id"]), json={"title": "Layout"}, headers=owner).json()
    for headers in (outsider, requester_headers, organizer):
        created = client.post(tasks_path(project["id"]), json={"title": "Mine"}, headers=headers)
        assert created.status_code == 403
        assert created.json()["code"] == "not_project_member"
        path = tasks_path(project["id"], task["id"])
        assert client.patch(path, json={"status": "done"}, headers=headers).status_code == 403
        assert client.delete(path, headers=headers).status_code == 403
        # Reading the board is open to every member.
        assert client.get(tasks_path(project["id"]), headers=headers).status_code == 200
    assert (
        client.get(tasks_path(project["id"], task["id"]), headers=owner).json()["status"] == "todo"
    )


def test_an_assignee_must_be_an_active_project_member(client: TestClient, app: FastAPI) -> None:
    project, owner, contributor_id = _board(client, app)
    outsider = make_member(app)
    requester, requester_headers = member_with_headers(app)
    client.post(members_path(project["id"]), json={}, headers=requester_headers)
    task = client.post(tasks_path(project["id"]), json={"title": "Layout"}, headers=owner).json()
    for assignee in (outsider.id, requester.id, 999_999):
        created = client.post(
            tasks_path(project["id"]), json={"title": "x", "assignee_id": assignee}, headers=owner
        )
        assert created.status_code == 422
        problem = created.json()
        assert problem["code"] == "assignee_not_project_member"
        assert problem["errors"][0]["loc"] == ["body", "assignee_id"]
        patched = client.patch(
            tasks_path(project["id"], task["id"]), json={"assignee_id": assignee}, headers=owner
        )
        assert patched.status_code == 422
    assigned = client.patch(
        tasks_path(project["id"], task["id"]), json={"assignee_id": contributor_id}, headers=owner
    )
    assert assigned.json()["assignee_id"] == contributor_id
    cleared = client.patch(
        tasks_path(project["id"], task["id"]),
        json={"assignee_id": None, "due_on": None},
        headers=owner,
    )
    assert cleared.json()["assignee_id"] is None


def test_completing_a_task_counts_once(client: TestClient, app: FastAPI, published: Events) -> None:
    project, owner, contributor_id = _board(client, app)
    task = client.post(
        tasks_path(project["id"]),
        json={"title": "Layout", "assignee_id": contributor_id},
        headers=owner,
    ).json()
    path = tasks_path(project["id"], task["id"])
    done = client.patch(path, json={"status": "done"}, headers=owner).json()
    assert done["completed_at"] is not None
    for status in ("done", "doing", "done"):
        assert client.patch(path, json={"status": status}, headers=owner).status_code == 200
    completions = [e for e in published if isinstance(e, TaskCompleted)]
    assert len(completions) == 1
    assert completions[0].task_id == task["id"]
    assert completions[0].member_id == contributor_id  # the contribution is the assignee's
    assert client.get(path, headers=owner).json()["completed_at"] == done["completed_at"]


def test_a_task_created_done_counts_for_its_author(
    client: TestClient, app: FastAPI, published: Events
) -> None:
    owner_member, owner = member_with_headers(app)
    project = create_project(client, owner)
    client.post(tasks_path(project["id"]), json={"title": "Cover", "status": "done"}, headers=owner)
    completions = [e for e in published if isinstance(e, TaskCompleted)]
    assert [c.member_id for c in completions] == [owner_member.id]


def test_task_edits_honour_if_match(client: TestClient, app: FastAPI) -> None:
    project, owner, _ = _board(client, app)
    task = client.post(tasks_path(project["id"]), json={"title": "Layout"}, headers=owner).json()
    path = tasks_path(project["id"], task["id"])
    etag = client.get(path, headers=owner).headers["etag"]
    ok = client.patch(path, json={"status": "doing"}, headers={**owner, "If-Match": etag})
    assert ok.status_code == 200
    stale = client.patch(path, json={"title": "Cover"}, headers={**owner, "If-Match": etag})
    assert stale.status_code == 412


@pytest.mark.parametrize(
    "body",
    [
        {"title": "x", "completed_at": "2026-01-01T00:00:00Z"},
        {"title": "x", "created_by_id": 1},
        {"title": "x", "project_id": 2},
        {"title": "x", "status": "blocked"},
        {"title": "x", "due_on": "not a date"},
        {"title": "x", "due_on": "0001-01-01"},
        {"title": "x", "assignee_id": 0},
        {"title": ""},
    ],
)
def test_invalid_task_fields_are_422(
    client: TestClient, app: FastAPI, body: dict[str, Any]
) -> None:
    _, owner = member_with_headers(app)
    project = create_project(client, owner)
    assert client.post(tasks_path(project["id"]), json=body, headers=owner).status_code == 422


def test_title_and_status_cannot_be_nulled(client: TestClient, app: FastAPI) -> None:
    _, owner = member_with_headers(app)
    project = create_project(client, owner)
    task = client.post(tasks_path(project["id"]), json={"title": "Layout"}, headers=owner).json()
    path = tasks_path(project["id"], task["id"])
    for body in ({"title": None}, {"status": None}, {"description": None}):
        assert client.patch(path, json=body, headers=owner).status_code == 422


def test_task_filters(client: TestClient, app: FastAPI) -> None:
    project, owner, contributor_id = _board(client, app)

    def create(**body: Any) -> int:
        response = client.post(
            tasks_path(project["id"]), json={"title": "t", **body}, headers=owner
        )
        task_id: int = response.json()["id"]
        return task_id

    todo = create()
    doing = create(status="doing", assignee_id=contributor_id)
    done = create(status="done", assignee_id=contributor_id)

    def ids(**params: Any) -> list[int]:
        items = client.get(tasks_path(project["id"]), params=params, headers=owner).json()["items"]
        return [item["id"] for item in items]

    assert ids() == [todo, doing, done]
    assert ids(status="doing") == [doing]
    assert ids(assignee_id=contributor_id) == [doing, done]
    assert ids(assignee_id=contributor_id, status="done") == [done]


def test_authors_and_coordinators_delete_tasks(client: TestClient, app: FastAPI) -> None:
    _, owner = member_with_headers(app)
    author, author_headers = member_with_headers(app)
    other, other_headers = member_with_headers(app)
    project = create_project(client, owner)
    for member in (author, other):
        add_member(client, project["id"], owner, member.id)
    first = client.post(
        tasks_path(project["id"]), json={"title": "a"}, headers=author_headers
    ).json()
    second = client.post(
        tasks_path(project["id"]), json={"title": "b"}, headers=author_headers
    ).json()
    refused = client.delete(tasks_path(project["id"], first["id"]), headers=other_headers)
    assert refused.status_code == 403
    assert refused.json()["code"] == "not_task_owner"
    assert (
        client.delete(tasks_path(project["id"], first["id"]), headers=author_headers).status_code
        == 204
    )
    assert client.delete(tasks_path(project["id"], second["id"]), headers=owner).status_code == 204
    assert client.get(tasks_path(project["id"]), headers=owner).json()["items"] == []


def test_a_task_belongs_to_its_project(client: TestClient, app: FastAPI) -> None:
    _, owner = member_with_headers(app)
    first = create_project(client, owner)
    second = create_project(client, owner)
    task = client.post(tasks_path(first["id"]), json={"title": "a"}, headers=owner).json()
    path = tasks_path(second["id"], task["id"])
    assert client.get(path, headers=owner).json()["code"] == "task_not_found"
    assert client.patch(path, json={"status": "done"}, headers=owner).status_code == 404
    assert client.delete(path, headers=owner).status_code == 404


def test_task_list_query_count_does_not_grow_with_page_size(
    client: TestClient, app: FastAPI, queries: QueryCounter
) -> None:
    project, owner, contributor_id = _board(client, app)
    for n in range(10):
        client.post(
            tasks_path(project["id"]),
            json={"title": f"t{n}", "assignee_id": contributor_id if n % 2 else None},
            headers=owner,
        )
    counts = {}
    for limit in (2, 10):
        queries.reset()
        response = client.get(tasks_path(project["id"]), params={"limit": limit}, headers=owner)
        assert len(response.json()["items"]) == limit
        counts[limit] = queries.count
    assert counts[2] == counts[10], counts
