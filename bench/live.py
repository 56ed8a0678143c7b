"""The live-notification benchmark (bench/LIVE.md).

`.venv/bin/python -m bench.live idle [--streams 1000]`: one `sanggar serve` process on a fresh
SQLite file, `--streams` open notification streams (5 per member, the limit), then 30 s idle:
the server's RSS before and after opening them (VmRSS), and its CPU time while they idle
(utime + stime from /proc, heartbeat 15 s).

`.venv/bin/python -m bench.live latency [--count 300]`: PostgreSQL (BENCH_LIVE_DATABASE_URL,
default a database `sanggar_bench_live` on 127.0.0.1) and a private Redis; a `sanggar serve`
process B with one open stream; this process commits a notification for that member
(`notify` + commit, its after-commit hook publishing through Redis like any app process)
every 50 ms, and the time from the commit's return to the event read by the client over
HTTP is recorded: p50, p99, max.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import threading
import time
from pathlib import Path

import httpx
import psycopg

from tests.processes import SANGGAR, Redis, Server, server_env

STREAM = "/api/v1/notifications/stream"
PASSWORD = "correct horse battery"


def _proc(pid: int) -> tuple[float, float]:
    """(RSS in MiB, CPU seconds user+system) of a process."""
    rss = 0.0
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            rss = int(line.split()[1]) / 1024
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return rss, (int(fields[11]) + int(fields[12])) / ticks


def _migrate(env: dict[str, str], cwd: Path) -> None:
    import subprocess

    subprocess.run([SANGGAR, "migrate"], env=env, cwd=cwd, check=True, capture_output=True)


def _register(client: httpx.Client, url: str, handle: str) -> dict[str, str]:
    account = {
        "email": f"{handle}@example.com",
        "password": PASSWORD,
        "handle": handle,
        "display_name": handle,
    }
    assert client.post(url + "/api/v1/auth/register", json=account).status_code == 201
    form = {"username": handle, "password": PASSWORD}
    token = client.post(url + "/api/v1/auth/token", data=form).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


async def _hold(
    url: str, headers: list[dict[str, str]], opened: asyncio.Event, done: asyncio.Event
) -> int:
    limits = httpx.Limits(max_connections=None, max_keepalive_connections=None)
    async with httpx.AsyncClient(trust_env=False, timeout=60, limits=limits) as client:
        ready = 0

        async def one(h: dict[str, str]) -> None:
            nonlocal ready
            async with client.stream("GET", url + STREAM, headers=h) as response:
                assert response.status_code == 200, await response.aread()
                ready += 1
                if ready == len(headers):
                    opened.set()
                async for _ in response.aiter_lines():
                    if done.is_set():
                        return

        tasks = [asyncio.create_task(one(h)) for h in headers]
        await done.wait()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        return ready


def idle(streams: int) -> None:
    home = Path(tempfile.mkdtemp(prefix="bench-live-"))
    env = server_env(f"sqlite:///{home / 'sanggar.db'}", rate_limit_enabled="false")
    _migrate(env, home)
    server = Server(env, home)
    try:
        with httpx.Client(trust_env=False, timeout=30) as client:
            members = [
                _register(client, server.url, f"member{i}") for i in range((streams + 4) // 5)
            ]
        headers = [h for h in members for _ in range(5)][:streams]
        time.sleep(2)
        rss_before, _ = _proc(server.process.pid)

        async def run() -> None:
            opened, done = asyncio.Event(), asyncio.Event()
            holder = asyncio.create_task(_hold(server.url, headers, opened, done))
            started = time.monotonic()
            await asyncio.wait_for(opened.wait(), timeout=120)
            took = time.monotonic() - started
            await asyncio.sleep(3)
            rss_open, cpu0 = _proc(server.process.pid)
            await asyncio.sleep(30)
            rss_idle, cpu1 = _proc(server.process.pid)
            done.set()
            await holder
            print(f"streams open: {streams} (opened in {took:.1f} s)")
            print(
                f"server RSS: {rss_before:.1f} MiB before, {rss_open:.1f} MiB open, "
                f"{rss_idle:.1f} MiB after 30 s idle"
            )
            print(f"per stream: {(rss_idle - rss_before) * 1024 / streams:.1f} KiB")
            print(
                f"server CPU while idle: {cpu1 - cpu0:.2f} s over 30 s "
                f"({(cpu1 - cpu0) / 30 * 100:.1f} % of a core)"
            )

        asyncio.run(run())
    finally:
        server.stop()


def latency(count: int) -> None:
    url = os.environ.get(
        "BENCH_LIVE_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/sanggar_bench_live"
    )
    plain = url.replace("postgresql+psycopg://", "postgresql://", 1)
    admin, name = plain.rsplit("/", 1)
    with psycopg.connect(admin + "/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    home = Path(tempfile.mkdtemp(prefix="bench-live-"))
    redis = Redis()
    redis.start()
    env = server_env(url, rate_limit_enabled="false", redis_url=redis.url)
    _migrate(env, home)
    server = Server(env, home)
    os.environ.update({k: v for k, v in env.items() if k.startswith("SANGGAR_")})
    from sqlmodel import Session, select

    from app.core.config import Settings
    from app.core.db import create_db_engine
    from app.models import Member
    from app.notifications.live import LiveHub
    from app.notifications.service import notify

    settings = Settings(_env_file=None)
    engine = create_db_engine(settings)
    hub = LiveHub(settings)  # this process publishes after its commits, as an app process does
    hub.watch(engine)
    hub.start()
    try:
        with httpx.Client(trust_env=False, timeout=30) as client:
            headers = _register(client, server.url, "reader")
        with Session(engine) as session:
            member = session.exec(select(Member).where(Member.handle == "reader")).one()
            member_id = member.id
        received: dict[str, float] = {}
        opened = threading.Event()

        def read() -> None:
            with (
                httpx.Client(trust_env=False, timeout=30) as client,
                client.stream("GET", server.url + STREAM, headers=headers) as response,
            ):
                opened.set()
                for line in response.iter_lines():
                    if line.startswith("data: ") and '"title"' in line:
                        title = line.split('"title":"', 1)[1].split('"', 1)[0]
                        received[title] = time.perf_counter()
                        if len(received) == count:
                            return

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        opened.wait(10)
        time.sleep(1)
        committed: dict[str, float] = {}
        for i in range(count):
            with Session(engine) as session:
                assert member_id is not None
                notify(session, member_id=member_id, type="bench.live", title=f"n{i}")
                session.commit()
                committed[f"n{i}"] = time.perf_counter()
            time.sleep(0.05)
        reader.join(timeout=30)
        delays = sorted((received[k] - committed[k]) * 1000 for k in committed if k in received)
        print(f"notifications: {count} committed, {len(delays)} received")
        p99 = delays[max(int(len(delays) * 0.99) - 1, 0)]
        print(
            f"commit → event at the client (ms): p50 {statistics.median(delays):.1f}, "
            f"p99 {p99:.1f}, max {delays[-1]:.1f}"
        )
    finally:
        hub.stop()
        engine.dispose()
        server.stop()
        redis.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("idle").add_argument("--streams", type=int, default=1000)
    sub.add_parser("latency").add_argument("--count", type=int, default=300)
    args = parser.parse_args()
    if args.command == "idle":
        idle(args.streams)
    else:
        latency(args.count)


if __name__ == "__main__":
    main()
