"""The query plans behind each scenario, captured from the app itself.

After seeding, one request of each read scenario goes through the app in-process; every
SELECT it issues is recorded and explained (PostgreSQL: `EXPLAIN`, SQLite: `EXPLAIN QUERY
PLAN`) on the seeded database, so the report shows the plans of the SQL the app really runs.
"""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import create_engine

from app.core.config import Settings
from app.main import create_app


def _settings(url: str) -> Settings:
    return Settings(
        _env_file=None,
        database_url=url,
        secret_key="bench-" + "k" * 64,  # type: ignore[arg-type]
        rate_limit_enabled=False,
        periodic_jobs_enabled=False,
        public_cache_seconds=0,
        log_level="WARNING",
    )


def _explain(engine: Engine, statement: str, parameters: Any) -> str:
    sqlite = engine.dialect.name == "sqlite"
    prefix = "EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN "
    with engine.connect() as connection:
        rows = connection.exec_driver_sql(prefix + statement, parameters).all()
    if sqlite:
        return "\n".join(f"{'  ' * 0}{row[-1]}" for row in rows)
    return "\n".join(str(row[0]) for row in rows)


def capture(url: str, requests: list[tuple[str, str, dict[str, str]]]) -> list[str]:
    """Markdown sections: for each (name, path, headers), its SELECTs and their plans."""
    app = create_app(_settings(url))
    recorded: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            recorded.append((statement, parameters))

    engine: Engine = app.state.engine
    explainer = create_engine(url)
    sa.event.listen(engine, "before_cursor_execute", record)
    lines: list[str] = []
    try:
        with TestClient(app) as client:
            for name, path, headers in requests:
                recorded.clear()
                status = client.get(path, headers=headers).status_code
                lines += [f"#### {name} (`GET {path[:80]}` → {status})", "", "```"]
                for statement, parameters in recorded:
                    one_line = " ".join(statement.split())
                    one_line = re.sub(r"^SELECT .*? FROM ", "SELECT … FROM ", one_line, count=1)
                    lines += [one_line[:300] + (" …" if len(one_line) > 300 else "")]
                    lines += [
                        "  " + p for p in _explain(explainer, statement, parameters).splitlines()
                    ]
                    lines += [""]
                lines += ["```", ""]
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
        engine.dispose()
        explainer.dispose()
    return lines
