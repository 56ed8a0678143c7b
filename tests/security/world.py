"""A small community with one object of every kind, for the authorization matrix.

`member` owns the owner-bound objects (a work, a comment, a thread and post, an idea, a
report, a vote, a PAT, a project and its task and update, a mentorship request, an RSVP, an inquiry
to them, notifications); `other` is a second plain member who owns nothing of theirs;
`organizer` and `admin` run the community.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.mail import kinds, tokens
from app.models import Member, Role, WebhookDelivery
from tests.challenges.helpers import CHALLENGES, create_challenge, move_to, submit, vote
from tests.chat_bridges.conftest import TARGETS
from tests.conversation.helpers import API, comment, created, propose, reply, report, start_thread
from tests.events.helpers import create_event, rsvp
from tests.factories import PASSWORD, auth_headers, make_member, make_mentor
from tests.judging.helpers import judging, score
from tests.media.helpers import process
from tests.media.samples import jpeg
from tests.mentoring.helpers import request_mentorship
from tests.projects.helpers import add_member, create_project
from tests.webhooks.conftest import SECRET

ROLES = ("anonymous", "member", "other", "organizer", "admin")


@dataclass
class World:
    headers: dict[str, dict[str, str]]
    members: dict[str, Member]
    ids: dict[str, int] = field(default_factory=dict)
    calendar_token: str = ""
    unsubscribe_token: str = ""
    picture: bytes = b""

    def __getitem__(self, key: str) -> int:
        return self.ids[key]


def _post(client: TestClient, path: str, headers: dict[str, str], body: Any = None) -> Any:
    return created(client.post(f"{API}{path}", json=body, headers=headers))


def build_world(client: TestClient, app: FastAPI) -> World:
    people = {
        "member": make_member(app, open_for_commissions=True),
        "other": make_member(app),
        "organizer": make_member(app, role=Role.ORGANIZER),
        "admin": make_member(app, role=Role.ADMIN),
    }
    mentor = make_mentor(app, topics=["zines"])
    headers = {role: auth_headers(app, person) for role, person in people.items()}
    headers["anonymous"] = {}
    w = World(headers=headers, members=people)
    me, staff, admin = headers["member"], headers["organizer"], headers["admin"]
    w.ids.update({role: person.id or 0 for role, person in people.items()})
    w.ids["mentor"] = mentor.id or 0

    w.ids["token"] = _post(client, "/members/me/tokens", me, {"name": "bot", "scopes": ["read"]})[
        "id"
    ]
    w.ids["invitation"] = _post(client, "/invitations", admin, {})["id"]
    event = create_event(client, staff, capacity=10)
    w.ids["event"] = event["id"]
    rsvp(client, event["id"], me)
    w.calendar_token = _post(client, "/members/me/calendar-token", me)["token"]
    _post(client, f"/events/{event['id']}/check-ins", staff, {"member_id": w["member"]})

    challenge = create_challenge(client, staff, votes_per_member=3)
    w.ids["challenge"] = challenge["id"]
    w.ids["work"] = submit(client, challenge["id"], me)["id"]
    w.ids["other_work"] = submit(client, challenge["id"], headers["other"])["id"]
    w.ids["comment"] = created(comment(client, w["other_work"], me))["id"]
    voting = create_challenge(client, staff, votes_per_member=3)
    w.ids["voting_challenge"] = voting["id"]
    w.ids["voting_work"] = submit(client, voting["id"], headers["other"])["id"]
    move_to(client, staff, voting["id"], "voting")
    vote(client, w["voting_work"], me)  # so that unvoting has a vote of `member`'s to remove

    thread = start_thread(client, me)
    w.ids["thread"] = thread["id"]
    w.ids["post"] = created(reply(client, thread["id"], me))["id"]
    w.ids["idea"] = propose(client, me)["id"]
    w.ids["announcement"] = _post(
        client, "/announcements", staff, {"title": "Hi", "body": "Hello"}
    )["id"]
    w.ids["report"] = created(report(client, me, "post", w["post"]))["id"]

    project = create_project(client, me)
    w.ids["project"] = project["id"]
    add_member(client, project["id"], me, w["other"])
    w.ids["task"] = _post(client, f"/projects/{project['id']}/tasks", me, {"title": "Edit"})["id"]
    w.ids["update"] = _post(client, f"/projects/{project['id']}/updates", me, {"body": "Week 1"})[
        "id"
    ]
    w.ids["mentorship"] = request_mentorship(client, mentor, me)["id"]
    inquiry = {"name": "Ana", "email": "ana@example.org", "message": "A commission?"}
    _post(client, f"/members/{w['member']}/inquiries", headers["other"], inquiry)
    w.ids["inquiry"] = client.get(f"{API}/members/me/inquiries", headers=me).json()["items"][0][
        "id"
    ]

    webhook = {"url": "https://hooks.example.org/in", "events": ["member.joined"], "secret": SECRET}
    w.ids["webhook"] = _post(client, "/webhooks", admin, webhook)["id"]
    w.ids["delivery"] = _post(client, f"/webhooks/{w['webhook']}/ping", admin)["id"]
    w.ids["anthology"] = _post(client, "/anthologies", staff, {"title": "Cerita"})["id"]
    _post(client, f"/members/{w['member']}/awards", admin, {"title": "Kind soul"})
    badges = client.get(f"{API}/members/{w['member']}/badges", headers=me).json()["items"]
    w.ids["badge"] = badges[0]["id"] if badges else 1

    # Judging: `member` is the juror of a challenge in voting (a work of `other`'s to score);
    # a closed judged challenge holds `member`'s work, scored by `other`.
    judged = create_challenge(client, staff, judging=judging([w["member"]]), votes_per_member=1)
    w.ids["judged"] = judged["id"]
    w.ids["judged_work"] = submit(client, judged["id"], headers["other"])["id"]
    move_to(client, staff, judged["id"], "voting")
    closed = create_challenge(client, staff, judging=judging([w["other"]]), votes_per_member=1)
    w.ids["scored_work"] = submit(client, closed["id"], me)["id"]
    move_to(client, staff, closed["id"], "voting")
    scored = score(client, w["scored_work"], headers["other"], {"concept": 7, "craft": 8})
    assert scored.status_code == 200, scored.text
    move_to(client, staff, closed["id"], "closed")

    # A picture of `member`'s, processed (attached to nothing: only its owner sees it).
    with tempfile.TemporaryDirectory() as directory:
        w.picture = jpeg(Path(directory)).read_bytes()
    files = {"file": ("plain.jpg", w.picture, "image/jpeg")}
    w.ids["media"] = created(client.post(f"{API}/media", headers=me, files=files))["id"]
    process(app)
    bridge = {
        "kind": "discord",
        "name": "Crew",
        "target": TARGETS["discord"],
        "events": ["idea.created"],
    }
    w.ids["bridge"] = _post(client, "/chat-bridges", admin, bridge)["id"]
    # A log-in of `member`'s besides the one their headers carry, to end.
    login = {"username": people["member"].email, "password": PASSWORD}
    assert client.post(f"{API}/auth/token", data=login).status_code == 200
    sessions = client.get(f"{API}/members/me/sessions", headers=me).json()["items"]
    w.ids["login"] = next((s["id"] for s in sessions if not s["current"]), 0)
    w.unsubscribe_token = tokens.unsubscribe_token(
        app.state.settings.signing_key(), w["member"], kinds.DIGEST
    )
    return w


def delivery_count(app: FastAPI) -> int:
    with Session(app.state.engine) as session:
        return len(session.exec(select(WebhookDelivery)).all())


__all__ = ["CHALLENGES", "ROLES", "World", "build_world", "delivery_count"]
