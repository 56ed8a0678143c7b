from __future__ import annotations

from fastapi import Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel, ConfigDict
from sqlalchemy.exc import SQLAlchemyError

from app.core.errors import Problem, ProblemError, problem_response
from app.core.routing import ResourceRouter
from app.i18n import N_

router = ResourceRouter(tags=["ops"])


class NotReady(ProblemError):
    status = 503
    code = "not_ready"


class Health(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"status": "ok"}]})

    status: str


class Readiness(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"status": "ready", "revision": "0001"}]}
    )

    status: str
    revision: str


@router.get("/healthz", response_model=Health, summary="Liveness")
async def ops_healthz() -> Health:
    """The process is up; touches nothing else."""
    return Health(status="ok")


@router.get(
    "/readyz",
    response_model=Readiness,
    summary="Readiness",
    responses={503: {"description": "Database unreachable or not migrated.", "model": Problem}},
)
def ops_readyz(request: Request) -> Response | Readiness:
    """The database answers and is migrated to the code's revision."""
    # Imported at the first probe: Alembic would add 10 MiB to every worker from start-up.
    from app.core.migrations import current_revision, head_revision

    try:
        with request.app.state.read_engine.connect() as connection:
            revision = current_revision(connection)
    except SQLAlchemyError:
        error = NotReady(N_("The database cannot be reached."))
        return problem_response(error.to_problem(), scope=request.scope)
    if revision is None or revision != head_revision():
        error = NotReady(
            N_("The database is at revision {revision}, the code needs {head}."),
            values={"revision": revision, "head": head_revision()},
        )
        return problem_response(error.to_problem(), scope=request.scope)
    return Readiness(status="ready", revision=revision)


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=Response,
    responses={
        200: {"content": {CONTENT_TYPE_LATEST.split(";")[0]: {"schema": {"type": "string"}}}}
    },
)
def ops_metrics() -> Response:
    """Request counts and latencies per route, in the Prometheus text format."""
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
