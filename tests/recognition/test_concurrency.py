"""Contributions arriving at the same moment: totals and count-based badges stay exact."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import httpx2 as httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.recognition import subscribers
from tests.events.helpers import EVENTS, create_event, organizer_headers
from tests.factories import make_member
from tests.recognition.helpers import (
    activities,
    badge_codes,
    comment_created,
    counts_of,
    id_of,
    points_of,
    publish_to_recognition,
)


def test_concurrent_check_ins_earn_exact_points_and_the_five_events_badge_once(
    live: str, client: TestClient, app: FastAPI, session: Session
) -> None:
    organizer = organizer_headers(app)
    events = [create_event(client, organizer) for _ in range(5)]
    member = make_member(app)

    def check_in(event_id: int) -> int:
        with httpx.Client(base_url=live, timeout=60) as http:
            response = http.post(
                f"{EVENTS}/{event_id}/check-ins", json={"member_id": member.id}, headers=organizer
            )
            return response.status_code

    # Every event twice, all at once: five check-ins and five repeats.
    with ThreadPoolExecutor(max_workers=10) as pool:
        statuses = list(pool.map(check_in, [e["id"] for e in events] * 2))

    assert sorted(statuses) == [200] * 5 + [201] * 5
    assert len(activities(session, member.id)) == 5
    assert points_of(session, member.id) == 25
    # Each contribution locks the member's row when it moves the points, so the count
    # that follows sees every earlier one: the fifth always finds five.
    assert badge_codes(session, member.id) == ["five_events_attended"]


def test_comments_racing_for_the_tenth_earn_the_ten_comments_badge_once(
    app: FastAPI, session: Session
) -> None:
    commenter = make_member(app)
    member_id = id_of(commenter)

    for comment_id in range(1, 8):
        publish_to_recognition(app, comment_created(member_id, comment_id))
    racers = 6  # the 8th to the 13th comments, one of them the tenth
    ready = Barrier(racers)

    def race(comment_id: int) -> None:
        with Session(app.state.engine) as racing:
            ready.wait()
            subscribers.comment_created(racing, comment_created(member_id, comment_id))
            # Holding the member's lock a while: every other racer's statement has begun
            # (its snapshot taken) before this one commits, and must still count it.
            time.sleep(0.1)
            racing.commit()

    with ThreadPoolExecutor(max_workers=racers) as pool:
        list(pool.map(race, range(8, 8 + racers)))

    assert counts_of(session, member_id) == {"comment": 7 + racers}
    assert points_of(session, member_id) == (7 + racers) * 2
    assert badge_codes(session, member_id) == ["ten_comments"]
