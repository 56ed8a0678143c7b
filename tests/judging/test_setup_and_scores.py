"""The judging setup on a challenge, and jurors' scores: every refusal, re-scores, blindness."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func
from sqlmodel import Session, select

from app.core.clock import utcnow
from app.models import JuryScore, Mentorship, Submission, SubmissionCriterionScore
from tests.challenges.helpers import (
    CHALLENGES,
    SUBMISSIONS,
    create_challenge,
    move_to,
    organizer,
)
from tests.factories import member_with_headers
from tests.judging.helpers import CRITERIA, Judged, judging, score

# --- the setup -------------------------------------------------------------------------------


def test_a_challenge_without_judging_is_judged_by_votes(client: TestClient, app: FastAPI) -> None:
    challenge = create_challenge(client, organizer(app))
    assert challenge["judging"] == {
        "mode": "votes",
        "jury_weight": 0.0,
        "criteria": [],
        "juror_ids": [],
    }


def test_the_setup_is_stored_and_shown(client: TestClient, app: FastAPI) -> None:
    juror, _ = member_with_headers(app)
    challenge = create_challenge(client, organizer(app), judging=judging([juror.id], "jury"))
    assert challenge["judging"] == {
        "mode": "jury",
        "jury_weight": 1.0,
        "criteria": CRITERIA,
        "juror_ids": [juror.id],
    }
    read = client.get(f"{CHALLENGES}/{challenge['id']}").json()
    assert read["judging"] == challenge["judging"]


@pytest.mark.parametrize(
    "setup",
    [
        {"mode": "votes", "criteria": CRITERIA},
        {"mode": "combined", "criteria": CRITERIA, "juror_ids": [1]},  # no jury_weight
        {"mode": "combined", "jury_weight": 1.5, "criteria": CRITERIA, "juror_ids": [1]},
        {"mode": "jury", "jury_weight": 0.5, "criteria": CRITERIA, "juror_ids": [1]},
        {"mode": "jury", "criteria": [], "juror_ids": [1]},
        {"mode": "jury", "criteria": CRITERIA, "juror_ids": []},
        {"mode": "jury", "criteria": CRITERIA * 2, "juror_ids": [1]},  # duplicate keys
        {"mode": "jury", "criteria": CRITERIA, "juror_ids": [1, 1]},
        {"mode": "jury", "criteria": [{"key": "Bad Key", "title": "x", "weight": 1}]},
        {"mode": "jury", "criteria": [{"key": "k", "title": "x", "weight": 0}], "juror_ids": [1]},
        {"mode": "jury", "criteria": CRITERIA, "juror_ids": [1], "extra": True},
    ],
)
def test_an_inconsistent_setup_is_refused(
    client: TestClient, app: FastAPI, setup: dict[str, Any]
) -> None:
    body = {
        "title": "T",
        "theme": "T",
        "discipline": "photography",
        "published": True,
        "submissions_open_at": "2030-01-01T00:00:00Z",
        "submissions_close_at": "2030-01-02T00:00:00Z",
        "voting_close_at": "2030-01-03T00:00:00Z",
        "judging": setup,
    }
    response = client.post(CHALLENGES, json=body, headers=organizer(app))
    assert response.status_code == 422, response.text


def test_a_juror_must_be_an_active_member(client: TestClient, app: FastAPI) -> None:
    gone, _ = member_with_headers(app, is_active=False)
    response = client.post(
        CHALLENGES,
        json={
            "title": "T",
            "theme": "T",
            "discipline": "photography",
            "published": True,
            "submissions_open_at": "2030-01-01T00:00:00Z",
            "submissions_close_at": "2030-01-02T00:00:00Z",
            "voting_close_at": "2030-01-03T00:00:00Z",
            "judging": judging([gone.id, 10**9]),
        },
        headers=organizer(app),
    )
    assert response.status_code == 422
    assert response.json()["code"] == "unknown_jurors"
    assert response.json()["errors"][0]["loc"] == ["body", "judging", "juror_ids", 0]


def test_the_setup_is_locked_once_voting_starts(client: TestClient, app: FastAPI) -> None:
    headers = organizer(app)
    juror, _ = member_with_headers(app)
    challenge = create_challenge(client, headers, judging=judging([juror.id]))
    url = f"{CHALLENGES}/{challenge['id']}"
    changed = judging([juror.id], jury_weight=0.8)
    assert client.patch(url, json={"judging": changed}, headers=headers).status_code == 200
    move_to(client, headers, challenge["id"], "voting")
    response = client.patch(url, json={"judging": judging([juror.id])}, headers=headers)
    assert response.status_code == 409
    assert response.json()["code"] == "judging_locked"
    # The current setup sent again (a client sending the whole object) changes nothing.
    assert client.patch(url, json={"judging": changed}, headers=headers).status_code == 200
    move_to(client, headers, challenge["id"], "closed")
    response = client.patch(url, json={"judging": judging([juror.id])}, headers=headers)
    assert response.json()["code"] == "judging_locked"
    assert client.get(url).json()["judging"]["jury_weight"] == 0.8


def test_the_setup_stays_locked_once_scored_even_if_dates_move_back(
    client: TestClient, app: FastAPI
) -> None:
    judged = Judged(client, app, works=1)
    judged.score(0, 0, concept=5, craft=5)
    move_to(client, judged.headers, judged.id, "open")
    response = client.patch(
        f"{CHALLENGES}/{judged.id}",
        json={"judging": judging([m.id for m, _ in judged.jurors], "jury")},
        headers=judged.headers,
    )
    assert response.json()["code"] == "judging_locked"


def test_two_organizers_changing_the_rubric_at_once_one_gets_412(
    client: TestClient, app: FastAPI
) -> None:
    headers, other = organizer(app), organizer(app)
    juror, _ = member_with_headers(app)
    challenge = create_challenge(client, headers, judging=judging([juror.id]))
    url = f"{CHALLENGES}/{challenge['id']}"
    etag = client.get(url).headers["ETag"]
    first = client.patch(
        url,
        json={"judging": judging([juror.id], jury_weight=0.2)},
        headers={**headers, "If-Match": etag},
    )
    second = client.patch(
        url,
        json={"judging": judging([juror.id], jury_weight=0.9)},
        headers={**other, "If-Match": etag},
    )
    assert (first.status_code, second.status_code) == (200, 412)
    assert client.get(url).json()["judging"]["jury_weight"] == 0.2


# --- scoring: every refusal ------------------------------------------------------------------


def test_only_a_juror_scores(client: TestClient, app: FastAPI) -> None:
    judged = Judged(client, app, works=2)
    _, stranger = member_with_headers(app)
    response = score(client, judged.works[0]["id"], stranger, {"concept": 5, "craft": 5})
    assert (response.status_code, response.json()["code"]) == (403, "not_a_juror")
    # An author of the challenge is no juror either, nor is the organizer.
    response = score(client, judged.works[0]["id"], judged.headers, {"concept": 5, "craft": 5})
    assert response.json()["code"] == "not_a_juror"


def test_a_challenge_judged_by_votes_takes_no_scores(client: TestClient, app: FastAPI) -> None:
    headers = organizer(app)
    challenge = create_challenge(client, headers)
    _, author = member_with_headers(app)
    from tests.challenges.helpers import submit

    work = submit(client, challenge["id"], author)
    move_to(client, headers, challenge["id"], "voting")
    _, member = member_with_headers(app)
    response = score(client, work["id"], member, {"concept": 5})
    assert response.json()["code"] == "not_a_juror"


@pytest.mark.parametrize("phase", ["open", "closed"])
def test_scores_only_while_voting(client: TestClient, app: FastAPI, phase: str) -> None:
    judged = Judged(client, app, works=1)
    move_to(client, judged.headers, judged.id, phase)
    response = score(client, judged.works[0]["id"], judged.juror(0), {"concept": 5, "craft": 5})
    assert (response.status_code, response.json()["code"]) == (409, "judging_closed")


@pytest.mark.parametrize(
    ("scores", "status", "code"),
    [
        ({"concept": 5}, 422, "missing_criterion"),
        ({"concept": 5, "craft": 5, "humour": 5}, 422, "unknown_criterion"),
        ({"concept": 0, "craft": 5}, 422, "validation_failed"),
        ({"concept": 11, "craft": 5}, 422, "validation_failed"),
        ({"concept": "8", "craft": 5}, 422, "validation_failed"),
    ],
)
def test_a_score_covers_the_rubric_with_values_from_1_to_10(
    client: TestClient,
    app: FastAPI,
    session: Session,
    scores: dict[str, Any],
    status: int,
    code: str,
) -> None:
    judged = Judged(client, app, works=1)
    response = score(client, judged.works[0]["id"], judged.juror(0), scores)
    assert response.status_code == status, response.text
    assert response.json()["code"] == code
    assert session.exec(select(func.count()).select_from(JuryScore)).one() == 0


def test_a_juror_never_scores_their_own_work(client: TestClient, app: FastAPI) -> None:
    judged = Judged(client, app, works=0)
    move_to(client, judged.headers, judged.id, "open")
    from tests.challenges.helpers import submit

    own = submit(client, judged.id, judged.juror(0))
    move_to(client, judged.headers, judged.id, "voting")
    response = score(client, own["id"], judged.juror(0), {"concept": 9, "craft": 9})
    assert (response.status_code, response.json()["code"]) == (403, "conflict_of_interest")


@pytest.mark.parametrize(
    ("status", "refused"),
    [("accepted", True), ("completed", True), ("pending", False), ("declined", False)],
)
def test_a_juror_never_scores_a_mentee_current_or_past(
    client: TestClient, app: FastAPI, session: Session, status: str, refused: bool
) -> None:
    judged = Judged(client, app, works=1)
    mentor, author = judged.jurors[0][0], judged.authors[0][0]
    assert mentor.id is not None and author.id is not None
    now = utcnow()
    session.add(
        Mentorship(
            mentor_id=mentor.id,
            mentee_id=author.id,
            goal="Grow",
            status=status,
            created_at=now,
            updated_at=now,
        )
    )
    session.commit()
    response = score(client, judged.works[0]["id"], judged.juror(0), {"concept": 9, "craft": 9})
    if refused:
        assert (response.status_code, response.json()["code"]) == (403, "conflict_of_interest")
    else:
        assert response.status_code == 200
    # The other juror has no such tie.
    assert (
        score(
            client, judged.works[0]["id"], judged.juror(1), {"concept": 1, "craft": 1}
        ).status_code
        == 200
    )


def test_a_disqualified_work_takes_no_scores(client: TestClient, app: FastAPI) -> None:
    judged = Judged(client, app, works=1)
    work_id = judged.works[0]["id"]
    client.post(
        f"{SUBMISSIONS}/{work_id}/moderation", json={"action": "disqualify"}, headers=judged.headers
    )
    response = score(client, work_id, judged.juror(0), {"concept": 9, "craft": 9})
    assert (response.status_code, response.json()["code"]) == (409, "submission_disqualified")


# --- re-scores replace -----------------------------------------------------------------------


def _sums(session: Session, submission_id: int) -> tuple[int, int, dict[str, int]]:
    session.rollback()  # a new transaction: see what the requests committed
    work = session.get(Submission, submission_id)
    assert work is not None
    criteria = {
        row.criterion_key: row.score_sum
        for row in session.exec(
            select(SubmissionCriterionScore).where(
                SubmissionCriterionScore.submission_id == submission_id
            )
        )
    }
    return work.jury_total, work.juror_count, criteria


def fresh_aggregate(session: Session, submission_id: int) -> tuple[int, int, dict[str, int]]:
    session.rollback()
    rows = list(session.exec(select(JuryScore).where(JuryScore.submission_id == submission_id)))
    criteria: dict[str, int] = {}
    for row in rows:
        for key, value in row.scores.items():
            criteria[key] = criteria.get(key, 0) + int(value)
    return sum(row.total for row in rows), len(rows), criteria


def test_a_re_score_replaces_and_the_sums_follow(
    client: TestClient, app: FastAPI, session: Session
) -> None:
    judged = Judged(client, app, works=1)
    work_id = judged.works[0]["id"]
    first = judged.score(0, 0, concept=8, craft=5, note="Strong.")
    assert first["jury_score"] == 7.0  # (2×8 + 5) / 3
    judged.score(1, 0, concept=4, craft=4)
    assert _sums(session, work_id) == (21 + 12, 2, {"concept": 12, "craft": 9})
    again = judged.score(0, 0, concept=2, craft=9)
    assert again["created_at"] == first["created_at"]
    assert again["note"] == ""  # PUT replaces the whole score, note included
    assert _sums(session, work_id) == (13 + 12, 2, {"concept": 6, "craft": 13})
    assert _sums(session, work_id) == fresh_aggregate(session, work_id)
    judged.score(0, 0, concept=2, craft=9)  # the same again changes nothing
    assert _sums(session, work_id) == fresh_aggregate(session, work_id)


# --- blind judging ---------------------------------------------------------------------------


def test_a_juror_sees_no_author_until_the_challenge_closes(
    client: TestClient, app: FastAPI
) -> None:
    judged = Judged(client, app, works=2)
    work_id = judged.works[0]["id"]
    author_headers = judged.authors[0][1]
    commented = client.post(
        f"{SUBMISSIONS}/{work_id}/comments",
        json={"body": "Thanks for looking!"},
        headers=author_headers,
    )
    assert commented.status_code == 201, commented.text
    _, member = member_with_headers(app)
    client.post(f"{SUBMISSIONS}/{work_id}/comments", json={"body": "Lovely."}, headers=member)

    def seen_by(headers: dict[str, str]) -> tuple[Any, list[Any], list[Any], Any]:
        work = client.get(f"{SUBMISSIONS}/{work_id}", headers=headers).json()["author"]
        listed = [
            w["author"]
            for w in client.get(f"{CHALLENGES}/{judged.id}/submissions", headers=headers).json()[
                "items"
            ]
        ]
        comments = [
            c["author"]
            for c in client.get(f"{SUBMISSIONS}/{work_id}/comments", headers=headers).json()[
                "items"
            ]
        ]
        comment = client.get(f"/api/v1/comments/{commented.json()['id']}", headers=headers).json()[
            "author"
        ]
        return work, listed, comments, comment

    work, listed, comments, comment = seen_by(judged.juror(0))
    assert work is None and listed == [None, None] and comment is None
    assert comments[0] is None and comments[1] is not None  # other commenters stay named
    work, listed, comments, comment = seen_by(member)
    assert work is not None and None not in listed and None not in comments and comment is not None
    judged.close()
    work, listed, comments, comment = seen_by(judged.juror(0))
    assert work is not None and None not in listed and None not in comments and comment is not None


# --- the organizers' progress and the authors' notes ----------------------------------------


def test_the_progress_view_says_who_scored_what(client: TestClient, app: FastAPI) -> None:
    judged = Judged(client, app, works=3, jurors=3)
    judged.score(0, 0, concept=5, craft=5)
    judged.score(0, 1, concept=5, craft=5)
    judged.score(1, 2, concept=5, craft=5)
    url = f"{CHALLENGES}/{judged.id}/judging"
    assert client.get(url, headers=judged.juror(0)).status_code == 403
    body = client.get(url, headers=judged.headers).json()
    ids = [m.id for m, _ in judged.jurors]
    assert body["works"] == 3
    assert body["jurors"] == [
        {"juror_id": ids[0], "scored": 2, "to_score": 1},
        {"juror_id": ids[1], "scored": 1, "to_score": 2},
        {"juror_id": ids[2], "scored": 0, "to_score": 3},
    ]
    assert [(i["juror_id"], i["submission_id"]) for i in body["items"]] == [
        (ids[0], judged.works[0]["id"]),
        (ids[0], judged.works[1]["id"]),
        (ids[1], judged.works[2]["id"]),
    ]
    page = client.get(url, params={"limit": 2}, headers=judged.headers).json()
    assert len(page["items"]) == 2 and page["next_cursor"] is not None


def test_juror_notes_reach_the_author_once_closed(client: TestClient, app: FastAPI) -> None:
    judged = Judged(client, app, works=2)
    judged.score(0, 0, concept=8, craft=5, note="Strong framing.")
    judged.score(1, 0, concept=4, craft=4)
    url = f"{SUBMISSIONS}/{judged.works[0]['id']}/scores"
    author = judged.authors[0][1]
    assert client.get(url, headers=author).json()["code"] == "challenge_not_closed"
    judged.close()
    assert client.get(url, headers=judged.authors[1][1]).status_code == 403
    assert client.get(url, headers=judged.juror(0)).status_code == 403
    body = client.get(url, headers=author).json()
    assert body["items"] == [
        {"scores": {"concept": 8, "craft": 5}, "note": "Strong framing.", "jury_score": 7.0},
        {"scores": {"concept": 4, "craft": 4}, "note": "", "jury_score": 4.0},
    ]
    assert client.get(url, headers=judged.headers).status_code == 200


def test_a_juror_searching_for_an_author_finds_none_of_their_works(
    client: TestClient, app: FastAPI
) -> None:
    judged = Judged(client, app, works=1)
    author = judged.authors[0][0]
    found = client.get("/api/v1/search", params={"q": author.display_name}, headers=judged.juror(0))
    assert found.status_code == 200, found.text
    assert [i["type"] for i in found.json()["items"]] == ["member"]  # the person, not the work
    # A search hit for a work names no author: only its title and a snippet of its text.
    works = client.get("/api/v1/search", params={"q": "Work"}, headers=judged.juror(0)).json()
    assert works["items"] and set(works["items"][0]) == {"type", "id", "title", "snippet", "score"}
