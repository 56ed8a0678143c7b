"""The router every resource uses: one hop per request, and a quick no for foreign paths."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette._utils import get_route_path
from starlette.routing import Match
from starlette.types import Scope

from app.core.db import UnitOfWorkRoute


class ResourceRouter(APIRouter):
    """An APIRouter whose routes run through `UnitOfWorkRoute`, and that tells at once
    when a path cannot be one of its routes.

    FastAPI tries the included routers in order, and each tries every one of its routes
    (with some bookkeeping per route) even when the path does not start with the router's
    prefix: a request for a route near the end of the list (the leaderboard, /healthz) was
    checked against some 140 routes, most of its time when the handler is quick. Every
    route's path is the router's prefix and more (`/events` + `.ics`, + `/{event_id}`), so a
    path without the prefix in it is none of them. (A prefix with a path parameter in it
    would not appear literally: such a router checks every path, as FastAPI does.)
    """

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("route_class", UnitOfWorkRoute)
        super().__init__(**kwargs)

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if self.prefix and "{" not in self.prefix and self.prefix not in get_route_path(scope):
            return Match.NONE, {}
        return super().matches(scope)
