"""The router every resource uses, and the app's routes tried by the path's prefix."""

from __future__ import annotations

import copy
import os
import re
from typing import Any

from fastapi import APIRouter, routing
from starlette._utils import get_route_path
from starlette.routing import BaseRoute
from starlette.types import Receive, Scope, Send

from app.core.db import UnitOfWorkRoute


class ResourceRouter(APIRouter):
    """An APIRouter whose routes run through `UnitOfWorkRoute`."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("route_class", UnitOfWorkRoute)
        super().__init__(**kwargs)


class PrefixRouting:
    """The app's router, trying only the routes a path can be (`app.router.middleware_stack`).

    FastAPI tries the app's routes in order, each included router with some bookkeeping,
    until one matches: /healthz, near the end, was checked against some 50 included routers
    (45 µs of its 117). Every route's path starts with a literal prefix (up to its first
    parameter: `/api/v1/events` for `/api/v1/events.ics` and `/api/v1/events/{event_id}`),
    and a path can be only the routes whose prefix it starts with. Those prefixes are all
    prefixes of the longest of them, so that one decides which routes to try: a copy of the
    router with only those, in their order, answers (a 405 or a 404 as before). Built at the
    first request, again when routes were added. With `redirect_slashes`, the path with a
    slash added or removed would be looked for among the same routes only (off in app.main).
    """

    def __init__(self, router: APIRouter) -> None:
        self.router = router
        self._built_for = -1  # how many routes the router had
        self._longest = re.compile("")  # the longest prefix a path starts with
        self._routers: dict[str, APIRouter] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.router.app(scope, receive, send)
            return
        if len(self.router.routes) != self._built_for:
            self._build()
        prefix = self._longest.match(get_route_path(scope))
        scope.setdefault("router", self.router)
        await self._routers[prefix.group() if prefix else ""].app(scope, receive, send)

    def _build(self) -> None:
        routes = self.router.routes
        prefix_of = [(route, _literal_prefix(route)) for route in routes]
        prefixes = sorted({"", *(prefix for _, prefix in prefix_of)}, key=len, reverse=True)
        # Alternatives are tried in order: the first that matches is the longest.
        self._longest = re.compile("|".join(map(re.escape, prefixes)))
        self._routers = {}
        for longest in prefixes:
            narrowed = self._routers[longest] = copy.copy(self.router)
            narrowed.routes = [route for route, prefix in prefix_of if longest.startswith(prefix)]
        self._built_for = len(routes)


def _literal_prefix(route: BaseRoute) -> str:
    """What every path the route (or included router) matches starts with."""
    paths = [context.path_format or "" for context in routing.iter_route_contexts([route])]
    # Character by character: `/api/v1/events` is what `…/events.ics` and `…/events/{id}` share.
    return os.path.commonprefix(paths).partition("{")[0] if paths else ""  # noqa: RUF071
