"""Exit 0 when the PostgreSQL server of the given URL answers (used by `make test`)."""

from __future__ import annotations

import sys

import psycopg


def main(url: str) -> int:
    conninfo = (
        url.replace("postgresql+psycopg://", "postgresql://", 1).rsplit("/", 1)[0] + "/postgres"
    )
    try:
        psycopg.connect(conninfo, connect_timeout=3).close()
    except psycopg.Error:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
