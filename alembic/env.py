"""Alembic environment: the models' metadata, the URL from settings, batch mode on SQLite."""

from __future__ import annotations

from logging.config import fileConfig
from typing import Any, Literal

from sqlalchemy import Index, MetaData, Table, engine_from_config, pool
from sqlalchemy.engine import Connection, Engine
from sqlmodel import SQLModel
from sqlmodel.sql.sqltypes import AutoString

import app.models  # noqa: F401  (registers every table on the metadata)
from alembic import context
from app.core.config import get_settings
from app.core.tables import SCHEMA_ONLY, UTCDateTime

config = context.config
if config.config_file_name is not None and not config.attributes.get("skip_logging_config"):
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def _with_schema_options(metadata: MetaData) -> MetaData:
    """The tables' and indexes' options that only making the schema reads, which the models
    keep in their `info` (app.core.tables.SCHEMA_ONLY), put in place."""
    items: list[Table | Index] = [*metadata.tables.values()]
    for item in items + [index for table in metadata.tables.values() for index in table.indexes]:
        if options := item.info.get(SCHEMA_ONLY):  # a dict tables share: left as it is
            item.info = {key: value for key, value in item.info.items() if key != SCHEMA_ONLY}
            item.dialect_kwargs.update(options)
    return metadata


target_metadata = _with_schema_options(SQLModel.metadata)


def _url() -> str:
    return config.get_main_option("sqlalchemy.url") or get_settings().database_url


def _render_item(kind: str, item: Any, _autogen_context: Any) -> str | Literal[False]:
    """Render our column types as plain SQLAlchemy, so migrations never import app code."""
    if kind == "type" and isinstance(item, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    if kind == "type" and isinstance(item, AutoString):
        return f"sa.String(length={item.length})" if item.length else "sa.String()"
    return False


# Kept by the database, not the models (see app/models/search.py): the FTS5 table and its
# shadow tables on SQLite, the generated tsvector, its GIN index and the partial index of
# public rows on PostgreSQL.
_DIALECT_SEARCH_OBJECTS = frozenset(
    {"document", "ix_search_documents_document", "ix_search_documents_public"}
)


def _include_object(_item: Any, name: str | None, type_: str, reflected: bool, _other: Any) -> bool:
    if type_ == "table" and name is not None and name.startswith("search_fts"):
        return False
    return not (reflected and name in _DIALECT_SEARCH_OBJECTS)


def _configure(**kwargs: object) -> None:
    context.configure(
        target_metadata=target_metadata,
        render_item=_render_item,
        include_object=_include_object,
        # SQLite cannot ALTER most things; batch mode rebuilds the table instead.
        render_as_batch=True,
        compare_type=True,
        **kwargs,  # type: ignore[arg-type]
    )


def run_migrations_offline() -> None:
    _configure(url=_url(), literal_binds=True, dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    given = config.attributes.get("connection")  # handed in by code or by pytest-alembic
    if isinstance(given, Connection):
        _configure(connection=given)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = (
        given
        if isinstance(given, Engine)
        else engine_from_config(
            {"sqlalchemy.url": _url()}, prefix="sqlalchemy.", poolclass=pool.NullPool
        )
    )
    with engine.begin() as connection:
        _configure(connection=connection)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
