"""CPU a process spends delivering one mail: `dispatcher.dispatch` over pending mails.

N notification mails (a comment's, as `app.mail.subscribers.mail_notification` writes them:
a notification template with a List-Unsubscribe, in English and Indonesian, half the
members with a non-ASCII name) are written to the outbox of a fresh database, then
`dispatcher.dispatch` runs until none is due, with the default file transport (one `.eml`
per mail in a temporary directory). The figure is `time.process_time` (every thread of the
process: the dispatch thread and the send threads) over the dispatch, divided by the mails
sent; several rounds, each on newly written mails, and the median. A few mails are sent
first, not counted: a served process compiles its statements and templates once.

`.venv/bin/python -m bench.mail stages` splits one mail's CPU into its steps (rendering the
two parts, building the message, serialising it, writing the file, the whole transport),
each run alone many times; the rest of a mail's CPU is the database's claim and record.

Usage: `.venv/bin/python -m bench.mail [stages]`. Environment:
  BENCH_MAIL_COUNT       mails per round (default 400)
  BENCH_MAIL_ROUNDS      rounds (default 5)
  BENCH_DATABASE_URL     a scratch PostgreSQL database (default: a temporary SQLite file)
"""

from __future__ import annotations

import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from sqlmodel import Session

import app.mail.subscribers  # noqa: F401  (registers the mail transport)
from app.core.config import Settings
from app.mail import outbox, render, transport
from app.models import Member
from app.webhooks import dispatcher
from bench import run
from bench.challenges import insert_rows, member_row, table_of

COUNT = int(os.environ.get("BENCH_MAIL_COUNT", "400"))
ROUNDS = int(os.environ.get("BENCH_MAIL_ROUNDS", "5"))
MEMBERS = 50
BATCH_WARMUP = 16  # mails sent before the rounds, once


def _settings(url: str, mail_directory: Path) -> Settings:
    return Settings(
        _env_file=None,
        database_url=url,
        secret_key=SecretStr("bench-" + "x" * 64),
        mail_url=SecretStr(f"file:{mail_directory}"),
        mail_from="Sanggar <noreply@sanggar.example.com>",
        public_base_url="https://sanggar.example.com",
        periodic_jobs_enabled=False,
        log_level="WARNING",
    )


def _engine(settings: Settings) -> Any:
    """A database with MEMBERS members and an empty outbox."""
    outbox_tables = ("mail_messages", "webhook_events", "webhook_deliveries", "webhook_attempts")
    engine = run.scratch_engine(settings, ("members", *outbox_tables))
    rows = []
    for n in range(1, MEMBERS + 1):
        row = member_row(n)
        if n % 2 == 0:
            row["display_name"] = f"Dewi Ayu Lestari-{n} ✓"  # a non-ASCII name
        row["locale"] = "id" if n % 3 == 0 else "en"
        rows.append(row)
    insert_rows(engine, table_of(Member), iter(rows))
    return engine


def message(n: int) -> dict[str, Any]:
    """The n-th mail: a comment's notification to member n % MEMBERS."""
    member = n % MEMBERS + 1
    locale = "id" if member % 3 == 0 else "en"
    name = f"Dewi Ayu Lestari-{member} ✓" if member % 2 == 0 else f"Member {member}"
    return {
        "member_id": member,
        "recipient": f"m{member}@bench.example.com",
        "template": "notification",
        "locale": locale,
        "unsubscribe_kind": "comment.created",
        "context": {
            "display_name": name,
            "handle": f"m{member}",
            "kind": "comment.created",
            "title": f"Rani commented on “Sketsa pasar pagi {n}”",
            "body": "Warnanya hidup sekali, terutama cahaya di sisi kiri. " * 3,
        },
    }


def write_mails(engine: Any, count: int, start: int = 0) -> None:
    with Session(engine) as session:
        for n in range(start, start + count):
            outbox.write(session, message(n))
        session.commit()


def rounds(engine: Any, settings: Settings) -> list[float]:
    """µs of CPU per mail, per round."""
    figures = []
    write_mails(engine, BATCH_WARMUP, ROUNDS * COUNT)  # the statements compiled, the
    with Session(engine, expire_on_commit=False) as session:  # templates loaded: not counted
        dispatcher.dispatch(session, settings)
    for round_ in range(ROUNDS):
        write_mails(engine, COUNT, round_ * COUNT)
        with Session(engine, expire_on_commit=False) as session:
            started = time.process_time()
            sent = 0
            while made := dispatcher.dispatch(session, settings):
                sent += made
            spent = time.process_time() - started
        assert sent == COUNT, (sent, COUNT)
        figures.append(spent / sent * 1e6)
    return figures


def _per_call(function: Any, n: int = 400) -> float:
    function()
    started = time.process_time()
    for _ in range(n):
        function()
    return (time.process_time() - started) / n * 1e6


def stages(settings: Settings) -> dict[str, float]:
    """µs of CPU per mail of each step, run alone."""
    mail = message(2)  # the non-ASCII name
    target = dispatcher.MailTarget(
        1,
        mail["member_id"],
        mail["recipient"],
        mail["template"],
        mail["locale"],
        mail["unsubscribe_kind"],
        mail["context"],
    )
    arguments: dict[str, Any] = {
        "message_id": 1,
        "member_id": target.member_id,
        "recipient": target.recipient,
        "template": target.template,
        "locale": target.locale,
        "unsubscribe_kind": target.unsubscribe_kind,
        "context": target.context,
        "settings": settings,
    }
    built = render.build(**arguments)
    values = {
        **target.context,
        "app_url": render.app_url(settings),
        "unsubscribe_url": render.unsubscribe_url(settings, 2, "comment.created"),
    }
    directory = Path(tempfile.mkdtemp(prefix="sanggar-mail-stages-"))
    return {
        "render (two parts)": _per_call(lambda: render.render("notification", "en", values)),
        "build (render + message)": _per_call(lambda: render.build(**arguments)),
        "as_bytes": _per_call(built.as_bytes),
        "write_file": _per_call(lambda: transport.write_file(directory, built)),
        "transport.send": _per_call(lambda: transport.send(built, settings)),
        "mail transport (whole)": _per_call(lambda: dispatcher._attempt_mail(target, settings)),
    }


def main() -> None:
    url = run.scratch_url("mail")
    mail_directory = Path(tempfile.mkdtemp(prefix="sanggar-mail-out-"))
    settings = _settings(url, mail_directory)
    engine = _engine(settings)
    load = os.getloadavg()
    print(
        f"# {platform.python_implementation()} {platform.python_version()}, "
        f"{engine.dialect.name}, load {load[0]:.1f}",
        flush=True,
    )
    if sys.argv[1:] == ["stages"]:
        for name, value in stages(settings).items():
            print(f"{name:28} {value:8.0f} µs")
        return
    figures = rounds(engine, settings)
    print(
        f"{COUNT} mails x {ROUNDS} rounds: "
        + " ".join(f"{f:.0f}" for f in figures)
        + f" µs CPU per mail; median {statistics.median(figures):.0f} µs"
        f" (load {os.getloadavg()[0]:.1f})"
    )


if __name__ == "__main__":
    main()
