"""Periodic jobs: small sync functions that every app process runs every few seconds.

A feature registers a job with `@periodic.job("name", every=lambda s: s.some_seconds)`;
the app's lifespan starts one asyncio task per job, which sleeps an interval and then runs
the job in a worker thread with a Session of its own, committing when it returns and
rolling back (logged, retried next interval) when it raises.

Every app process runs every job, so a job must be safe to run at the same moment in
several processes: it claims its work with a conditional UPDATE (`… WHERE claimed_at IS
NULL`) whose row count decides who does it. The first run comes one interval after
start-up, so short-lived processes (tests, CLI commands) never race the work they do.

A job that claims work for a while (a lease) says how to hand it back: its `release` runs
once when the process shuts down gracefully (its task is cancelled), after the job's last
run, so another process takes the work at once instead of when the lease expires. A long
run checks `stopping()` and ends early.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import anyio.to_thread
import structlog
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.core.config import Settings

log = structlog.get_logger("sanggar.periodic")

JobFunction = Callable[[Session], None]


@dataclass(frozen=True)
class Job:
    name: str
    run: JobFunction
    every: Callable[[Settings], float]  # seconds between runs, read from the settings
    # Hands back the work this process claimed and did not finish (run at shutdown).
    release: JobFunction | None = None


JOBS: dict[str, Job] = {}
# Set while the process shuts down: a job's long run ends after the piece it is doing.
_stopping = threading.Event()


def job(
    name: str, *, every: Callable[[Settings], float], release: JobFunction | None = None
) -> Callable[[JobFunction], JobFunction]:
    """Register the decorated function as a periodic job (registered on import)."""

    def register(function: JobFunction) -> JobFunction:
        JOBS[name] = Job(name=name, run=function, every=every, release=release)
        return function

    return register


def stopping() -> bool:
    """True once the process is shutting down gracefully."""
    return _stopping.is_set()


def run_once(engine: Engine, job: Job) -> None:
    """One run of the job in its own transaction: committed, or rolled back if it raises."""
    with Session(engine, expire_on_commit=False) as session:
        job.run(session)
        session.commit()


def run_logged(engine: Engine, job: Job) -> None:
    """`run_once`, a failure logged rather than raised (the next run will try again)."""
    try:
        run_once(engine, job)
    except Exception:
        log.exception("periodic_job_failed", job=job.name)


async def _run_to_the_end(engine: Engine, job: Job) -> None:
    """One run in a worker thread, which a cancel does not stop: shutdown waits for it (a
    cancelled `to_thread.run_sync` returns at once and leaves its thread running, so a
    release would hand back work that thread is still doing: a webhook sent twice)."""
    run = asyncio.ensure_future(anyio.to_thread.run_sync(run_logged, engine, job))
    try:
        await asyncio.shield(run)
    except asyncio.CancelledError:
        await run  # `stopping()` is set: a long run ends after the piece it is doing
        raise


async def _repeat(engine: Engine, job: Job, seconds: float) -> None:
    try:
        while True:
            await asyncio.sleep(seconds)
            await _run_to_the_end(engine, job)
    finally:  # cancelled: the process shuts down
        if job.release is not None:
            # A failure is logged: the work is then taken when its lease expires.
            release = Job(f"{job.name}:release", job.release, job.every)
            await anyio.to_thread.run_sync(run_logged, engine, release)


def start(
    engine: Engine, settings: Settings, jobs: Iterable[Job] | None = None
) -> list[asyncio.Task[None]]:
    """Start the jobs (all registered ones by default) unless periodic jobs are disabled."""
    if not settings.periodic_jobs_enabled:
        return []
    chosen = list(JOBS.values()) if jobs is None else list(jobs)
    return [
        asyncio.create_task(_repeat(engine, j, j.every(settings)), name=f"periodic:{j.name}")
        for j in chosen
    ]


async def stop(tasks: Iterable[asyncio.Task[None]]) -> None:
    """Cancels the tasks, waiting for a job's running run, which `stopping()` cuts short."""
    _stopping.set()
    pending = list(tasks)
    for task in pending:
        task.cancel()
    try:
        await asyncio.gather(*pending, return_exceptions=True)
    finally:  # stopped: work done afterwards (a test, a next app in the process) runs whole
        _stopping.clear()
