from __future__ import annotations

from fastapi import Response

from app.accounts import service
from app.accounts.schemas import LogInPage, PasswordChange
from app.core.db import SessionDep
from app.core.deps import SettingsDep
from app.core.openapi import problems
from app.core.pagination import PageParamsDep
from app.core.routing import ResourceRouter
from app.core.types import IdPath
from app.principal.dependencies import InteractivePrincipal

router = ResourceRouter(prefix="/members/me", tags=["accounts"])


@router.post(
    "/password",
    status_code=204,
    summary="Change my password",
    responses=problems(403),
)
def accounts_change_password(
    session: SessionDep,
    settings: SettingsDep,
    principal: InteractivePrincipal,
    data: PasswordChange,
) -> Response:
    """Needs the current password; every other log-in ends, this one stays."""
    service.change_password(
        session,
        settings,
        member=principal.member,
        current_password=data.current_password,
        new_password=data.new_password,
        keep_session_id=principal.session_id,
    )
    return Response(status_code=204)


@router.get("/sessions", response_model=LogInPage, summary="List my log-ins")
def accounts_list_sessions(
    session: SessionDep, principal: InteractivePrincipal, page: PageParamsDep
) -> LogInPage:
    """The caller's open log-ins, newest first; `current` marks the one asking."""
    items, next_cursor = service.list_log_ins(
        session,
        member_id=principal.member.id,  # type: ignore[arg-type]
        current_session_id=principal.session_id,
        params=page,
    )
    return LogInPage(items=items, next_cursor=next_cursor)


@router.delete("/sessions", status_code=204, summary="End my other log-ins")
def accounts_end_other_sessions(session: SessionDep, principal: InteractivePrincipal) -> Response:
    """Ends every log-in of the caller but the one asking."""
    service.end_log_ins(
        session,
        member_id=principal.member.id,  # type: ignore[arg-type]
        except_session_id=principal.session_id,
    )
    return Response(status_code=204)


@router.delete(
    "/sessions/{session_id}",
    status_code=204,
    summary="End one of my log-ins",
    responses=problems(404),
)
def accounts_end_session(
    session: SessionDep, principal: InteractivePrincipal, session_id: IdPath
) -> Response:
    """Ends that log-in at once: its refresh token and access tokens stop working."""
    service.end_log_in(
        session,
        member_id=principal.member.id,  # type: ignore[arg-type]
        session_id=session_id,
    )
    return Response(status_code=204)
