"""Results of judged challenges, checked against scores worked out by hand."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.challenges.sweep import sweep
from app.core.clock import utcnow
from tests.anthologies.helpers import ANTHOLOGIES
from tests.factories import QueryCounter
from tests.judging.helpers import Judged


def _row(item: dict[str, Any]) -> tuple[Any, ...]:
    return (item["rank"], item["score"], item["jury_score"], item["vote_share"], item["winner"])


def _combined(client: TestClient, app: FastAPI, **judging: Any) -> Judged:
    """Four works, three jurors (the third scores nothing), weights concept 2, craft 1.

    - A: juror 0 (8, 5) → 21, juror 1 (6, 9) → 21: jury 42 / (2 × 3) = 7.0; 4 votes
    - B: juror 0 (10, 10) → 30, juror 1 (10, 7) → 27: jury 57 / 6 = 9.5; 2 votes
    - C: juror 0 (9, 9) → 27: jury 27 / 3 = 9.0; no votes
    - D: no scores: jury null (counts as 0); 3 votes
    """
    judged = Judged(client, app, works=4, jurors=3, winners_count=2, judging=judging)
    judged.score(0, 0, concept=8, craft=5, note="Good.")
    judged.score(1, 0, concept=6, craft=9)
    judged.score(0, 1, concept=10, craft=10)
    judged.score(1, 1, concept=10, craft=7)
    judged.score(0, 2, concept=9, craft=9)
    judged.votes([4, 2, 0, 3])
    judged.close()
    return judged


def test_combined_results_worked_out_by_hand(client: TestClient, app: FastAPI) -> None:
    judged = _combined(client, app, jury_weight=0.5)
    items = judged.results()
    ids = [w["id"] for w in judged.works]
    # score = 0.5 × jury/10 + 0.5 × votes/4
    assert [(i["submission"]["id"], *_row(i)) for i in items] == [
        (ids[0], 1, 0.85, 7.0, 1.0, True),  # 0.35 + 0.5
        (ids[1], 2, 0.725, 9.5, 0.5, True),  # 0.475 + 0.25
        (ids[2], 3, 0.45, 9.0, 0.0, False),  # 0.45 + 0
        (ids[3], 4, 0.375, None, 0.75, False),  # 0 + 0.375
    ]
    assert [i["audience_award"] for i in items] == [True, False, False, False]
    assert items[0]["breakdown"] == [
        {"key": "concept", "title": "Concept", "weight": 2, "score": 7.0},
        {"key": "craft", "title": "Craft", "weight": 1, "score": 7.0},
    ]
    assert [c["score"] for c in items[1]["breakdown"]] == [10.0, 8.5]
    assert [c["score"] for c in items[3]["breakdown"]] == [None, None]
    assert [i["votes"] for i in items] == [4, 2, 0, 3]


def test_jury_weight_1_ranks_by_the_jury_alone(client: TestClient, app: FastAPI) -> None:
    judged = _combined(client, app, jury_weight=1)
    items = judged.results()
    ids = [w["id"] for w in judged.works]
    assert [(i["submission"]["id"], i["rank"], i["score"]) for i in items] == [
        (ids[1], 1, 0.95),
        (ids[2], 2, 0.9),
        (ids[0], 3, 0.7),
        (ids[3], 4, 0.0),
    ]
    assert [i["audience_award"] for i in items] == [False, False, True, False]  # A: most votes


def test_jury_weight_0_ranks_by_the_vote_share_alone(client: TestClient, app: FastAPI) -> None:
    judged = _combined(client, app, jury_weight=0)
    items = judged.results()
    ids = [w["id"] for w in judged.works]
    assert [(i["submission"]["id"], i["rank"], i["score"], i["winner"]) for i in items] == [
        (ids[0], 1, 1.0, True),
        (ids[3], 2, 0.75, True),
        (ids[1], 3, 0.5, False),
        (ids[2], 4, 0.0, False),  # a work with no votes
    ]


def test_jury_mode_ties_at_the_cut_off_share_the_win(client: TestClient, app: FastAPI) -> None:
    judged = Judged(client, app, works=4, mode="jury", winners_count=1)
    # Jury scores 6.0, 8.0, 8.0 (two ways: (8, 8) and (7, 10)), 4.0; votes do not count.
    judged.score(0, 0, concept=6, craft=6)
    judged.score(0, 1, concept=8, craft=8)
    judged.score(0, 2, concept=7, craft=10)
    judged.score(0, 3, concept=4, craft=4)
    judged.votes([3, 0, 0, 1])
    judged.close()
    items = judged.results()
    ids = [w["id"] for w in judged.works]
    assert [(i["submission"]["id"], i["rank"], i["score"], i["winner"]) for i in items] == [
        (ids[1], 1, 0.8, True),
        (ids[2], 1, 0.8, True),  # tied: earlier entry first, both win
        (ids[0], 3, 0.6, False),
        (ids[3], 4, 0.4, False),
    ]
    assert {i["audience_award"] for i in items} == {False}  # jury mode has no audience award
    assert items[0]["vote_share"] == 0.0 and items[2]["vote_share"] == 1.0


def test_a_disqualified_work_is_left_out_and_the_vote_share_follows(
    client: TestClient, app: FastAPI
) -> None:
    judged = Judged(client, app, works=2, judging={"jury_weight": 0})
    judged.votes([4, 2])
    judged.close()
    client.post(
        f"/api/v1/submissions/{judged.works[0]['id']}/moderation",
        json={"action": "disqualify"},
        headers=judged.headers,
    )
    items = judged.results()
    assert [(i["submission"]["id"], i["score"], i["vote_share"]) for i in items] == [
        (judged.works[1]["id"], 1.0, 1.0)
    ]


def test_a_closed_challenge_the_sweep_has_not_ranked_is_ranked_when_read(
    client: TestClient, app: FastAPI
) -> None:
    judged = Judged(client, app, works=2, mode="jury", winners_count=1)
    judged.score(0, 1, concept=9, craft=9)
    # The clock passes the closing (no organizer edit): nothing ranked it yet.
    from datetime import timedelta

    from sqlmodel import Session

    from app.models import Challenge

    engine = app.state.engine
    with Session(engine) as session:
        challenge = session.get(Challenge, judged.id)
        assert challenge is not None
        challenge.voting_close_at = utcnow() - timedelta(seconds=1)
        session.add(challenge)
        session.commit()
    # The first read ranks it: here the winner's share card, in a read-only request.
    card = client.get(f"/api/v1/submissions/{judged.works[1]['id']}/card.png")
    assert card.status_code == 200
    items = judged.results()
    assert [(i["submission"]["id"], i["winner"]) for i in items] == [
        (judged.works[1]["id"], True),
        (judged.works[0]["id"], False),
    ]
    with Session(engine) as session:
        assert sweep(session) is not None  # the sweep finds it ranked and just announces
        session.commit()
    assert judged.results() == items


@pytest.mark.parametrize("mode", ["combined", "jury"])
def test_results_queries_stay_flat_as_works_and_jurors_grow(
    client: TestClient, app: FastAPI, queries: QueryCounter, mode: str
) -> None:
    def count(works: int, jurors: int) -> int:
        judged = Judged(client, app, works=works, jurors=jurors, mode=mode)
        for juror in range(jurors):
            for work in range(works):
                judged.score(juror, work, concept=1 + (juror + work) % 10, craft=5)
        judged.votes([n % 3 for n in range(works)])
        judged.close()
        queries.reset()
        assert len(judged.results(limit=100)) == works
        return queries.count

    # The votes' three, and the top vote count and the page's per-criterion sums.
    assert count(2, 1) == count(12, 4) == 5


def test_an_anthology_of_a_judged_challenge_collects_its_winners_in_score_order(
    client: TestClient, app: FastAPI
) -> None:
    judged = _combined(client, app, jury_weight=1)  # B 0.95, C 0.9, A 0.7, D 0
    response = client.post(
        ANTHOLOGIES,
        json={"title": "Best of", "description": "", "challenge_ids": [judged.id]},
        headers=judged.headers,
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert [item["submission_id"] for item in body["items"]] == [
        judged.works[1]["id"],
        judged.works[2]["id"],
    ]


def test_the_results_notification_and_webhook_payload_say_how_it_was_judged(
    client: TestClient, app: FastAPI
) -> None:
    from sqlmodel import Session

    from app.challenges.schemas import ChallengePhase
    from app.core.domain_events import ChallengeClosed
    from app.webhooks.payloads import PAYLOADS

    judged = Judged(client, app, works=2, judging={"jury_weight": 0.6})
    judged.score(0, 0, concept=5, craft=5)
    judged.close()
    with Session(app.state.engine) as session:
        sweep(session)
        session.commit()
        event = ChallengeClosed(challenge_id=judged.id, phase=ChallengePhase.CLOSED)
        data = PAYLOADS["challenge.closed"].build(session, event)
        assert data is not None
        assert data.model_dump()["judging_mode"] == "combined"
        assert data.model_dump()["jury_weight"] == 0.6
    told = client.get("/api/v1/notifications", headers=judged.authors[0][1]).json()["items"]
    results = [n for n in told if n["type"] == "challenge.results"]
    assert results and "jury and the public vote" in results[0]["body"]


def test_share_cards_and_the_showcase_follow_the_judged_ranking(
    client: TestClient, app: FastAPI
) -> None:
    judged = _combined(client, app, jury_weight=1)  # B 0.95, C 0.9 win; A 0.7, D 0 do not
    cards = [
        client.get(f"/api/v1/submissions/{w['id']}/card.png").status_code for w in judged.works
    ]
    assert cards == [404, 200, 200, 404]
    shown = client.get("/api/v1/showcase", params={"limit": 100}).json()["items"]
    assert {i["submission"]["id"] for i in shown} == {
        judged.works[1]["id"],
        judged.works[2]["id"],
    }
