"""The periodic-job runner: jobs run on their interval with their own committed session."""

from __future__ import annotations

import asyncio
import threading

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.core import periodic
from app.core.config import Settings
from tests.conftest import make_settings


def _job(name: str, run: periodic.JobFunction, seconds: float = 0.01) -> periodic.Job:
    return periodic.Job(name=name, run=run, every=lambda _settings: seconds)


@pytest.fixture
def enabled(settings: Settings) -> Settings:
    """The suite's settings turn background jobs off; these tests start them on purpose."""
    return settings.model_copy(update={"periodic_jobs_enabled": True})


def test_jobs_run_repeatedly_commit_and_survive_failures(engine: Engine, enabled: Settings) -> None:
    runs: list[int] = []
    done = threading.Event()

    def flaky(session: Session) -> None:
        runs.append(session.execute(sa.text("SELECT 1")).scalar_one())
        if len(runs) == 1:
            raise RuntimeError("the first run fails; the next one still comes")
        if len(runs) >= 3:
            done.set()

    async def scenario() -> None:
        tasks = periodic.start(engine, enabled, [_job("flaky", flaky)])
        assert [task.get_name() for task in tasks] == ["periodic:flaky"]
        await asyncio.to_thread(done.wait, 10)
        await periodic.stop(tasks)
        assert all(task.done() for task in tasks)

    asyncio.run(scenario())
    assert len(runs) >= 3


def test_disabled_jobs_do_not_start(database_url: str) -> None:
    disabled = make_settings(database_url, periodic_jobs_enabled=False)

    async def scenario() -> list[asyncio.Task[None]]:
        return periodic.start(sa.create_engine("sqlite://"), disabled, [_job("x", print)])

    assert asyncio.run(scenario()) == []


def test_the_first_run_waits_one_interval(engine: Engine, enabled: Settings) -> None:
    runs: list[None] = []

    async def scenario() -> None:
        tasks = periodic.start(engine, enabled, [_job("slow", lambda _s: runs.append(None), 60)])
        await asyncio.sleep(0.05)
        await periodic.stop(tasks)

    asyncio.run(scenario())
    assert runs == []


def test_a_stop_waits_for_the_running_job_then_releases_what_it_claimed(
    engine: Engine, enabled: Settings
) -> None:
    """The run in progress ends (told by `stopping()`) before its job's release hands back
    what it claimed: released under a run still working, a webhook would be sent twice."""
    events: list[str] = []
    running = threading.Event()

    def working(_session: Session) -> None:
        running.set()
        while not periodic.stopping():
            threading.Event().wait(0.01)
        threading.Event().wait(0.2)  # finishing the piece it is doing
        events.append("run ended")

    def release(_session: Session) -> None:
        events.append("released")

    job = periodic.Job("claims", working, lambda _settings: 0.01, release=release)

    async def scenario() -> None:
        tasks = periodic.start(engine, enabled, [job])
        await asyncio.to_thread(running.wait, 10)
        await periodic.stop(tasks)

    asyncio.run(scenario())
    assert events == ["run ended", "released"]
    assert not periodic.stopping()  # a next app in this process runs whole


@pytest.mark.parametrize("name", ["challenge_phases"])
def test_features_register_their_jobs(name: str) -> None:
    import app.main  # noqa: F401  (the app names its jobs, which registers them)

    assert name in periodic.JOBS
