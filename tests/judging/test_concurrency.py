"""Concurrent scores and re-scores: the per-work sums always equal a fresh aggregate."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.models import JuryScore
from tests.challenges.helpers import SUBMISSIONS, Headers
from tests.judging.helpers import Judged
from tests.judging.test_setup_and_scores import _sums, fresh_aggregate


def test_concurrent_re_scores_replace_and_the_sums_match_the_scores(
    live: str, client: TestClient, app: FastAPI, session: Session
) -> None:
    judged = Judged(client, app, works=2, jurors=4)
    work_ids = [w["id"] for w in judged.works]
    # Every juror scores both works eight times over, all at once, with different values.
    calls: list[tuple[Headers, int, int]] = [
        (judged.juror(j), work_id, n) for n in range(8) for j in range(4) for work_id in work_ids
    ]

    def put(call: tuple[Headers, int, int]) -> int:
        headers, work_id, n = call
        body = {"scores": {"concept": 1 + n, "craft": 10 - n}}
        with httpx.Client(base_url=live, timeout=60) as http:
            return http.put(
                f"{SUBMISSIONS}/{work_id}/score", json=body, headers=headers
            ).status_code

    with ThreadPoolExecutor(max_workers=16) as pool:
        statuses = list(pool.map(put, calls))
    assert statuses == [200] * len(calls)
    for work_id in work_ids:
        total, jurors, criteria = _sums(session, work_id)
        assert jurors == 4
        assert (total, jurors, criteria) == fresh_aggregate(session, work_id)
    session.rollback()
    assert len(list(session.exec(select(JuryScore)))) == 8  # one row per juror and work
