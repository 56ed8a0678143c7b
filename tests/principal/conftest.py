from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from tests.factories import TOKEN_LOOKUP


@pytest.fixture
def lookups(engine: Engine) -> Iterator[list[str]]:
    """The token lookups the app runs (the queries fixture leaves them out)."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if TOKEN_LOOKUP.search(statement):
            seen.append(statement)

    sa.event.listen(engine, "before_cursor_execute", record)
    yield seen
    sa.event.remove(engine, "before_cursor_execute", record)
