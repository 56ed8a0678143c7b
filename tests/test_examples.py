"""The contract's examples cannot drift from the answers: every documented response example
validates against its schema, and for operations across every resource a real answer from
a seeded community has the example's fields, nested alike, and nulls where it has them."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from jsonschema import Draft202012Validator
from rich.console import Console
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from app.demo.community import SMALLEST_COMMUNITY, seed_community
from app.models import Member, MentorProfile
from tests.conftest import _empty_tables
from tests.factories import auth_headers

JSON = "application/json"
POOL = 10
# Fields whose example shows one of two states an answer can be in, and that the seeded
# community happens to show only in the other; each with why the example is still right.
DATA_DEPENDENT = {
    "next_cursor": "null on the last page; the example shows a page with more after it",
    "waitlist_position": "only a waitlisted RSVP has one; the demo's events have room",
}
# Objects whose keys depend on what they describe (a notification's type, an audited change):
# their example shows one kind; the schema says any keys.
FREE_FORM = {"data", "changes"}


def _documented_examples(schema: dict[str, Any]) -> Iterator[tuple[str, Any, dict[str, Any]]]:
    """(where, example, schema) of every JSON response example: the operation's own, and
    its schema's (a component's `examples`) when it has none."""
    components = schema["components"]["schemas"]
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            for status, response in operation.get("responses", {}).items():
                content = response.get("content", {}).get(JSON)
                if content is None or "schema" not in content:
                    continue
                where = f"{method.upper()} {path} {status}"
                if "example" in content:
                    yield where, content["example"], content["schema"]
                ref = content["schema"].get("$ref", "")
                for example in components.get(ref.rsplit("/", 1)[-1], {}).get("examples", []):
                    yield where + " (schema)", example, content["schema"]


def test_every_documented_response_example_validates_against_its_schema(app: FastAPI) -> None:
    schema = app.openapi()
    failures = []
    checked = 0
    for where, example, response_schema in _documented_examples(schema):
        validator = Draft202012Validator({**response_schema, "components": schema["components"]})
        errors = sorted(validator.iter_errors(example), key=lambda e: list(e.path))
        failures += [f"{where}: {list(e.path)} {e.message}" for e in errors[:3]]
        checked += 1
    assert checked > 100, checked  # the walk found the examples
    assert not failures, "\n".join(failures)


def _drift(example: Any, answers: list[Any], where: str) -> list[str]:
    """How the example differs from the answers (all answers of a list, pooled): keys at any
    depth, and nulls: a null the answers never have, a value they never have."""
    objects = [a for a in answers if isinstance(a, dict)]
    if isinstance(example, dict) and objects:
        problems = []
        for answer in objects:
            if set(answer) != set(example):
                only_example = sorted(set(example) - set(answer))
                only_answer = sorted(set(answer) - set(example))
                return [
                    f"{where}: only in the example {only_example}, only in the answer {only_answer}"
                ]
        for key, value in example.items():
            values = [answer[key] for answer in objects]
            if key in DATA_DEPENDENT:
                continue
            if value is None and all(v is not None for v in values):
                problems.append(f"{where}.{key}: null in the example, never in the answers")
            elif value is not None and all(v is None for v in values):
                problems.append(f"{where}.{key}: a value in the example, null in the answers")
            elif value is not None and key not in FREE_FORM:
                problems += _drift(value, [v for v in values if v is not None], f"{where}.{key}")
        return problems
    lists = [a for a in answers if isinstance(a, list)]
    if isinstance(example, list) and example and lists:
        items = [item for answer in lists for item in answer]
        return _drift(example[0], items, where + "[]") if items else []
    return []


def _example_of(schema: dict[str, Any], method: str, path: str, status: str) -> Any:
    content = schema["paths"][path][method]["responses"][status]["content"][JSON]
    if "example" in content:
        return content["example"]
    name = content["schema"]["$ref"].rsplit("/", 1)[-1]
    return schema["components"]["schemas"][name]["examples"][0]


@pytest.fixture
def community(app: FastAPI, engine: Engine) -> Iterator[dict[str, dict[str, str]]]:
    """The demo community, and headers of its admin and of one of its members."""
    _empty_tables(engine)
    seed_community(
        engine,
        app.state.settings,
        members_count=SMALLEST_COMMUNITY,
        seed=5,
        console=Console(quiet=True),
    )
    with Session(engine) as session:
        admin = session.exec(select(Member).where(Member.handle == "demo_admin")).one()
        # A member who offers mentoring: the example of /members/me shows a profile, and
        # which demo members offer one depends on the day the demo plays out.
        member = session.exec(
            select(Member)
            .join(MentorProfile, col(MentorProfile.member_id) == col(Member.id))
            .where(Member.role == "member", col(MentorProfile.is_listed).is_(True))
            .order_by(col(Member.id))
        ).first()
        assert member is not None
        session.expunge_all()
    yield {"admin": auth_headers(app, admin), "member": auth_headers(app, member)}
    _empty_tables(engine)


def _creations(client: TestClient, app: FastAPI, admin: dict[str, str]) -> dict[str, int]:
    """What the demo does not seed: an invitation, a token, a webhook, a report."""
    made = {
        "invitation_id": client.post("/api/v1/invitations", headers=admin),
        "token_id": client.post(
            "/api/v1/members/me/tokens", json={"name": "bot", "scopes": ["read"]}, headers=admin
        ),
        "webhook_id": client.post(
            "/api/v1/webhooks",
            # An address, not a name: tests resolve no names (tests/conftest.py).
            json={"url": "https://93.184.216.34/sanggar", "events": ["idea.created"]},
            headers=admin,
        ),
    }
    for name, response in made.items():
        assert response.status_code == 201, (name, response.text)
    token = {"Authorization": f"Bearer {made['token_id'].json()['token']}"}
    assert client.get("/api/v1/members/me", headers=token).status_code == 200
    with Session(app.state.engine) as session:
        app.state.token_uses.write(session)  # the periodic job's work: last_used_at is set
    return {name: int(response.json()["id"]) for name, response in made.items()}


# A chosen set: at least one read of every resource, lists and single items.
OPERATIONS = [
    ("member", "/api/v1/members/me"),
    ("member", "/api/v1/members"),
    ("member", "/api/v1/members/{member_id}"),
    ("member", "/api/v1/members/me/first-steps"),
    ("admin", "/api/v1/members/me/tokens"),
    ("admin", "/api/v1/members/me/tokens/{token_id}"),
    ("admin", "/api/v1/invitations"),
    ("admin", "/api/v1/invitations/{invitation_id}"),
    ("member", "/api/v1/notifications"),
    ("member", "/api/v1/notifications/unread-count"),
    ("member", "/api/v1/events"),
    ("member", "/api/v1/events/{event_id}"),
    ("admin", "/api/v1/events/{event_id}/rsvps"),
    ("member", "/api/v1/challenges"),
    ("member", "/api/v1/challenges/{challenge_id}"),
    ("member", "/api/v1/challenges/{challenge_id}/submissions"),
    ("member", "/api/v1/submissions/{submission_id}"),
    ("member", "/api/v1/showcase"),
    ("member", "/api/v1/projects"),
    ("member", "/api/v1/projects/{project_id}"),
    ("member", "/api/v1/projects/{project_id}/members"),
    ("member", "/api/v1/projects/{project_id}/updates"),
    ("member", "/api/v1/mentors"),
    ("admin", "/api/v1/mentorships"),
    ("member", "/api/v1/threads"),
    ("member", "/api/v1/threads/{thread_id}"),
    ("member", "/api/v1/threads/{thread_id}/posts"),
    ("member", "/api/v1/ideas"),
    ("member", "/api/v1/ideas/{idea_id}"),
    ("member", "/api/v1/announcements"),
    ("member", "/api/v1/announcements/{announcement_id}"),
    ("admin", "/api/v1/webhooks"),
    ("admin", "/api/v1/webhooks/{webhook_id}"),
    ("member", "/api/v1/leaderboard"),
    ("member", "/api/v1/badges"),
    ("member", "/api/v1/anthologies"),
    ("member", "/api/v1/anthologies/{anthology_id}"),
    ("admin", "/api/v1/audit-log"),
]
# Where each path parameter's value comes from: the first item of a list.
SOURCES = {
    "event_id": "/api/v1/events",
    "challenge_id": "/api/v1/challenges",
    "project_id": "/api/v1/projects",
    "thread_id": "/api/v1/threads",
    "idea_id": "/api/v1/ideas",
    "announcement_id": "/api/v1/announcements",
    "anthology_id": "/api/v1/anthologies",
    "member_id": "/api/v1/members",
}


def _ids(client: TestClient, path: str, headers: dict[str, str]) -> list[int]:
    """Up to POOL ids from a list: answers of several items show each field's states."""
    response = client.get(path, params={"limit": POOL}, headers=headers)
    assert response.status_code == 200, (path, response.text)
    ids = [int(item["id"]) for item in response.json()["items"]]
    assert ids, f"the demo community has nothing at {path}"
    return ids


