"""Reports: grouped per target, decided by organizers, who may hide the target."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.core.domain_events import ContentHidden, DomainEvent, ReportOpened
from app.models import Role
from tests.challenges.helpers import CHALLENGES
from tests.conversation.helpers import (
    API,
    comment,
    created,
    ids,
    notifications,
    propose,
    reply,
    report,
    start_thread,
    work,
)
from tests.factories import QueryCounter, data_of, member_with_headers

Headers = dict[str, str]


def _decide(client: TestClient, staff: Headers, case_id: int, **changes: Any) -> dict[str, Any]:
    response = client.patch(f"{API}/reports/{case_id}", json=changes, headers=staff)
    assert response.status_code == 200, response.text
    decided: dict[str, Any] = response.json()
    return decided


def test_reports_of_one_target_are_grouped(
    client: TestClient, app: FastAPI, published: list[DomainEvent]
) -> None:
    first, one = member_with_headers(app)
    second, two = member_with_headers(app)
    _, staff = member_with_headers(app, role=Role.ORGANIZER)
    thread = start_thread(client, one)
    post = reply(client, thread["id"], one).json()
    filed = created(report(client, two, "post", post["id"]))
    assert filed["status"] == "open" and filed["report_count"] == 1
    assert client.get(f"{API}/reports/{filed['id']}", headers=two).json() == filed
    again = report(client, two, "post", post["id"])
    assert (again.status_code, again.json()["code"]) == (409, "already_reported")
    body = {"target_type": "post", "target_id": post["id"], "reason": "Off topic."}
    grouped = created(client.post(f"{API}/reports", json=body, headers=one))
    assert grouped["id"] == filed["id"]
    # A reporter sees their own report only; others do not see the case at all.
    assert [r["reason"] for r in grouped["reports"]] == ["Off topic."]
    _, stranger = member_with_headers(app)
    assert client.get(f"{API}/reports/{filed['id']}", headers=stranger).status_code == 404
    listed = client.get(f"{API}/reports", headers=staff).json()["items"]
    assert len(listed) == 1 and listed[0]["report_count"] == 2
    assert [(r["reporter_id"], r["reason"]) for r in listed[0]["reports"]] == [
        (first.id, "Off topic."),
        (second.id, "Spam."),
    ]
    opened = [data_of(e) for e in published if isinstance(e, ReportOpened)]
    assert opened == [{"case_id": filed["id"], "target_type": "post", "target_id": post["id"]}]
    assert [n["type"] for n in notifications(client, staff)].count("report.opened") == 1


def test_members_cannot_list_or_decide_reports(client: TestClient, app: FastAPI) -> None:
    _, member = member_with_headers(app)
    thread = start_thread(client, member)
    case = created(report(client, member, "thread", thread["id"]))
    assert client.get(f"{API}/reports", headers=member).status_code == 403
    patch = client.patch(
        f"{API}/reports/{case['id']}", json={"status": "dismissed"}, headers=member
    )
    assert patch.status_code == 403
    assert client.get(f"{API}/reports").status_code == 401


def test_a_target_must_exist_for_the_reporter(client: TestClient, app: FastAPI) -> None:
    _, member = member_with_headers(app)
    for target_type in ("submission", "comment", "thread", "post", "idea", "member"):
        missing = report(client, member, target_type, 999_999)
        assert (missing.status_code, missing.json()["code"]) == (404, "report_target_not_found")
    bad = {"target_type": "event", "target_id": 1, "reason": "x"}
    assert client.post(f"{API}/reports", json=bad, headers=member).status_code == 422
    long = {"target_type": "member", "target_id": 1, "reason": "x" * 1001}
    assert client.post(f"{API}/reports", json=long, headers=member).status_code == 422


def test_a_new_report_reopens_a_decided_case(
    client: TestClient, app: FastAPI, published: list[DomainEvent]
) -> None:
    _, one = member_with_headers(app)
    _, two = member_with_headers(app)
    organizer, staff = member_with_headers(app, role=Role.ORGANIZER)
    idea = propose(client, one)
    case = created(report(client, one, "idea", idea["id"]))
    decided = _decide(client, staff, case["id"], status="dismissed", note="Fine as it is.")
    assert (decided["status"], decided["resolved_by_id"], decided["note"]) == (
        "dismissed",
        organizer.id,
        "Fine as it is.",
    )
    dismissed = client.get(f"{API}/reports", params={"status": "dismissed"}, headers=staff)
    assert ids(dismissed) == [case["id"]]
    assert ids(client.get(f"{API}/reports", params={"status": "open"}, headers=staff)) == []
    reopened = created(report(client, two, "idea", idea["id"]))
    assert (reopened["status"], reopened["report_count"]) == ("open", 2)
    assert reopened["note"] is None  # the organizers' note is theirs
    assert len([e for e in published if isinstance(e, ReportOpened)]) == 2


def test_hiding_a_thread_takes_it_out_of_member_lists(
    client: TestClient, app: FastAPI, published: list[DomainEvent]
) -> None:
    _, member = member_with_headers(app)
    _, staff = member_with_headers(app, role=Role.ORGANIZER)
    kept, hidden = start_thread(client, member), start_thread(client, member)
    case = created(report(client, member, "thread", hidden["id"]))
    decided = _decide(client, staff, case["id"], status="resolved", hide_target=True)
    assert decided["target_hidden"] is True
    assert ids(client.get(f"{API}/threads", headers=member)) == [kept["id"]]
    assert client.get(f"{API}/threads/{hidden['id']}", headers=member).status_code == 404
    assert reply(client, hidden["id"], member).status_code == 404
    for_staff = client.get(f"{API}/threads", headers=staff).json()["items"]
    assert [(t["id"], t["hidden"]) for t in for_staff] == [
        (hidden["id"], True),
        (kept["id"], False),
    ]
    assert [data_of(e) for e in published if isinstance(e, ContentHidden)] == [
        {"target_type": "thread", "target_id": hidden["id"]}
    ]
    shown = _decide(client, staff, case["id"], status="resolved", hide_target=False)
    assert shown["target_hidden"] is False
    assert len(ids(client.get(f"{API}/threads", headers=member))) == 2


def _hide(client: TestClient, reporter: Headers, staff: Headers, kind: str, target: int) -> None:
    case = created(report(client, reporter, kind, target))
    _decide(client, staff, case["id"], status="resolved", hide_target=True)


def test_hidden_posts_comments_and_ideas_leave_member_lists(
    client: TestClient, app: FastAPI
) -> None:
    _, member = member_with_headers(app)
    _, staff = member_with_headers(app, role=Role.ORGANIZER)
    thread = start_thread(client, member)
    posts = [reply(client, thread["id"], member).json() for _ in range(2)]
    submission = work(app, client, member)
    comments = [comment(client, submission["id"], member).json() for _ in range(2)]
    ideas = [propose(client, member, title=f"Idea {n}") for n in range(2)]
    _hide(client, member, staff, "post", posts[0]["id"])
    _hide(client, member, staff, "comment", comments[0]["id"])
    _hide(client, member, staff, "idea", ideas[0]["id"])
    for url, kept, hidden in (
        (f"{API}/threads/{thread['id']}/posts", posts[1], posts[0]),
        (f"{API}/submissions/{submission['id']}/comments", comments[1], comments[0]),
        (f"{API}/ideas", ideas[1], ideas[0]),
    ):
        assert ids(client.get(url, headers=member)) == [kept["id"]], url
        assert hidden["id"] in ids(client.get(url, headers=staff)), url
    assert client.get(f"{API}/posts/{posts[0]['id']}", headers=member).status_code == 404
    assert client.get(f"{API}/comments/{comments[0]['id']}", headers=member).status_code == 404
    assert client.get(f"{API}/ideas/{ideas[0]['id']}", headers=member).status_code == 404
    assert client.get(f"{API}/ideas/{ideas[0]['id']}", headers=staff).json()["hidden"] is True


def test_hidden_works_leave_the_challenge_list_and_the_showcase(
    client: TestClient, app: FastAPI
) -> None:
    _, author = member_with_headers(app)
    _, staff = member_with_headers(app, role=Role.ADMIN)
    submission = work(app, client, author, phase="closed")
    moderation = {"action": "feature"}
    url = f"/api/v1/submissions/{submission['id']}/moderation"
    assert client.post(url, json=moderation, headers=staff).status_code == 200
    showcase = [i["submission"]["id"] for i in client.get("/api/v1/showcase").json()["items"]]
    assert showcase == [submission["id"]]
    _hide(client, author, staff, "submission", submission["id"])
    assert client.get("/api/v1/showcase").json()["items"] == []
    works = f"{CHALLENGES}/{submission['challenge_id']}/submissions"
    assert ids(client.get(works)) == []
    assert ids(client.get(works, headers=author)) == []
    assert ids(client.get(works, headers=staff)) == [submission["id"]]
    # The work itself follows the lists: only organizers still see it.
    one = f"/api/v1/submissions/{submission['id']}"
    assert client.get(one).status_code == 404
    assert client.get(one, headers=author).status_code == 404
    assert client.get(one, headers=staff).json()["id"] == submission["id"]


def test_hidden_members_leave_the_directory(client: TestClient, app: FastAPI) -> None:
    troll, _ = member_with_headers(app)
    reader, headers = member_with_headers(app)
    _, staff = member_with_headers(app, role=Role.ORGANIZER)
    _hide(client, headers, staff, "member", troll.id)  # type: ignore[arg-type]
    listed = ids(client.get("/api/v1/members", params={"limit": 100}, headers=headers))
    assert troll.id not in listed and reader.id in listed
    assert troll.id in ids(client.get("/api/v1/members", params={"limit": 100}, headers=staff))


def test_report_list_query_count_does_not_grow_with_page_size(
    client: TestClient, app: FastAPI, queries: QueryCounter
) -> None:
    _, staff = member_with_headers(app, role=Role.ORGANIZER)
    reporters = [member_with_headers(app)[1] for _ in range(3)]
    for n in range(6):
        thread = start_thread(client, reporters[0], title=f"T{n}")
        for headers in reporters:
            report(client, headers, "thread", thread["id"])
    counts = []
    for limit in (2, 6):
        queries.reset()
        response = client.get(f"{API}/reports", params={"limit": limit}, headers=staff)
        assert len(response.json()["items"]) == limit
        counts.append(queries.count)
    assert counts[0] == counts[1]