def _answers(
    client: TestClient, template: str, pools: dict[str, list[int]], headers: dict[str, str]
) -> list[Any]:
    """The operation's answers, one for each id in its first path parameter's pool."""
    names = re.findall(r"\{(\w+)\}", template)
    paths = [template]
    if names:
        paths = []
        for first in pools[names[0]]:
            values = {names[0]: first} | {name: pools[name][0] for name in names[1:]}
            paths.append(template.format(**values))
    answers = []
    for path in paths:
        response = client.get(path, params={"limit": 100}, headers=headers)
        assert response.status_code == 200, (path, response.text)
        answers.append(response.json())
    return answers


def _submissions(client: TestClient, headers: dict[str, str]) -> list[int]:
    """Works from every challenge (the newest may have none yet)."""
    found = []
    for challenge_id in _ids(client, "/api/v1/challenges", headers):
        path = f"/api/v1/challenges/{challenge_id}/submissions"
        found += [item["id"] for item in client.get(path, headers=headers).json()["items"][:3]]
    return found[:POOL]


def test_real_answers_have_the_documented_examples_fields_and_nulls(
    app: FastAPI, client: TestClient, community: dict[str, dict[str, str]]
) -> None:
    schema = app.openapi()
    admin, member = community["admin"], community["member"]
    # Ids as a member sees them (an admin also sees drafts, which members may not read).
    pools = {name: _ids(client, path, member) for name, path in SOURCES.items()}
    pools["submission_id"] = _submissions(client, member)
    pools |= {name: [made] for name, made in _creations(client, app, admin).items()}
    problems = []
    for caller, template in OPERATIONS:
        answers = _answers(client, template, pools, community[caller])
        example = _example_of(schema, "get", template, "200")
        problems += _drift(example, answers, f"GET {template}")
    problems += _auth_drift(client, schema)
    assert not problems, "\n".join(problems)


def _auth_drift(client: TestClient, schema: dict[str, Any]) -> list[str]:
    """Sign-up, log-in and refresh: the writes every client begins with."""
    body = {
        "email": "ex@example.com",
        "password": "correct horse battery",
        "handle": "examples",
        "display_name": "Ex Ample",
    }
    registered = client.post("/api/v1/auth/register", json=body)
    form = {"username": "examples", "password": body["password"]}
    pair = client.post("/api/v1/auth/token", data=form)
    refresh = {"refresh_token": pair.json()["refresh_token"]}
    renewed = client.post("/api/v1/auth/refresh", json=refresh)
    problems = []
    for path, status, response in (
        ("/api/v1/auth/register", "201", registered),
        ("/api/v1/auth/token", "200", pair),
        ("/api/v1/auth/refresh", "200", renewed),
    ):
        assert response.status_code == int(status), (path, response.text)
        example = _example_of(schema, "post", path, status)
        problems += _drift(example, [response.json()], f"POST {path}")
    return problems
